/**
 * One port for everything: tRPC over HTTP at `/trpc`, tRPC over WebSocket (upgrade at `/trpc`,
 * with keep-alive pings so dead connections are noticed), the browser sign-in at `/auth/session`,
 * and the web app for every other path (public: it holds no data).
 */
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocketServer } from 'ws';
import { ModeldockError } from '@modeldock/engine';
import type pino from 'pino';
import { appRouter } from '../root';
import { toTRPCError } from '../trpc';
import type { AppContext } from '../trpc';
import type { OriginGuard } from './origin-guard';
import { accessTokenError } from './access-gate';
import type { AccessGate } from './access-gate';
import { jsonError } from './json-error';
import { createSessionEndpoint, isSessionPath } from './session-endpoint';
import { createThumbnailHandler, isThumbnailPath } from './thumbnails';

export const API_PATH = '/trpc';
const MAX_BODY_BYTES = 1024 * 1024;
const WS_PING_MS = 30_000;
const WS_PONG_WAIT_MS = 10_000;
const WS_CLOSE_GRACE_MS = 1_000;
/** Answers only "is it up, which version": kept open for health checks that hold no token. */
const PUBLIC_PROCEDURES: ReadonlySet<string> = new Set(['health']);

export interface ListenerOptions {
  host: string;
  port: number;
  context: AppContext;
  originGuard: OriginGuard;
  accessGate: AccessGate;
  serveStaticFile: (request: IncomingMessage, response: ServerResponse) => Promise<void>;
  logger: pino.Logger;
}

export interface Listener {
  /** e.g. http://127.0.0.1:8787 */
  url: string;
  port: number;
  /** Stops taking connections and API calls; open sockets stay until `close`. */
  stopAccepting(): void;
  /** Asks every WebSocket client to reconnect (they find the restarted server by themselves). */
  notifyReconnect(): void;
  /** Closes every connection and the server. */
  close(): Promise<void>;
}

function isApiPath(url: string | undefined): boolean {
  const pathname = new URL(url ?? '/', 'http://localhost').pathname;
  return pathname === API_PATH || pathname.startsWith(`${API_PATH}/`);
}

function formatUrl(host: string, port: number): string {
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return `http://${shownHost}:${port}`;
}

