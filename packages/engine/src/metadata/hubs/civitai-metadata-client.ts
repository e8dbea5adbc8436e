/**
 * Civitai lookups for metadata: versions by SHA-256 (the POST form with up to 100 hashes per
 * request, one GET per hash when the POST is refused), models by id (the listing with `ids=`, up to
 * 100 per request, one GET per model for any it left out), and single versions by id. Every request
 * goes through the platform's pacer (a few per second, 1–30 s back-off after a 429).
 *
 * The user's key goes with every request when there is one (it unlocks models hidden from anonymous
 * callers); a key Civitai refuses is reported once as `keyRefused` and the lookups go on without it.
 */
import { ModeldockError } from '../../errors';
import type { Clock } from '../../ports';
import { civitaiApiError } from '../../sources/civitai/civitai-errors';
import { sendHubRequest } from '../../sources/hub-http';
import type { HubExchange, HubHttp } from '../../sources/hub-http';
import type { PacerWait, PlatformPacer } from './platform-pacer';
import { readCivitaiModel, readCivitaiVersion } from './civitai-records';
import type { CivitaiModelRecord, CivitaiVersionRecord } from './civitai-records';

export const CIVITAI_BATCH_SIZE = 100;
const TIMEOUT_MS = 30_000;
/** A model listing of 100 models with all their versions can be large; a single model rarely is. */
const BODY_LIMIT = 64 * 1024 * 1024;

export interface CivitaiMetadataClientOptions {
  hub: HubHttp;
  pacer: PlatformPacer;
  clock: Clock;
  /** https://civitai.com or a configured endpoint (no trailing slash). */
  endpoint: string;
  /** The user's key, asked for at request time; null when there is none. */
  token: () => Promise<string | null>;
}

export interface CivitaiCallOptions {
  signal?: AbortSignal;
  onWait?: (wait: PacerWait) => void;
}

