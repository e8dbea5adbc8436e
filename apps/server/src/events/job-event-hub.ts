/**
 * One feed of job events for subscribers, whoever ran the job. This process's download manager
 * gives its own events (status changes and coalesced progress); with a shared database,
 * `watchStoredEvents` brings the stored events appended by other processes, and
 * remote-job-progress.ts the progress of jobs they run. A stored event can arrive through both
 * (our own, echoed back by the database): it is delivered once.
 */
import type {
  Clock,
  DownloadManager,
  JobEvent,
  JobEventListener,
  StoredJobEvent,
  TaskRunner,
} from '@modeldock/engine';
import { FINISHED_STATUSES } from '@modeldock/engine';
import { REMOTE_JOB_PROGRESS_TASK, remoteProgressTask } from './remote-job-progress';

/** What the events subscription needs: live events and a replay of stored ones. */
export interface JobEventSource {
  subscribe(listener: JobEventListener): () => void;
  eventsAfter(lastEventId: string, jobId?: string): Promise<JobEvent[]>;
}

/** `watchEvents` of @modeldock/db: stored events as they are appended, by any process. */
export type WatchStoredEvents = (listener: (event: StoredJobEvent) => void) => () => void;

export interface JobEventHub extends JobEventSource {
  close(): void;
}

/** How many stored ids to remember for de-duplication; far more than can be in flight at once. */
const REMEMBERED_IDS = 4096;

function isStoredId(id: string): boolean {
  return !id.includes('.');
}

export function toJobEvent(stored: StoredJobEvent): JobEvent {
  return { id: stored.id, jobId: stored.jobId, type: stored.type, job: stored.job };
}

export interface SharedDatabaseEvents {
  /** Stored events appended by any process. */
  watchStoredEvents: WatchStoredEvents;
  /** The newest stored event id, for numbering progress of jobs other processes run. */
  latestStoredEventId: () => Promise<string>;
  /** How often to look at other processes' running jobs while someone is subscribed; null = never (one process). */
  remoteProgressIntervalMs: number | null;
  /** Where the look at other processes' jobs runs (the server's background tasks). */
  tasks: TaskRunner;
  clock: Clock;
}

export function createJobEventHub(
  manager: DownloadManager,
  shared?: SharedDatabaseEvents,
): JobEventHub {
  const listeners = new Set<JobEventListener>();
  const delivered = new Set<string>();
  const localProgressAt = new Map<string, number>();
  let newestStoredId: bigint | null = null;

  function deliver(event: JobEvent): void {
    if (isStoredId(event.id)) {
      if (delivered.has(event.id)) return;
      delivered.add(event.id);
      if (delivered.size > REMEMBERED_IDS) delivered.delete(delivered.values().next().value!);
      const id = BigInt(event.id);
      if (newestStoredId === null || id > newestStoredId) newestStoredId = id;
      const finished = event.job === null || FINISHED_STATUSES.includes(event.job.status);
      if (finished) localProgressAt.delete(event.jobId);
    }
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // One broken subscriber must not starve the others.
      }
    }
  }

  const stopLocal = manager.subscribe((event) => {
    if (!isStoredId(event.id)) localProgressAt.set(event.jobId, shared?.clock.now() ?? Date.now());
    deliver(event);
  });
  const stopWatching = shared?.watchStoredEvents((stored) => deliver(toJobEvent(stored)));
  const remoteProgress = shared && shared.remoteProgressIntervalMs !== null;
  if (remoteProgress)
    shared.tasks.register(
      remoteProgressTask({
        manager,
        clock: shared.clock,
        intervalMs: shared.remoteProgressIntervalMs!,
        hasSubscribers: () => listeners.size > 0,
        lastLocalProgressAt: (jobId) => localProgressAt.get(jobId),
        currentStoredId: async () =>
          (newestStoredId ??= BigInt(await shared.latestStoredEventId())),
        publish: deliver,
      }),
    );

  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    eventsAfter: (lastEventId, jobId) => manager.eventsAfter(lastEventId, jobId),
    close() {
      stopLocal();
      stopWatching?.();
      if (remoteProgress) void shared!.tasks.remove(REMOTE_JOB_PROGRESS_TASK);
      listeners.clear();
    },
  };
}
