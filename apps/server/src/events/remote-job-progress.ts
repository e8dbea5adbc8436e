/**
 * Progress of jobs that another process runs (several servers sharing PostgreSQL). Only status
 * changes travel between processes (stored events, LISTEN/NOTIFY); progress is live-only. So while
 * someone is subscribed, this looks at running jobs every `intervalMs` and publishes a progress
 * event for each one that this process does not run and whose durable bytes moved, or whose
 * worker stopped (or resumed) answering: a dead worker's job must not look alive until it lapses.
 */
import type { Clock, DownloadManager, JobEvent, BackgroundTask } from '@modeldock/engine';

export interface RemoteProgressOptions {
  manager: DownloadManager;
  clock: Clock;
  intervalMs: number;
  /** True while someone listens: no subscriber, no queries. */
  hasSubscribers: () => boolean;
  /** When this process last published progress for the job itself (undefined: never). */
  lastLocalProgressAt: (jobId: string) => number | undefined;
  /** The stored id progress ids build on (`<stored>.<n>`). */
  currentStoredId: () => Promise<bigint>;
  publish: (event: JobEvent) => void;
}

export const REMOTE_JOB_PROGRESS_TASK = 'remote-job-progress';

const MAX_JOBS_PER_LOOK = 500;

/** A periodic task for the server's TaskRunner; a failed look is logged and tried at the next tick. */
export function remoteProgressTask(options: RemoteProgressOptions): BackgroundTask {
  /** What was last published per job: its durable bytes and whether its worker answers. */
  const lastSeen = new Map<string, string>();
  let counter = 0;

  async function lookOnce(): Promise<void> {
    const { items } = await options.manager.listJobs({
      status: ['running', 'verifying'],
      limit: MAX_JOBS_PER_LOOK,
    });
    const now = options.clock.now();
    const stillRunning = new Set(items.map((job) => job.id));
    for (const jobId of lastSeen.keys()) if (!stillRunning.has(jobId)) lastSeen.delete(jobId);
    for (const job of items) {
      const localAt = options.lastLocalProgressAt(job.id);
      // A job this process runs reports its own progress, more often and with live bytes.
      if (localAt !== undefined && now - localAt < options.intervalMs * 3) continue;
      const seen = `${job.bytesDone}|${job.stalled?.code ?? ''}`;
      if (lastSeen.get(job.id) === seen) continue;
      lastSeen.set(job.id, seen);
      const storedId = await options.currentStoredId();
      options.publish({ id: `${storedId}.${++counter}`, jobId: job.id, type: 'progress', job });
    }
  }

  return {
    name: REMOTE_JOB_PROGRESS_TASK,
    schedule: { every: options.intervalMs, firstAfter: options.intervalMs },
    failureMessage: 'Could not read the progress of jobs other processes run',
    async run() {
      if (options.hasSubscribers()) await lookOnce();
    },
  };
}
