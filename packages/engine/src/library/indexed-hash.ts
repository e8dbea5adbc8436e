/**
 * The index's SHA-256 of a file is only worth something while the file is unchanged: same size and
 * same modification time as when it was hashed. Otherwise the file must be hashed again.
 */
import type { FileStat, IndexedFile } from '../ports';
import { absoluteDestination } from '../paths/confine-path';
import type { LibraryContext } from './library-context';

export function isUnchangedSince(
  entry: Pick<IndexedFile, 'size' | 'mtimeMs'>,
  stat: Pick<FileStat, 'size' | 'mtimeMs'>,
): boolean {
  return entry.size === stat.size && entry.mtimeMs === stat.mtimeMs;
}

/** The index entry of `relativePath` when it still describes the file on disk (a regular file, unchanged). */
export async function currentIndexEntry(
  ctx: LibraryContext,
  relativePath: string,
): Promise<IndexedFile | null> {
  const entry = await ctx.index.get(relativePath);
  if (!entry) return null;
  const stat = await ctx.fs.lstat(absoluteDestination(ctx.modelsRoot, relativePath));
  return stat?.isFile && isUnchangedSince(entry, stat) ? entry : null;
}
