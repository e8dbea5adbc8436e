/**
 * This process's presence among the workers sharing the database: a heartbeat row written every
 * `heartbeatMs` on the injected clock, removed at a graceful stop. From the rows it knows which
 * nodes are alive (a heartbeat within `aliveWithinMs`), so a queued job for a node that is down
 * shows "waiting for <node>", and `workers.list` shows every process with its running jobs.
 */
import type { NodePresence } from '../job-model';
import type { Clock, JobStore, Logger, WorkerRecord, WorkerStore } from '../ports';
import type { TaskRunner } from '../tasks/task-runner';

/** Rows silent this long are of processes long gone: dropped at the next heartbeat. */
export const FORGET_WORKERS_AFTER_MS = 24 * 60 * 60 * 1000;
export const WORKER_HEARTBEAT_TASK = 'worker heartbeat';

export interface WorkerView {
  id: string;
  name: string;
  /** ISO times. */
  startedAt: string;
  lastHeartbeatAt: string;
  /** Heard from within the liveness window. */
  alive: boolean;
  /** This very process. */
  self: boolean;
  /** Jobs it holds a current lease on (running or verifying). */
  runningJobIds: string[];
}

export interface WorkerPresenceOptions {
  store: WorkerStore;
  jobs: Pick<JobStore, 'listActiveJobs'>;
  clock: Clock;
  logger: Logger;
  tasks: TaskRunner;
  workerId: string;
  nodeName: string;
  heartbeatMs: number;
  /** A worker not heard from for longer is taken as down. */
  aliveWithinMs: number;
}

export interface WorkerPresence extends NodePresence {
  readonly nodeName: string;
  readonly workerId: string;
  /** Writes the first heartbeat, then one every `heartbeatMs`. */
  start(): Promise<void>;
  /** Writes a heartbeat and refreshes what is known of the others. */
  beat(): Promise<void>;
  /** Stops the heartbeat and removes this worker's row. */
  stop(): Promise<void>;
  list(): Promise<WorkerView[]>;
}

export function createWorkerPresence(options: WorkerPresenceOptions): WorkerPresence {
  const { store, jobs, clock, logger, tasks, workerId, nodeName, heartbeatMs, aliveWithinMs } =
    options;
  const startedAt = new Date(clock.now());
  let known: WorkerRecord[] = [];
  let stopped = false;

  const isRecent = (worker: WorkerRecord, now: number) =>
    worker.lastHeartbeatAt.getTime() >= now - aliveWithinMs;

  async function beat(): Promise<void> {
    if (stopped) return;
    const now = new Date(clock.now());
    await store.recordHeartbeat({ id: workerId, name: nodeName, startedAt }, now);
    await store.removeWorkers({ silentSince: new Date(now.getTime() - FORGET_WORKERS_AFTER_MS) });
    known = await store.listWorkers();
  }

  return {
    nodeName,
    workerId,
    isAlive(node) {
      if (node === nodeName && !stopped) return true;
      const now = clock.now();
      return known.some((worker) => worker.name === node && isRecent(worker, now));
    },
    async start() {
      await beat();
      tasks.register({
        name: WORKER_HEARTBEAT_TASK,
        schedule: { every: heartbeatMs, firstAfter: heartbeatMs },
        failureMessage: 'worker heartbeat failed',
        run: async () => beat(),
      });
    },
    beat,
    async stop() {
      if (stopped) return;
      stopped = true;
      known = known.filter((worker) => worker.id !== workerId);
      await tasks.remove(WORKER_HEARTBEAT_TASK);
      await store
        .removeWorkers({ ids: [workerId] })
        .catch((error: unknown) =>
          logger.warn(
            { message: error instanceof Error ? error.message : String(error) },
            'could not remove this worker',
          ),
        );
    },
    async list() {
      const [workers, active] = await Promise.all([store.listWorkers(), jobs.listActiveJobs()]);
      known = workers;
      const now = clock.now();
      return workers
        .map((worker) => ({
          id: worker.id,
          name: worker.name,
          startedAt: worker.startedAt.toISOString(),
          lastHeartbeatAt: worker.lastHeartbeatAt.toISOString(),
          alive: isRecent(worker, now),
          self: worker.id === workerId,
          runningJobIds: active
            .filter(
              (job) =>
                job.leaseOwner === worker.id &&
                (job.status === 'running' || job.status === 'verifying') &&
                job.leaseExpiresAt !== null &&
                job.leaseExpiresAt.getTime() > now,
            )
            .map((job) => job.id),
        }))
        .sort((a, b) => a.name.localeCompare(b.name) || a.startedAt.localeCompare(b.startedAt));
    },
  };
}
