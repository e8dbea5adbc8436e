/**
 * Which WebSocket the client opens. Browsers have one and send the session cookie with it; they
 * cannot add headers, so a browser page signs in with the cookie (`POST /auth/session`).
 * In Node the `ws` package is used when there is no global WebSocket (Node 20) or when a token must
 * go in the `Authorization` header: the standard constructor has no way to send one.
 */
import type { ModeldockClientOptions, WebSocketConstructor } from './client-options';

interface NodeProcessLike {
  versions?: { node?: string };
  getBuiltinModule?: (name: string) => unknown;
}

function nodeProcess(): NodeProcessLike | null {
  const candidate = (globalThis as { process?: NodeProcessLike }).process;
  return candidate?.versions?.node ? candidate : null;
}

/**
 * Loads `ws` from beside this package, synchronously and without a static import, so that bundlers
 * building for browsers never see it.
 */
function loadWsPackage(): WebSocketConstructor {
  const runtime = nodeProcess();
  const moduleApi = runtime?.getBuiltinModule?.('node:module') as
    { createRequire(from: string): (id: string) => unknown } | undefined;
  if (!moduleApi) {
    throw new Error(
      'This runtime has no WebSocket: pass one as the WebSocket option of createModeldockClient (Node 20.16+ finds the ws package by itself).',
    );
  }
  const required = moduleApi.createRequire(import.meta.url)('ws') as
    WebSocketConstructor | { WebSocket: WebSocketConstructor };
  return 'WebSocket' in required ? required.WebSocket : required;
}

/** A constructor that opens every socket with `Authorization: Bearer <token>` (ws and undici accept `{ headers }`). */
function withAuthorization(Base: WebSocketConstructor, token: string): WebSocketConstructor {
  const headers = { Authorization: `Bearer ${token}` };
  const Authorized = function (url: string | URL) {
    return new (Base as unknown as new (url: string | URL, init: unknown) => object)(url, {
      headers,
    });
  };
  Object.assign(Authorized, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  return Authorized as unknown as WebSocketConstructor;
}

export function webSocketFor(options: ModeldockClientOptions): WebSocketConstructor {
  const runtime = nodeProcess();
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  const base =
    options.WebSocket ?? (runtime && (options.token || !global) ? loadWsPackage() : global);
  if (!base) return loadWsPackage();
  return options.token && runtime ? withAuthorization(base, options.token) : base;
}
