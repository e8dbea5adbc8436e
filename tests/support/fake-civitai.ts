/**
 * A fake Civitai on 127.0.0.1 with its storage on a separate fake CDN, following civitai/civitai's
 * own handlers:
 * - `/api/v1/models/{id}` (404 {"error":"No model with id …"}), `/api/v1/model-versions/{id}`
 *   (404 {"error":"Model not found"}), `/api/v1/me`; files carry id, name, type, sizeKB (bytes/1024),
 *   metadata {format,size,fp}, hashes {SHA256 uppercase, AutoV2, CRC32}, primary, downloadUrl; an
 *   archived model lists no files and no downloadUrl;
 * - `/api/download/models/{versionId}?type&format&size&fp&quantType&fileId` (GET only, 405 else),
 *   checked in Civitai's order: 404 unknown, 410 archived, 401 downloads disabled, 401 "requires you
 *   to be logged in" (or a redirect to /login?…&reason=download-auth for a browser), 401 for an
 *   account without access, 403 {"error":"Early Access","deadline"} (or a redirect for a browser),
 *   404 when the parameters match no file, then 307 to a presigned storage URL whose
 *   Content-Disposition carries the file name and which expires (403 from storage);
 * - 403 {"error":"Forbidden"} for a blocked account, 429 without Retry-After on demand;
 * - metadata: `GET /api/v1/model-versions/by-hash/{hash}` (SHA256 or AutoV2, any case; 404
 *   {"error":"Model not found"}), `POST /api/v1/model-versions/by-hash` with a JSON array of up to
 *   100 hashes (an array of the versions found; can be switched off to test the fallback), the
 *   listing `GET /api/v1/models?ids=1,2,…` ({ items, metadata }), search `GET /api/v1/models?query=&types=&limit=`
 *   (every query word in the model's name), versions with trained words,
 *   images (on a separate image host), descriptions (HTML) and dates; models with tags, a creator,
 *   a description and `mode`; and an optional rate limit (requests per second, 429 beyond it).
 * Keys are accepted as `Authorization: Bearer` or `?token=`. Requests are recorded.
 */
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { closeServer, listen, lowercaseHeaders, sha256Hex, startFakeCdn } from './fake-cdn';
import type { FakeCdn, RecordedRequest } from './fake-cdn';

export interface FakeCivitaiFileSpec {
  id: number;
  name: string;
  /** "Model" unless given. */
  type?: string;
  content: Buffer | string;
  /** "SafeTensor" unless given. */
  format?: string;
  size?: string;
  fp?: string;
  quantType?: string;
  primary?: boolean;
  pickleScanResult?: string;
  virusScanResult?: string;
  /** Publish sizeKB rounded to two decimals, as some answers do, instead of exactly bytes/1024. */
  roundSizeKB?: boolean;
}

export interface FakeCivitaiVersionSpec {
  id: number;
  name?: string;
  baseModel?: string;
  files: FakeCivitaiFileSpec[];
  /** ISO date until which only buyers may download. */
  earlyAccessEndsAt?: string;
  /** The creator requires a signed-in account. */
  requireAuth?: boolean;
  downloadsDisabled?: boolean;
  /** Only these accounts may download (a private or bought resource). */
  allowedUsers?: string[];
  /** Accounts that bought early access. */
  earlyAccessUsers?: string[];
  trainedWords?: string[];
  images?: FakeCivitaiImageSpec[];
  /** The version's own description (HTML). */
  description?: string;
  /** ISO date; Civitai lists versions newest first. */
  publishedAt?: string;
}

export interface FakeCivitaiImageSpec {
  url: string;
  /** 1 PG, 2 PG-13, 4 R, 8 X, 16 XXX. */
  nsfwLevel?: number;
  width?: number;
  height?: number;
  type?: 'image' | 'video';
}

export interface FakeCivitaiModelSpec {
  id: number;
  name: string;
  /** Checkpoint, LORA, TextualInversion, VAE, Controlnet, Upscaler, … */
  type: string;
  mode?: 'Archived' | 'TakenDown' | null;
  /** Newest first, as Civitai lists them. */
  versions: FakeCivitaiVersionSpec[];
  /** HTML, as model authors write it. */
  description?: string;
  tags?: string[];
  creator?: string;
  nsfw?: boolean;
}

