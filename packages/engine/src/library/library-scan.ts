/**
 * One scan of the models root into the library:
 * - a file whose size, modification time and inode match its entry is unchanged and never read;
 * - a new path whose file is a known entry renamed or moved (same inode, size and time, or after
 *   hashing the same SHA-256 as an entry gone from its old path) keeps that entry: not listed twice;
 * - other new or changed files are hashed and recorded one by one, so an interrupted scan loses at
 *   most the files in progress and the next one carries on;
 * - entries whose file is gone stay, as missing; a file that cannot be read is listed with its error.
 * Hidden files and folders (temp files, locks) and symbolic links are skipped, except Hugging Face
 * cache snapshot links, listed one entry per snapshot file.
 */
import path from 'node:path';
import { isModelFileName } from '../verify/format-check';
import { toModeldockError } from '../errors';
import { absoluteDestination } from '../paths/confine-path';
import { sha256OfFile } from '../verify/file-sha256';
import type { FileStat, FileSystem, Logger } from '../ports';
import { parseHfCachePath } from './library-entry';
import type { LibrarySource } from './library-entry';
import type { LibraryRow, LibraryStore, ScannedFile } from './library-store';
import { walkModelsRoot } from './models-root-walk';
import type { WalkedFile } from './models-root-walk';

const PAGE = 1000;
/** Hashed files are recorded in batches of this many (or sooner, at the end of a scan). */
const RECORD_BATCH = 64;

export interface LibraryScanContext {
  fs: FileSystem;
  store: LibraryStore;
  logger: Logger;
  /** Absolute, real path of the models root. */
  modelsRoot: string;
  now(): Date;
}

export interface ScanProgress {
  done: number;
  total: number;
  current: string | null;
}

export interface ScanItemError {
  target: string;
  code: string;
  message: string;
}

export interface LibraryScanOptions {
  signal?: AbortSignal;
  /** Awaited before each chunk a hash reads: how a background scan yields to downloads. */
  beforeRead?: (bytes: number) => Promise<void>;
  onProgress?: (progress: ScanProgress) => void;
  onItemError?: (error: ScanItemError) => void;
  /** Files hashed at once (default 2). */
  concurrency?: number;
}

export interface LibraryScanReport {
  /** Files hashed and recorded. */
  hashed: number;
  /** Files whose entry still holds. */
  unchanged: number;
  /** Entries whose file was found at a new path. */
  moved: number;
  /** Entries newly marked missing. */
  missing: number;
  /** Files that could not be read (listed with their error). */
  failed: number;
}

interface Candidate {
  walked: WalkedFile;
  row: LibraryRow | undefined;
}

export function sameFileVersion(row: Pick<LibraryRow, 'sizeBytes' | 'mtimeMs' | 'inode'>, stat: FileStat): boolean {
  if (row.sizeBytes !== stat.size || row.mtimeMs !== stat.mtimeMs) return false;
  return row.inode === null || stat.ino === undefined || row.inode === String(stat.ino);
}

function inodeOf(stat: FileStat): string | null {
  return stat.ino === undefined ? null : String(stat.ino);
}

/** A snapshot file of a Hugging Face cache names its own source. */
function sourceFromPath(relativePath: string): LibrarySource | null {
  const cache = parseHfCachePath(relativePath);
  if (!cache) return null;
  return { kind: 'huggingface', repo: cache.repo, revision: cache.commit, path: cache.path, url: null };
}

async function loadEntries(store: LibraryStore): Promise<Map<string, LibraryRow>> {
  const rows = new Map<string, LibraryRow>();
  let after: string | null = null;
  for (;;) {
    const page = await store.page(after, PAGE);
    for (const row of page) rows.set(row.relativePath, row);
    if (page.length < PAGE) return rows;
    after = page[page.length - 1]!.relativePath;
  }
}

