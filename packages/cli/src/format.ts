/** How numbers and jobs read in a terminal: sizes in binary units, durations as 1h 02m, one line per job. */
import type { Job, JobFile } from '@modeldock/client';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '?';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${UNITS[unit]}`;
}

export function formatSpeed(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '--';
  const total = Math.max(0, Math.round(seconds));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = total % 60;
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, '0')}m`;
  if (minutes > 0) return `${minutes}m ${String(rest).padStart(2, '0')}s`;
  return `${rest}s`;
}

export function percentOf(done: number, total: number | null): string {
  if (total === null || total <= 0) return '  ?%';
  return `${Math.min(100, Math.floor((done / total) * 100))
    .toString()
    .padStart(3)}%`;
}

/** What a job is doing, in words: "running", "waiting for gpu-box", "retrying in 4s (IDLE_TIMEOUT)". */
export function describeStatus(job: Job, now = Date.now()): string {
  if (job.status === 'queued' && job.waitingFor) return `waiting for ${job.waitingFor}`;
  if (job.status === 'running' && job.phase) {
    const step = job.phase.step === 'resolving' ? 'resolving' : 'checking existing files';
    const total = job.phase.bytesTotal;
    return total ? `${step} (${percentOf(job.phase.bytesDone, total).trim()} read)` : step;
  }
  if (job.stalled) {
    const inSeconds = Math.max(0, (Date.parse(job.stalled.nextAttemptAt) - now) / 1000);
    return `retrying in ${formatDuration(inSeconds)} (${job.stalled.code})`;
  }
  return job.status;
}

/** "1.2 GiB of 4.0 GiB, 12.5 MiB/s, ETA 4m 10s" */
export function describeProgress(job: {
  bytesDone: number;
  bytesTotal: number | null;
  speedBps?: number;
  etaSeconds?: number | null;
}): string {
  const parts = [`${formatBytes(job.bytesDone)} of ${formatBytes(job.bytesTotal)}`];
  if (job.speedBps) parts.push(formatSpeed(job.speedBps));
  if (job.etaSeconds !== null && job.etaSeconds !== undefined)
    parts.push(`ETA ${formatDuration(job.etaSeconds)}`);
  return parts.join(', ');
}

export function currentFile(job: Job): JobFile | null {
  return job.currentFileIndex === null ? null : (job.files[job.currentFileIndex] ?? null);
}

/** A job's one-line summary for `ls` and piped `watch`. */
export function jobLine(job: Job): string {
  const file = currentFile(job) ?? (job.files.length === 1 ? job.files[0]! : null);
  const what = file ? file.relativePath : `${job.files.length} files`;
  const line = `${job.id}  ${describeStatus(job).padEnd(10)} ${percentOf(job.bytesDone, job.bytesTotal)}  ${describeProgress(job)}  ${what}`;
  return job.error ? `${line}  ${job.error.message} [${job.error.code}]` : line;
}

/** Pads columns to the widest cell; the last column is left as it is. */
export function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
