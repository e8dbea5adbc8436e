/**
 * Keeps the index in step with what modeldock itself writes and removes: a completed, reused or
 * verified-present file is recorded with its hash (no second read), a removed one forgotten. The
 * index is a help, not the truth: failing to update it is logged and never fails a download.
 */
import { absoluteDestination } from '../paths/confine-path';
import { describeError } from '../errors';
import type { IndexedFile } from '../ports';
import type { LibraryContext } from './library-context';
import { librarySourceOf } from './library-source';

export interface CompletedLocalFile {
  relativePath: string;
  sha256: string;
  /** The kind of job that wrote it, or null when it was found on disk. */
  sourceKind: string | null;
  /** Where the bytes came from, when a download wrote or checked them: the library's source. */
  origin?: { url: string; revision: string | null; jobId: string | null };
}

/** The index entry for a file as it is on disk now, or null when it is not a regular file there. */
export async function localIndexEntry(
  ctx: LibraryContext,
  file: CompletedLocalFile,
): Promise<Omit<IndexedFile, 'indexedAt'> | null> {
  const stat = await ctx.fs.lstat(absoluteDestination(ctx.modelsRoot, file.relativePath));
  if (!stat?.isFile) return null;
  return {
    relativePath: file.relativePath,
    size: stat.size,
    mtimeMs: stat.mtimeMs,
    sha256: file.sha256,
    sourceKind: file.sourceKind,
    inode: stat.ino === undefined ? null : String(stat.ino),
    source: file.origin ? librarySourceOf(file.origin.url, file.origin.revision) : null,
    jobId: file.origin?.jobId ?? null,
  };
}

export async function recordLocalFile(
  ctx: LibraryContext,
  file: CompletedLocalFile,
): Promise<void> {
  try {
    const entry = await localIndexEntry(ctx, file);
    if (entry) await ctx.index.record(entry, ctx.now());
  } catch (error) {
    ctx.logger.warn(
      { file: file.relativePath, message: describeError(error) },
      'could not record a file in the local file index',
    );
  }
}

export async function forgetLocalFiles(
  ctx: LibraryContext,
  relativePaths: string[],
): Promise<void> {
  if (relativePaths.length === 0) return;
  try {
    await ctx.index.forget(relativePaths);
  } catch (error) {
    ctx.logger.warn(
      { files: relativePaths, message: describeError(error) },
      'could not remove files from the local file index',
    );
  }
}
