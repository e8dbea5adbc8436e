/**
 * The one way the page talks to the server: @modeldock/client on the page's own origin. Queries and
 * mutations go over HTTP (`/trpc`, batched), subscriptions over a WebSocket that reconnects by
 * itself and resumes each subscription from the last event it delivered. The socket stays open
 * (not lazy): the header shows whether the page is hearing from the server.
 */
import { createModeldockClient } from '@modeldock/client';
import { connection } from './connection-state.svelte';
import { accessTokenLink } from './access-gate.svelte';

export const api = createModeldockClient({
  url: location.origin,
  lazyWebSocket: false,
  links: [accessTokenLink],
});

const wsClient = api.webSocket;

function describeSocketError(error: unknown): string | null {
  if (!error) return null;
  return error instanceof Error ? error.message : String(error);
}

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