function rejectUpgrade(
  socket: Duplex,
  status: number,
  reason: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  const statusText = http.STATUS_CODES[status] ?? 'Error';
  const body = contentType.startsWith('text/') ? `${reason}\n` : reason;
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\nContent-Type: ${contentType}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Why the port could not be opened, in words that say what to change. */
function listenError(error: NodeJS.ErrnoException, host: string, port: number): ModeldockError {
  const where = `${host}:${port}`;
  const reasons: Record<string, string> = {
    EADDRINUSE: `Port ${port} on ${host} is already in use: stop the other program, or choose another port with --port or MODELDOCK_PORT`,
    EACCES: `Not allowed to listen on ${where}: ports below 1024 need privileges; choose another with --port or MODELDOCK_PORT`,
    EADDRNOTAVAIL: `${host} is not an address of this machine: choose another with --host or MODELDOCK_HOST`,
    ENOTFOUND: `${host} is not an address of this machine: choose another with --host or MODELDOCK_HOST`,
  };
  const message = reasons[error.code ?? ''] ?? `Cannot listen on ${where}: ${error.message}`;
  return new ModeldockError('INVALID_INPUT', message, { cause: error });
}

export async function startListener(options: ListenerOptions): Promise<Listener> {
  const { context, originGuard, accessGate, serveStaticFile, logger } = options;
  let accepting = true;
  const handleSession = createSessionEndpoint({ accessGate, originGuard });
  const handleThumbnail = createThumbnailHandler({ metadata: context.metadata, accessGate });

  /** Runs per HTTP request; a refusal here becomes a normal tRPC error for every call in a batch. */
  function createHttpContext({
    req,
    info,
  }: {
    req: IncomingMessage;
    info: { calls: { path: string }[] };
  }): AppContext {
    if (!accepting)
      throw toTRPCError(
        new ModeldockError('SHUTDOWN', 'modeldock is shutting down; try again in a moment'),
      );
    // Queries too: a query can send the user's saved key upstream (sources.resolve).
    const verdict = originGuard.checkRequest(req.headers);
    if (!verdict.allowed) throw toTRPCError(new ModeldockError('FORBIDDEN', verdict.reason));
    const onlyPublic =
      info.calls.length > 0 && info.calls.every((call) => PUBLIC_PROCEDURES.has(call.path));
    const access = accessGate.check(req.headers);
    if ((access === 'missing' || access === 'wrong') && !onlyPublic)
      throw toTRPCError(accessTokenError(access));
    return context;
  }

  const handleApi = createHTTPHandler({
    router: appRouter,
    basePath: `${API_PATH}/`,
    maxBodySize: MAX_BODY_BYTES,
    createContext: createHttpContext,
    onError({ error, path, type }) {
      if (error.code === 'INTERNAL_SERVER_ERROR') {
        logger.error({ err: error.cause ?? error, path, type }, 'API call failed');
      } else {
        logger.debug({ code: error.code, message: error.message, path, type }, 'API call rejected');
      }
    },
  });

  const server = http.createServer((request, response) => {
    if (isApiPath(request.url)) {
      handleApi(request, response);
      return;
    }
    if (isSessionPath(request.url)) {
      handleSession(request, response).catch((error: unknown) => {
        logger.error({ err: error }, 'Signing a browser in failed');
        if (!response.headersSent) response.writeHead(500);
        response.end();
      });
      return;
    }
    if (isThumbnailPath(request.url)) {
      handleThumbnail(request, response).catch((error: unknown) => {
        logger.error({ err: error, url: request.url }, 'Serving a thumbnail failed');
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        response.end('Internal error');
      });
      return;
    }
    serveStaticFile(request, response).catch((error: unknown) => {
      logger.error({ err: error, url: request.url }, 'Serving a static file failed');
      if (!response.headersSent)
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('Internal error');
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES });
  const wsHandler = applyWSSHandler({
    wss,
    router: appRouter,
    createContext: () => context,
    keepAlive: { enabled: true, pingMs: WS_PING_MS, pongWaitMs: WS_PONG_WAIT_MS },
    onError({ error, path, type }) {
      if (error.code === 'INTERNAL_SERVER_ERROR')
        logger.error({ err: error.cause ?? error, path, type }, 'WebSocket call failed');
    },
  });

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (!isApiPath(request.url))
      return rejectUpgrade(socket, 404, `WebSocket connections go to ${API_PATH}`);
    if (!accepting)
      return rejectUpgrade(socket, 503, 'modeldock is shutting down; try again in a moment');
    // Browsers do not apply CORS to WebSockets: the Origin check is the only thing stopping another site.
    const verdict = originGuard.checkRequest(request.headers);
    if (!verdict.allowed) {
      logger.warn(
        { origin: request.headers.origin, host: request.headers.host },
        'WebSocket from a foreign origin refused',
      );
      return rejectUpgrade(socket, 403, verdict.reason);
    }
    // Refused before the upgrade: without the token no frame is ever exchanged.
    const access = accessGate.check(request.headers);
    if (access === 'missing' || access === 'wrong') {
      logger.debug({ access }, 'WebSocket without the access token refused');
      const refusal = jsonError('UNAUTHORIZED', accessTokenError(access));
      return rejectUpgrade(socket, refusal.status, refusal.body, 'application/json');
    }
    wss.handleUpgrade(request, socket, head, (client) => wss.emit('connection', client, request));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(listenError(error, options.host, options.port)));
    server.listen(options.port, options.host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));

  return {
    url: formatUrl(options.host, port),
    port,
    stopAccepting() {
      if (!accepting) return;
      accepting = false;
      server.close();
      server.closeIdleConnections();
    },
    notifyReconnect() {
      wsHandler.broadcastReconnectNotification();
    },
    async close() {
      accepting = false;
      if (server.listening) server.close();
      for (const client of wss.clients) client.close(1001, 'modeldock is restarting');
      const wssClosed = new Promise<void>((resolve) => wss.close(() => resolve()));
      let graceTimer: NodeJS.Timeout | undefined;
      await Promise.race([
        wssClosed,
        new Promise<void>((resolve) => (graceTimer = setTimeout(resolve, WS_CLOSE_GRACE_MS))),
      ]);
      clearTimeout(graceTimer);
      // Clients that ignore the close frame are cut off rather than holding the exit hostage.
      for (const client of wss.clients) client.terminate();
      await wssClosed;
      server.closeAllConnections();
      await closed;
    },
  };
}
