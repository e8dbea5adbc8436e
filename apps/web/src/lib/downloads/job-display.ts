/** How a job is named and labelled on the page. */
import type { Job } from '../api/types';

/** A single file's name, or what was asked for when a job fetches several files. */
export function jobTitle(job: Job, presetNames: Readonly<Record<string, string>> = {}): string {
  // A bundle started from a preset is called by the preset's name, not `preset:<id>`.
  const presetId = job.source.startsWith('preset:') ? job.source.slice('preset:'.length) : null;
  if (presetId !== null && presetNames[presetId]) return presetNames[presetId];
  if (job.files.length === 1) return job.files[0]!.name;
  if (job.files.length > 1) return job.source;
  return job.source;
}

/** Where the job's file(s) land, relative to the models root. */
export function jobDestination(job: Job): string | null {
  if (job.files.length === 0) return null;
  if (job.files.length === 1) return job.files[0]!.relativePath;
  const folders = new Set(
    job.files.map((file) => file.relativePath.split('/').slice(0, -1).join('/')),
  );
  return folders.size === 1
    ? `${[...folders][0] || '.'}/ (${job.files.length} files)`
    : `${job.files.length} files`;
}

export type StatusKey = Job['status'] | 'stalled';

/** A running job that waits to retry is shown as stalled: it is not moving, and the page says why. */
export function statusKey(job: Job): StatusKey {
  return job.status === 'running' && job.stalled ? 'stalled' : job.status;
}

export const STATUS_LABELS: Record<StatusKey, string> = {
  queued: 'Queued',
  running: 'Downloading',
  stalled: 'Stalled',
  verifying: 'Verifying',
  paused: 'Paused',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** The badge's words for a job's first step, while it runs. */
export const PHASE_LABELS: Record<NonNullable<Job['phase']>['step'], string> = {
  resolving: 'Resolving',
  'verifying-existing': 'Checking existing files',
};

/** The badge's words: a queued job for a node that is not running says which one it waits for. */
export function statusLabel(job: Job): string {
  if (job.status === 'running' && job.phase) return PHASE_LABELS[job.phase.step];
  if (job.status === 'queued' && job.waitingFor) return `Waiting for ${job.waitingFor}`;
  return STATUS_LABELS[statusKey(job)];
}

/**
 * What the job's first step is doing (resolving its source, hashing a file already on disk), with
 * how far the hash has read; null once the job knows its files.
 */
export function phaseNote(job: Job): string | null {
  const phase = job.phase;
  if (!phase || (job.status !== 'running' && job.status !== 'queued' && job.status !== 'paused'))
    return null;
  const what =
    phase.detail ??
    (phase.step === 'resolving'
      ? 'Finding the files to download'
      : 'Checking files already on disk');
  const waiting = job.status === 'running' ? '' : ' (runs when the download starts)';
  if (phase.bytesTotal !== null && phase.bytesTotal > 0) {
    const percent = Math.floor((100 * phase.bytesDone) / phase.bytesTotal);
    return `${what}: ${percent} % read${waiting}`;
  }
  return `${what}${waiting}`;
}

/** Files this job downloaded itself: a rollback deletes these and never the ones already present. */
export function completedFilesOf(job: Job): Job['files'] {
  return job.files.filter((file) => file.status === 'completed');
}

/** Bytes of partial (unfinished) files a job still holds on disk: what Cancel on a failed job frees. */
export function partialBytesOf(job: Job): number {
  if (job.status !== 'failed') return 0;
  return job.files.reduce(
    (sum, file) =>
      file.status === 'completed' || file.status === 'present' ? sum : sum + file.bytesDone,
    0,
  );
}

/** Pickle checkpoints can run code when loaded: the page flags them wherever they appear. */
export function isPickle(file: Job['files'][number]): boolean {
  return file.format === 'pickle';
}

/** "file 2 of 3" while a bundle moves, or null for single files and idle bundles. */
export function bundlePosition(job: Job): string | null {
  if (job.files.length < 2 || job.currentFileIndex === null) return null;
  return `file ${job.currentFileIndex + 1} of ${job.files.length}`;
}
