/**
 * Civitai's public API (`/api/v1/models/{id}`, `/api/v1/model-versions/{id}`, `/api/v1/me`), read
 * defensively: only the fields modeldock uses, each checked for its type, so a changed or partial
 * answer gives a clear error rather than a wrong file.
 */
import { ModeldockError } from '../../errors';
import { sendHubRequest } from '../hub-http';
import type { HubHttp } from '../hub-http';
import { civitaiApiError } from './civitai-errors';

export interface CivitaiFileMetadata {
  format: string | null;
  size: string | null;
  fp: string | null;
  quantType: string | null;
}

export interface CivitaiFile {
  id: number;
  name: string;
  type: string | null;
  sizeKB: number | null;
  metadata: CivitaiFileMetadata;
  /** Hash type (SHA256, AutoV2, …) → value as published (usually uppercase). */
  hashes: Record<string, string>;
  primary: boolean;
  downloadUrl: string | null;
  pickleScanResult: string | null;
  virusScanResult: string | null;
}

export interface CivitaiVersion {
  id: number;
  modelId: number | null;
  name: string;
  earlyAccessEndsAt: string | null;
  files: CivitaiFile[];
  downloadUrl: string | null;
  /** The model's name, type and mode (Archived, TakenDown) when the version endpoint includes them. */
  model: { name: string | null; type: string | null; mode: string | null } | null;
}

export interface CivitaiModel {
  id: number;
  name: string | null;
  type: string | null;
  mode: string | null;
  versions: CivitaiVersion[];
}

export interface CivitaiApiRequest {
  endpoint: string;
  endpointOrigin: string;
  token: string | null;
  timeoutMs: number;
  signal?: AbortSignal;
  nowMs: number;
}

type Json = Record<string, unknown>;

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

function integer(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : null;
}

function toFile(raw: unknown): CivitaiFile | null {
  if (!raw || typeof raw !== 'object') return null;
  const file = raw as Json;
  const id = integer(file.id);
  const name = text(file.name);
  if (id === null || name === null) return null;
  const metadata = (file.metadata && typeof file.metadata === 'object' ? file.metadata : {}) as Json;
  const hashes: Record<string, string> = {};
  if (file.hashes && typeof file.hashes === 'object') {
    for (const [type, value] of Object.entries(file.hashes as Json)) {
      if (typeof value === 'string') hashes[type] = value;
    }
  }
  return {
    id,
    name,
    type: text(file.type),
    sizeKB: typeof file.sizeKB === 'number' && Number.isFinite(file.sizeKB) && file.sizeKB >= 0 ? file.sizeKB : null,
    metadata: {
      format: text(metadata.format),
      size: text(metadata.size),
      fp: text(metadata.fp),
      quantType: text(metadata.quantType),
    },
    hashes,
    primary: file.primary === true,
    downloadUrl: text(file.downloadUrl),
    pickleScanResult: text(file.pickleScanResult),
    virusScanResult: text(file.virusScanResult),
  };
}

function toVersion(raw: unknown, fallbackModelId: number | null): CivitaiVersion | null {
  if (!raw || typeof raw !== 'object') return null;
  const version = raw as Json;
  const id = integer(version.id);
  if (id === null) return null;
  const model = version.model && typeof version.model === 'object' ? (version.model as Json) : null;
  return {
    id,
    modelId: integer(version.modelId) ?? fallbackModelId,
    name: text(version.name) ?? String(id),
    earlyAccessEndsAt: text(version.earlyAccessEndsAt),
    files: Array.isArray(version.files) ? version.files.map(toFile).filter((file): file is CivitaiFile => file !== null) : [],
    downloadUrl: text(version.downloadUrl),
    model: model ? { name: text(model.name), type: text(model.type), mode: text(model.mode) } : null,
  };
}

async function getJson(hub: HubHttp, url: string, request: CivitaiApiRequest, subject: { modelId: number | null; versionId: number | null }): Promise<Json> {
  const exchange = await sendHubRequest(hub, {
    url,
    token: request.token,
    hubOrigin: request.endpointOrigin,
    hubName: 'Civitai',
    timeoutMs: request.timeoutMs,
    signal: request.signal,
    headers: { accept: 'application/json' },
  });
  if (exchange.status !== 200) {
    throw await civitaiApiError(exchange, { ...subject, endpoint: request.endpoint, nowMs: request.nowMs });
  }
  const body = await exchange.json<unknown>();
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new ModeldockError('HTTP_ERROR', `Civitai sent an answer that is not a JSON object for ${url}`);
  }
  return body as Json;
}

export async function fetchCivitaiVersion(hub: HubHttp, versionId: number, request: CivitaiApiRequest): Promise<CivitaiVersion> {
  const body = await getJson(hub, `${request.endpoint}/api/v1/model-versions/${versionId}`, request, { modelId: null, versionId });
  const version = toVersion(body, null);
  if (!version) throw new ModeldockError('HTTP_ERROR', `Civitai sent an unreadable description of model version ${versionId}`);
  return version;
}

export async function fetchCivitaiModel(hub: HubHttp, modelId: number, request: CivitaiApiRequest): Promise<CivitaiModel> {
  const body = await getJson(hub, `${request.endpoint}/api/v1/models/${modelId}`, request, { modelId, versionId: null });
  const id = integer(body.id);
  if (id === null) throw new ModeldockError('HTTP_ERROR', `Civitai sent an unreadable description of model ${modelId}`);
  return {
    id,
    name: text(body.name),
    type: text(body.type),
    mode: text(body.mode),
    versions: Array.isArray(body.modelVersions)
      ? body.modelVersions.map((raw) => toVersion(raw, id)).filter((version): version is CivitaiVersion => version !== null)
      : [],
  };
}

/** The username a key belongs to, or null when Civitai rejects the key (401/403). */
export async function fetchCivitaiAccount(hub: HubHttp, request: CivitaiApiRequest): Promise<string | null> {
  const exchange = await sendHubRequest(hub, {
    url: `${request.endpoint}/api/v1/me`,
    token: request.token,
    hubOrigin: request.endpointOrigin,
    hubName: 'Civitai',
    timeoutMs: request.timeoutMs,
    signal: request.signal,
    headers: { accept: 'application/json' },
  });
  if (exchange.status === 401 || exchange.status === 403) {
    await exchange.discard();
    return null;
  }
  if (exchange.status !== 200) {
    throw await civitaiApiError(exchange, { modelId: null, versionId: null, endpoint: request.endpoint, nowMs: request.nowMs });
  }
  const body = await exchange.json<Json>();
  return text(body?.username) ?? String(integer(body?.id) ?? 'unknown');
}
