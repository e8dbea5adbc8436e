/**
 * A job's statuses in the two groups the page shows them in, and what the server says a job
 * allows: the one place the web app lists either. The actions come with every job (`job.actions`,
 * from the engine's transition rules), so the page never repeats those rules.
 */
import type { Job, JobStatus } from '../api/types';

export type JobAction = Job['actions'][number];

/** Waiting, moving or paused: its files may still be written. */
export const ACTIVE_STATUSES: readonly JobStatus[] = ['queued', 'running', 'paused', 'verifying'];
/** Done one way or another; it leaves this group only by a Retry or being removed. */
export const FINISHED_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];

export function isActive(job: { status: string }): boolean {
  return (ACTIVE_STATUSES as readonly string[]).includes(job.status);
}

export function isFinished(job: { status: string }): boolean {
  return (FINISHED_STATUSES as readonly string[]).includes(job.status);
}

/** Whether the server accepts `action` on this job now. */
export function allows(job: Pick<Job, 'actions'>, action: JobAction): boolean {
  // An event stored by a server from before `actions` existed carries none: offer nothing.
  return (job.actions ?? []).includes(action);
}
