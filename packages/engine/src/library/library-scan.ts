/**
 * One pass of the local file index over the models root:
 * - every model file (by extension) that the index does not know, or whose size or modification time
 *   changed since it was hashed, is hashed and recorded; one file at a time, each recorded as soon as
 *   it is hashed, so an interrupted pass loses at most the file in progress and the next one resumes;
 * - indexed files no longer on disk are forgotten; indexed files the walk did not visit (a download
 *   recorded under a name without a model extension) are kept current the same way.
 * Hidden files and folders (temp files, caches, locks) and symbolic links are not indexed.
 */
import path from 'node:path';
import type { FileStat, IndexedFile } from '../ports';
import { absoluteDestination } from '../paths/confine-path';
import { isModelFileName } from '../verify/format-check';
import { describeError } from '../errors';
import { sha256OfFile } from '../jobs/file-sha256';
import { isUnchangedSince } from './indexed-hash';
import type { LibraryContext } from './library-context';
import { walkModelsRoot } from './models-root-walk';

const INDEX_PAGE_SIZE = 200;

export interface LibraryScanOptions {
  signal?: AbortSignal;
  /** Awaited before each chunk a hash reads: how the background indexer yields and slows down. */
  beforeRead?: (bytes: number) => Promise<void>;
}

export interface LibraryScanReport {
  /** Files hashed and recorded in this pass. */
  hashed: number;
  /** Files whose recorded hash still holds. */
  unchanged: number;
  /** Indexed files gone from disk, forgotten. */
  forgotten: number;
  /** Files that could not be read (logged). */
  failed: number;
}

type FileOutcome = 'hashed' | 'unchanged' | 'failed';

async function indexOneFile(
  ctx: LibraryContext,
  options: LibraryScanOptions,
  relativePath: string,
  absolutePath: string,
  stat: FileStat,
  known: IndexedFile | null,
): Promise<FileOutcome> {
  if (known && isUnchangedSince(known, stat)) return 'unchanged';
  try {
    const sha256 = await sha256OfFile(ctx.fs, absolutePath, {
      signal: options.signal,
      beforeRead: options.beforeRead,
    });
    const after = await ctx.fs.lstat(absolutePath);
    // Written to while it was read: the hash describes no version of it; the next pass tries again.
    if (!after?.isFile || !isUnchangedSince(stat, after)) return 'failed';
    const sourceKind = known?.sha256 === sha256 ? known.sourceKind : null;
    await ctx.index.record(
      { relativePath, size: stat.size, mtimeMs: stat.mtimeMs, sha256, sourceKind },
      ctx.now(),
    );
    return 'hashed';
  } catch (error) {
    options.signal?.throwIfAborted();
    ctx.logger.warn(
      { file: relativePath, message: describeError(error) },
      'could not index a file',
    );
    return 'failed';
  }
}

export async function scanLibrary(
  ctx: LibraryContext,
  options: LibraryScanOptions = {},
): Promise<LibraryScanReport> {
  const report: LibraryScanReport = { hashed: 0, unchanged: 0, forgotten: 0, failed: 0 };
  const visited = new Set<string>();
  const count = (outcome: FileOutcome) => void report[outcome]++;

  const files = walkModelsRoot(ctx.fs, ctx.modelsRoot, {
    skipHidden: true,
    signal: options.signal,
    onUnreadableFolder: (folder, error) =>
      ctx.logger.warn(
        { folder: path.relative(ctx.modelsRoot, folder), message: describeError(error) },
        'could not list a folder',
      ),
  });
  for await (const file of files) {
    if (!isModelFileName(file.name)) continue;
    visited.add(file.relativePath);
    const known = await ctx.index.get(file.relativePath);
    count(await indexOneFile(ctx, options, file.relativePath, file.absolutePath, file.stat, known));
  }

  let after: string | null = null;
  for (;;) {
    const page = await ctx.index.list(after, INDEX_PAGE_SIZE);
    if (page.length === 0) break;
    after = page[page.length - 1]!.relativePath;
    const gone: string[] = [];
    for (const entry of page) {
      if (visited.has(entry.relativePath)) continue;
      options.signal?.throwIfAborted();
      let absolutePath: string;
      try {
        absolutePath = absoluteDestination(ctx.modelsRoot, entry.relativePath);
      } catch {
        gone.push(entry.relativePath);
        continue;
      }
      let stat: FileStat | null;
      try {
        stat = await ctx.fs.lstat(absolutePath);
      } catch (error) {
        ctx.logger.warn(
          { file: entry.relativePath, message: describeError(error) },
          'could not check an indexed file',
        );
        report.failed++;
        continue;
      }
      if (!stat?.isFile) gone.push(entry.relativePath);
      else count(await indexOneFile(ctx, options, entry.relativePath, absolutePath, stat, entry));
    }
    if (gone.length > 0) report.forgotten += await ctx.index.forget(gone);
    if (page.length < INDEX_PAGE_SIZE) break;
  }
  return report;
}