export interface CivitaiMetadataClient {
  /** Versions by lowercase SHA-256; a hash Civitai does not know maps to null. */
  versionsByHash(sha256s: string[], options?: CivitaiCallOptions): Promise<Map<string, CivitaiVersionRecord | null>>;
  /** Models by id; an id Civitai does not know maps to null. */
  models(ids: number[], options?: CivitaiCallOptions): Promise<Map<number, CivitaiModelRecord | null>>;
  /** One version by id, or null when Civitai does not know it. */
  version(id: number, options?: CivitaiCallOptions): Promise<CivitaiVersionRecord | null>;
  /** Civitai's models search by words (and model types), first page only. */
  searchModels(query: string, types: string[], options?: CivitaiCallOptions): Promise<CivitaiModelRecord[]>;
  /** True once Civitai refused the user's key (the lookups then went on without it). */
  readonly keyRefused: boolean;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

export function createCivitaiMetadataClient(options: CivitaiMetadataClientOptions): CivitaiMetadataClient {
  const endpointOrigin = new URL(options.endpoint).origin;
  let keyRefused = false;
  /** Null until the POST form has been tried; false when Civitai refused it (then GET per hash). */
  let postSupported: boolean | null = null;

  async function exchange(
    url: string,
    call: CivitaiCallOptions,
    request: { method?: 'GET' | 'POST'; body?: string } = {},
  ): Promise<HubExchange> {
    return options.pacer.run(
      async () => {
        const token = keyRefused ? null : await options.token();
        const send = (withToken: string | null) =>
          sendHubRequest(options.hub, {
            url,
            method: request.method ?? 'GET',
            body: request.body,
            headers: { accept: 'application/json', ...(request.body ? { 'content-type': 'application/json' } : {}) },
            token: withToken,
            hubOrigin: endpointOrigin,
            hubName: 'Civitai',
            timeoutMs: TIMEOUT_MS,
            signal: call.signal,
          });
        let answer = await send(token);
        if (answer.tokenSent && answer.status === 401) {
          // Public metadata needs no key: note the refusal and ask again without it.
          await answer.discard();
          keyRefused = true;
          answer = await send(null);
        }
        if (answer.status === 429 || answer.status >= 500) {
          throw await civitaiApiError(answer, { endpoint: options.endpoint, modelId: null, versionId: null, nowMs: options.clock.now() });
        }
        return answer;
      },
      { signal: call.signal, onWait: call.onWait },
    );
  }

  async function readJson(answer: HubExchange): Promise<unknown> {
    return answer.json<unknown>(BODY_LIMIT);
  }

  async function versionByHashGet(sha256: string, call: CivitaiCallOptions): Promise<CivitaiVersionRecord | null> {
    const answer = await exchange(`${options.endpoint}/api/v1/model-versions/by-hash/${sha256}`, call);
    if (answer.status === 404) {
      await answer.discard();
      return null;
    }
    if (answer.status !== 200) throw await civitaiApiError(answer, { endpoint: options.endpoint, modelId: null, versionId: null, nowMs: options.clock.now() });
    const version = readCivitaiVersion(await readJson(answer));
    if (!version) throw new ModeldockError('HTTP_ERROR', `Civitai sent an unreadable model version for SHA-256 ${sha256.slice(0, 12)}…`);
    return version;
  }

  /** One POST for up to 100 hashes; null when Civitai does not take the POST form. */
  async function versionsByHashPost(batch: string[], call: CivitaiCallOptions): Promise<Map<string, CivitaiVersionRecord | null> | null> {
    const answer = await exchange(`${options.endpoint}/api/v1/model-versions/by-hash`, call, { method: 'POST', body: JSON.stringify(batch) });
    if (answer.status !== 200) {
      await answer.discard();
      return null;
    }
    let body: unknown;
    try {
      body = await readJson(answer);
    } catch {
      return null;
    }
    if (!Array.isArray(body)) return null;
    const wanted = new Set(batch);
    const found = new Map<string, CivitaiVersionRecord | null>(batch.map((hash) => [hash, null]));
    let unplaced = 0;
    for (const raw of body) {
      const version = readCivitaiVersion(raw);
      if (!version) continue;
      let placed = false;
      for (const file of version.files) {
        if (file.sha256 && wanted.has(file.sha256) && !found.get(file.sha256)) {
          found.set(file.sha256, version);
          placed = true;
        }
      }
      if (!placed) unplaced++;
    }
    // An archived version lists no files, so nothing says which hash it answers: ask those one by one.
    if (unplaced > 0) {
      for (const hash of batch) if (found.get(hash) === null) found.set(hash, await versionByHashGet(hash, call));
    }
    return found;
  }

  return {
    get keyRefused() {
      return keyRefused;
    },
    async versionsByHash(sha256s, call = {}) {
      const hashes = [...new Set(sha256s.map((hash) => hash.toLowerCase()))].filter((hash) => /^[0-9a-f]{64}$/.test(hash));
      const result = new Map<string, CivitaiVersionRecord | null>();
      for (const batch of chunks(hashes, CIVITAI_BATCH_SIZE)) {
        const batched = postSupported === false ? null : await versionsByHashPost(batch, call);
        if (batched) {
          postSupported = true;
          for (const [hash, version] of batched) result.set(hash, version);
          continue;
        }
        postSupported = false;
        for (const hash of batch) result.set(hash, await versionByHashGet(hash, call));
      }
      return result;
    },
    async models(ids, call = {}) {
      const unique = [...new Set(ids)].filter((id) => Number.isSafeInteger(id) && id > 0);
      const result = new Map<number, CivitaiModelRecord | null>();
      for (const batch of chunks(unique, CIVITAI_BATCH_SIZE)) {
        if (batch.length > 1) {
          const url = `${options.endpoint}/api/v1/models?ids=${batch.join(',')}&limit=${CIVITAI_BATCH_SIZE}&nsfw=true`;
          const answer = await exchange(url, call);
          if (answer.status === 200) {
            const body = await readJson(answer).catch(() => null);
            const items = body && typeof body === 'object' && Array.isArray((body as { items?: unknown }).items) ? (body as { items: unknown[] }).items : [];
            for (const raw of items) {
              const model = readCivitaiModel(raw);
              if (model && batch.includes(model.id)) result.set(model.id, model);
            }
          } else {
            await answer.discard();
          }
        }
        // Whatever the listing left out (or a single id) is asked for on its own.
        for (const id of batch) {
          if (result.has(id)) continue;
          const answer = await exchange(`${options.endpoint}/api/v1/models/${id}`, call);
          if (answer.status === 404) {
            await answer.discard();
            result.set(id, null);
            continue;
          }
          if (answer.status !== 200) throw await civitaiApiError(answer, { endpoint: options.endpoint, modelId: id, versionId: null, nowMs: options.clock.now() });
          const model = readCivitaiModel(await readJson(answer));
          if (!model) throw new ModeldockError('HTTP_ERROR', `Civitai sent an unreadable description of model ${id}`);
          result.set(id, model);
        }
      }
      return result;
    },
    async searchModels(query, types, call = {}) {
      const params = new URLSearchParams({ query, limit: '20', nsfw: 'true' });
      for (const type of types) params.append('types', type);
      const answer = await exchange(`${options.endpoint}/api/v1/models?${params.toString()}`, call);
      if (answer.status !== 200) throw await civitaiApiError(answer, { endpoint: options.endpoint, modelId: null, versionId: null, nowMs: options.clock.now() });
      const body = await readJson(answer);
      const items = body && typeof body === 'object' && Array.isArray((body as { items?: unknown }).items) ? (body as { items: unknown[] }).items : [];
      return items.map((raw) => readCivitaiModel(raw)).filter((model): model is CivitaiModelRecord => model !== null);
    },
    async version(id, call = {}) {
      const answer = await exchange(`${options.endpoint}/api/v1/model-versions/${id}`, call);
      if (answer.status === 404) {
        await answer.discard();
        return null;
      }
      if (answer.status !== 200) throw await civitaiApiError(answer, { endpoint: options.endpoint, modelId: null, versionId: id, nowMs: options.clock.now() });
      const version = readCivitaiVersion(await readJson(answer));
      if (!version) throw new ModeldockError('HTTP_ERROR', `Civitai sent an unreadable description of model version ${id}`);
      return version;
    },
  };
}
