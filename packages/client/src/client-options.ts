import type { TRPCLink } from '@trpc/client';
import type { AppRouter } from './api-types';

/**
 * A WebSocket class: the browser's, Node 22's global one or the `ws` package's. Described by shape
 * so the declarations need neither the DOM library nor Node's types.
 */
export type WebSocketConstructor = new (url: string | URL) => object;

export interface ModeldockClientOptions {
  /** The server's address, e.g. http://127.0.0.1:8787 (a path prefix is kept). */
  url: string;
  /**
   * The server's MODELDOCK_ACCESS_TOKEN, sent as `Authorization: Bearer …` on every call and, in
   * Node, on the WebSocket. Never put it in the URL.
   */
  token?: string;
  /** A WebSocket constructor; default: the global one, or the `ws` package in Node. */
  WebSocket?: WebSocketConstructor;
  /** Delay before reconnect attempt `n` (0-based); default 0.5 s doubling to 5 s, with jitter. */
  retryDelayMs?: (attempt: number) => number;
  /**
   * Open the WebSocket only while a subscription runs and close it when the last one ends
   * (default true), so a program that only makes calls can exit by itself.
   */
  lazyWebSocket?: boolean;
  /** Links run before the transport, e.g. to watch for refused calls. */
  links?: TRPCLink<AppRouter>[];
}
