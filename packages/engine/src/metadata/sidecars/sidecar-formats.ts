/**
 * The three sidecar formats, read into metadata contributions and built from modeldock's metadata.
 * Keys modeldock does not own (a user's `notes`, `favorite`, `usage_tips`, `tags` edited in
 * Lora-Manager, A1111's `preferred weight`, anything another tool added) are always carried over.
 */
import { readCivitaiVersion } from '../hubs/civitai-records';
import type { CivitaiVersionRecord } from '../hubs/civitai-records';
import { commaList, integerOf, isObject, stringsOf, textOf } from '../json-fields';
import type { JsonObject } from '../json-fields';
import type { MetadataContribution, ModelMetadata, ModelMetadataFields } from '../metadata-model';
import { fromCivitai } from '../normalise/from-civitai';
import { descriptionText, sanitiseDescription } from '../normalise/sanitise-description';

/** The keys Lora-Manager requires; a `.metadata.json` missing one is skipped by it as corrupt. */
export const LORA_MANAGER_REQUIRED_KEYS = ['file_name', 'model_name', 'file_path', 'size', 'modified', 'sha256', 'base_model', 'preview_url'] as const;

/** What modeldock knows about the model file itself when it writes sidecars. */
export interface SidecarFileFacts {
  /** Absolute path of the model (written with forward slashes). */
  absolutePath: string;
  stem: string;
  sizeBytes: number;
  mtimeMs: number;
  sha256: string | null;
}

export interface SidecarContent {
  metadata: ModelMetadata;
  /** The Civitai version the metadata came from, verbatim, when there is one. */
  civitaiVersion: CivitaiVersionRecord | null;
  /** Civitai's `mode` of the model (Archived, TakenDown). */
  civitaiMode: string | null;
  /** Absolute path of the preview beside the model, or null. */
  previewPath: string | null;
  previewNsfwLevel: number | null;
  now: Date;
}

// ---- Civitai Helper: <stem>.civitai.info ------------------------------------------------------

export function civitaiInfoFromSidecar(raw: JsonObject, endpoint: string): { version: CivitaiVersionRecord | null; contribution: MetadataContribution } {
  const version = readCivitaiVersion(raw);
  const contribution = version ? { ...fromCivitai(endpoint, version, null), source: 'sidecar' as const } : { source: 'sidecar' as const, fields: {} };
  return { version, contribution };
}

/** The version JSON verbatim (Civitai Helper reads `model.name`/`model.type`, which a version from the model endpoint lacks). */
export function buildCivitaiInfo(content: SidecarContent): JsonObject | null {
  const version = content.civitaiVersion;
  if (!version) return null;
  if (isObject(version.raw.model)) return version.raw;
  return {
    ...version.raw,
    model: { name: content.metadata.name, type: content.metadata.type, nsfw: (content.metadata.nsfwLevel ?? 1) > 2, mode: content.civitaiMode },
  };
}

// ---- ComfyUI-Lora-Manager: <stem>.metadata.json -----------------------------------------------

export function loraManagerContribution(raw: JsonObject): MetadataContribution {
  const civitai = isObject(raw.civitai) ? readCivitaiVersion(raw.civitai) : null;
  const fields: Partial<ModelMetadataFields> = {
    name: textOf(raw.model_name, 500),
    baseModel: textOf(raw.base_model, 200),
    description: sanitiseDescription(textOf(raw.modelDescription)),
  };
  if (civitai) {
    fields.versionName = civitai.name;
    fields.type = civitai.model?.type ?? null;
    fields.trainedWords = civitai.trainedWords;
  }
  const tags = stringsOf(raw.tags);
  if (tags.length > 0) fields.tags = tags;
  const nsfw = integerOf(raw.preview_nsfw_level);
  if (nsfw !== null) fields.nsfwLevel = nsfw;
  return { source: 'sidecar', fields };
}

const SUB_TYPES: Record<string, string> = { checkpoint: 'checkpoint', textualinversion: 'embedding', embedding: 'embedding' };

