/**
 * `createRefreshTasks`: the durable task queue's public face. Domains register a handler per kind
 * (the library registers 'scan'), callers create, list, read and cancel tasks, and listeners hear
 * every stored change of a task this process creates, runs or cancels.
 */
import { ModeldockError } from '../../errors';
import type { Clock, Logger } from '../../ports';
import {
  OPEN_TASK_STATUSES,
  TASK_PRIORITIES,
  TASK_STATUSES,
  toTask,
} from './refresh-task';
import type { RefreshTaskStore, Task, TaskPriority, TaskRecord, TaskStatus, TaskTargets } from './refresh-task';
import { createRefreshTaskWorker } from './refresh-task-worker';
import type { RefreshTaskWorker, TaskHandler } from './refresh-task-worker';

export interface RefreshTasksOptions {
  store: RefreshTaskStore;
  clock: Clock;
  logger: Logger;
  workerId: string;
  leaseMs?: number;
  progressIntervalMs?: number;
  idlePollMs?: number;
  /** Finished tasks older than this are removed (default 7 days). */
  retentionMs?: number;
}

export interface TaskListQuery {
  status?: TaskStatus[];
  kind?: string;
  limit?: number;
}

export interface RefreshTasks {
  /** Registers how tasks of `kind` run; before `start()`. */
  register(kind: string, handler: TaskHandler): void;
  /**
   * Queues a task. A whole-library (or all-incomplete) task of a kind already pending or running is not queued twice:
   * that one is returned (raised to the higher priority is not needed: it is already on its way).
   */
  create(kind: string, targets: TaskTargets, priority?: TaskPriority): Promise<Task>;
  get(taskId: string): Promise<Task>;
  list(query?: TaskListQuery): Promise<Task[]>;
  cancel(taskId: string): Promise<Task>;
  subscribe(listener: (task: Task) => void): () => void;
  start(): void;
  stop(): Promise<void>;
  /** Runs due tasks to the end in this call (tests, one-shot tools). */
  drain(): Promise<number>;
}

const DEFAULT_LIST_LIMIT = 50;
const MAX_LIST_LIMIT = 500;
const TASK_ID = /^[0-9a-zA-Z-]{1,64}$/;

function invalid(message: string): ModeldockError {
  return new ModeldockError('INVALID_INPUT', message);
}

function checkTaskId(taskId: string): void {
  if (typeof taskId !== 'string' || !TASK_ID.test(taskId)) throw new ModeldockError('TASK_NOT_FOUND', 'No task has this id');
}

export function createRefreshTasks(options: RefreshTasksOptions): RefreshTasks {
  const { store, clock } = options;
  const handlers = new Map<string, TaskHandler>();
  const listeners = new Set<(task: Task) => void>();
  const publish = (record: TaskRecord) => {
    const task = toTask(record);
    for (const listener of listeners) listener(task);
  };
  let worker: RefreshTaskWorker | null = null;
  const workerFor = () =>
    (worker ??= createRefreshTaskWorker({
      store,
      clock,
      logger: options.logger,
      workerId: options.workerId,
      handlers,
      leaseMs: options.leaseMs,
      progressIntervalMs: options.progressIntervalMs,
      idlePollMs: options.idlePollMs,
      onTaskChanged: publish,
    }));
  const now = () => new Date(clock.now());

  return {
    register(kind, handler) {
      handlers.set(kind, handler);
    },

    async create(kind, targets, priority = 'normal') {
      if (!handlers.has(kind)) throw invalid(`"${String(kind).slice(0, 40)}" is not a kind of task (use ${[...handlers.keys()].join(', ')})`);
      if (!TASK_PRIORITIES.includes(priority)) throw invalid(`priority must be one of ${TASK_PRIORITIES.join(', ')}`);
      if (targets.scope !== 'entries') {
        const [open] = await store.list({ statuses: [...OPEN_TASK_STATUSES], kind, limit: 20 }).then((tasks) =>
          tasks.filter((task) => task.targets.scope === targets.scope),
        );
        if (open) return toTask(open);
      }
      const created = await store.create({ kind, targets, priority }, now());
      publish(created);
      worker?.wake();
      return toTask(created);
    },

    async get(taskId) {
      checkTaskId(taskId);
      const task = await store.get(taskId);
      if (!task) throw new ModeldockError('TASK_NOT_FOUND', `No task has the id ${taskId}`);
      return toTask(task);
    },

    async list(query = {}) {
      const limit = query.limit ?? DEFAULT_LIST_LIMIT;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
        throw invalid(`limit must be a whole number from 1 to ${MAX_LIST_LIMIT}`);
      }
      const unknown = query.status?.find((status) => !TASK_STATUSES.includes(status));
      if (unknown !== undefined) throw invalid(`"${String(unknown)}" is not a task status (use ${TASK_STATUSES.join(', ')})`);
      const tasks = await store.list({ statuses: query.status, kind: query.kind, limit });
      return tasks.map(toTask);
    },

    async cancel(taskId) {
      checkTaskId(taskId);
      const task = await store.cancel(taskId, now());
      if (!task) throw new ModeldockError('TASK_NOT_FOUND', `No task has the id ${taskId}`);
      publish(task);
      return toTask(task);
    },

    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    start() {
      const retentionMs = options.retentionMs ?? 7 * 24 * 3_600_000;
      void store.pruneFinished(new Date(clock.now() - retentionMs)).catch(() => undefined);
      workerFor().start();
    },

    async stop() {
      await worker?.stop();
    },

    drain: () => workerFor().drain(),
  };
}
