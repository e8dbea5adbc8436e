/**
 * The fallback source: a plain http(s) link to one file. Resolving it does no network I/O, so
 * enqueue returns at once; the byte layer learns the size and validators on the first request.
 * The file name comes from the request, else the link's last path segment, else "download".
 */
import { ModeldockError } from '../errors';
import { relativeDestination } from '../paths/confine-path';
import { sanitizeFileName } from '../paths/sanitize-file-name';
import { redactUrl } from '../secrets/redact';
import type { EnqueueRequest } from '../jobs/download-manager-api';
import type { ResolvedSource, SourceResolver } from './source-resolver';

const FALLBACK_NAME = 'download';
const EXAMPLE = 'https://huggingface.co/org/model/resolve/main/model.safetensors';

/** Parses a pasted link and refuses anything that is not http or https. */
export function parseDirectUrl(input: string): URL {
  const trimmed = input.trim();
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new ModeldockError(
      'INVALID_URL',
      `"${redactUrl(trimmed).slice(0, 200)}" is not a link. Paste a full URL starting with https://, such as ${EXAMPLE}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ModeldockError(
      'UNSUPPORTED_SCHEME',
      `Only http and https links can be downloaded (this one starts with ${url.protocol}). Paste a link such as ${EXAMPLE}`,
    );
  }
  return url;
}

/** The name a link suggests: its last non-empty path segment, decoded and made safe. */
export function fileNameFromUrl(url: URL): string {
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  const last = segments[segments.length - 1];
  return (last !== undefined ? sanitizeFileName(last) : null) ?? FALLBACK_NAME;
}

export const directUrlResolver: SourceResolver = {
  kind: 'direct',
  accepts(input: string): boolean {
    return /^https?:\/\//i.test(input.trim());
  },
  async resolve(request: EnqueueRequest): Promise<ResolvedSource> {
    const url = parseDirectUrl(request.url);
    const name = request.filename ? sanitizeFileName(request.filename) : fileNameFromUrl(url);
    if (!name)
      throw new ModeldockError(
        'INVALID_INPUT',
        `"${request.filename}" cannot be used as a file name`,
      );
    const relativePath = relativeDestination(request.folder ?? '', name);
    return {
      kind: 'direct',
      source: redactUrl(url.href),
      files: [
        {
          url: url.href,
          name,
          relativePath,
          bytesTotal: null,
          expectedSha256: request.sha256 ? request.sha256.toLowerCase() : null,
          credential: null,
          revision: null,
          access: 'unknown',
        },
      ],
    };
  },
};
