/**
 * The library's storage port: every entry, present or missing, with what a scan needs to tell an
 * unchanged file from a changed one (size, modification time, inode). Implemented over SQL by
 * packages/db on the same rows as the LocalFileIndex, so a download recorded there is an entry here.
 */
import type {
  LibraryEntryError,
  LibraryEntryStatus,
  LibraryFlag,
  LibraryFormat,
  LibrarySource,
  LibrarySourceKind,
} from './library-entry';

export interface LibraryRow {
  id: string;
  relativePath: string;
  folder: string;
  name: string;
  format: LibraryFormat;
  sizeBytes: number;
  mtimeMs: number | null;
  /** Decimal inode number (may exceed 2^53), or null when unknown. */
  inode: string | null;
  sha256: string | null;
  status: LibraryEntryStatus;
  source: LibrarySource | null;
  jobId: string | null;
  error: LibraryEntryError | null;
  addedAt: Date;
  updatedAt: Date;
}

/** A file as a scan found it; `sha256` null with `error` set when it could not be read. */
export interface ScannedFile {
  relativePath: string;
  sizeBytes: number;
  mtimeMs: number;
  inode: string | null;
  sha256: string | null;
  error: LibraryEntryError | null;
  /** Known when the scan can tell (a Hugging Face cache file); otherwise what was known is kept. */
  source: LibrarySource | null;
  /** The job that wrote it, when the scan can tell (a cache file's blob); otherwise kept. */
  jobId?: string | null;
}

export const LIBRARY_SORTS = ['name', 'size', 'added'] as const;
export type LibrarySort = (typeof LIBRARY_SORTS)[number];

/** A validated `library.list` query (see ./library-query.ts). */
export interface LibraryStoreQuery {
  statuses: LibraryEntryStatus[];
  folder: string | null;
  source: LibrarySourceKind | null;
  format: LibraryFormat | null;
  /** What the metadata domain knows (update available, incomplete, no preview image). */
  flag: LibraryFlag | null;
  /** Matched case-insensitively against the path (file name and folders). */
  search: string | null;
  sort: LibrarySort;
  order: 'asc' | 'desc';
  limit: number;
  /** Opaque, from a previous page of the same query. */
  cursor: string | null;
}

export interface LibraryFolderUsage {
  folder: string;
  bytes: number;
  files: number;
}

export interface LibraryStore {
  list(query: LibraryStoreQuery): Promise<{ items: LibraryRow[]; nextCursor: string | null }>;
  get(id: string): Promise<LibraryRow | null>;
  getMany(ids: string[]): Promise<LibraryRow[]>;
  /** Every entry, present and missing, in path order after `afterPath` (exclusive). */
  page(afterPath: string | null, limit: number): Promise<LibraryRow[]>;
  /** Entries present at these paths or holding this hash, any status. */
  findBySha256(sha256: string): Promise<LibraryRow[]>;
  /**
   * Records files found on disk as present. A path whose hash is unchanged keeps its source, job
   * and addedAt; a new hash drops what was known about the old content.
   */
  upsertScanned(files: ScannedFile[], now: Date): Promise<void>;
  /** The entry's file was renamed or moved: same entry (id, source, addedAt) at its new path. */
  move(id: string, file: ScannedFile, now: Date): Promise<void>;
  markMissing(ids: string[], now: Date): Promise<number>;
  remove(ids: string[]): Promise<number>;
  /** Bytes and files of present entries per folder. */
  usage(): Promise<LibraryFolderUsage[]>;
}
