/**
 * Reads byte ranges of a file still on a server, so its header can be classified before it is
 * downloaded: a GET with `Range` per read (redirects followed hop by hop, `Authorization` only on
 * its own origin), each answer checked to be the range asked for, every read under a deadline and
 * all reads together under a byte budget. A server that ignores Range answers RANGE_UNSUPPORTED
 * (callers fall back to the file name) and the body is never read.
 */
import { ModeldockError, toModeldockError } from '../errors';
import { followRedirects } from '../http/follow-redirects';
import { parseContentRange, rangeHeader } from '../http/content-range';
import { errorForStatus, readErrorDetail } from '../http/response-errors';
import type { CredentialKind } from '../job-model';
import type { HttpClient } from '../ports';
import { redactUrl } from '../secrets/redact';
import type { ReadBytes } from './byte-reader';

export interface RemoteBytesRequest {
  http: HttpClient;
  url: string;
  /** Sent as `Authorization: Bearer` only while on `authorizationOrigin` (default: the URL's). */
  token?: string | null;
  authorizationOrigin?: string;
  credential?: CredentialKind;
  timeoutMs: number;
  signal?: AbortSignal;
  /** What all reads together may fetch; default 32 MB. */
  maxTotalBytes?: number;
  nowMs?: number;
  maxRedirects?: number;
}

export const RANGE_UNSUPPORTED = 'does not answer Range requests';

export function isRangeUnsupported(error: unknown): boolean {
  return error instanceof ModeldockError && error.details?.rangeUnsupported === true;
}

/** A ReadBytes over HTTP Range requests. */
export function remoteByteReader(request: RemoteBytesRequest): ReadBytes {
  let budget = request.maxTotalBytes ?? 32 * 1024 * 1024;
  const shown = redactUrl(request.url);
  return async (offset, length) => {
    if (length <= 0) return new Uint8Array(0);
    if (length > budget) {
      throw new ModeldockError(
        'INVALID_FORMAT',
        `The header of ${shown} is larger than modeldock reads before downloading`,
      );
    }
    budget -= length;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('deadline')), request.timeoutMs);
    const forward = () => controller.abort(request.signal?.reason);
    request.signal?.addEventListener('abort', forward, { once: true });
    try {
      const { response, finalUrl } = await followRedirects(request.http, {
        url: request.url,
        method: 'GET',
        headers: {
          range: rangeHeader(offset, offset + length),
          'accept-encoding': 'identity',
          'user-agent': 'modeldock',
        },
        authorization: request.token ? `Bearer ${request.token}` : null,
        authorizationOrigin: request.authorizationOrigin,
        signal: controller.signal,
        maxRedirects: request.maxRedirects ?? 10,
      });
      if (response.status === 416) {
        await response.dump();
        return new Uint8Array(0);
      }
      if (response.status === 200) {
        controller.abort(new Error('not ranged'));
        await response.dump().catch(() => undefined);
        throw new ModeldockError('HTTP_ERROR', `${shown} ${RANGE_UNSUPPORTED}`, {
          details: { rangeUnsupported: true },
        });
      }
      if (response.status !== 206) {
        const detail = await readErrorDetail(response);
        throw errorForStatus(response.status, response.headers, {
          url: finalUrl,
          nowMs: request.nowMs ?? Date.now(),
          credential: request.credential ?? null,
          credentialSent: Boolean(request.token),
          detail,
        });
      }
      const range = parseContentRange(response.headers['content-range']);
      if (!range || range.kind !== 'satisfied' || range.start !== offset) {
        await response.dump();
        throw new ModeldockError(
          'BAD_CONTENT_RANGE',
          `${shown} answered a different range than asked for`,
        );
      }
      const wanted = Math.min(length, range.end - range.start);
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= wanted) break;
      }
      if (size >= wanted) controller.abort(new Error('enough'));
      await response.dump().catch(() => undefined);
      return Buffer.concat(chunks).subarray(0, wanted);
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason ?? error;
      if (
        controller.signal.aborted &&
        controller.signal.reason instanceof Error &&
        controller.signal.reason.message === 'deadline'
      ) {
        throw new ModeldockError(
          'IDLE_TIMEOUT',
          `${shown} did not answer within ${Math.round(request.timeoutMs / 1000)} s`,
          { retryable: true },
        );
      }
      throw toModeldockError(error, 'NETWORK_ERROR');
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', forward);
    }
  };
}

/**
 * Serves reads from one prefetched block at the start of the file when they fall inside it, so a
 * header that fits in `prefetchBytes` costs one request instead of two or more.
 */
export function prefetchingReader(read: ReadBytes, prefetchBytes: number): ReadBytes {
  let head: Promise<Uint8Array> | null = null;
  return async (offset, length) => {
    head ??= read(0, prefetchBytes);
    const bytes = await head;
    if (offset + length <= bytes.length || bytes.length < prefetchBytes) {
      return bytes.subarray(
        Math.min(offset, bytes.length),
        Math.min(offset + length, bytes.length),
      );
    }
    return read(offset, length);
  };
}
