/**
 * Checks what a client sent to `library.list` and fills in the defaults. Every rejection is an
 * INVALID_INPUT that names the field and the values it takes.
 */
import { ModeldockError } from '../errors';
import { LIBRARY_FLAGS, LIBRARY_FORMATS, LIBRARY_SOURCE_KINDS, LIBRARY_STATUSES } from './library-entry';
import type { LibraryEntryStatus, LibraryFlag, LibraryFormat, LibrarySourceKind } from './library-entry';
import { LIBRARY_SORTS } from './library-store';
import type { LibrarySort, LibraryStoreQuery } from './library-store';

export interface LibraryListQuery {
  /** Default: present entries only. */
  status?: LibraryEntryStatus[];
  folder?: string | null;
  source?: LibrarySourceKind | null;
  format?: LibraryFormat | null;
  /** Only entries with an update available, with incomplete metadata, or without a preview image. */
  flag?: LibraryFlag | null;
  search?: string | null;
  sort?: LibrarySort;
  order?: 'asc' | 'desc';
  limit?: number;
  cursor?: string | null;
}

export const DEFAULT_LIBRARY_PAGE = 50;
export const MAX_LIBRARY_PAGE = 500;
const MAX_TEXT = 512;
const MAX_CURSOR = 2048;

function invalid(message: string): ModeldockError {
  return new ModeldockError('INVALID_INPUT', message);
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw invalid(`${field} must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)?.slice(0, 40)})`);
  }
  return value as T;
}

function optionalText(field: string, value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || value.length > MAX_TEXT || value.includes('\0')) {
    throw invalid(`${field} must be text of at most ${MAX_TEXT} characters`);
  }
  return value;
}

export function validateLibraryQuery(query: LibraryListQuery = {}): LibraryStoreQuery {
  if (typeof query !== 'object' || query === null) throw invalid('Send the list query as an object');
  const statuses = query.status ?? ['present'];
  if (!Array.isArray(statuses) || statuses.length === 0) throw invalid('status must list present and/or missing');
  const limit = query.limit ?? DEFAULT_LIBRARY_PAGE;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIBRARY_PAGE) {
    throw invalid(`limit must be a whole number from 1 to ${MAX_LIBRARY_PAGE}`);
  }
  const cursor = query.cursor ?? null;
  if (cursor !== null && (typeof cursor !== 'string' || cursor.length > MAX_CURSOR)) {
    throw invalid('cursor must be the nextCursor of a previous page');
  }
  const folder = optionalText('folder', query.folder);
  return {
    statuses: [...new Set(statuses.map((status) => oneOf('status', status, LIBRARY_STATUSES)))],
    // A trailing slash names the same folder.
    folder: folder === null ? null : folder.replace(/\/+$/, ''),
    source: query.source == null ? null : oneOf('source', query.source, LIBRARY_SOURCE_KINDS),
    format: query.format == null ? null : oneOf('format', query.format, LIBRARY_FORMATS),
    flag: query.flag == null ? null : oneOf('flag', query.flag, LIBRARY_FLAGS),
    search: optionalText('search', query.search)?.trim() || null,
    sort: query.sort === undefined ? 'name' : oneOf('sort', query.sort, LIBRARY_SORTS),
    order: query.order === undefined ? 'asc' : oneOf('order', query.order, ['asc', 'desc'] as const),
    limit,
    cursor,
  };
}
