/**
 * The default HttpClient: one undici Agent with keep-alive and a per-host connection cap. It never
 * follows redirects (follow-redirects.ts does, hop by hop), always asks for the identity encoding,
 * and refuses private addresses after DNS on every connection unless the operator allowed them.
 */
import { Agent, buildConnector } from 'undici';
import type { Dispatcher } from 'undici';
import type { EngineConfig } from '../config';
import { ModeldockError, toModeldockError } from '../errors';
import type { HttpClient, HttpRequest, HttpResponse } from '../ports';
import { assertHostAllowed, createGuardedLookup } from './address-guard';
import type { ResolveAll } from './address-guard';
import { describeUrl, parseHttpUrl } from './http-url';
import { assertHeadersSendable } from './header-safety';
import { guardPeerClose } from './peer-close-guard';
import { settleOrAbort } from './settle-or-abort';
import { readAhead } from './read-ahead-body';

export interface UndiciHttpClient extends HttpClient {
  /** Closes idle connections and refuses new requests. */
  close(): Promise<void>;
}

type ClientConfig = Pick<
  EngineConfig,
  'connectionsPerHost' | 'idleTimeoutMs' | 'allowPrivateHosts'
>;

/** Not a browser: Civitai and others answer non-browser clients with JSON errors instead of login pages. */
const USER_AGENT = 'modeldock';

/** Most a dump reads before closing the connection instead: a large body is cheaper to drop than drain. */
const DUMP_LIMIT_BYTES = 64 * 1024;

/** Bytes of a body taken off each connection ahead of its reader (see read-ahead-body.ts). */
const READ_AHEAD_BYTES = 512 * 1024;

/** Longest close() waits for requests under way before it drops every connection. */
const CLOSE_GRACE_MS = 2_000;

function joinHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function findModeldockCause(error: unknown): ModeldockError | null {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current; depth++) {
    if (current instanceof ModeldockError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

export interface UndiciHttpClientOptions {
  /** Name resolution (every address); tests point names at local addresses. Default: dns.lookup. */
  resolveAll?: ResolveAll;
}

/** undici's own connector (with the address guard after DNS), each connection wrapped by guardPeerClose. */
function guardedConnector(
  allowPrivateHosts: boolean,
  resolveAll: ResolveAll | undefined,
): buildConnector.connector {
  const connect = buildConnector(
    allowPrivateHosts ? {} : { lookup: createGuardedLookup(resolveAll) },
  );
  return (options, callback) =>
    connect(options, (...args) => {
      if (args[0] === null) callback(null, guardPeerClose(args[1]));
      else callback(args[0], null);
    });
}

export function createUndiciHttpClient(
  config: ClientConfig,
  options: UndiciHttpClientOptions = {},
): UndiciHttpClient {
  const agent = new Agent({
    connections: config.connectionsPerHost,
    keepAliveTimeout: 10_000,
    headersTimeout: config.idleTimeoutMs,
    // Not paused time: undici only counts it while the body is being read, so a throttled reader is safe.
    bodyTimeout: config.idleTimeoutMs,
    connect: guardedConnector(config.allowPrivateHosts, options.resolveAll),
  });

  let closing: Promise<void> | undefined;

  async function request(input: HttpRequest): Promise<HttpResponse> {
    const url = parseHttpUrl(input.url);
    assertHostAllowed(url, config.allowPrivateHosts);
    // Identity always: a compressed body's offsets are not the file's, and ranges would address the wrong bytes.
    const headers = { 'user-agent': USER_AGENT, ...input.headers, 'accept-encoding': 'identity' };
    assertHeadersSendable(headers);
    let response: Dispatcher.ResponseData;
    try {
      const pending = agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: input.method,
        body: input.body,
        headers,
        signal: input.signal,
      });
      response = await settleOrAbort(pending, input.signal, (late) => late.body.destroy());
    } catch (error) {
      if (input.signal.aborted) throw input.signal.reason ?? error;
      const guardError = findModeldockCause(error);
      if (guardError) throw guardError;
      const mapped = toModeldockError(error, 'NETWORK_ERROR');
      throw new ModeldockError(mapped.code, `${mapped.message} (${describeUrl(url)})`, {
        cause: error,
        retryable: mapped.code === 'NETWORK_ERROR' || mapped.retryable,
      });
    }
    const stream = response.body;
    const body = readAhead(stream, READ_AHEAD_BYTES);
    return {
      status: response.statusCode,
      headers: joinHeaders(response.headers),
      body,
      dump: async () => {
        body.detach();
        try {
          await stream.dump({ limit: DUMP_LIMIT_BYTES });
        } catch {
          // The connection is gone either way; nothing to keep.
        }
      },
    };
  }

  async function closeAgent(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      agent.close().then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), CLOSE_GRACE_MS);
      }),
    ]);
    clearTimeout(timer);
    // A request undici never settles would hold close() forever; a stop must not wait for it.
    if (!closed) await agent.destroy();
  }

  return {
    request,
    close: () => (closing ??= closeAgent()),
  };
}
