/**
 * Rolling back a failed or cancelled download of several files by hand: the files that job completed
 * are deleted, and only those. A file the job found already present was not written by it and is
 * never touched; a completed file that changed since (another size or SHA-256: someone replaced it)
 * is left in place and reported.
 */
import path from 'node:path';
import type { FileRecord, JobRecord } from '../job-model';
import { absoluteDestination } from '../paths/confine-path';
import { currentIndexEntry } from '../library/indexed-hash';
import { forgetLocalFiles } from '../library/record-local-file';
import { sha256OfFile } from '../verify/file-sha256';
import { describeError } from '../errors';
import { libraryContextOf } from './manager-context';
import type { ManagerContext } from './manager-context';

export interface RollbackOutcome {
  /** Files deleted (or already gone). */
  removed: FileRecord[];
  /** Files left in place, each with why. */
  kept: Array<{ file: FileRecord; reason: string }>;
}

/** Why the file at `file`'s destination is not the one the job wrote, or null when it is. */
async function whyNotOurs(
  ctx: ManagerContext,
  file: FileRecord,
  absolutePath: string,
  size: number,
): Promise<string | null> {
  if (file.bytesTotal !== null && size !== file.bytesTotal)
    return 'its size changed since this download wrote it';
  if (!file.sha256) return null;
  const library = libraryContextOf(ctx);
  const indexed = library
    ? await currentIndexEntry(library, file.relativePath).catch(() => null)
    : null;
  const actual = indexed ? indexed.sha256 : await sha256OfFile(ctx.fs, absolutePath);
  return actual === file.sha256 ? null : 'its content changed since this download wrote it';
}

export async function removeFilesTheJobCompleted(
  ctx: ManagerContext,
  job: JobRecord,
): Promise<RollbackOutcome> {
  const outcome: RollbackOutcome = { removed: [], kept: [] };
  for (const file of job.files) {
    if (file.status !== 'completed') continue;
    const absolutePath = absoluteDestination(ctx.modelsRoot, file.relativePath);
    try {
      const stat = await ctx.fs.lstat(absolutePath);
      if (!stat) {
        outcome.removed.push(file);
        continue;
      }
      const reason = stat.isFile
        ? await whyNotOurs(ctx, file, absolutePath, stat.size)
        : 'it is no longer a file';
      if (reason) {
        outcome.kept.push({ file, reason });
        continue;
      }
      await ctx.fs.unlink(absolutePath);
      await ctx.fs.syncDirectory(path.dirname(absolutePath)).catch(() => undefined);
      outcome.removed.push(file);
    } catch (error) {
      outcome.kept.push({ file, reason: `it could not be removed (${describeError(error)})` });
    }
  }
  const library = libraryContextOf(ctx);
  if (library)
    await forgetLocalFiles(
      library,
      outcome.removed.map((file) => file.relativePath),
    );
  return outcome;
}

/** What the job says about its rollback, shown with it. */
export function describeRollback(outcome: RollbackOutcome): string[] {
  const lines: string[] = [];
  if (outcome.removed.length > 0) {
    lines.push(
      `Rolled back: removed ${outcome.removed.map((file) => file.relativePath).join(', ')}`,
    );
  }
  for (const { file, reason } of outcome.kept)
    lines.push(`Rollback left ${file.relativePath} in place: ${reason}`);
  return lines;
}
