/**
 * One feed of job events for subscribers, whoever ran the job. This process's download manager
 * gives its own events (status changes and coalesced progress); on PostgreSQL, `watchEvents`
 * brings the stored events appended by other processes sharing the database. A stored event can
 * arrive through both (our own, echoed back by the database): it is delivered once.
 */
import type {
  DownloadManager,
  JobEvent,
  JobEventListener,
  StoredJobEvent,
} from '@modeldock/engine';

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

export function createJobEventHub(
  manager: DownloadManager,
  watchStoredEvents?: WatchStoredEvents,
): JobEventHub {
  const listeners = new Set<JobEventListener>();
  const delivered = new Set<string>();

  function deliver(event: JobEvent): void {
    if (isStoredId(event.id)) {
      if (delivered.has(event.id)) return;
      delivered.add(event.id);
      if (delivered.size > REMEMBERED_IDS) delivered.delete(delivered.values().next().value!);
    }
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // One broken subscriber must not starve the others.
      }
    }
  }

  const stopLocal = manager.subscribe(deliver);
  const stopWatching = watchStoredEvents?.((stored) => deliver(toJobEvent(stored)));

  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    eventsAfter: (lastEventId, jobId) => manager.eventsAfter(lastEventId, jobId),
    close() {
      stopLocal();
      stopWatching?.();
      listeners.clear();
    },
  };
}
