/**
 * The collection manifest (`library.export` → `library.import`): a versioned JSON document listing
 * every model of a library with what it takes to get exactly the same bytes back on another machine.
 * The README documents it field by field; a change that old readers cannot ignore raises `version`.
 */
import type { LibraryEntryMetadata } from '../library/library-entry';

export const MANIFEST_SCHEMA = 'modeldock.collection';
export const MANIFEST_VERSION = 1;
/** A manifest or workflow larger than this is refused before it is parsed. */
export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;
/** Models one manifest may list. */
export const MAX_MANIFEST_MODELS = 100_000;

/** Where a model can be fetched from again. */
export type ManifestSource =
  | {
      kind: 'huggingface';
      /** org/name (datasets/… and spaces/… keep their prefix). */
      repo: string;
      /** The commit, or null when unknown (then the default branch is asked). */
      revision: string | null;
      /** Path inside the repository. */
      path: string;
    }
  | {
      kind: 'civitai';
      modelId: number | null;
      versionId: number;
      /** The file of the version, when known (else the version's primary file). */
      fileId: number | null;
      /** The download link used, without any key. */
      url: string | null;
    }
  | { kind: 'url'; url: string };

export interface ManifestModel {
  /** Relative to the models root, POSIX separators (e.g. "loras/sdxl/detail.safetensors"). */
  path: string;
  sizeBytes: number;
  /** Lowercase hex; null when the file was never hashed (then it can only be matched by path). */
  sha256: string | null;
  /** null: the file was put there by hand; only the old machine has it. */
  source: ManifestSource | null;
  /** With `includeMetadata`: what the metadata domain knew (name, type, base model, trigger words…). */
  metadata?: ManifestMetadata | null;
}

export type ManifestMetadata = Omit<LibraryEntryMetadata, 'completeness' | 'missing' | 'updatedAt'>;

export interface CollectionManifest {
  schema: typeof MANIFEST_SCHEMA;
  version: typeof MANIFEST_VERSION;
  /** ISO time. */
  exportedAt: string;
  /** Which modeldock wrote it (free text). */
  generator: string;
  models: ManifestModel[];
}
