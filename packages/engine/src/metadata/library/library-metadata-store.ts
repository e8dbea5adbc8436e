/**
 * The metadata store as the library uses it: the refresh's `ModelMetadataStore` (get and put per
 * entry) plus the counts the Library header shows. packages/db implements it over SQL; the counts
 * are over present, listed entries only.
 */
import type { ModelMetadataStore } from '../refresh/stored-metadata';

export interface MetadataSummary {
  /** Present, listed entries. */
  entries: number;
  complete: number;
  partial: number;
  /** Minimal metadata, or not described yet. */
  minimal: number;
  /** Never described (no refresh and no sidecar read yet). */
  undescribed: number;
  /** No preview image (a placeholder or nothing). */
  noPreview: number;
  updateAvailable: number;
}

export interface LibraryMetadataStore extends ModelMetadataStore {
  summary(): Promise<MetadataSummary>;
}
