/**
 * Settings → Schedule, bandwidth windows and retention: the one stored settings object
 * (`settings.get` / `settings.update`) and the maintenance schedule's state (`maintenance.*`).
 */
import { api } from '../api/trpc-client';
import { attempt } from '../api/outcome';
import type { Outcome } from '../api/outcome';
import type { RouterInputs, RouterOutputs } from '../api/types';

export type AppSettingsView = RouterOutputs['settings']['get'];
export type AppSettingsPatch = RouterInputs['settings']['update'];
export type MaintenanceStatusView = RouterOutputs['maintenance']['status'][number];
export type MaintenanceKindName = MaintenanceStatusView['kind'];
export type BandwidthWindowView = AppSettingsView['bandwidth']['windows'][number];

export const MAINTENANCE_LABELS: Record<MaintenanceKindName, { title: string; detail: string }> = {
  scan: { title: 'Library scan', detail: 'finds new, changed, moved and missing files' },
  recovery: { title: 'Metadata and preview recovery', detail: 'recent and most incomplete models first' },
  updates: { title: 'Update checks', detail: 'newer Civitai versions and Hugging Face commits' },
};

export function loadAppSettings(): Promise<Outcome<AppSettingsView>> {
  return attempt(() => api.settings.get.query());
}

export function updateAppSettings(patch: AppSettingsPatch): Promise<Outcome<AppSettingsView>> {
  return attempt(() => api.settings.update.mutate(patch));
}

export function loadMaintenanceStatus(): Promise<Outcome<MaintenanceStatusView[]>> {
  return attempt(() => api.maintenance.status.query());
}

export function runMaintenanceNow(kind: MaintenanceKindName): Promise<Outcome<{ taskId: string }>> {
  return attempt(() => api.maintenance.run.mutate({ kind }));
}

/** "30 min", "12 h", "1 day", "3 days". */
export function formatInterval(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440} day${minutes === 1440 ? '' : 's'}`;
  if (minutes % 60 === 0) return `${minutes / 60} h`;
  return `${minutes} min`;
}
