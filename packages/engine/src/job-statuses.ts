/** A job's statuses and the two groups they fall in: the one list every part of the engine uses. */
export const JOB_STATUSES = [
  'queued',
  'running',
  'paused',
  'verifying',
  'completed',
  'failed',
  'cancelled',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Statuses a job leaves only through a user action (retry, clear). */
export const FINISHED_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];
/** Statuses whose files may still be written or resumed. */
export const ACTIVE_STATUSES: readonly JobStatus[] = ['queued', 'running', 'paused', 'verifying'];
