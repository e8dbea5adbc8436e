/**
 * What a direct link leads to, asked before anything is queued: a HEAD (or, when the server refuses
 * HEAD, a one-byte ranged GET) gives the size, the file name the server suggests
 * (Content-Disposition, sanitised), the type, whether it is reachable and whether a download could
 * resume. A 404, a refusal or an HTML page comes back as an access problem for the preview to show.
 */
import { toModeldockError } from '../errors';
import { followRedirects } from '../http/follow-redirects';
import { parseContentLength, parseContentRange } from '../http/content-range';
import { errorForStatus, readErrorDetail } from '../http/response-errors';
import type { HttpResponse } from '../ports';
import { sanitizeFileName } from '../paths/sanitize-file-name';
import type { AccessProblem, ResolveContext } from './source-resolver';

export interface DirectLinkFacts {
  size: number | null;
  /** From Content-Disposition, sanitised; null when the server suggests none. */
  fileName: string | null;
  contentType: string | null;
  /** The server answers Range requests, so an interrupted download resumes. */
  resumable: boolean;
  problem: AccessProblem | null;
}

const PROBE_TIMEOUT_MS = 15_000;

/** `filename*=UTF-8''…` (RFC 6266) wins over `filename="…"`. */
export function fileNameFromContentDisposition(header: string | undefined): string | null {
  if (!header) return null;
  const extended = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header);
  let name: string | null = null;
  if (extended) {
    try {
      name = decodeURIComponent(extended[2]!.trim());
    } catch {
      name = null;
    }
  }
  name ??= /filename\s*=\s*"([^"]*)"/i.exec(header)?.[1] ?? /filename\s*=\s*([^;]+)/i.exec(header)?.[1]?.trim() ?? null;
  return name ? sanitizeFileName(name.slice(name.lastIndexOf('/') + 1)) : null;
}

async function send(context: ResolveContext, url: string, method: 'HEAD' | 'GET', signal: AbortSignal): Promise<{ response: HttpResponse; finalUrl: string }> {
  const headers: Record<string, string> = { 'accept-encoding': 'identity', 'user-agent': 'modeldock' };
  if (method === 'GET') headers.range = 'bytes=0-0';
  return followRedirects(context.http, { url, method, headers, signal, maxRedirects: 10 });
}

export async function probeDirectLink(context: ResolveContext, url: string): Promise<DirectLinkFacts> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('deadline')), PROBE_TIMEOUT_MS);
  const forward = () => controller.abort(context.signal?.reason);
  context.signal?.addEventListener('abort', forward, { once: true });
  try {
    let { response, finalUrl } = await send(context, url, 'HEAD', controller.signal);
    if (response.status === 405 || response.status === 501 || response.status === 403) {
      // Some storage refuses HEAD (or signs URLs for GET only): ask for one byte instead.
      await response.dump();
      ({ response, finalUrl } = await send(context, url, 'GET', controller.signal));
    }
    const headers = response.headers;
    if (response.status >= 400) {
      const detail = await readErrorDetail(response);
      const error = errorForStatus(response.status, headers, { url: finalUrl, nowMs: context.clock.now(), credential: null, credentialSent: false, detail });
      return { size: null, fileName: null, contentType: headers['content-type'] ?? null, resumable: false, problem: { code: error.code, message: error.message } };
    }
    await response.dump();
    const range = parseContentRange(headers['content-range']);
    const size = range?.kind === 'satisfied' ? range.total : response.status === 200 ? parseContentLength(headers['content-length']) : null;
    const contentType = headers['content-type'] ?? null;
    const html = contentType !== null && /^(text\/html|application\/xhtml\+xml)/i.test(contentType.trim());
    return {
      size,
      fileName: fileNameFromContentDisposition(headers['content-disposition']),
      contentType,
      resumable: response.status === 206 || /bytes/i.test(headers['accept-ranges'] ?? ''),
      problem: html
        ? {
            code: 'NOT_A_MODEL',
            message: `The link leads to a web page (${contentType!.split(';')[0]}), not a model file: it may need a login, or be the page about the file rather than the file itself`,
          }
        : null,
    };
  } catch (error) {
    if (context.signal?.aborted) throw context.signal.reason ?? error;
    const failure = toModeldockError(error, 'NETWORK_ERROR');
    return { size: null, fileName: null, contentType: null, resumable: false, problem: { code: failure.code, message: failure.message } };
  } finally {
    clearTimeout(timer);
    context.signal?.removeEventListener('abort', forward);
  }
}
