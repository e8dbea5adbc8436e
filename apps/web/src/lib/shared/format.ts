/**
 * Human-readable numbers for the downloads page: sizes, speeds, remaining time and percentages.
 * Sizes use decimal units (1 GB = 10^9 bytes), the way model hubs list file sizes.
 */

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'] as const;

/** Three significant figures at most, so a column of sizes stays steady while it grows. */
function threeFigures(value: number): string {
  if (value < 10) return value.toFixed(2);
  if (value < 100) return value.toFixed(1);
  return value.toFixed(0);
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  // 999.7 kB would print as "1000 kB": carry it into the next unit instead.
  if (Number(threeFigures(value)) >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${threeFigures(value)} ${BYTE_UNITS[unit]}`;
}

export function formatSpeed(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond < 0) return '—';
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Remaining time in the two largest units that matter: "45 s", "3 min 05 s", "1 h 02 min", "2 d 03 h". */
export function formatDuration(totalSeconds: number | null): string {
  if (totalSeconds === null || !Number.isFinite(totalSeconds) || totalSeconds < 0) return '—';
  const seconds = Math.ceil(totalSeconds);
  if (seconds < 60) return `${seconds} s`;
  const pad = (value: number) => String(value).padStart(2, '0');
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${pad(seconds % 60)} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${pad(minutes % 60)} min`;
  const days = Math.floor(hours / 24);
  return `${days} d ${pad(hours % 24)} h`;
}

/**
 * Percentage done, 0–100 with one decimal, or null when the total is unknown.
 * Rounds down and never reports 100 before every byte is there.
 */
export function percentDone(bytesDone: number, bytesTotal: number | null): number | null {
  if (bytesTotal === null || !Number.isFinite(bytesTotal) || bytesTotal < 0) return null;
  if (bytesTotal === 0) return 100;
  if (bytesDone >= bytesTotal) return 100;
  const tenths = Math.floor((Math.max(0, bytesDone) / bytesTotal) * 1000);
  return Math.min(tenths, 999) / 10;
}

export function formatPercent(percent: number | null): string {
  return percent === null ? '—' : `${percent.toFixed(1)} %`;
}

/** "1.20 GB of 4.00 GB", or "1.20 GB of unknown size". */
export function formatProgress(bytesDone: number, bytesTotal: number | null): string {
  return bytesTotal === null
    ? `${formatBytes(bytesDone)} of unknown size`
    : `${formatBytes(bytesDone)} of ${formatBytes(bytesTotal)}`;
}

/** Seconds from `now` until an ISO time, as "in 12 s" or "now" once it has passed. */
export function formatTimeUntil(iso: string, now: number): string {
  const target = Date.parse(iso);
  if (Number.isNaN(target)) return '—';
  const remaining = (target - now) / 1000;
  return remaining <= 0.5 ? 'now' : `in ${formatDuration(remaining)}`;
}

export const RATE_UNITS = { 'kB/s': 1e3, 'MB/s': 1e6, 'GB/s': 1e9 } as const;
export type RateUnit = keyof typeof RATE_UNITS;

/**
 * Reads a bandwidth limit typed by a person ("12.5" in MB/s) as whole bytes per second.
 * Returns an error message instead when the value cannot be a limit.
 */
export function parseRate(
  text: string,
  unit: RateUnit,
): { bytesPerSecond: number } | { error: string } {
  const trimmed = text.trim().replace(',', '.');
  if (trimmed === '') return { error: 'Enter a limit, or choose "Unlimited".' };
  if (/^-\s*\d+(\.\d+)?$/.test(trimmed))
    return { error: `The limit must be positive ("${text.trim()}" is below 0).` };
  if (!/^\d+(\.\d+)?$/.test(trimmed)) return { error: `"${text.trim()}" is not a number.` };
  const bytesPerSecond = Math.round(Number(trimmed) * RATE_UNITS[unit]);
  if (bytesPerSecond < 1) return { error: 'The limit must be more than 0.' };
  if (bytesPerSecond > 1e12) return { error: 'The limit must be at most 1000 GB/s.' };
  return { bytesPerSecond };
}

/** A limit field as typed: blank means unlimited (null); anything else is read by `parseRate`. */
export function parseLimit(
  text: string,
  unit: RateUnit,
): { bytesPerSecond: number | null } | { error: string } {
  return text.trim() === '' ? { bytesPerSecond: null } : parseRate(text, unit);
}

/** The largest unit that shows a limit as a number people would type: 2 000 000 → "2" MB/s. */
export function splitRate(bytesPerSecond: number): { value: string; unit: RateUnit } {
  const units = Object.entries(RATE_UNITS) as [RateUnit, number][];
  for (let index = units.length - 1; index >= 0; index--) {
    const [unit, factor] = units[index]!;
    if (bytesPerSecond >= factor)
      return { value: String(Number((bytesPerSecond / factor).toFixed(3))), unit };
  }
  return { value: String(Number((bytesPerSecond / 1e3).toFixed(3))), unit: 'kB/s' };
}

/** A finish time: the clock time today, or the date and time for anything older. */
export function formatWhen(iso: string, now: number): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  const sameDay = new Date(now).toDateString() === date.toDateString();
  return sameDay
    ? date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleString(undefined, {
        year: 'numeric',
        month: 'short',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
      });
}