export interface FakeCivitai {
  url: string;
  origin: string;
  storage: FakeCdn;
  requests: RecordedRequest[];
  /** Lifetime of the presigned storage URLs handed out from now on. */
  signedUrlTtlMs: number;
  addModel(spec: FakeCivitaiModelSpec): void;
  addApiKey(key: string, user: string): void;
  /** Archives (or un-archives) a model, as its creator can at any time. */
  setModelMode(modelId: number, mode: 'Archived' | 'TakenDown' | null): void;
  blockUser(user: string): void;
  /** The next `count` requests get 429 without Retry-After. */
  rateLimitNext(count: number): void;
  /** From now on, requests beyond `perSecond` in any second get 429 (null: no limit). */
  setRateLimit(perSecond: number | null): void;
  /** Whether `POST /api/v1/model-versions/by-hash` is answered (true) or refused with 405. */
  byHashPost: boolean;
  /** Adds a version to an existing model, as its newest (a creator publishing an update). */
  addVersion(modelId: number, version: FakeCivitaiVersionSpec): void;
  /** Requests made to the metadata lookups (by-hash GET/POST, model listing and model endpoints). */
  lookupRequests(): RecordedRequest[];
  /** sha256 (lowercase) of a registered file. */
  fileSha256(fileId: number): string;
  fileBytes(fileId: number): Buffer;
  close(): Promise<void>;
}

export interface FakeCivitaiOptions {
  storage?: FakeCdn;
  /** Answer 401 to any /api/v1 call whose key the fake does not know (a revoked key). */
  refuseUnknownKeys?: boolean;
  signedUrlTtlMs?: number;
}

interface StoredFile extends FakeCivitaiFileSpec {
  bytes: Buffer;
  sha256: string;
  storageKey: string;
}

interface StoredVersion extends Omit<FakeCivitaiVersionSpec, 'files'> {
  files: StoredFile[];
  model: FakeCivitaiModelSpec;
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
  response.end(text);
}

