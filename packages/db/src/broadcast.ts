/**
 * A small message channel between the processes sharing one database, for live news that is not
 * stored (library entries changed, task progress): PostgreSQL NOTIFY/LISTEN on its own channel,
 * each message tagged with its sender so a process never hears itself. Delivery is best effort
 * (a lost message only delays a list's refresh). With the embedded database there is one process:
 * the channel is silent.
 */
import type { Sql } from 'postgres';
import { createTimeOrderedId } from './time-ordered-id';

/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
export const MAX_BROADCAST_BYTES = 7_900;

export interface Broadcast {
  /** Sends to the other processes; false when the message is too long to be sent. */
  send(message: string): Promise<boolean>;
  /** Messages from the other processes. Returns an unsubscribe. */
  watch(listener: (message: string) => void): () => void;
  close(): Promise<void>;
}

export function createSilentBroadcast(): Broadcast {
  return { send: async () => true, watch: () => () => undefined, close: async () => undefined };
}

export async function startPostgresBroadcast(
  client: Sql,
  channel: string,
  onError: (message: string) => void = () => undefined,
): Promise<Broadcast> {
  const instanceId = createTimeOrderedId();
  const listeners = new Set<(message: string) => void>();
  const listening = await client.listen(channel, (payload) => {
    const separator = payload.indexOf(':');
    if (separator <= 0 || payload.slice(0, separator) === instanceId) return;
    const message = payload.slice(separator + 1);
    for (const listener of listeners) {
      try {
        listener(message);
      } catch (error) {
        onError((error as Error)?.message ?? String(error));
      }
    }
  });
  return {
    async send(message) {
      const payload = `${instanceId}:${message}`;
      if (Buffer.byteLength(payload) > MAX_BROADCAST_BYTES) return false;
      try {
        await client.notify(channel, payload);
      } catch (error) {
        onError((error as Error)?.message ?? String(error));
      }
      return true;
    },
    watch(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      await listening.unlisten().catch(() => undefined);
    },
  };
}