export function buildLoraManager(existing: JsonObject | null, facts: SidecarFileFacts, content: SidecarContent): JsonObject {
  const { metadata } = content;
  const kept = existing ?? {};
  const version = content.civitaiVersion;
  const owned: JsonObject = {
    file_name: facts.stem,
    model_name: metadata.name ?? facts.stem,
    file_path: facts.absolutePath.replace(/\\/g, '/'),
    size: facts.sizeBytes,
    modified: Math.floor(facts.mtimeMs / 1000),
    sha256: facts.sha256 ?? (typeof kept.sha256 === 'string' ? kept.sha256 : ''),
    base_model: metadata.baseModel ?? (typeof kept.base_model === 'string' ? kept.base_model : 'Unknown'),
    preview_url: content.previewPath?.replace(/\\/g, '/') ?? (typeof kept.preview_url === 'string' ? kept.preview_url : ''),
    from_civitai: version !== null,
    modelDescription: metadata.description ?? '',
    civitai_deleted: content.civitaiMode === 'TakenDown',
    metadata_source: version ? 'civitai_api' : 'modeldock',
    last_checked_at: content.now.getTime() / 1000,
  };
  if (content.previewNsfwLevel !== null) owned.preview_nsfw_level = content.previewNsfwLevel;
  if (version) owned.civitai = { ...version.raw, trainedWords: version.trainedWords };
  const result: JsonObject = { ...kept, ...owned };
  // User-editable keys: set only when the user has none yet.
  if (!Array.isArray(kept.tags)) result.tags = metadata.tags;
  if (!('notes' in kept)) result.notes = '';
  const subType = SUB_TYPES[(metadata.type ?? '').toLowerCase()];
  if (subType && !('sub_type' in kept)) result.sub_type = subType;
  return result;
}

// ---- A1111 / sd-civitai-browser-plus: <stem>.json ---------------------------------------------

/** A1111's coarse "sd version" from a base model name. */
export function sdVersionOf(baseModel: string | null): string {
  const name = (baseModel ?? '').toLowerCase();
  if (/^sd ?1/.test(name)) return 'SD1';
  if (/^sd ?2/.test(name)) return 'SD2';
  if (/sdxl|pony|illustrious|noobai/.test(name)) return 'SDXL';
  return 'Other';
}

const BASE_OF_SD_VERSION: Record<string, string> = { SD1: 'SD 1.5', SD2: 'SD 2.1', SDXL: 'SDXL 1.0' };

/** Only a `.json` that looks like A1111's user metadata counts (another tool may own `<stem>.json`). */
export function a1111Contribution(raw: JsonObject): MetadataContribution | null {
  if (!('activation text' in raw) && !('sd version' in raw) && !('preferred weight' in raw)) return null;
  const fields: Partial<ModelMetadataFields> = {};
  const words = commaList(raw['activation text']);
  if (words.length > 0) fields.trainedWords = words;
  const description = textOf(raw.description);
  if (description) fields.description = sanitiseDescription(description);
  const sdVersion = textOf(raw['sd version'], 20);
  if (sdVersion && BASE_OF_SD_VERSION[sdVersion]) fields.baseModel = BASE_OF_SD_VERSION[sdVersion];
  return { source: 'sidecar', fields };
}

export function buildA1111(existing: JsonObject | null, facts: SidecarFileFacts, content: SidecarContent): JsonObject {
  const { metadata } = content;
  const result: JsonObject = {
    ...(existing ?? {}),
    description: descriptionText(metadata.description) ?? '',
    'sd version': sdVersionOf(metadata.baseModel),
    'activation text': metadata.trainedWords.join(', '),
  };
  if (facts.sha256) result.sha256 = facts.sha256;
  const modelId = content.civitaiVersion?.modelId;
  if (modelId) result.modelId = modelId;
  if (!existing || !('notes' in existing)) result.notes = '';
  return result;
}
