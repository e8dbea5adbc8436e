/** How library entries read on the page: source labels, format flags, filters → query, cache reasons. */
import type { CacheCleanup, LibraryEntry, LibraryListInput } from '../api/types';

export type LibraryView = 'cards' | 'list';
export type LibrarySortChoice = 'name' | 'size' | 'added';

export interface LibraryFilters {
  search: string;
  folder: string;
  source: '' | 'huggingface' | 'civitai' | 'url' | 'disk';
  format: '' | 'safetensors' | 'gguf' | 'pickle' | 'other';
  sort: LibrarySortChoice;
  showMissing: boolean;
}

export const EMPTY_FILTERS: LibraryFilters = {
  search: '',
  folder: '',
  source: '',
  format: '',
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
