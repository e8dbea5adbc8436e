/** A library entry's `metadata`, `preview` and `update` fields, from what the metadata store keeps. */
import type { LibraryEntry, LibraryEntryMetadata, LibraryEntryUpdate } from '../../library/library-entry';
import type { StoredModelMetadata } from '../refresh/stored-metadata';

/** Where the server serves thumbnails: `/thumbnails/<entry id>` (a placeholder when there is none). */
export const THUMBNAIL_ROUTE = '/thumbnails/';

export function thumbnailUrl(entryId: string, version?: string): string {
  const base = `${THUMBNAIL_ROUTE}${encodeURIComponent(entryId)}`;
  return version ? `${base}?v=${encodeURIComponent(version)}` : base;
}

export function entryMetadataOf(stored: StoredModelMetadata | undefined): LibraryEntryMetadata | null {
  const metadata = stored?.metadata;
  if (!metadata) return null;
  return {
    name: metadata.name,
    versionName: metadata.versionName,
    type: metadata.type,
    baseModel: metadata.baseModel,
    trainedWords: metadata.trainedWords,
    tags: metadata.tags,
    description: metadata.description,
    creator: metadata.creator,
    nsfwLevel: metadata.nsfwLevel,
    sourceUrl: metadata.sourceUrl,
    completeness: metadata.completeness,
    missing: metadata.missing,
    updatedAt: metadata.updatedAt,
  };
}

export function entryUpdateOf(stored: StoredModelMetadata | undefined): LibraryEntryUpdate | null {
  const update = stored?.update;
  if (!update) return null;
  return { status: update.status, latest: update.latest, checkedAt: update.checkedAt };
}

/** The entry with the metadata domain's fields filled in. */
export function withMetadataFields(entry: LibraryEntry, stored: StoredModelMetadata | undefined): LibraryEntry {
  const preview = stored?.preview;
  return {
    ...entry,
    metadata: entryMetadataOf(stored),
    // The stored time in the URL: a new preview is a new URL, so the old one may be cached for long.
    preview: preview ? { url: thumbnailUrl(entry.id, String(Date.parse(preview.updatedAt) || 0)) } : null,
    update: entryUpdateOf(stored),
    sidecars: stored?.sidecars ?? [],
  };
}