export async function scanLibrary(
  ctx: LibraryScanContext,
  options: LibraryScanOptions = {},
): Promise<LibraryScanReport> {
  const report: LibraryScanReport = { hashed: 0, unchanged: 0, moved: 0, missing: 0, failed: 0 };
  const { signal } = options;
  const entries = await loadEntries(ctx.store);
  const visited = new Set<string>();
  const unreadableFolders: string[] = [];
  const candidates: Candidate[] = [];

  const walk = walkModelsRoot(ctx.fs, ctx.modelsRoot, {
    skipHidden: true,
    followCacheLinks: true,
    signal,
    onUnreadableFolder: (folder, error) => {
      const relative = path.relative(ctx.modelsRoot, folder).split(path.sep).join('/');
      unreadableFolders.push(relative === '' ? '' : `${relative}/`);
      const failure = toModeldockError(error, 'IO_ERROR');
      options.onItemError?.({ target: relative || '.', code: failure.code, message: failure.message });
    },
  });
  for await (const walked of walk) {
    if (!isModelFileName(walked.name)) continue;
    visited.add(walked.relativePath);
    const row = entries.get(walked.relativePath);
    if (row && row.status === 'present' && row.sha256 && !row.error && sameFileVersion(row, walked.stat)) {
      report.unchanged++;
    } else {
      candidates.push({ walked, row });
    }
  }

  // Entries not seen by the walk: a file under a name the walk skips (a download saved without a
  // model extension, a cache blob) is still there; the rest were renamed, moved or are gone.
  const gone = new Map<string, LibraryRow>();
  for (const row of entries.values()) {
    if (visited.has(row.relativePath)) continue;
    if (unreadableFolders.some((folder) => row.relativePath.startsWith(folder))) continue;
    signal?.throwIfAborted();
    const still = await statEntry(ctx, row.relativePath);
    if (still) {
      if (row.status === 'present' && row.sha256 && !row.error && sameFileVersion(row, still.stat)) report.unchanged++;
      else candidates.push({ walked: still, row });
    } else {
      gone.set(row.id, row);
    }
  }
  const goneByInode = new Map<string, LibraryRow>();
  const goneBySha = new Map<string, LibraryRow>();
  for (const row of gone.values()) {
    if (row.inode && row.status === 'present') goneByInode.set(row.inode, row);
    if (row.sha256 && !goneBySha.has(row.sha256)) goneBySha.set(row.sha256, row);
  }

  const pending: ScannedFile[] = [];
  const flush = async () => {
    if (pending.length > 0) await ctx.store.upsertScanned(pending.splice(0), ctx.now());
  };

  const moveTo = async (row: LibraryRow, file: ScannedFile) => {
    gone.delete(row.id);
    if (row.inode) goneByInode.delete(row.inode);
    if (row.sha256 && goneBySha.get(row.sha256) === row) goneBySha.delete(row.sha256);
    await ctx.store.move(row.id, file, ctx.now());
    report.moved++;
  };

  const toHash: Candidate[] = [];
  for (const candidate of candidates) {
    const { walked, row } = candidate;
    const byInode = row ? undefined : goneByInode.get(inodeOf(walked.stat) ?? '');
    const blob = blobRowOf(ctx, entries, walked);
    if (byInode && sameFileVersion(byInode, walked.stat) && byInode.sha256) {
      await moveTo(byInode, scannedFile(walked, byInode.sha256, null));
    } else if (blob?.sha256 && !blob.error && sameFileVersion(blob, walked.stat)) {
      // A cache snapshot file whose blob modeldock downloaded (or hashed): its hash and source are known.
      pending.push(withBlobOrigin(scannedFile(walked, blob.sha256, null), blob));
    } else {
      toHash.push(candidate);
    }
  }

  let done = 0;
  const total = toHash.length;
  options.onProgress?.({ done, total, current: null });
  let next = 0;
  const worker = async () => {
    while (next < toHash.length) {
      signal?.throwIfAborted();
      const { walked, row } = toHash[next++]!;
      options.onProgress?.({ done, total, current: walked.relativePath });
      const hashed = await hashWalkedFile(ctx.fs, walked, options);
      const blob = blobRowOf(ctx, entries, walked);
      const file = hashed && blob ? withBlobOrigin(hashed, blob) : hashed;
      if (file === null) {
        // Written to while it was read: the hash describes no version of it; the next scan tries again.
      } else if (file.error) {
        report.failed++;
        options.onItemError?.({ target: walked.relativePath, ...file.error });
        pending.push(file);
      } else {
        report.hashed++;
        const renamed = row ? undefined : goneBySha.get(file.sha256!);
        if (renamed) await moveTo(renamed, file);
        else pending.push(file);
      }
      done++;
      if (pending.length >= RECORD_BATCH) await flush();
      options.onProgress?.({ done, total, current: walked.relativePath });
    }
  };
  const workers = Array.from({ length: Math.max(1, options.concurrency ?? 2) }, worker);
  const settled = await Promise.allSettled(workers);
  await flush();
  const failure = settled.find((outcome) => outcome.status === 'rejected');
  if (failure) throw (failure as PromiseRejectedResult).reason;

  const nowMissing = [...gone.values()].filter((row) => row.status === 'present').map((row) => row.id);
  if (nowMissing.length > 0) report.missing = await ctx.store.markMissing(nowMissing, ctx.now());
  return report;
}

