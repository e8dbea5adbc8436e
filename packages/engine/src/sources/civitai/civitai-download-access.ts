/**
 * Checks, before any byte, that the download link will work: one GET (the endpoint accepts GET only)
 * that is never followed to the storage host. A redirect to another host is the signed storage URL:
 * access is granted, and that URL is dropped unread (it carries a signature and expires anyway; the
 * byte layer asks again). A redirect to Civitai's own /login page means an API key is needed.
 */
import { ModeldockError } from '../../errors';
import { sendHubRequest } from '../hub-http';
import type { HubHttp } from '../hub-http';
import { authRequiredError, civitaiDownloadError, earlyAccessError } from './civitai-errors';
import type { CivitaiErrorSubject } from './civitai-errors';

export interface DownloadAccessRequest {
  url: string;
  endpointOrigin: string;
  token: string | null;
  timeoutMs: number;
  signal?: AbortSignal;
  subject: CivitaiErrorSubject;
  isKeyValid: () => Promise<boolean>;
}

const MAX_SAME_HOST_HOPS = 3;

export async function checkCivitaiDownloadAccess(hub: HubHttp, request: DownloadAccessRequest): Promise<void> {
  let url = request.url;
  for (let hop = 0; ; hop++) {
    const exchange = await sendHubRequest(hub, {
      url,
      token: request.token,
      hubOrigin: request.endpointOrigin,
      hubName: 'Civitai',
      timeoutMs: request.timeoutMs,
      signal: request.signal,
      // Civitai answers refusals as JSON (not a login page) to clients that ask for JSON.
      headers: { accept: 'application/json', 'content-type': 'application/json' },
    });
    const status = exchange.status;
    if (status >= 200 && status < 300) {
      await exchange.discard();
      return;
    }
    if (status >= 300 && status < 400) {
      const location = exchange.headers.location;
      await exchange.discard();
      if (!location) throw new ModeldockError('HTTP_ERROR', `Civitai redirected the download without saying where (HTTP ${status})`, { httpStatus: status });
      const next = new URL(location, url);
      if (next.origin !== request.endpointOrigin) return;
      if (/^\/login\b/.test(next.pathname)) throw authRequiredError(request.subject, status);
      if (/^\/(model-versions|models)\//.test(next.pathname)) throw earlyAccessError(request.subject, null, status);
      if (hop >= MAX_SAME_HOST_HOPS) {
        throw new ModeldockError('TOO_MANY_REDIRECTS', `Civitai redirected the download more than ${MAX_SAME_HOST_HOPS} times within its own site`);
      }
      url = next.toString();
      continue;
    }
    throw await civitaiDownloadError(exchange, request.subject, {
      keySent: exchange.tokenSent,
      isKeyValid: request.isKeyValid,
    });
  }
}
