/**
 * One subscriber's library feed: listen first (so nothing falls between replay and live), then
 * replay what was missed after `lastEventId`; when that cannot be replayed (another process
 * lifetime, or older than the buffer), a snapshot of open and recent tasks stands in for it.
 */
import type { LibraryEvent, ModelLibrary, RefreshTasks, Task } from '@modeldock/engine';

export type LibraryStreamEvent = LibraryEvent | { id: string; type: 'snapshot'; tasks: Task[] };

interface StreamOptions {
  lastEventId: string | null;
  signal: AbortSignal | undefined;
}

const SNAPSHOT_TASKS = 20;

export async function* subscribeToLibraryEvents(
  library: Pick<ModelLibrary, 'subscribe' | 'eventsAfter' | 'latestEventId'>,
  tasks: Pick<RefreshTasks, 'list'>,
  { lastEventId, signal }: StreamOptions,
): AsyncGenerator<LibraryStreamEvent> {
  const pending: LibraryEvent[] = [];
  let wake: (() => void) | null = null;
  const unsubscribe = library.subscribe((event) => {
    pending.push(event);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort);
  try {
    const sent = new Set<string>();
    if (lastEventId) {
      const missed = library.eventsAfter(lastEventId);
      if (missed) {
        for (const event of missed) {
          sent.add(event.id);
          yield event;
        }
      } else {
        yield { id: library.latestEventId(), type: 'snapshot', tasks: await tasks.list({ limit: SNAPSHOT_TASKS }) };
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
      if (!sent.has(event.id)) yield event;
    }
  } finally {
    unsubscribe();
    signal?.removeEventListener('abort', onAbort);
  }
}
