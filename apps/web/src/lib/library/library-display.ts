/** How library entries read on the page: source labels, format flags, filters → query, cache reasons. */
import type { CacheCleanup, LibraryEntry, LibraryListInput } from '../api/types';

export type LibraryView = 'cards' | 'list';
export type LibrarySortChoice = 'name' | 'size' | 'added';

export interface LibraryFilters {
  search: string;
  folder: string;
  source: '' | 'huggingface' | 'civitai' | 'url' | 'disk';
  format: '' | 'safetensors' | 'gguf' | 'pickle' | 'other';
  /** What the metadata domain knows: update available, incomplete metadata, no preview image. */
  flag: '' | 'update_available' | 'incomplete' | 'no_preview';
  sort: LibrarySortChoice;
  showMissing: boolean;
}

export const EMPTY_FILTERS: LibraryFilters = {
  search: '',
  folder: '',
  source: '',
  format: '',
  flag: '',
  sort: 'name',
  showMissing: false,
};

export const PAGE_SIZE = 50;

/** The list query for these filters: missing entries only with the toggle on; size and date newest first. */
export function queryFor(filters: LibraryFilters, cursor: string | null = null): LibraryListInput {
  return {
    status: filters.showMissing ? ['present', 'missing'] : ['present'],
    search: filters.search.trim() || null,
    folder: filters.folder || null,
    source: filters.source || null,
    format: filters.format || null,
    flag: filters.flag || null,
    sort: filters.sort,
    order: filters.sort === 'name' ? 'asc' : 'desc',
    limit: PAGE_SIZE,
    cursor,
  };
}

/** Where a file came from, in a few words. */
export function sourceLabel(entry: Pick<LibraryEntry, 'source'>): string {
  const source = entry.source;
  if (!source || source.kind === 'disk') return 'Found on disk';
  if (source.kind === 'huggingface') {
    const revision = source.revision ? ` @ ${source.revision.slice(0, 10)}` : '';
    return `Hugging Face ${source.repo}${revision}`;
  }
  if (source.kind === 'civitai') {
    return source.versionId !== null ? `Civitai version ${source.versionId}` : 'Civitai';
  }
  try {
    return `Link from ${new URL(source.url).host}`;
  } catch {
    return 'Direct link';
  }
}

export const FORMAT_LABELS: Record<LibraryEntry['format'], string> = {
  safetensors: 'safetensors',
  gguf: 'GGUF',
  pickle: 'pickle',
  other: 'other',
};

/** Pickle files can run code when loaded: flagged wherever they are shown. */
export function isFlaggedFormat(format: LibraryEntry['format']): boolean {
  return format === 'pickle';
}

/** "Download again" needs a source modeldock can fetch. */
export function canDownloadAgain(entry: Pick<LibraryEntry, 'status' | 'source'>): boolean {
  const source = entry.source;
  return entry.status === 'missing' && source !== null && source.kind !== 'disk' && source.url !== null;
}

export const CACHE_REASONS: Record<CacheCleanup['items'][number]['reason'], string> = {
  'partial-download': 'Partial download of a job that no longer exists',
  'unused-hf-blob': 'Hugging Face blob no snapshot uses',
  'orphaned-preview': 'Preview of a model that is not there',
};

/** "Delete 2 models (6.94 GB)?" */
export function deleteQuestion(count: number, bytes: string): string {
  return `Delete ${count === 1 ? 'this model' : `${count} models`} and free ${bytes}?`;
}

/**
 * The model's name from its metadata; the file name until a source names it (a name that is only
 * the file's stem says nothing the file name does not).
 */
export function displayName(entry: Pick<LibraryEntry, 'name' | 'metadata'>): string {
  const name = entry.metadata?.name;
  if (!name) return entry.name;
  const stem = entry.name.replace(/\.[^./]+$/, '');
  return name === stem ? entry.name : name;
}

/** The thumbnail the server serves: the entry's preview, else its generated placeholder. */
export function thumbnailOf(entry: Pick<LibraryEntry, 'id' | 'preview'>): string {
  return entry.preview?.url ?? `/thumbnails/${encodeURIComponent(entry.id)}`;
}

/** "v17 available", "new commit on main", or null when there is nothing newer. */
export function updateBadge(entry: Pick<LibraryEntry, 'update'>): string | null {
  const update = entry.update;
  if (!update || update.status !== 'update_available' || !update.latest) return null;
  return update.latest.name.startsWith('new commit') ? update.latest.name : `${update.latest.name} available`;
}

/** A badge for metadata that is not complete: "Partial", "Minimal", or "Not described". */
export function completenessBadge(entry: Pick<LibraryEntry, 'metadata' | 'status'>): string | null {
  if (entry.status === 'missing') return null;
  if (!entry.metadata) return 'Not described';
  if (entry.metadata.completeness === 'complete') return null;
  return entry.metadata.completeness === 'partial' ? 'Partial metadata' : 'Minimal metadata';
}

/** Archived or taken down on Civitai: shown as such, never as an update. */
export function archivedNote(entry: Pick<LibraryEntry, 'update'>): string | null {
  return entry.update?.status === 'archived' ? 'Archived on its hub' : null;
}

/** Trigger words as they are pasted into a prompt: comma-separated. */
export function allTriggerWords(words: readonly string[]): string {
  return words.join(', ');
}

/** "Partial: 3 · Minimal: 5 · No preview: 4", the Library header's line; null when all is well. */
export function incompleteSummary(summary: { partial: number; minimal: number; noPreview: number } | null | undefined): string | null {
  if (!summary) return null;
  const parts: string[] = [];
  if (summary.partial > 0) parts.push(`${summary.partial} with partial metadata`);
  if (summary.minimal > 0) parts.push(`${summary.minimal} with minimal metadata`);
  if (summary.noPreview > 0) parts.push(`${summary.noPreview} without a preview`);
  return parts.length === 0 ? null : parts.join(' · ');
}
