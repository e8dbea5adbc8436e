/**
 * The one settings object (`settings.get` / `settings.update`): the maintenance schedule, the global
 * bandwidth limit and its windows, job retention, and Settings → Metadata. Each part is stored as one
 * JSON value under its own key, read defensively (an older version or a hand edit may have written
 * it); a change is checked whole before anything is stored, and an error names the field.
 */
import { ModeldockError } from '../errors';
import { findOverlap, minuteOfDayOf } from '../bandwidth/bandwidth-windows';
import type { BandwidthWindow } from '../bandwidth/bandwidth-windows';
import { applyMetadataSettings, DEFAULT_METADATA_SETTINGS, readMetadataSettings } from '../metadata/library/metadata-settings';
import type { MetadataSettings } from '../metadata/refresh/metadata-refresh';

export const MAINTENANCE_KINDS = ['scan', 'recovery', 'updates'] as const;
export type MaintenanceKind = (typeof MAINTENANCE_KINDS)[number];

export interface MaintenanceTaskSetting {
  enabled: boolean;
  intervalMinutes: number;
}

export type MaintenanceSettings = Record<MaintenanceKind, MaintenanceTaskSetting>;

export interface BandwidthSettings {
  /** The limit set by hand, bytes per second; null = unlimited. Windows override it while they last. */
  globalLimitBps: number | null;
  windows: BandwidthWindow[];
}

export interface RetentionSettings {
  /** Completed and cancelled jobs leave the list this long after they finished; null = kept. */
  finishedJobsHours: number | null;
  /** Failed jobs stay this long (their error is worth reading), unless removed by hand. */
  failedJobsDays: number;
}

export interface AppSettings {
  maintenance: MaintenanceSettings;
  bandwidth: BandwidthSettings;
  retention: RetentionSettings;
  metadata: MetadataSettings;
}

export interface AppSettingsPatch {
  maintenance?: Partial<Record<MaintenanceKind, Partial<MaintenanceTaskSetting>>>;
  bandwidth?: Partial<BandwidthSettings>;
  retention?: Partial<RetentionSettings>;
  metadata?: Partial<MetadataSettings>;
}

/** Where each part is stored in the settings table. */
export const APP_SETTINGS_KEYS = {
  maintenance: 'maintenance',
  bandwidth: 'bandwidth',
  retention: 'retention',
  metadata: 'metadata',
} as const;

export const MIN_INTERVAL_MINUTES = 5;
export const MAX_INTERVAL_MINUTES = 30 * 24 * 60;
export const MAX_BANDWIDTH_WINDOWS = 24;
export const MAX_LIMIT_BPS = 1e12;
export const MAX_FINISHED_JOBS_HOURS = 24 * 365;
export const MAX_FAILED_JOBS_DAYS = 365;

/** What the environment may change about the defaults (MODELDOCK_LIBRARY_SCAN_INTERVAL_MINUTES, …). */
export interface AppSettingsDefaults {
  /** 0 = scans off by default. */
  scanIntervalMinutes?: number;
  globalLimitBps?: number | null;
}

export function defaultAppSettings(defaults: AppSettingsDefaults = {}): AppSettings {
  const scanMinutes = defaults.scanIntervalMinutes ?? 30;
  return {
    maintenance: {
      scan: { enabled: scanMinutes > 0, intervalMinutes: scanMinutes > 0 ? Math.max(MIN_INTERVAL_MINUTES, scanMinutes) : 30 },
      recovery: { enabled: true, intervalMinutes: 24 * 60 },
      updates: { enabled: true, intervalMinutes: 24 * 60 },
    },
    bandwidth: { globalLimitBps: defaults.globalLimitBps ?? null, windows: [] },
    retention: { finishedJobsHours: 24, failedJobsDays: 7 },
    metadata: { ...DEFAULT_METADATA_SETTINGS },
  };
}

