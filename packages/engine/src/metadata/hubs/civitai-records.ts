/**
 * Civitai's model-version and model JSON, read defensively into what metadata needs. The raw object
 * is kept beside the reading: `.civitai.info` is the version JSON verbatim, and the database keeps
 * the raw source so a later version of modeldock can read more from it without asking again.
 */
import { integerOf, isObject, objectField, stringsOf, textOf } from '../json-fields';
import type { JsonObject } from '../json-fields';

export interface CivitaiImage {
  url: string;
  /** Bitmask: 1 PG, 2 PG-13, 4 R, 8 X, 16 XXX, 32 blocked; null when not given. */
  nsfwLevel: number | null;
  width: number | null;
  height: number | null;
  /** "image" or "video". */
  type: string;
}

export interface CivitaiVersionFile {
  id: number | null;
  name: string | null;
  sizeKB: number | null;
  /** Lowercase hex, or null. */
  sha256: string | null;
  primary: boolean;
}

export interface CivitaiVersionRecord {
  raw: JsonObject;
  id: number;
  modelId: number | null;
  name: string | null;
  baseModel: string | null;
  trainedWords: string[];
  /** The version's own description (HTML, unsanitised). */
  description: string | null;
  publishedAt: string | null;
  nsfwLevel: number | null;
  model: { name: string | null; type: string | null; nsfw: boolean | null; mode: string | null } | null;
  files: CivitaiVersionFile[];
  images: CivitaiImage[];
  downloadUrl: string | null;
}

export interface CivitaiModelRecord {
  raw: JsonObject;
  id: number;
  name: string | null;
  /** HTML, unsanitised. */
  description: string | null;
  type: string | null;
  nsfw: boolean | null;
  nsfwLevel: number | null;
  tags: string[];
  creator: string | null;
  /** null, "Archived" or "TakenDown". */
  mode: string | null;
  /** Newest first, as Civitai lists them. */
  versions: CivitaiVersionRecord[];
}

const SHA256 = /^[0-9a-f]{64}$/;

function sha256Of(hashes: unknown): string | null {
  if (!isObject(hashes)) return null;
  for (const [type, value] of Object.entries(hashes)) {
    if (type.toLowerCase() !== 'sha256' || typeof value !== 'string') continue;
    const hex = value.trim().toLowerCase();
    if (SHA256.test(hex)) return hex;
  }
  return null;
}

function readFile(raw: unknown): CivitaiVersionFile | null {
  if (!isObject(raw)) return null;
  const sizeKB = typeof raw.sizeKB === 'number' && Number.isFinite(raw.sizeKB) && raw.sizeKB >= 0 ? raw.sizeKB : null;
  return { id: integerOf(raw.id), name: textOf(raw.name, 1_000), sizeKB, sha256: sha256Of(raw.hashes), primary: raw.primary === true };
}

function readImage(raw: unknown): CivitaiImage | null {
  if (!isObject(raw)) return null;
  const url = textOf(raw.url, 4_000);
  if (url === null) return null;
  // Older answers carry `nsfw` ("None", "Soft", "Mature", "X") instead of the bitmask.
  const legacy: Record<string, number> = { none: 1, soft: 2, mature: 4, x: 8 };
  const nsfwLevel = integerOf(raw.nsfwLevel) ?? (typeof raw.nsfw === 'string' ? (legacy[raw.nsfw.toLowerCase()] ?? null) : null);
  return {
    url,
    nsfwLevel,
    width: integerOf(raw.width),
    height: integerOf(raw.height),
    type: textOf(raw.type, 20)?.toLowerCase() ?? 'image',
  };
}

function booleanOf(value: unknown): boolean | null {
  return typeof value === 'boolean' ? value : null;
}

export function readCivitaiVersion(raw: unknown, fallbackModelId: number | null = null): CivitaiVersionRecord | null {
  if (!isObject(raw)) return null;
  const id = integerOf(raw.id);
  if (id === null) return null;
  const model = objectField(raw, 'model');
  return {
    raw,
    id,
    modelId: integerOf(raw.modelId) ?? fallbackModelId,
    name: textOf(raw.name, 500),
    baseModel: textOf(raw.baseModel, 200),
    trainedWords: stringsOf(raw.trainedWords),
    description: textOf(raw.description),
    publishedAt: textOf(raw.publishedAt, 100) ?? textOf(raw.createdAt, 100),
    nsfwLevel: integerOf(raw.nsfwLevel),
    model: model
      ? { name: textOf(model.name, 500), type: textOf(model.type, 100), nsfw: booleanOf(model.nsfw), mode: textOf(model.mode, 50) }
      : null,
    files: Array.isArray(raw.files) ? raw.files.map(readFile).filter((file) => file !== null) : [],
    images: Array.isArray(raw.images) ? raw.images.map(readImage).filter((image) => image !== null) : [],
    downloadUrl: textOf(raw.downloadUrl, 4_000),
  };
}

function tagsOf(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  // The public API sends tag names; some answers send { name } objects.
  return stringsOf(value.map((tag) => (isObject(tag) ? tag.name : tag)));
}

export function readCivitaiModel(raw: unknown): CivitaiModelRecord | null {
  if (!isObject(raw)) return null;
  const id = integerOf(raw.id);
  if (id === null) return null;
  const creator = objectField(raw, 'creator');
  return {
    raw,
    id,
    name: textOf(raw.name, 500),
    description: textOf(raw.description),
    type: textOf(raw.type, 100),
    nsfw: booleanOf(raw.nsfw),
    nsfwLevel: integerOf(raw.nsfwLevel),
    tags: tagsOf(raw.tags),
    creator: creator ? textOf(creator.username, 200) : null,
    mode: textOf(raw.mode, 50),
    versions: Array.isArray(raw.modelVersions)
      ? raw.modelVersions.map((version) => readCivitaiVersion(version, id)).filter((version) => version !== null)
      : [],
  };
}

/** The version's file with this SHA-256, else its primary file. */
export function fileOfVersion(version: CivitaiVersionRecord, sha256: string | null): CivitaiVersionFile | null {
  return (sha256 ? version.files.find((file) => file.sha256 === sha256) : undefined) ?? version.files.find((file) => file.primary) ?? version.files[0] ?? null;
}
