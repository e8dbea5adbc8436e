/**
 * Requests to a hub's own API (Hugging Face, Civitai) while resolving: the key travels only to the
 * hub's origin, redirects are never followed here (callers decide hop by hop), bodies are read with
 * a cap, and every exchange has a deadline so a silent hub cannot hang a preview.
 */
import { ModeldockError, toModeldockError } from '../errors';
import type { HttpClient, HttpResponse, Logger } from '../ports';
import { redactUrl } from '../secrets/redact';
import { settleOrAbort } from '../http/settle-or-abort';

export interface HubRequest {
  url: string;
  method?: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  /** JSON text for a POST. */
  body?: string;
  /** Sent as `Authorization: Bearer` only when the URL's origin is `hubOrigin`. */
  token?: string | null;
  hubOrigin: string;
  /** Name of the hub for messages ("Hugging Face", "Civitai"). */
  hubName: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface HubExchange {
  url: string;
  status: number;
  /** Lowercased names. */
  headers: Record<string, string>;
  /** True when the Authorization header went with this request. */
  tokenSent: boolean;
  /** The body as UTF-8 text, at most `limitBytes` (an error beyond that). */
  text(limitBytes?: number): Promise<string>;
  /** The body parsed as JSON; an unreadable body is an HTTP_ERROR. */
  json<T>(limitBytes?: number): Promise<T>;
  /** Frees the connection without reading a body that may be a multi-gigabyte file. */
  discard(): Promise<void>;
}

export interface HubHttp {
  http: HttpClient;
  logger: Logger;
}

const DEFAULT_BODY_LIMIT = 16 * 1024 * 1024;

function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/** Sends one request and returns the response unread; the caller must read or discard it. */
export async function sendHubRequest(hub: HubHttp, request: HubRequest): Promise<HubExchange> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('deadline'));
  }, request.timeoutMs);
  const parent = request.signal;
  const forwardAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) forwardAbort();
  else parent?.addEventListener('abort', forwardAbort, { once: true });
  const finish = () => {
    clearTimeout(timer);
    parent?.removeEventListener('abort', forwardAbort);
  };

  const tokenSent = Boolean(request.token) && originOf(request.url) === request.hubOrigin;
  const headers: Record<string, string> = {
    'accept-encoding': 'identity',
    'user-agent': 'modeldock',
    ...request.headers,
  };
  if (tokenSent) headers.authorization = `Bearer ${request.token}`;
  const method = request.method ?? 'GET';
  const shownUrl = redactUrl(request.url);

  const failure = (error: unknown): unknown => {
    if (parent?.aborted) return parent.reason ?? error;
    if (timedOut) {
      return new ModeldockError(
        'IDLE_TIMEOUT',
        `${request.hubName} did not answer within ${Math.round(request.timeoutMs / 1000)} s (${shownUrl}); try again later`,
        { retryable: true, cause: error },
      );
    }
    if (error instanceof ModeldockError) return error;
    const mapped = toModeldockError(error, 'NETWORK_ERROR');
    return new ModeldockError(
      mapped.code,
      `Could not reach ${request.hubName}: ${mapped.message} (${shownUrl})`,
      {
        cause: error,
        retryable: mapped.code === 'NETWORK_ERROR' || mapped.retryable,
      },
    );
  };

  let response: HttpResponse;
  try {
    response = await settleOrAbort(
      hub.http.request({ url: request.url, method, headers, body: request.body, signal: controller.signal }),
      controller.signal,
      (late) => void late.dump(),
    );
  } catch (error) {
    finish();
    throw failure(error);
  }
  hub.logger.debug({ method, url: shownUrl, status: response.status }, 'hub request');

  let settled = false;
  const readBody = async (limitBytes: number): Promise<Buffer> => {
    if (settled) throw new ModeldockError('INTERNAL', 'A hub response body was read twice');
    settled = true;
    const chunks: Buffer[] = [];
    let size = 0;
    const readAll = async () => {
      for await (const chunk of response.body) {
        size += chunk.length;
        if (size > limitBytes) {
          const tooLarge = new ModeldockError(
            'HTTP_ERROR',
            `${request.hubName} sent an unexpectedly large answer (over ${limitBytes} bytes) for ${shownUrl}`,
          );
          // The reason is the error itself: the deadline race below rejects with it first.
          controller.abort(tooLarge);
          throw tooLarge;
        }
        chunks.push(Buffer.from(chunk));
      }
    };
    try {
      await settleOrAbort(readAll(), controller.signal, () => undefined);
    } catch (error) {
      throw failure(error);
    } finally {
      finish();
    }
    return Buffer.concat(chunks);
  };

  return {
    url: request.url,
    status: response.status,
    headers: response.headers,
    tokenSent,
    text: async (limitBytes = DEFAULT_BODY_LIMIT) => (await readBody(limitBytes)).toString('utf8'),
    json: async <T>(limitBytes = DEFAULT_BODY_LIMIT): Promise<T> => {
      const text = (await readBody(limitBytes)).toString('utf8');
      try {
        return JSON.parse(text) as T;
      } catch (error) {
        throw new ModeldockError(
          'HTTP_ERROR',
          `${request.hubName} sent an answer that is not JSON (HTTP ${response.status}) for ${shownUrl}`,
          { cause: error, httpStatus: response.status },
        );
      }
    },
    discard: async () => {
      if (settled) return;
      settled = true;
      // Aborting first matters for a 200 to a GET: the body may be the whole model file.
      controller.abort(new Error('discarded'));
      try {
        await response.dump();
      } catch {
        // The connection is closed either way.
      } finally {
        finish();
      }
    },
  };
}

/** Reads a short error explanation (`error`/`message` of a JSON body, or text), never throwing. */
export async function readHubErrorBody(
  exchange: HubExchange,
): Promise<{ error?: string; message?: string; raw: string }> {
  let raw = '';
  try {
    raw = await exchange.text(64 * 1024);
  } catch {
    return { raw: '' };
  }
  try {
    const parsed = JSON.parse(raw) as Record<string, unknown>;
    return {
      error: typeof parsed.error === 'string' ? parsed.error : undefined,
      message: typeof parsed.message === 'string' ? parsed.message : undefined,
      raw,
    };
  } catch {
    return { raw };
  }
}

/** Milliseconds from a Retry-After header (seconds or HTTP date), or null. */
export function retryAfterMs(headers: Record<string, string>, nowMs: number): number | null {
  const value = headers['retry-after']?.trim();
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - nowMs);
}

/** One line of server text fit for a message: no control characters, bounded length. */
export function cleanServerText(text: string | undefined | null, maxChars = 300): string | null {
  if (!text) return null;
  const line = text
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (!line) return null;
  return line.length > maxChars ? `${line.slice(0, maxChars)}…` : line;
}
