/**
 * A bundle's completed small files entered into the local file index a batch at a time: one
 * `recordMany` write for many files. Like a single record, a failure is logged and never fails a
 * download: the index is a help, not the truth.
 */
import type { IndexedFile } from '../ports';
import type { LibraryContext } from '../library/library-context';
import { localIndexEntry } from '../library/record-local-file';
import type { CompletedLocalFile } from '../library/record-local-file';
import { describeError } from '../errors';

/** Files looked at (lstat) at once. */
const STATS_AT_ONCE = 16;

export async function recordLocalFiles(
  ctx: LibraryContext,
  files: readonly CompletedLocalFile[],
): Promise<void> {
  try {
    const entries: Omit<IndexedFile, 'indexedAt'>[] = [];
    for (let start = 0; start < files.length; start += STATS_AT_ONCE) {
      const found = await Promise.all(
        files.slice(start, start + STATS_AT_ONCE).map((file) => localIndexEntry(ctx, file)),
      );
      for (const entry of found) if (entry) entries.push(entry);
    }
    if (entries.length > 0) await ctx.index.recordMany(entries, ctx.now());
  } catch (error) {
    ctx.logger.warn(
      { files: files.length, message: describeError(error) },
      'could not record files in the local file index',
    );
  }
}
