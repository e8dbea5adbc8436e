/**
 * Opens one connection for a file's bytes: identity encoding, Range/If-Range when resuming, the
 * credential only for the original origin, redirects followed hop by hop, an expired signed URL
 * retried once from the original URL, and any status that is not the file turned into an error.
 * The body it returns is watched for idleness.
 */
import { isModeldockError, ModeldockError, toModeldockError } from '../errors';
import type { HttpResponse } from '../ports';
import { followRedirects } from '../http/follow-redirects';
import { errorForStatus, readErrorDetail, signedUrlExpiredError } from '../http/response-errors';
import { describeUrl } from '../http/http-url';
import { rangeHeader } from '../http/content-range';
import { childController, stopError } from './abort-signals';
import { IdleWatchdog, idleTimeoutError, watchIdle } from './idle-timeout';
import type { RequestedRange } from './resume-plan';
import type { TransferSession } from './transfer-session';

export interface RemoteBody {
  response: HttpResponse;
  finalUrl: string;
  /** The raw (maybe encoded) body, watched for idleness. */
  body: AsyncIterable<Uint8Array>;
  requested: RequestedRange;
  /** The stop or idle timeout that ended this connection, if one did. */
  interruption(): ModeldockError | null;
  /** Stops the connection (if still open) and its watchdog. */
  close(): void;
}

/** Statuses whose body may be (part of) the file. */
const CONTENT_STATUSES = new Set([200, 206, 416]);

export async function openRemote(
  session: TransferSession,
  requested: RequestedRange,
  ifRange: string | null,
  parentSignal: AbortSignal,
): Promise<RemoteBody> {
  const { context, file } = session;
  const { config } = context;
  const { controller, release } = childController(parentSignal);
  const watchdog = new IdleWatchdog(config.idleTimeoutMs, () =>
    controller.abort(idleTimeoutError(file.url, config.idleTimeoutMs)),
  );
  const close = (): void => {
    watchdog.dispose();
    release();
    if (!controller.signal.aborted)
      controller.abort(new ModeldockError('CANCELLED', 'Connection no longer needed'));
  };
  const interruption = (): ModeldockError | null => {
    if (parentSignal.aborted) return stopError(parentSignal);
    if (watchdog.fired) return idleTimeoutError(file.url, config.idleTimeoutMs);
    return null;
  };
  const explain = (error: unknown): ModeldockError => {
    const stopped = interruption();
    if (stopped) return stopped;
    if (isModeldockError(error)) return error;
    const mapped = toModeldockError(error, 'NETWORK_ERROR');
    // Anything unrecognised on the way to a response is treated as a network failure worth retrying.
    return mapped.code === 'NETWORK_ERROR' && !mapped.retryable
      ? new ModeldockError(
          'NETWORK_ERROR',
          `Could not reach ${describeUrl(file.url)}: ${mapped.message}`,
          { cause: error, retryable: true },
        )
      : mapped;
  };

  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  if (requested.ranged) headers.range = rangeHeader(requested.start, requested.end);
  if (requested.ranged && ifRange) headers['if-range'] = ifRange;

  const originalOrigin = new URL(file.url).origin;
  let response: HttpResponse;
  let finalUrl: string;
  let hops: number;
  // No watchdog while waiting for headers: the request may sit in the client's per-host queue
  // behind other downloads. The HTTP client's own headers timeout starts once it is sent.
  try {
    // Later connections go straight to the storage link the source redirected to, sparing the
    // source's API; a refused link sends them back to the source for a fresh one.
    let url = session.resolvedUrl ?? file.url;
    for (let refusedFreshLinks = 0; ;) {
      const followed = await followRedirects(context.http, {
        url,
        method: 'GET',
        headers,
        authorization: session.authorization,
        authorizationOrigin: originalOrigin,
        signal: controller.signal,
        maxRedirects: config.maxRedirects,
      });
      response = followed.response;
      finalUrl = followed.finalUrl;
      hops = followed.hops;
      const refused = response.status === 401 || response.status === 403;
      const fromStorage = followed.hops > 0 || url !== file.url;
      if (!refused || !fromStorage) break;
      await response.dump();
      if (url !== file.url) {
        session.resolvedUrl = null;
        url = file.url;
        continue;
      }
      if (++refusedFreshLinks > 1) throw signedUrlExpiredError(response.status, file.url, finalUrl);
      context.logger.info(
        { fileId: file.id, status: response.status, target: describeUrl(finalUrl) },
        'storage refused the signed link; asking the source for a fresh one',
      );
    }
  } catch (error) {
    close();
    throw explain(error);
  }

  if (!CONTENT_STATUSES.has(response.status)) {
    let detail: string | null = null;
    try {
      detail = await readErrorDetail(response);
    } finally {
      close();
    }
    throw errorForStatus(response.status, response.headers, {
      url: finalUrl,
      nowMs: context.clock.now(),
      credential: file.credential,
      credentialSent: session.authorization !== null && new URL(finalUrl).origin === originalOrigin,
      detail,
    });
  }

  if (hops > 0) session.resolvedUrl = finalUrl;
  return {
    response,
    finalUrl,
    body: watchIdle(response.body, watchdog, {
      bytesPerSecond: config.minSpeedBps,
      windowMs: config.minSpeedWindowMs,
      now: () => context.clock.now(),
      url: finalUrl,
    }),
    requested,
    interruption,
    close,
  };
}
