/**
 * The library's live feed across processes: what one process publishes (entries changed, task
 * progress) is sent as JSON over a message channel (packages/db: PostgreSQL NOTIFY) and published
 * again in every other process, so a client of any of them sees it. Messages from the channel are
 * checked before use; a malformed one is dropped. Too many ids for one message becomes "entries
 * changed" without ids (clients then reload the page they show).
 */
import type { LibraryEventInput } from './library-events';

/** A text channel to the other processes (the db package's `Broadcast`). */
export interface MessageChannel {
  /** False when the message was too long to send. */
  send(message: string): Promise<boolean>;
  watch(listener: (message: string) => void): () => void;
}

export interface LibraryEventRelay {
  send(event: LibraryEventInput): void;
  watch(listener: (event: LibraryEventInput) => void): () => void;
}

function parse(message: string): LibraryEventInput | null {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const event = value as Record<string, unknown>;
  if (event.type === 'entries') {
    const ids = event.ids;
    if (ids === null) return { type: 'entries', ids: null };
    if (Array.isArray(ids) && ids.every((id) => typeof id === 'string' && id.length <= 200)) return { type: 'entries', ids: ids as string[] };
    return null;
  }
  if (event.type === 'task') {
    const task = event.task as Record<string, unknown> | null;
    if (typeof task !== 'object' || task === null || typeof task.id !== 'string' || typeof task.status !== 'string') return null;
    return { type: 'task', task: task as unknown as Extract<LibraryEventInput, { type: 'task' }>['task'] };
  }
  return null;
}

export function libraryEventRelayOver(channel: MessageChannel, onError: (message: string) => void = () => undefined): LibraryEventRelay {
  const sendText = (text: string) => channel.send(text);
  return {
    send(event) {
      void (async () => {
        if (await sendText(JSON.stringify(event))) return;
        // Too long for one message: entries say "something changed"; a task's news waits for the next.
        if (event.type === 'entries') await sendText(JSON.stringify({ type: 'entries', ids: null }));
      })().catch((error: unknown) => onError((error as Error)?.message ?? String(error)));
    },
    watch(listener) {
      return channel.watch((message) => {
        const event = parse(message);
        if (event) listener(event);
      });
    },
  };
}
