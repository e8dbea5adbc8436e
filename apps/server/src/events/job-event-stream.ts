/**
 * One subscriber's event stream: listen first (so nothing falls between replay and live), replay
 * stored events after `lastEventId`, then pass live events through, skipping any already replayed.
 */
import type { JobEvent } from '@modeldock/engine';
import type { JobEventSource } from './job-event-hub';

interface StreamOptions {
  jobId: string | undefined;
  lastEventId: string | null;
  signal: AbortSignal | undefined;
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
  try {
    let lastReplayed = -1n;
    if (lastEventId) {
      for (const event of await source.eventsAfter(lastEventId, jobId)) {
        lastReplayed = storedPart(event.id);
        yield event;
      }
    }
    while (!signal?.aborted) {
      const event = pending.shift();
      if (!event) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
        continue;
      }
      // A stored event delivered by the replay must not be delivered twice.
      if (!event.id.includes('.') && storedPart(event.id) <= lastReplayed) continue;
      yield event;
    }
  } finally {
    unsubscribe();
    signal?.removeEventListener('abort', onAbort);
  }
}