function crc32Hex(bytes: Buffer): string {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ((crc ^ 0xffffffff) >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

export async function startFakeCivitai(options: FakeCivitaiOptions = {}): Promise<FakeCivitai> {
  const ownStorage = options.storage === undefined;
  const storage = options.storage ?? (await startFakeCdn());
  const models = new Map<number, FakeCivitaiModelSpec>();
  const versions = new Map<number, StoredVersion>();
  const files = new Map<number, StoredFile>();
  const keys = new Map<string, string>();
  const blocked = new Set<string>();
  const requests: RecordedRequest[] = [];
  let rateLimited = 0;
  let perSecondLimit: number | null = null;
  const recentStarts: number[] = [];
  let origin = '';

  function metadataOf(file: StoredFile): Record<string, string> {
    const metadata: Record<string, string> = { format: file.format ?? 'SafeTensor' };
    if (file.size) metadata.size = file.size;
    if (file.fp) metadata.fp = file.fp;
    if (file.quantType) metadata.quantType = file.quantType;
    return metadata;
  }

  function primaryOf(version: StoredVersion): StoredFile | undefined {
    return version.files.find((file) => file.primary) ?? version.files.find((file) => (file.type ?? 'Model') === 'Model') ?? version.files[0];
  }

  function downloadUrlFor(version: StoredVersion, file: StoredFile): string {
    if (file === primaryOf(version)) return `${origin}/api/download/models/${version.id}`;
    const params = new URLSearchParams({ type: file.type ?? 'Model', ...metadataOf(file) });
    return `${origin}/api/download/models/${version.id}?${params.toString()}`;
  }

  function fileJson(version: StoredVersion, file: StoredFile): Record<string, unknown> {
    const exactKB = file.bytes.length / 1024;
    return {
      id: file.id,
      sizeKB: file.roundSizeKB ? Math.round(exactKB * 100) / 100 : exactKB,
      name: file.name,
      type: file.type ?? 'Model',
      pickleScanResult: file.pickleScanResult ?? 'Success',
      pickleScanMessage: 'No Pickle imports',
      virusScanResult: file.virusScanResult ?? 'Success',
      virusScanMessage: null,
      scannedAt: new Date(0).toISOString(),
      metadata: metadataOf(file),
      hashes: {
        AutoV2: file.sha256.slice(0, 10).toUpperCase(),
        SHA256: file.sha256.toUpperCase(),
        CRC32: crc32Hex(file.bytes),
      },
      primary: file === primaryOf(version),
      downloadUrl: downloadUrlFor(version, file),
    };
  }

  function versionJson(version: StoredVersion, includeModel: boolean): Record<string, unknown> {
    const archived = version.model.mode === 'Archived';
    return {
      id: version.id,
      modelId: version.model.id,
      name: version.name ?? `v${version.id}`,
      baseModel: version.baseModel ?? 'SDXL 1.0',
      publishedAt: version.publishedAt ?? new Date(0).toISOString(),
      earlyAccessEndsAt: version.earlyAccessEndsAt ?? null,
      trainedWords: version.trainedWords ?? [],
      description: version.description ?? null,
      ...(includeModel ? { model: { name: version.model.name, type: version.model.type, nsfw: version.model.nsfw ?? false, poi: false, mode: version.model.mode ?? undefined } } : {}),
      files: archived ? [] : version.files.map((file) => fileJson(version, file)),
      images: (version.images ?? []).map((image) => ({
        url: image.url,
        nsfwLevel: image.nsfwLevel ?? 1,
        width: image.width ?? 512,
        height: image.height ?? 768,
        hash: 'U00000fQfQfQfQfQfQfQfQfQfQfQ',
        type: image.type ?? 'image',
      })),
      ...(archived ? {} : { downloadUrl: `${origin}/api/download/models/${version.id}` }),
    };
  }

  function userOf(request: IncomingMessage, url: URL): string | null {
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    const key = bearer?.[1] ?? url.searchParams.get('token');
    return key ? (keys.get(key) ?? null) : null;
  }

  function isBrowser(request: IncomingMessage): boolean {
    return /Mozilla\//.test(request.headers['user-agent'] ?? '') && !/json/i.test(request.headers['content-type'] ?? '');
  }

  function chooseFile(version: StoredVersion, url: URL): StoredFile | null {
    const fileId = url.searchParams.get('fileId');
    if (fileId) return version.files.find((file) => file.id === Number(fileId)) ?? null;
    const type = url.searchParams.get('type');
    const candidates = version.files.filter((file) => !type || (file.type ?? 'Model') === type);
    const wanted: Record<string, string> = {};
    for (const key of ['format', 'size', 'fp', 'quantType']) {
      const value = url.searchParams.get(key);
      if (value) wanted[key] = value;
    }
    const matching = candidates.filter((file) => Object.entries(wanted).every(([key, value]) => metadataOf(file)[key] === value));
    // Like getPrimaryFile: the preferred file among those left, else the first.
    return matching.find((file) => file === primaryOf(version)) ?? matching[0] ?? null;
  }

  function serveDownload(request: IncomingMessage, response: ServerResponse, url: URL, versionId: number): void {
    if (request.method !== 'GET') return sendJson(response, 405, { error: 'Method Not Allowed' }, { allow: 'GET' });
    const user = userOf(request, url);
    if (user && blocked.has(user)) return sendJson(response, 403, { error: 'Forbidden' });
    const version = versions.get(versionId);
    if (!version) return sendJson(response, 404, { error: 'File not found' });
    if (version.model.mode === 'Archived') return sendJson(response, 410, { error: 'Model archived, not available for download' });
    if (version.downloadsDisabled) {
      return sendJson(response, 401, { error: 'Unauthorized', message: 'The creator of this asset has disabled downloads on this file' });
    }
    const unauthorized = (version.requireAuth && !user) || (version.allowedUsers !== undefined && (!user || !version.allowedUsers.includes(user)));
    if (unauthorized) {
      if (isBrowser(request)) {
        response.writeHead(307, { location: `/login?returnUrl=${encodeURIComponent(`/model-versions/${versionId}`)}&reason=download-auth` });
        return void response.end();
      }
      return sendJson(response, 401, { error: 'Unauthorized', message: 'The creator of this asset requires you to be logged in to download it' });
    }
    const deadline = version.earlyAccessEndsAt ? Date.parse(version.earlyAccessEndsAt) : null;
    if (deadline !== null && Date.now() < deadline && !(user && version.earlyAccessUsers?.includes(user))) {
      if (isBrowser(request)) {
        response.writeHead(307, { location: `/model-versions/${versionId}` });
        return void response.end();
      }
      return sendJson(response, 403, {
        error: 'Early Access',
        deadline: new Date(deadline).toISOString(),
        message: 'This asset is in Early Access. You can use Buzz access it now!',
      });
    }
    const file = chooseFile(version, url);
    if (!file) return sendJson(response, 404, { error: 'File not found' });
    const location = storage.signedUrl(file.storageKey, { filename: file.name, ttlMs: hub.signedUrlTtlMs });
    response.writeHead(307, { location, 'content-length': '0' });
    response.end();
  }

  function modelJson(model: FakeCivitaiModelSpec): Record<string, unknown> {
    return {
      id: model.id,
      name: model.name,
      description: model.description ?? null,
      type: model.type,
      nsfw: model.nsfw ?? false,
      tags: model.tags ?? [],
      creator: model.creator ? { username: model.creator, image: null } : null,
      mode: model.mode ?? null,
      modelVersions: model.versions.map((spec) => versionJson(versions.get(spec.id)!, false)),
    };
  }

  /** The version holding a file with this hash (SHA256 or AutoV2, any case). */
  function versionByHash(hash: string): StoredVersion | null {
    const wanted = hash.trim().toLowerCase();
    for (const file of files.values()) {
      if (file.sha256 === wanted || (wanted.length === 10 && file.sha256.startsWith(wanted))) {
        return [...versions.values()].find((version) => version.files.includes(file)) ?? null;
      }
    }
    return null;
  }

  function overRateLimit(): boolean {
    if (perSecondLimit === null) return false;
    const now = Date.now();
    while (recentStarts.length > 0 && recentStarts[0]! <= now - 1000) recentStarts.shift();
    if (recentStarts.length >= perSecondLimit) return true;
    recentStarts.push(now);
    return false;
  }

  function readBody(request: IncomingMessage, limit: number): Promise<string | null> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      request.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= limit) chunks.push(chunk);
      });
      request.on('end', () => resolve(size > limit ? null : Buffer.concat(chunks).toString('utf8')));
      request.on('error', () => resolve(null));
    });
  }

  async function serveByHashPost(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!hub.byHashPost) return sendJson(response, 405, { error: 'Method Not Allowed' });
    const text = await readBody(request, 1024 * 1024);
    let hashes: unknown;
    try {
      hashes = JSON.parse(text ?? '');
    } catch {
      return sendJson(response, 400, { error: 'Invalid JSON' });
    }
    if (!Array.isArray(hashes) || hashes.length > 100 || !hashes.every((hash) => typeof hash === 'string')) {
      return sendJson(response, 400, { error: 'Expected an array of at most 100 hashes' });
    }
    const found = new Map<number, StoredVersion>();
    for (const hash of hashes as string[]) {
      const version = versionByHash(hash);
      if (version) found.set(version.id, version);
    }
    sendJson(response, 200, [...found.values()].map((version) => versionJson(version, true)));
  }

  function route(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', origin);
    requests.push({ method: request.method ?? 'GET', url: request.url ?? '/', headers: lowercaseHeaders(request) });
    if (overRateLimit()) {
      return sendJson(response, 429, { error: 'Too Many Requests' });
    }
    if (rateLimited > 0) {
      rateLimited--;
      return sendJson(response, 429, {
        error: "We've noticed an unusual amount of downloading from your account. Contact support@civitai.com or come back later.",
      });
    }
    const path = url.pathname.replace(/\/+$/, '');
    let match: RegExpExecArray | null;
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (options.refuseUnknownKeys && path.startsWith('/api/v1/') && bearer && !keys.has(bearer)) {
      return sendJson(response, 401, { error: 'Unauthorized' });
    }
    if ((match = /^\/api\/download\/models\/([^/]+)$/.exec(path))) {
      const id = Number(match[1]);
      if (!Number.isSafeInteger(id) || id < 1) return sendJson(response, 400, { error: 'Invalid modelVersionId' });
      return serveDownload(request, response, url, id);
    }
    if (path === '/api/v1/model-versions/by-hash' && request.method === 'POST') {
      void serveByHashPost(request, response);
      return;
    }
    if ((match = /^\/api\/v1\/model-versions\/by-hash\/([^/]+)$/.exec(path))) {
      const version = versionByHash(decodeURIComponent(match[1]!));
      if (!version) return sendJson(response, 404, { error: 'Model not found' });
      return sendJson(response, 200, versionJson(version, true));
    }
    if (path === '/api/v1/models' && url.searchParams.has('ids')) {
      const ids = (url.searchParams.get('ids') ?? '').split(',').map(Number);
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 100) || 100, 100);
      const items = ids.map((id) => models.get(id)).filter((model) => model !== undefined).slice(0, limit);
      return sendJson(response, 200, { items: items.map(modelJson), metadata: { totalItems: items.length } });
    }
    if (path === '/api/v1/models' && url.searchParams.has('query')) {
      // Civitai's search: every word of the query in the model's name, case-insensitive; `types` repeated.
      const words = (url.searchParams.get('query') ?? '').toLowerCase().split(/[\s_.-]+/).filter((word) => word !== '');
      const types = url.searchParams.getAll('types');
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 100) || 100, 100);
      const items = [...models.values()]
        .filter((model) => words.every((word) => model.name.toLowerCase().includes(word)))
        .filter((model) => types.length === 0 || types.includes(model.type))
        .slice(0, limit);
      return sendJson(response, 200, { items: items.map(modelJson), metadata: { totalItems: items.length } });
    }
    if ((match = /^\/api\/v1\/models\/(\d+)$/.exec(path))) {
      const model = models.get(Number(match[1]));
      if (!model) return sendJson(response, 404, { error: `No model with id ${match[1]}` });
      return sendJson(response, 200, modelJson(model));
    }
    if ((match = /^\/api\/v1\/model-versions\/(\d+)$/.exec(path))) {
      const version = versions.get(Number(match[1]));
      if (!version) return sendJson(response, 404, { error: 'Model not found' });
      return sendJson(response, 200, versionJson(version, true));
    }
    if (path === '/api/v1/me') {
      const user = userOf(request, url);
      if (!user) return sendJson(response, 401, { error: 'Unauthorized' });
      return sendJson(response, 200, { id: 1, username: user, tier: 'free', status: 'active', isMember: false, subscriptions: [] });
    }
    response.writeHead(request.method === 'GET' || request.method === 'HEAD' ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    response.end(request.method === 'HEAD' ? undefined : '<!doctype html><title>Civitai</title>');
  }

  function storeVersion(spec: FakeCivitaiModelSpec, versionSpec: FakeCivitaiVersionSpec): void {
    const stored: StoredVersion = {
      ...versionSpec,
      model: spec,
      files: versionSpec.files.map((fileSpec) => {
        const bytes = Buffer.isBuffer(fileSpec.content) ? fileSpec.content : Buffer.from(fileSpec.content);
        const storageKey = `civitai/${versionSpec.id}/${fileSpec.id}`;
        storage.put(bytes, storageKey);
        const file: StoredFile = { ...fileSpec, bytes, sha256: sha256Hex(bytes), storageKey };
        files.set(fileSpec.id, file);
        return file;
      }),
    };
    versions.set(versionSpec.id, stored);
  }

  const hub: FakeCivitai = {
    url: '',
    origin: '',
    storage,
    requests,
    signedUrlTtlMs: options.signedUrlTtlMs ?? 60 * 60 * 1000,
    byHashPost: true,
    setRateLimit(perSecond) {
      perSecondLimit = perSecond;
      recentStarts.length = 0;
    },
    lookupRequests: () => requests.filter((request) => /^\/api\/v1\/(model-versions\/by-hash|models)/.test(request.url)),
    addVersion(modelId, versionSpec) {
      const model = models.get(modelId);
      if (!model) throw new Error(`no model ${modelId}`);
      model.versions.unshift(versionSpec);
      storeVersion(model, versionSpec);
    },
    addModel(spec) {
      models.set(spec.id, spec);
      for (const versionSpec of spec.versions) storeVersion(spec, versionSpec);
    },
    addApiKey(key, user) {
      keys.set(key, user);
    },
    setModelMode(modelId, mode) {
      const model = models.get(modelId);
      if (!model) throw new Error(`no model ${modelId}`);
      model.mode = mode;
    },
    blockUser(user) {
      blocked.add(user);
    },
    rateLimitNext(count) {
      rateLimited = count;
    },
    fileSha256: (fileId) => {
      const file = files.get(fileId);
      if (!file) throw new Error(`no file ${fileId}`);
      return file.sha256;
    },
    fileBytes: (fileId) => {
      const file = files.get(fileId);
      if (!file) throw new Error(`no file ${fileId}`);
      return file.bytes;
    },
    close: async () => {
      await closeServer(server);
      if (ownStorage) await storage.close();
    },
  };

  const server = http.createServer(route);
  origin = await listen(server);
  hub.url = origin;
  hub.origin = origin;
  return hub;
}