/** The entry of the blob a cache snapshot link points to, when the index has one. */
function blobRowOf(ctx: LibraryScanContext, entries: Map<string, LibraryRow>, walked: WalkedFile): LibraryRow | undefined {
  if (walked.readPath === walked.absolutePath) return undefined;
  return entries.get(path.relative(ctx.modelsRoot, walked.readPath).split(path.sep).join('/'));
}

function withBlobOrigin(file: ScannedFile, blob: LibraryRow): ScannedFile {
  const url = blob.source?.kind === 'huggingface' ? blob.source.url : null;
  if (file.source?.kind !== 'huggingface' || !url) return file;
  return { ...file, source: { ...file.source, url }, jobId: blob.jobId };
}

/** A known entry's file, still a regular file at its path though the walk skipped its name. */
async function statEntry(ctx: LibraryScanContext, relativePath: string): Promise<WalkedFile | null> {
  let absolutePath: string;
  try {
    absolutePath = absoluteDestination(ctx.modelsRoot, relativePath);
  } catch {
    return null;
  }
  const stat = await ctx.fs.lstat(absolutePath).catch(() => null);
  if (!stat?.isFile) return null;
  return { absolutePath, relativePath, name: path.basename(absolutePath), stat, readPath: absolutePath };
}

function scannedFile(walked: WalkedFile, sha256: string | null, error: ScannedFile['error']): ScannedFile {
  return {
    relativePath: walked.relativePath,
    sizeBytes: walked.stat.size,
    mtimeMs: walked.stat.mtimeMs,
    inode: inodeOf(walked.stat),
    sha256,
    error,
    source: sourceFromPath(walked.relativePath),
  };
}

async function hashWalkedFile(
  fs: FileSystem,
  walked: WalkedFile,
  options: LibraryScanOptions,
): Promise<ScannedFile | null> {
  try {
    const sha256 = await sha256OfFile(fs, walked.readPath, {
      signal: options.signal,
      beforeRead: options.beforeRead,
    });
    const after = await fs.lstat(walked.readPath);
    if (!after?.isFile || !sameFileVersion({ sizeBytes: walked.stat.size, mtimeMs: walked.stat.mtimeMs, inode: inodeOf(walked.stat) }, after)) {
      return null;
    }
    return scannedFile(walked, sha256, null);
  } catch (error) {
    options.signal?.throwIfAborted();
    const failure = toModeldockError(error, 'IO_ERROR');
    return scannedFile(walked, null, { code: failure.code, message: failure.message });
  }
}
