/**
 * A repository's files at one commit: the revision API turns a branch or tag into its commit, then
 * the tree API lists that commit page by page, following `Link: <…>; rel="next"` (only on the Hub's
 * own origin, so the token never leaves it).
 */
import { ModeldockError } from '../../errors';
import { sendHubRequest } from '../hub-http';
import type { HubHttp } from '../hub-http';
import { huggingFaceError } from './hf-errors';
import type { HfErrorSubject } from './hf-errors';
import type { HfTarget } from './hf-input';
import { revisionInfoUrl, treeUrl } from './hf-urls';

export interface HfRepoFile {
  path: string;
  size: number;
  /** Git blob sha1: the cache's blob name for a regular file. */
  oid: string;
  /** Present for LFS/Xet files: the sha256 of the content. */
  lfsSha256: string | null;
}

export interface HfListingRequest {
  endpoint: string;
  endpointOrigin: string;
  token: string | null;
  timeoutMs: number;
  signal?: AbortSignal;
  subject: HfErrorSubject;
}

const MAX_PAGES = 10_000;

interface TreeEntry {
  type?: unknown;
  path?: unknown;
  size?: unknown;
  oid?: unknown;
  lfs?: { oid?: unknown; size?: unknown } | null;
}

export async function resolveCommit(hub: HubHttp, target: HfTarget, revision: string, request: HfListingRequest): Promise<string> {
  const exchange = await sendHubRequest(hub, {
    url: revisionInfoUrl(request.endpoint, target.repoType, target.repoId, revision),
    token: request.token,
    hubOrigin: request.endpointOrigin,
    hubName: 'Hugging Face',
    timeoutMs: request.timeoutMs,
    signal: request.signal,
    headers: { accept: 'application/json' },
  });
  if (exchange.status !== 200) throw await huggingFaceError(exchange, request.subject);
  const info = await exchange.json<{ sha?: unknown }>();
  if (typeof info.sha !== 'string' || !/^[0-9a-f]{40}$/i.test(info.sha)) {
    throw new ModeldockError('HTTP_ERROR', `Hugging Face did not say which commit "${revision}" of ${target.repoId} is`);
  }
  return info.sha.toLowerCase();
}

/** The next page's URL from a Link header, or null. */
export function nextPageUrl(linkHeader: string | undefined, base: string): string | null {
  if (!linkHeader) return null;
  for (const part of linkHeader.split(/,(?=\s*<)/)) {
    const match = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (match && /(^|;)\s*rel="?next"?\s*(;|$)/i.test(match[2]!)) return new URL(match[1]!, base).toString();
  }
  return null;
}

function toRepoFile(entry: TreeEntry): HfRepoFile | null {
  if (entry.type !== 'file' || typeof entry.path !== 'string') return null;
  const size = typeof entry.size === 'number' ? entry.size : Number(entry.lfs?.size);
  const lfsOid = typeof entry.lfs?.oid === 'string' ? entry.lfs.oid.replace(/^sha256:/, '').toLowerCase() : null;
  return {
    path: entry.path,
    size: Number.isSafeInteger(size) && size >= 0 ? size : 0,
    oid: typeof entry.oid === 'string' ? entry.oid.toLowerCase() : '',
    lfsSha256: lfsOid && /^[0-9a-f]{64}$/.test(lfsOid) ? lfsOid : null,
  };
}

export async function listRepoFiles(
  hub: HubHttp,
  target: HfTarget,
  commit: string,
  folder: string | null,
  request: HfListingRequest,
): Promise<HfRepoFile[]> {
  const files: HfRepoFile[] = [];
  const seen = new Set<string>();
  let url: string | null = treeUrl(request.endpoint, target.repoType, target.repoId, commit, folder);
  for (let page = 0; url !== null; page++) {
    if (page >= MAX_PAGES || seen.has(url)) {
      throw new ModeldockError('HTTP_ERROR', `Hugging Face's file list for ${target.repoId} does not end (page ${page + 1})`);
    }
    seen.add(url);
    const exchange = await sendHubRequest(hub, {
      url,
      token: request.token,
      hubOrigin: request.endpointOrigin,
      hubName: 'Hugging Face',
      timeoutMs: request.timeoutMs,
      signal: request.signal,
      headers: { accept: 'application/json' },
    });
    if (exchange.status !== 200) throw await huggingFaceError(exchange, { ...request.subject, path: folder });
    const next = nextPageUrl(exchange.headers.link, url);
    const entries = await exchange.json<unknown>();
    if (!Array.isArray(entries)) {
      throw new ModeldockError('HTTP_ERROR', `Hugging Face sent a file list for ${target.repoId} that is not a list`);
    }
    for (const entry of entries as TreeEntry[]) {
      const file = toRepoFile(entry);
      if (file) files.push(file);
    }
    if (next !== null && new URL(next).origin !== request.endpointOrigin) {
      throw new ModeldockError('HTTP_ERROR', `Hugging Face's file list for ${target.repoId} continues on another host; refusing to follow`);
    }
    url = next;
  }
  return files;
}
