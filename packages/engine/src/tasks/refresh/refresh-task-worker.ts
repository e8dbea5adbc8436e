/**
 * Runs durable refresh tasks, one at a time: claims the next task of a kind it has a handler for,
 * holds its lease while the handler works (each progress write also renews it), and records the end.
 * A task cancelled by the user, or taken over by another worker after this one stalled past its
 * lease, is noticed at the next write and its handler aborted. On stop, a task in progress is given
 * back still running so the next start (here or elsewhere) resumes it from its stored progress.
 */
import { toModeldockError } from '../../errors';
import type { Clock, Logger } from '../../ports';
import type {
  RefreshTaskStore,
  TaskItemError,
  TaskProgressPatch,
  TaskRecord,
} from './refresh-task';

export interface TaskRunContext {
  /** The task as claimed (its stored progress and checkpoint, when resumed). */
  task: TaskRecord;
  signal: AbortSignal;
  progress(update: { done?: number; total?: number; current?: string | null }): void;
  itemError(error: TaskItemError): void;
  checkpoint(state: Record<string, unknown>): void;
}

export type TaskHandler = (run: TaskRunContext) => Promise<void>;

export interface RefreshTaskWorkerOptions {
  store: RefreshTaskStore;
  clock: Clock;
  logger: Logger;
  workerId: string;
  handlers: ReadonlyMap<string, TaskHandler>;
  /** Lease length; renewed by every write, at least every leaseMs / 3. Default 30 s. */
  leaseMs?: number;
  /** Progress is written at most this often. Default 500 ms. */
  progressIntervalMs?: number;
  /** How long to wait for new work when the queue is empty (a `wake()` cuts it short). Default 5 s. */
  idlePollMs?: number;
  /** Every stored change of a task this worker runs. */
  onTaskChanged?(task: TaskRecord): void;
}

export interface RefreshTaskWorker {
  start(): void;
  /** Aborts the task in progress, gives it back, and waits. */
  stop(): Promise<void>;
  /** Looks for work now (a task was just created). */
  wake(): void;
  /** Claims and runs tasks until none is due; resolves with how many ran (tests, one-shot use). */
  drain(): Promise<number>;
}

const STOPPING = 'worker stopping';

export function createRefreshTaskWorker(options: RefreshTaskWorkerOptions): RefreshTaskWorker {
  const { store, clock, logger, workerId, handlers } = options;
  const leaseMs = options.leaseMs ?? 30_000;
  const progressIntervalMs = Math.min(options.progressIntervalMs ?? 500, Math.floor(leaseMs / 3));
  const idlePollMs = options.idlePollMs ?? 5_000;
  const stopper = new AbortController();
  let idle: AbortController | null = null;
  let wakeRequested = false;
  let loop: Promise<void> | null = null;

  const now = () => new Date(clock.now());
  const changed = (task: TaskRecord | null) => {
    if (task) options.onTaskChanged?.(task);
  };

  async function runOne(task: TaskRecord): Promise<void> {
    const abort = new AbortController();
    const onStop = () => abort.abort(new Error(STOPPING));
    stopper.signal.addEventListener('abort', onStop, { once: true });
    let patch: TaskProgressPatch = {};
    let writing: Promise<void> = Promise.resolve();
    let lost = false;

    const write = () => {
      writing = writing.then(async () => {
        if (lost) return;
        const sent = patch;
        patch = {};
        try {
          const after = await store.update(task.id, workerId, sent, leaseMs, now());
          if (!after) {
            lost = true;
            abort.abort(new Error('task cancelled or taken over'));
          }
          changed(after);
        } catch (error) {
          // Kept for the next write; a store that stays down lets the lease lapse and the task moves on.
          patch = mergePatch(sent, patch);
          logger.warn({ taskId: task.id, message: toModeldockError(error).message }, 'could not record task progress');
        }
      });
      return writing;
    };

    const ticker = (async () => {
      while (!abort.signal.aborted) {
        try {
          await clock.sleep(progressIntervalMs, abort.signal);
        } catch {
          return;
        }
        await write();
      }
    })();

    const context: TaskRunContext = {
      task,
      signal: abort.signal,
      progress(update) {
        patch = mergePatch(patch, update);
      },
      itemError(error) {
        patch = mergePatch(patch, { newErrors: [error] });
      },
      checkpoint(state) {
        patch = mergePatch(patch, { checkpoint: state });
      },
    };

    let outcome: 'completed' | 'failed' | 'released' | 'lost' = 'completed';
    const handler = handlers.get(task.kind);
    try {
      if (!handler) throw new Error(`No handler for tasks of kind "${task.kind}"`);
      await handler(context);
      if (abort.signal.aborted) outcome = lost ? 'lost' : 'released';
    } catch (error) {
      if (lost) outcome = 'lost';
      else if (stopper.signal.aborted) outcome = 'released';
      else {
        outcome = 'failed';
        const failure = toModeldockError(error);
        patch = mergePatch(patch, { newErrors: [{ target: task.kind, code: failure.code, message: failure.message }] });
        logger.warn({ taskId: task.id, kind: task.kind, code: failure.code, message: failure.message }, 'refresh task failed');
      }
    } finally {
      abort.abort(new Error('task ended'));
      stopper.signal.removeEventListener('abort', onStop);
      await ticker;
      await writing;
    }

    try {
      if (outcome === 'completed' || outcome === 'failed') {
        changed(await store.finish(task.id, workerId, outcome, patch, now()));
        logger.info({ taskId: task.id, kind: task.kind, status: outcome }, 'refresh task finished');
      } else if (outcome === 'released') {
        if (Object.keys(patch).length > 0) await store.update(task.id, workerId, patch, leaseMs, now());
        await store.release(task.id, workerId, now());
      }
    } catch (error) {
      logger.warn({ taskId: task.id, message: toModeldockError(error).message }, 'could not record the end of a task');
    }
  }

  async function claim(): Promise<TaskRecord | null> {
    const claimed = await store.claimNext(workerId, [...handlers.keys()], leaseMs, now());
    changed(claimed);
    return claimed;
  }

  async function drain(): Promise<number> {
    let ran = 0;
    while (!stopper.signal.aborted) {
      const task = await claim();
      if (!task) break;
      await runOne(task);
      ran++;
    }
    return ran;
  }

  async function run(): Promise<void> {
    while (!stopper.signal.aborted) {
      try {
        await drain();
      } catch (error) {
        logger.warn({ message: toModeldockError(error).message }, 'could not take a refresh task; trying again later');
      }
      if (wakeRequested) {
        wakeRequested = false;
        continue;
      }
      idle = new AbortController();
      const both = AbortSignal.any([idle.signal, stopper.signal]);
      await clock.sleep(idlePollMs, both).catch(() => undefined);
      idle = null;
    }
  }

  return {
    start() {
      loop ??= run();
    },
    async stop() {
      stopper.abort(new Error(STOPPING));
      await loop;
    },
    wake() {
      wakeRequested = idle === null;
      idle?.abort();
    },
    drain,
  };
}

function mergePatch(into: TaskProgressPatch, update: TaskProgressPatch): TaskProgressPatch {
  const merged: TaskProgressPatch = { ...into, ...update };
  if (into.newErrors || update.newErrors) merged.newErrors = [...(into.newErrors ?? []), ...(update.newErrors ?? [])];
  return merged;
}
