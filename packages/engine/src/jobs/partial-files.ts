/**
 * Removing what a job left on disk: partial temp files when it is cancelled or cleared, and the
 * files it completed when a bundle rolls back. A file already present before the job (status
 * 'present') is never touched.
 */
import path from 'node:path';
import type { FileRecord } from '../job-model';
import type { FileSystem, Logger } from '../ports';
import { absoluteDestination } from '../paths/confine-path';
import { tempPathFor } from '../paths/temp-path';
import { describeError } from '../errors';
import type { ManagerContext } from './manager-context';

function isMissing(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ENOENT';
}

async function removeIfPresent(fs: FileSystem, absolutePath: string, logger: Logger): Promise<boolean> {
  try {
    await fs.unlink(absolutePath);
    return true;
  } catch (error) {
    if (!isMissing(error)) {
      logger.warn({ file: path.basename(absolutePath), message: describeError(error) }, 'could not remove a file');
    }
    return false;
  }
}

/** Deletes the temp file of every file that is not complete. Returns how many were removed. */
export async function removePartialFiles(
  fs: FileSystem,
  modelsRoot: string,
  files: readonly FileRecord[],
  logger: Logger,
): Promise<number> {
  let removed = 0;
  for (const file of files) {
    if (file.status === 'completed' || file.status === 'present') continue;
    const finalPath = absoluteDestination(modelsRoot, file.relativePath);
    if (await removeIfPresent(fs, tempPathFor(finalPath, file.id), logger)) removed++;
  }
  return removed;
}

/** Deletes a file this job completed (rollback of a bundle). */
export async function removeCompletedFile(
  fs: FileSystem,
  modelsRoot: string,
  file: FileRecord,
  logger: Logger,
): Promise<void> {
  if (file.status !== 'completed') return;
  const finalPath = absoluteDestination(modelsRoot, file.relativePath);
  if (await removeIfPresent(fs, finalPath, logger)) {
    await fs.syncDirectory(path.dirname(finalPath)).catch(() => undefined);
  }
}

/**
 * A cancelled job keeps nothing half-done: temp files are removed and the unfinished file records
 * start again from 0, so a later retry cannot resume from bytes that no longer exist.
 */
export async function discardUnfinishedFiles(
  ctx: Pick<ManagerContext, 'fs' | 'store' | 'logger' | 'modelsRoot' | 'now'>,
  files: readonly FileRecord[],
): Promise<FileRecord[]> {
  await removePartialFiles(ctx.fs, ctx.modelsRoot, files, ctx.logger);
  const result: FileRecord[] = [];
  for (const file of files) {
    if (file.status === 'completed' || file.status === 'present') {
      result.push(file);
      continue;
    }
    const reset = { status: 'cancelled' as const, bytesDone: 0, segments: null, validator: null };
    await ctx.store.updateFile(file.id, reset, ctx.now());
    result.push({ ...file, ...reset });
  }
  return result;
}
