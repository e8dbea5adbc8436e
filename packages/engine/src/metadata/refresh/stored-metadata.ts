/**
 * What the metadata domain keeps per library entry, and the port it keeps it through (packages/db
 * implements it; tests use memory): the normalised metadata, the hub identities it came from, the
 * raw hub answers, the preview, the last update check, and when Civitai said it does not know the
 * file (so a scan does not ask again every time).
 */
import type { JsonObject } from '../json-fields';
import type { CivitaiIdentity, HuggingFaceIdentity, ModelMetadata } from '../metadata-model';
import type { UpdateStatus } from '../updates/update-status';

export interface StoredPreview {
  kind: 'image' | 'placeholder';
  /** File name inside the thumbnails folder of the data folder. */
  thumbnail: string;
  /** Relative path of the preview beside the model, when there is one. */
  besideModel: string | null;
  updatedAt: string;
}

export interface StoredModelMetadata {
  entryId: string;
  /** The file's SHA-256 when this was written (a changed file is described again). */
  sha256: string | null;
  metadata: ModelMetadata | null;
  civitai: CivitaiIdentity | null;
  huggingFace: HuggingFaceIdentity | null;
  /** Raw source JSON: Civitai's version and model, Hugging Face's model info. */
  raw: { civitaiVersion?: JsonObject; civitaiModel?: JsonObject; huggingFace?: JsonObject };
  preview: StoredPreview | null;
  update: UpdateStatus | null;
  /** ISO time Civitai last answered "not found" for this SHA-256. */
  civitaiNotFoundAt: string | null;
  /** Relative paths of sidecars seen or written beside the model. */
  sidecars: string[];
  updatedAt: string;
}

export interface ModelMetadataStore {
  get(entryIds: string[]): Promise<Map<string, StoredModelMetadata>>;
  /** Inserts or replaces by entry id. */
  put(records: StoredModelMetadata[]): Promise<void>;
}

/** A memory store for tests and one-shot tools. */
export function createMemoryMetadataStore(): ModelMetadataStore & { all(): StoredModelMetadata[] } {
  const rows = new Map<string, StoredModelMetadata>();
  return {
    async get(entryIds) {
      const found = new Map<string, StoredModelMetadata>();
      for (const id of entryIds) {
        const row = rows.get(id);
        if (row) found.set(id, structuredClone(row));
      }
      return found;
    },
    async put(records) {
      for (const record of records) rows.set(record.entryId, structuredClone(record));
    },
    all: () => [...rows.values()].map((row) => structuredClone(row)),
  };
}
