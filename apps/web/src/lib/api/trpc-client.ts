/**
 * The one way the page talks to the server: queries and mutations over HTTP (`/trpc`, batched),
 * subscriptions over a WebSocket on the same origin that reconnects by itself and resumes each
 * subscription from the last event it delivered. Plain JSON both ways: no transformer.
 */
import { createTRPCClient, createWSClient, httpBatchLink, splitLink, wsLink } from '@trpc/client';
import type { AppRouter } from '@modeldock/server';
import { connection } from './connection-state.svelte';
import { accessTokenLink } from './access-gate.svelte';

const API_PATH = '/trpc';

function webSocketUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${API_PATH}`;
}

/**
 * 0.5 s, 1 s, 2 s, 4 s, then every 5 s, with jitter so many tabs do not knock in step. The server is
 * usually on the same machine or network, so retrying often is cheap and a restart is noticed quickly.
 */
export function reconnectDelayMs(attempt: number): number {
  const base = Math.min(5_000, 500 * 2 ** attempt);
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

function describeSocketError(error: unknown): string | null {
  if (!error) return null;
  return error instanceof Error ? error.message : String(error);
}

export const wsClient = createWSClient({
  url: webSocketUrl,
  retryDelayMs: reconnectDelayMs,
  // A socket silently dropped by a proxy or a sleeping laptop is noticed within seconds.
  keepAlive: { enabled: true, intervalMs: 10_000, pongTimeoutMs: 5_000 },
});

wsClient.connectionState.subscribe({
  next(state) {
    if (state.state === 'pending') connection.markConnected();
    else if (state.state === 'connecting')
      connection.markConnecting(describeSocketError(state.error));
  },
});

addEventListener('offline', () => connection.markOffline());
addEventListener('online', () => {
  if (wsClient.connection?.state === 'open') connection.markConnected();
  else connection.markNetworkBack();
});

export const api = createTRPCClient<AppRouter>({
  links: [
    accessTokenLink,
    splitLink({
      condition: (operation) => operation.type === 'subscription',
      true: wsLink({ client: wsClient }),
      false: httpBatchLink({ url: API_PATH }),
    }),
  ],
});
