/**
 * Hugging Face model info for metadata and update checks: `GET /api/models/{repo}/revision/{rev}
 * ?blobs=true` gives the commit (`sha`), pipeline tag, tags, library, gated, the card's license and
 * base model, and every file's LFS SHA-256 (an update changed this file when its SHA-256 moved).
 * A token goes with the request when there is one (private repositories need it).
 */
import type { Clock } from '../../ports';
import { huggingFaceError } from '../../sources/huggingface/hf-errors';
import { repoPageUrl, revisionInfoUrl } from '../../sources/huggingface/hf-urls';
import { sendHubRequest } from '../../sources/hub-http';
import type { HubHttp } from '../../sources/hub-http';
import { ModeldockError } from '../../errors';
import { isObject, objectField, stringsOf, textOf } from '../json-fields';
import type { JsonObject } from '../json-fields';
import type { PacerWait, PlatformPacer } from './platform-pacer';

export interface HfSiblingInfo {
  path: string;
  size: number | null;
  /** LFS SHA-256 (lowercase) for LFS files; null for regular files. */
  lfsSha256: string | null;
  /** Git blob id (the ETag of a regular file). */
  blobId: string | null;
}

export interface HfModelInfo {
  raw: JsonObject;
  repoId: string;
  /** The commit the asked revision points at. */
  sha: string | null;
  lastModified: string | null;
  pipelineTag: string | null;
  libraryName: string | null;
  tags: string[];
  /** false, "auto" or "manual". */
  gated: false | string;
  isPrivate: boolean;
  license: string | null;
  /** cardData.base_model (a string or the first of a list). */
  baseModel: string | null;
  author: string | null;
  siblings: HfSiblingInfo[];
  pageUrl: string;
}

export interface HfModelInfoClientOptions {
  hub: HubHttp;
  pacer: PlatformPacer;
  clock: Clock;
  endpoint: string;
  token: () => Promise<string | null>;
}

function readSibling(raw: unknown): HfSiblingInfo | null {
  if (!isObject(raw)) return null;
  const path = textOf(raw.rfilename, 2_000);
  if (path === null) return null;
  const lfs = objectField(raw, 'lfs');
  const sha = lfs ? textOf(lfs.sha256 ?? lfs.oid, 100)?.toLowerCase() ?? null : null;
  return {
    path,
    size: typeof raw.size === 'number' && Number.isSafeInteger(raw.size) ? raw.size : null,
    lfsSha256: sha && /^[0-9a-f]{64}$/.test(sha) ? sha : null,
    blobId: textOf(raw.blobId, 100),
  };
}

export function readHfModelInfo(raw: unknown, repoId: string, endpoint: string): HfModelInfo | null {
  if (!isObject(raw)) return null;
  const card = objectField(raw, 'cardData');
  const baseModel = card ? (Array.isArray(card.base_model) ? stringsOf(card.base_model)[0] ?? null : textOf(card.base_model, 300)) : null;
  const license = card ? (textOf(card.license, 200) ?? null) : null;
  const gated = raw.gated === 'auto' || raw.gated === 'manual' ? raw.gated : false;
  return {
    raw,
    repoId,
    sha: textOf(raw.sha, 100),
    lastModified: textOf(raw.lastModified, 100),
    pipelineTag: textOf(raw.pipeline_tag, 100),
    libraryName: textOf(raw.library_name, 100),
    tags: stringsOf(raw.tags),
    gated,
    isPrivate: raw.private === true,
    license: license ?? stringsOf(raw.tags).find((tag) => tag.startsWith('license:'))?.slice('license:'.length) ?? null,
    baseModel,
    author: textOf(raw.author, 200) ?? repoId.split('/')[0] ?? null,
    siblings: Array.isArray(raw.siblings) ? raw.siblings.map(readSibling).filter((sibling) => sibling !== null) : [],
    pageUrl: repoPageUrl(endpoint, 'model', repoId),
  };
}

export interface HfModelInfoClient {
  /** Model info at a revision (default main); null when the repository does not exist or is private without access. */
  modelInfo(repoId: string, revision?: string, call?: { signal?: AbortSignal; onWait?: (wait: PacerWait) => void }): Promise<HfModelInfo | null>;
  /** Repository ids Hugging Face's model search (`/api/models?search=`) answers, best first. */
  searchModels(query: string, limit?: number, call?: { signal?: AbortSignal }): Promise<string[]>;
}

export function createHfModelInfoClient(options: HfModelInfoClientOptions): HfModelInfoClient {
  const endpointOrigin = new URL(options.endpoint).origin;
  return {
    async searchModels(query, limit = 20, call = {}) {
      const params = new URLSearchParams({ search: query, limit: String(limit) });
      return options.pacer.run(
        async () => {
          const answer = await sendHubRequest(options.hub, {
            url: `${options.endpoint}/api/models?${params.toString()}`,
            headers: { accept: 'application/json' },
            token: await options.token(),
            hubOrigin: endpointOrigin,
            hubName: 'Hugging Face',
            timeoutMs: 30_000,
            signal: call.signal,
          });
          if (answer.status !== 200) {
            await answer.discard();
            throw new ModeldockError('HTTP_ERROR', `Hugging Face's model search answered HTTP ${answer.status}`);
          }
          const body = await answer.json<unknown>(8 * 1024 * 1024);
          if (!Array.isArray(body)) return [];
          const ids = body.map((item: unknown) => (item && typeof item === 'object' ? ((item as { id?: unknown }).id ?? (item as { modelId?: unknown }).modelId) : null));
          return ids.filter((id): id is string => typeof id === 'string' && /^[\w.-]+\/[\w.-]+$/.test(id));
        },
        { signal: call.signal },
      );
    },
    async modelInfo(repoId, revision = 'main', call = {}) {
      if (!/^[\w.-]+\/[\w.-]+$/.test(repoId)) throw new ModeldockError('INVALID_INPUT', `"${repoId}" is not a Hugging Face repository id`);
      const url = `${revisionInfoUrl(options.endpoint, 'model', repoId, revision)}?blobs=true`;
      return options.pacer.run(
        async () => {
          const answer = await sendHubRequest(options.hub, {
            url,
            headers: { accept: 'application/json' },
            token: await options.token(),
            hubOrigin: endpointOrigin,
            hubName: 'Hugging Face',
            timeoutMs: 30_000,
            signal: call.signal,
          });
          if (answer.status !== 200) {
            const error = await huggingFaceError(answer, { endpoint: options.endpoint, repoType: 'model', repoId, revision, nowMs: options.clock.now() });
            if (error.code === 'REPO_NOT_FOUND') return null;
            throw error;
          }
          const info = readHfModelInfo(await answer.json<unknown>(32 * 1024 * 1024), repoId, options.endpoint);
          if (!info) throw new ModeldockError('HTTP_ERROR', `Hugging Face sent an unreadable description of ${repoId}`);
          return info;
        },
        { signal: call.signal, onWait: call.onWait },
      );
    },
  };
}
