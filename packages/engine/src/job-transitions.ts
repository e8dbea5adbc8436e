/**
 * Which user actions each status allows. An action on a job already in the wanted state is a
 * harmless repeat (a double click); anything else impossible is INVALID_STATE with the way out.
 */
import { ModeldockError } from './errors';
import type { JobStatus } from './job-statuses';
import { ACTIVE_STATUSES, FINISHED_STATUSES } from './job-statuses';

export const JOB_ACTIONS = [
  'pause',
  'resume',
  'cancel',
  'retry',
  'setPriority',
  'moveToTop',
  'setBandwidthLimit',
  'rollback',
  'remove',
] as const;
export type JobAction = (typeof JOB_ACTIONS)[number];

interface ActionRule {
  /** Statuses the action changes. */
  from: readonly JobStatus[];
  /** Statuses where the action has nothing left to do. */
  unchanged: readonly JobStatus[];
  verb: string;
}

const ACTIVE = ACTIVE_STATUSES;

const RULES: Record<JobAction, ActionRule> = {
  pause: { from: ['queued', 'running', 'verifying'], unchanged: ['paused'], verb: 'pause' },
  resume: { from: ['paused'], unchanged: ['queued', 'running', 'verifying'], verb: 'resume' },
  // A failed job can be cancelled too: that removes the partial files it still holds.
  cancel: { from: [...ACTIVE, 'failed'], unchanged: ['cancelled'], verb: 'cancel' },
  retry: { from: ['failed', 'cancelled'], unchanged: [], verb: 'retry' },
  setPriority: { from: ACTIVE, unchanged: [], verb: 'change the priority of' },
  moveToTop: { from: ACTIVE, unchanged: [], verb: 'move' },
  setBandwidthLimit: { from: ACTIVE, unchanged: [], verb: 'limit the bandwidth of' },
  rollback: { from: ['failed', 'cancelled'], unchanged: [], verb: 'roll back' },
  // Takes a finished job off the list.
  remove: { from: FINISHED_STATUSES, unchanged: [], verb: 'remove' },
};

const WAY_OUT: Partial<Record<JobAction, Partial<Record<JobStatus, string>>>> = {
  resume: {
    failed: 'use Retry to try it again',
    cancelled: 'use Retry to start it again',
    completed: 'it has nothing left to download',
  },
  cancel: {
    completed: 'the file is complete; use Clear finished to remove it from the list',
  },
  retry: {
    paused: 'use Resume to continue it',
    completed: 'it has nothing left to download',
    queued: 'it is already waiting to run',
    running: 'it is already running',
    verifying: 'it is already being verified',
  },
  pause: { completed: 'it has nothing left to download', failed: 'use Retry to try it again' },
  rollback: {
    queued: 'cancel it first',
    running: 'cancel it first',
    paused: 'cancel it first',
    verifying: 'cancel it first',
    completed: 'every file completed; delete the ones you do not want from the models folder',
  },
  remove: {
    queued: 'cancel it first',
    running: 'cancel it first',
    paused: 'cancel it first',
    verifying: 'cancel it first',
  },
};

/** 'apply' when the action changes the job, 'unchanged' when it is already done; throws otherwise. */
export function checkTransition(action: JobAction, status: JobStatus): 'apply' | 'unchanged' {
  const rule = RULES[action];
  if (rule.from.includes(status)) return 'apply';
  if (rule.unchanged.includes(status)) return 'unchanged';
  const wayOut = WAY_OUT[action]?.[status] ?? 'it has already finished';
  throw new ModeldockError('INVALID_STATE', `Cannot ${rule.verb} this download while it is ${status}: ${wayOut}.`);
}

/**
 * The actions that would change a job in this state, in a fixed order: what the API sends with
 * every job so clients offer exactly these. A rollback needs a job of several files.
 */
export function allowedActions(job: { status: JobStatus; fileCount: number }): JobAction[] {
  return JOB_ACTIONS.filter(
    (action) => RULES[action].from.includes(job.status) && (action !== 'rollback' || job.fileCount > 1),
  );
}
