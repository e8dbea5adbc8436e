/**
 * What the Hub says about one file, read the way huggingface_hub does: a HEAD on the resolve URL
 * that follows only same-host (relative) redirects — a regular file's /api/resolve-cache hop, a
 * renamed repository — and stops at the redirect to the CDN. The commit comes from X-Repo-Commit,
 * the identity from X-Linked-Etag (the LFS sha256) else ETag, the size from X-Linked-Size else the
 * Content-Length of a 2xx: the redirect's own Content-Length is its body, not the file.
 */
import { ModeldockError } from '../../errors';
import { sendHubRequest } from '../hub-http';
import type { HubHttp } from '../hub-http';
import { huggingFaceError } from './hf-errors';
import type { HfErrorSubject } from './hf-errors';

export interface HfFileMetadata {
  /** The commit the revision pointed to, when the Hub said. */
  commit: string | null;
  /** ETag without quotes or W/: the sha256 of an LFS file, the git blob sha1 of a regular one. */
  etag: string | null;
  size: number | null;
  /** The sha256 when the ETag is one (LFS and Xet files). */
  sha256: string | null;
}

export interface HfMetadataRequest {
  url: string;
  endpointOrigin: string;
  token: string | null;
  timeoutMs: number;
  signal?: AbortSignal;
  subject: HfErrorSubject;
}

const MAX_SAME_HOST_HOPS = 5;

export function normaliseEtag(value: string | undefined): string | null {
  if (!value) return null;
  const stripped = value.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
  return stripped === '' ? null : stripped;
}

function parseSize(value: string | undefined): number | null {
  if (value === undefined || !/^\d+$/.test(value.trim())) return null;
  const size = Number(value.trim());
  return Number.isSafeInteger(size) ? size : null;
}

export async function fetchHfFileMetadata(hub: HubHttp, request: HfMetadataRequest): Promise<HfFileMetadata> {
  let url = request.url;
  for (let hop = 0; ; hop++) {
    const exchange = await sendHubRequest(hub, {
      url,
      method: 'HEAD',
      token: request.token,
      hubOrigin: request.endpointOrigin,
      hubName: 'Hugging Face',
      timeoutMs: request.timeoutMs,
      signal: request.signal,
    });
    const headers = exchange.headers;
    const isRedirect = exchange.status >= 300 && exchange.status < 400;
    if (isRedirect && headers.location) {
      const next = new URL(headers.location, url);
      if (next.origin === request.endpointOrigin) {
        await exchange.discard();
        if (hop >= MAX_SAME_HOST_HOPS) {
          throw new ModeldockError('TOO_MANY_REDIRECTS', `Hugging Face redirected more than ${MAX_SAME_HOST_HOPS} times for ${request.subject.repoId}`);
        }
        url = next.toString();
        continue;
      }
    }
    if (!isRedirect && (exchange.status < 200 || exchange.status >= 300)) {
      throw await huggingFaceError(exchange, request.subject);
    }
    await exchange.discard();
    const etag = normaliseEtag(headers['x-linked-etag'] ?? headers.etag);
    const size = parseSize(headers['x-linked-size']) ?? (isRedirect ? null : parseSize(headers['content-length']));
    const commit = headers['x-repo-commit']?.trim() || null;
    return {
      commit: commit && /^[0-9a-f]{40}$/i.test(commit) ? commit.toLowerCase() : null,
      etag,
      size,
      sha256: etag && /^[0-9a-f]{64}$/i.test(etag) ? etag.toLowerCase() : null,
    };
  }
}
