/**
 * Where the command talks to: `--url`, else MODELDOCK_URL, else http://127.0.0.1:8787. The access
 * token comes from MODELDOCK_ACCESS_TOKEN only: a process's arguments are visible to every user
 * of the machine (`ps`), its environment is not.
 */
import { createModeldockClient } from '@modeldock/client';
import type { ModeldockClient } from '@modeldock/client';
import WebSocket from 'ws';
import { usageError } from './exit-codes';

export const DEFAULT_URL = 'http://127.0.0.1:8787';

export interface Connection {
  url: string;
  token: string | undefined;
}

export function connectionFrom(urlOption: string | undefined): Connection {
  const url = urlOption ?? (process.env.MODELDOCK_URL?.trim() || DEFAULT_URL);
  const token = process.env.MODELDOCK_ACCESS_TOKEN?.trim() || undefined;
  return { url, token };
}

export function openClient(connection: Connection): ModeldockClient {
  try {
    return createModeldockClient({
      url: connection.url,
      token: connection.token,
      // Bundled `ws`: Node 20 has no global WebSocket, and only `ws` sends the token as a header.
      WebSocket,
      // A dropped socket is retried quickly; the command's own deadline decides when to give up.
      retryDelayMs: (attempt) => Math.min(2_000, 250 * 2 ** attempt),
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw usageError(`--url ${JSON.stringify(connection.url)} is not usable: ${reason}`);
  }
}
