/**
 * Durable refresh tasks: background work on the library (a scan today; metadata, previews and update
 * checks register their own kinds), stored so it survives a restart, leased like jobs so several
 * processes on one PostgreSQL never run the same task, with progress and per-item errors.
 */

export const TASK_PRIORITIES = ['low', 'normal', 'high'] as const;
export type TaskPriority = (typeof TASK_PRIORITIES)[number];

/** Stored as an integer so the claim can order by it. */
export const PRIORITY_RANK: Record<TaskPriority, number> = { low: 0, normal: 1, high: 2 };

export function priorityOfRank(rank: number): TaskPriority {
  return rank >= 2 ? 'high' : rank <= 0 ? 'low' : 'normal';
}

export const TASK_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const OPEN_TASK_STATUSES: readonly TaskStatus[] = ['pending', 'running'];

/**
 * What a task works on: the whole library, chosen entries (by library entry id), or the entries whose
 * metadata or preview is incomplete when the task runs.
 */
export type TaskTargets = { scope: 'library' } | { scope: 'incomplete' } | { scope: 'entries'; ids: string[] };

export interface TaskItemError {
  /** The entry path or id the error is about. */
  target: string;
  code: string;
  message: string;
}

/** At most this many item errors are kept per task (the count keeps going). */
export const MAX_TASK_ERRORS = 200;

/** A task as stored. `checkpoint` is its kind's own resume state. */
export interface TaskRecord {
  id: string;
  /** 'scan' here; other domains add theirs ('metadata', 'preview', 'update-check'). */
  kind: string;
  targets: TaskTargets;
  priority: TaskPriority;
  status: TaskStatus;
  done: number;
  total: number;
  current: string | null;
  errors: TaskItemError[];
  /** Item errors, including those beyond MAX_TASK_ERRORS. */
  errorCount: number;
  checkpoint: Record<string, unknown> | null;
  /** Claims so far: above 1 the task was resumed after its worker stopped or died. */
  attempts: number;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
}

/** The API's `Task`: plain JSON, ISO times. */
export interface Task {
  id: string;
  kind: string;
  status: TaskStatus;
  priority: TaskPriority;
  targets: TaskTargets;
  done: number;
  total: number;
  current: string | null;
  errors: TaskItemError[];
  errorCount: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export function toTask(record: TaskRecord): Task {
  return {
    id: record.id,
    kind: record.kind,
    status: record.status,
    priority: record.priority,
    targets: record.targets,
    done: record.done,
    total: record.total,
    current: record.current,
    errors: record.errors,
    errorCount: record.errorCount,
    createdAt: record.createdAt.toISOString(),
    startedAt: record.startedAt?.toISOString() ?? null,
    finishedAt: record.finishedAt?.toISOString() ?? null,
  };
}

export interface NewTask {
  kind: string;
  targets: TaskTargets;
  priority: TaskPriority;
}

/** What a worker writes while it holds a task. */
export interface TaskProgressPatch {
  done?: number;
  total?: number;
  current?: string | null;
  /** Appended (the store keeps the first MAX_TASK_ERRORS). */
  newErrors?: TaskItemError[];
  checkpoint?: Record<string, unknown> | null;
}

export interface RefreshTaskStore {
  create(task: NewTask, now: Date): Promise<TaskRecord>;
  get(id: string): Promise<TaskRecord | null>;
  /** Newest first. */
  list(query: { statuses?: TaskStatus[]; kind?: string; limit: number }): Promise<TaskRecord[]>;
  /**
   * Atomically takes the next task of these kinds: pending, or running with an expired lease (its
   * worker died), highest priority first, then oldest. Sets it running with the lease to `workerId`.
   */
  claimNext(workerId: string, kinds: string[], leaseMs: number, now: Date): Promise<TaskRecord | null>;
  /**
   * Applies progress and extends the lease while the task is still running and ours; null when it
   * is not (cancelled, or another worker took it over after the lease expired).
   */
  update(id: string, workerId: string, patch: TaskProgressPatch, leaseMs: number, now: Date): Promise<TaskRecord | null>;
  /** Ends a task the worker holds; null when it was no longer ours. */
  finish(
    id: string,
    workerId: string,
    status: 'completed' | 'failed',
    patch: TaskProgressPatch,
    now: Date,
  ): Promise<TaskRecord | null>;
  /** Gives a held task back (shutdown): still running, lease expired, so the next claim resumes it. */
  release(id: string, workerId: string, now: Date): Promise<void>;
  /** Pending or running → cancelled; returns the task as it is after (unchanged when already finished). */
  cancel(id: string, now: Date): Promise<TaskRecord | null>;
  /** Removes finished tasks finished before `before`. */
  pruneFinished(before: Date): Promise<number>;
}
