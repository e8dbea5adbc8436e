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
import type { AppContext } from '../trpc';
import type { OriginGuard } from './origin-guard';
import type { AccessGate } from './access-gate';
import { createApiRequestGate } from './api-request-gate';
import type { ApiRefusal } from './api-request-gate';
import { createGuessThrottle } from './guess-throttle';
import type { GuessThrottle } from './guess-throttle';
import { jsonError } from './json-error';
import { createSessionEndpoint, isSessionPath } from './session-endpoint';
import { createThumbnailHandler, isThumbnailPath } from './thumbnails';

export const API_PATH = '/trpc';
const MAX_BODY_BYTES = 1024 * 1024;
/** Procedures that take a whole document (a manifest, a workflow of up to 10 MB, JSON-escaped). */
const DOCUMENT_PROCEDURES: ReadonlySet<string> = new Set([
  'library.import',
  'workflows.analyze',
  'workflows.downloadMissing',
]);
const MAX_DOCUMENT_BODY_BYTES = 24 * 1024 * 1024;
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
  /** Slows wrong access-token guesses; one on the system clock by default. */
  guessThrottle?: GuessThrottle;
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

/** `/trpc/health,downloads.list?batch=1` → the procedures called and whether the answer is a batch. */
function apiCallsOf(url: string | undefined): { paths: string[]; batched: boolean } {
  const parsed = new URL(url ?? '/', 'http://localhost');
  let names = parsed.pathname.slice(API_PATH.length + 1);
  try {
    names = decodeURIComponent(names);
  } catch {
    // Left as sent: an undecodable name is no public procedure, and tRPC answers it 404.
  }
  return { paths: names.split(','), batched: parsed.searchParams.get('batch') === '1' };
}

/** A refusal in tRPC's own shape: one error per call when the request was a batch. */
function sendApiRefusal(response: ServerResponse, refusal: ApiRefusal, calls: number | null): void {
  const { status, body } = jsonError(refusal.code, refusal.error);
  response.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    ...refusal.headers,
  });
  response.end(calls === null ? body : `[${Array.from({ length: calls }, () => body).join(',')}]`);
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
  const throttle = options.guessThrottle ?? createGuessThrottle({ now: () => Date.now() });
  const gate = createApiRequestGate({
    originGuard,
    accessGate,
    throttle,
    isAccepting: () => accepting,
    logger,
  });
  const handleSession = createSessionEndpoint({ accessGate, originGuard, gate, throttle });
  const handleThumbnail = createThumbnailHandler({ metadata: context.metadata, gate });

  /** Queries too are gated: a query can send the user's saved key upstream (sources.resolve). */
  function refuseApiRequest(request: IncomingMessage, response: ServerResponse): boolean {
    const { paths, batched } = apiCallsOf(request.url);
    const publicOnly = paths.every((path) => PUBLIC_PROCEDURES.has(path));
    const refusal = gate.check(request, publicOnly);
    if (refusal === null) return false;
    logger.debug(
      { code: refusal.code, modeldockCode: refusal.error.code, path: paths.join(',') },
      'API call rejected',
    );
    sendApiRefusal(response, refusal, batched ? paths.length : null);
    return true;
  }

  const apiHandler = (maxBodySize: number) =>
    createHTTPHandler({
      router: appRouter,
      basePath: `${API_PATH}/`,
      maxBodySize,
      createContext: () => context,
      onError({ error, path, type }) {
        if (error.code === 'INTERNAL_SERVER_ERROR') {
          logger.error({ err: error.cause ?? error, path, type }, 'API call failed');
        } else {
          logger.debug(
            { code: error.code, message: error.message, path, type },
            'API call rejected',
          );
        }
      },
    });
  const handleSmallApiCall = apiHandler(MAX_BODY_BYTES);
  // A manifest or workflow may be 10 MB; the engine refuses a larger one by name, the body cap beyond.
  const handleDocumentApiCall = apiHandler(MAX_DOCUMENT_BODY_BYTES);
  const handleApi = (request: IncomingMessage, response: ServerResponse) => {
    const { paths } = apiCallsOf(request.url);
    const documents = paths.every((path) => DOCUMENT_PROCEDURES.has(path));
    return (documents ? handleDocumentApiCall : handleSmallApiCall)(request, response);
  };

  const server = http.createServer((request, response) => {
    if (isApiPath(request.url)) {
      if (!refuseApiRequest(request, response)) handleApi(request, response);
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
        if (!response.headersSent)
          response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
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
    // Browsers do not apply CORS to WebSockets: the Origin check is the only thing stopping another
    // site. The token is checked before the upgrade too: without it no frame is ever exchanged.
    const refusal = gate.check(request, false);
    if (refusal !== null) {
      if (refusal.code === 'FORBIDDEN') {
        logger.warn(
          { origin: request.headers.origin, host: request.headers.host },
          'WebSocket from a foreign origin refused',
        );
        return rejectUpgrade(socket, 403, refusal.error.message);
      }
      logger.debug(
        { modeldockCode: refusal.error.code },
        'WebSocket without the access token refused',
      );
      const { status, body } = jsonError(refusal.code, refusal.error);
      return rejectUpgrade(socket, status, body, 'application/json');
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
