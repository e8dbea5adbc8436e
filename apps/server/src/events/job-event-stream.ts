/**
 * One subscriber's event stream: listen first (so nothing falls between replay and live), replay
 * stored events after `lastEventId`, then pass live events through, skipping stored events the
 * replay already sent and progress that arrived during the replay but predates what it sent.
 */
import type { JobEvent } from '@modeldock/engine';
import type { JobEventSource } from './job-event-hub';

interface StreamOptions {
  jobId: string | undefined;
  lastEventId: string | null;
  signal: AbortSignal | undefined;
}

function isStoredId(eventId: string): boolean {
  return !eventId.includes('.');
}

/** The stored-event number an id refers to: "42" and "42.7" both mean "after stored event 42". */
export function storedPart(eventId: string): bigint {
  const integer = eventId.split('.')[0] ?? '0';
  return /^\d+$/.test(integer) ? BigInt(integer) : 0n;
}

export async function* subscribeToJobEvents(
  source: JobEventSource,
  { jobId, lastEventId, signal }: StreamOptions,
): AsyncGenerator<JobEvent> {
  const pending: JobEvent[] = [];
  let wake: (() => void) | null = null;
  const unsubscribe = source.subscribe((event) => {
    if (jobId && event.jobId !== jobId) return;
    pending.push(event);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort);
  // Stored ids the replay sent (ids can commit out of order across processes: a set, not a maximum).
  const replayed = new Set<string>();
  // Per job, the newest stored event the replay sent: progress queued meanwhile but older than it is stale.
  const newestReplayedByJob = new Map<string, bigint>();
  try {
    if (lastEventId) {
      for (const event of await source.eventsAfter(lastEventId, jobId)) {
        replayed.add(event.id);
        const id = storedPart(event.id);
        if (id > (newestReplayedByJob.get(event.jobId) ?? -1n))
          newestReplayedByJob.set(event.jobId, id);
        yield event;
      }
    }
    // Only what arrived while the replay ran can overlap it; later live events are in order.
    let overlapping = pending.length;
    while (!signal?.aborted) {
      const event = pending.shift();
      if (!event) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
        continue;
      }
      const fromOverlap = overlapping > 0;
      if (fromOverlap) overlapping--;
      if (isStoredId(event.id)) {
        if (replayed.has(event.id)) continue;
      } else if (
        fromOverlap &&
        storedPart(event.id) < (newestReplayedByJob.get(event.jobId) ?? -1n)
      ) {
        continue;
      }
      yield event;
    }
  } finally {
    unsubscribe();
    signal?.removeEventListener('abort', onAbort);
  }
}
