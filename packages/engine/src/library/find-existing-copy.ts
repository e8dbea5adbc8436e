/**
 * "Do I already have this file somewhere?": the first indexed file with the expected SHA-256 that is
 * still on disk unchanged since it was hashed (and of the expected size, when known). Its destination
 * itself does not count: a file already at the destination is "present", not a copy to reuse.
 */
import type { IndexedFile } from '../ports';
import { absoluteDestination } from '../paths/confine-path';
import { describeError } from '../errors';
import { isUnchangedSince } from './indexed-hash';
import type { LibraryContext } from './library-context';

export interface WantedFile {
  relativePath: string;
  expectedSha256: string | null;
  bytesTotal: number | null;
}

export async function findExistingCopy(
  ctx: LibraryContext,
  wanted: WantedFile,
): Promise<IndexedFile | null> {
  if (!wanted.expectedSha256) return null;
  let candidates: IndexedFile[];
  try {
    candidates = await ctx.index.findBySha256(wanted.expectedSha256);
  } catch (error) {
    ctx.logger.warn(
      { file: wanted.relativePath, message: describeError(error) },
      'could not look for a copy in the local file index',
    );
    return null;
  }
  for (const candidate of candidates) {
    if (candidate.relativePath === wanted.relativePath) continue;
    if (wanted.bytesTotal !== null && candidate.size !== wanted.bytesTotal) continue;
    let absolutePath: string;
    try {
      absolutePath = absoluteDestination(ctx.modelsRoot, candidate.relativePath);
    } catch {
      continue;
    }
    const stat = await ctx.fs.lstat(absolutePath).catch(() => null);
    if (stat?.isFile && isUnchangedSince(candidate, stat)) return candidate;
  }
  return null;
}