function invalid(field: string, message: string): ModeldockError {
  return new ModeldockError('INVALID_INPUT', `${field}: ${message}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function wholeIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

function checkKeys(field: string, value: Record<string, unknown>, allowed: readonly string[]): void {
  const unknown = Object.keys(value).find((key) => !allowed.includes(key));
  if (unknown !== undefined) throw invalid(`${field}.${unknown.slice(0, 40)}`, `is not a setting (use ${allowed.join(', ')})`);
}

function checkObject(field: string, value: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (!isObject(value)) throw invalid(field, 'must be an object');
  checkKeys(field, value, allowed);
  return value;
}

function checkLimit(field: string, value: unknown): number | null {
  if (value === null) return null;
  if (!wholeIn(value, 1, MAX_LIMIT_BPS)) throw invalid(field, 'must be a whole number of bytes per second above 0, or null for no limit');
  return value;
}

function checkInterval(field: string, value: unknown): number {
  if (!wholeIn(value, MIN_INTERVAL_MINUTES, MAX_INTERVAL_MINUTES)) {
    throw invalid(field, `must be a whole number of minutes from ${MIN_INTERVAL_MINUTES} to ${MAX_INTERVAL_MINUTES} (30 days)`);
  }
  return value;
}

export function checkBandwidthWindows(value: unknown, field = 'bandwidth.windows'): BandwidthWindow[] {
  if (!Array.isArray(value)) throw invalid(field, 'must be a list of windows');
  if (value.length > MAX_BANDWIDTH_WINDOWS) throw invalid(field, `at most ${MAX_BANDWIDTH_WINDOWS} windows`);
  const windows = value.map((item: unknown, index) => {
    const at = `${field}[${index}]`;
    const window = checkObject(at, item, ['start', 'end', 'limitBps']);
    for (const edge of ['start', 'end'] as const) {
      if (minuteOfDayOf(window[edge]) === null) throw invalid(`${at}.${edge}`, 'must be a time of day as HH:MM (00:00–23:59)');
    }
    if (window.start === window.end) throw invalid(`${at}.end`, 'must differ from start (a window cannot be empty or the whole day)');
    if (!('limitBps' in window)) throw invalid(`${at}.limitBps`, 'is required (null for unlimited)');
    return { start: window.start as string, end: window.end as string, limitBps: checkLimit(`${at}.limitBps`, window.limitBps) };
  });
  const overlap = findOverlap(windows);
  if (overlap) {
    const [first, second] = overlap;
    const other = windows[first]!;
    throw invalid(`${field}[${second}]`, `overlaps ${field}[${first}] (${other.start}–${other.end}); windows must not share a minute`);
  }
  return windows;
}

// Reading what is stored: anything unreadable falls back to the default, field by field.

function readMaintenance(stored: unknown, fallback: MaintenanceSettings): MaintenanceSettings {
  const value = isObject(stored) ? stored : {};
  const result = { ...fallback };
  for (const kind of MAINTENANCE_KINDS) {
    const item = isObject(value[kind]) ? value[kind] : {};
    result[kind] = {
      enabled: typeof item.enabled === 'boolean' ? item.enabled : fallback[kind].enabled,
      intervalMinutes: wholeIn(item.intervalMinutes, MIN_INTERVAL_MINUTES, MAX_INTERVAL_MINUTES) ? item.intervalMinutes : fallback[kind].intervalMinutes,
    };
  }
  return result;
}

function readBandwidth(stored: unknown, fallback: BandwidthSettings): BandwidthSettings {
  const value = isObject(stored) ? stored : {};
  let windows = fallback.windows;
  try {
    if ('windows' in value) windows = checkBandwidthWindows(value.windows);
  } catch {
    // A stored list that no longer passes the rules is ignored as a whole rather than half applied.
  }
  const globalLimitBps =
    'globalLimitBps' in value && (value.globalLimitBps === null || wholeIn(value.globalLimitBps, 1, MAX_LIMIT_BPS))
      ? (value.globalLimitBps as number | null)
      : fallback.globalLimitBps;
  return { globalLimitBps, windows };
}

function readRetention(stored: unknown, fallback: RetentionSettings): RetentionSettings {
  const value = isObject(stored) ? stored : {};
  return {
    finishedJobsHours:
      'finishedJobsHours' in value && (value.finishedJobsHours === null || wholeIn(value.finishedJobsHours, 1, MAX_FINISHED_JOBS_HOURS))
        ? (value.finishedJobsHours as number | null)
        : fallback.finishedJobsHours,
    failedJobsDays: wholeIn(value.failedJobsDays, 1, MAX_FAILED_JOBS_DAYS) ? value.failedJobsDays : fallback.failedJobsDays,
  };
}

/** The settings from the stored values (`undefined` where a key was never stored). */
export function readAppSettings(stored: Partial<Record<keyof AppSettings, unknown>>, defaults: AppSettingsDefaults = {}): AppSettings {
  const fallback = defaultAppSettings(defaults);
  return {
    maintenance: readMaintenance(stored.maintenance, fallback.maintenance),
    bandwidth: readBandwidth(stored.bandwidth, fallback.bandwidth),
    retention: readRetention(stored.retention, fallback.retention),
    metadata: stored.metadata === undefined ? fallback.metadata : readMetadataSettings(stored.metadata),
  };
}

/** The settings after a client's change; throws INVALID_INPUT naming the first bad field. */
export function applyAppSettingsPatch(current: AppSettings, patch: unknown): AppSettings {
  const change = checkObject('settings', patch, ['maintenance', 'bandwidth', 'retention', 'metadata']);
  const next: AppSettings = structuredClone(current);
  if (change.maintenance !== undefined) {
    const maintenance = checkObject('maintenance', change.maintenance, MAINTENANCE_KINDS);
    for (const kind of MAINTENANCE_KINDS) {
      if (maintenance[kind] === undefined) continue;
      const item = checkObject(`maintenance.${kind}`, maintenance[kind], ['enabled', 'intervalMinutes']);
      if (item.enabled !== undefined) {
        if (typeof item.enabled !== 'boolean') throw invalid(`maintenance.${kind}.enabled`, 'must be true or false');
        next.maintenance[kind].enabled = item.enabled;
      }
      if (item.intervalMinutes !== undefined) next.maintenance[kind].intervalMinutes = checkInterval(`maintenance.${kind}.intervalMinutes`, item.intervalMinutes);
    }
  }
  if (change.bandwidth !== undefined) {
    const bandwidth = checkObject('bandwidth', change.bandwidth, ['globalLimitBps', 'windows']);
    if (bandwidth.globalLimitBps !== undefined) next.bandwidth.globalLimitBps = checkLimit('bandwidth.globalLimitBps', bandwidth.globalLimitBps);
    if (bandwidth.windows !== undefined) next.bandwidth.windows = checkBandwidthWindows(bandwidth.windows);
  }
  if (change.retention !== undefined) {
    const retention = checkObject('retention', change.retention, ['finishedJobsHours', 'failedJobsDays']);
    if (retention.finishedJobsHours !== undefined) {
      if (retention.finishedJobsHours !== null && !wholeIn(retention.finishedJobsHours, 1, MAX_FINISHED_JOBS_HOURS)) {
        throw invalid('retention.finishedJobsHours', `must be a whole number of hours from 1 to ${MAX_FINISHED_JOBS_HOURS}, or null to keep finished jobs`);
      }
      next.retention.finishedJobsHours = retention.finishedJobsHours;
    }
    if (retention.failedJobsDays !== undefined) {
      if (!wholeIn(retention.failedJobsDays, 1, MAX_FAILED_JOBS_DAYS)) throw invalid('retention.failedJobsDays', `must be a whole number of days from 1 to ${MAX_FAILED_JOBS_DAYS}`);
      next.retention.failedJobsDays = retention.failedJobsDays;
    }
  }
  if (change.metadata !== undefined) {
    const metadata = checkObject('metadata', change.metadata, ['writeSidecars', 'writeA1111', 'maxNsfwLevel']);
    try {
      next.metadata = applyMetadataSettings(next.metadata, metadata as Partial<MetadataSettings>);
    } catch (error) {
      throw new ModeldockError('INVALID_INPUT', `metadata.${(error as Error).message}`);
    }
  }
  return next;
}
