/**
 * The library's live feed: entries changed (a scan, a download, a delete) and task progress, each
 * with an id `<epoch>.<n>` so a client that reconnects with its last id gets what it missed from a
 * bounded buffer. An id from before this process started (or too old for the buffer) gets null: the
 * caller then sends a fresh snapshot instead of a replay.
 */
import type { Task } from '../tasks/refresh/refresh-task';

export type LibraryEvent =
  | { id: string; type: 'entries'; ids: string[] | null }
  | { id: string; type: 'task'; task: Task };

export type LibraryEventInput =
  | { type: 'entries'; ids: string[] | null }
  | { type: 'task'; task: Task };

const BUFFER = 1000;

export interface LibraryEventHub {
  publish(event: LibraryEventInput): LibraryEvent;
  subscribe(listener: (event: LibraryEvent) => void): () => void;
  /** Events after `lastEventId`, or null when they cannot be replayed. */
  eventsAfter(lastEventId: string): LibraryEvent[] | null;
  latestEventId(): string;
}

export function createLibraryEventHub(epoch: number): LibraryEventHub {
  const buffer: LibraryEvent[] = [];
  const listeners = new Set<(event: LibraryEvent) => void>();
  let sequence = 0;
  const prefix = `${epoch}.`;

  return {
    publish(input) {
      const event = { ...input, id: `${prefix}${++sequence}` } as LibraryEvent;
      buffer.push(event);
      if (buffer.length > BUFFER) buffer.shift();
      for (const listener of listeners) listener(event);
      return event;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    eventsAfter(lastEventId) {
      if (!lastEventId.startsWith(prefix)) return null;
      const after = Number(lastEventId.slice(prefix.length));
      if (!Number.isSafeInteger(after) || after > sequence) return null;
      const oldest = buffer[0] ? Number(buffer[0].id.slice(prefix.length)) : sequence + 1;
      if (after + 1 < oldest) return null;
      return buffer.filter((event) => Number(event.id.slice(prefix.length)) > after);
    },
    latestEventId: () => `${prefix}${sequence}`,
  };
}
