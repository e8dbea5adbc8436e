/**
 * What modeldock knows about a model beyond its bytes, in one shape whatever the source: the
 * library shows it, sidecars are written from it, and completeness says what is still missing.
 */

/** Where a piece of metadata came from, most exact first (merge order in merge-metadata.ts). */
export type MetadataSourceKind =
  | 'download'
  | 'civitai'
  | 'huggingface'
  | 'sidecar'
  | 'header';

export type Completeness = 'complete' | 'partial' | 'minimal';

/** The fields a library entry shows; null (or []) is "not known". */
export interface ModelMetadataFields {
  name: string | null;
  versionName: string | null;
  /** Civitai's model type (Checkpoint, LORA, TextualInversion, VAE, …) or a type read from the file. */
  type: string | null;
  /** e.g. "SD 1.5", "SDXL 1.0", "Flux.1 D", "Illustrious". */
  baseModel: string | null;
  trainedWords: string[];
  tags: string[];
  /** Sanitised HTML (sanitise-description.ts): safe to put in a page as markup. */
  description: string | null;
  creator: string | null;
  /** Civitai's nsfwLevel bitmask of the model or version (1 PG, 2 PG-13, 4 R, 8 X, 16 XXX). */
  nsfwLevel: number | null;
  /** The model's page on its hub. */
  sourceUrl: string | null;
}

export interface ModelMetadata extends ModelMetadataFields {
  completeness: Completeness;
  /** Names of the fields above that no source knew, plus a reason such as "not found on Civitai by its SHA-256". */
  missing: string[];
  /** The sources that contributed, most exact first. */
  sources: MetadataSourceKind[];
  updatedAt: string;
}

/** A partial view of a model from one source; merged with the others by exactness. */
export interface MetadataContribution {
  source: MetadataSourceKind;
  fields: Partial<ModelMetadataFields>;
  /** Why this source could not say more (shown in `missing`), e.g. "not found on Civitai by its SHA-256". */
  note?: string;
}

/** Model, version and file ids on Civitai, kept for update checks and links. */
export interface CivitaiIdentity {
  modelId: number;
  versionId: number;
  fileId: number | null;
  /** Civitai's `mode`: null, "Archived" or "TakenDown". */
  mode: string | null;
}

/** Repo, commit and path on Hugging Face, kept for update checks and links. */
export interface HuggingFaceIdentity {
  repoId: string;
  commit: string | null;
  path: string;
  /** The file's LFS SHA-256 or ETag when it was downloaded (an update changes it). */
  etag: string | null;
}

export const EMPTY_FIELDS: ModelMetadataFields = {
  name: null,
  versionName: null,
  type: null,
  baseModel: null,
  trainedWords: [],
  tags: [],
  description: null,
  creator: null,
  nsfwLevel: null,
  sourceUrl: null,
};
