/**
 * A job's events as an async iterator: `for await (const event of client.jobEvents(id))`. The
 * subscription rides the client's WebSocket, which resubscribes with `lastEventId` after a lost
 * connection, so nothing is skipped. Leaving the loop (or aborting the signal) unsubscribes.
 */
import type { TRPCClient } from '@trpc/client';
import type { AppRouter, JobEvent } from './api-types';
import { toModeldockClientError } from './errors';

export interface JobEventsOptions {
  /** Start after this event id (from an earlier event) instead of from now. */
  lastEventId?: string | null;
  signal?: AbortSignal;
}

type Pending =
  { kind: 'event'; event: JobEvent } | { kind: 'error'; error: unknown } | { kind: 'end' };

export async function* jobEvents(
  api: TRPCClient<AppRouter>,
  url: string,
  jobId: string,
  options: JobEventsOptions = {},
): AsyncGenerator<JobEvent, void, undefined> {
  const queue: Pending[] = [];
  let wake: (() => void) | null = null;
  const push = (item: Pending) => {
    queue.push(item);
    wake?.();
  };
  const subscription = api.downloads.events.subscribe(
    { jobId, lastEventId: options.lastEventId ?? null },
    {
      onData: (tracked) => push({ kind: 'event', event: tracked.data }),
      onError: (error) => push({ kind: 'error', error }),
      onComplete: () => push({ kind: 'end' }),
    },
  );
  const onAbort = () => push({ kind: 'end' });
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      if (options.signal?.aborted) return;
      const next = queue.shift();
      if (!next) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        continue;
      }
      if (next.kind === 'end') return;
      if (next.kind === 'error') throw toModeldockClientError(next.error, url);
      yield next.event;
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    subscription.unsubscribe();
  }
}
