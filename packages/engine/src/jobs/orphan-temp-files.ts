/**
 * Temp files (`.<name>.<fileId>.modeldock-part`) left by a crash, a cleared job or a cancelled run
 * whose cleanup was interrupted. One is removed when no job that may still resume it owns its file
 * id. Files newer than the moment the owners were listed are left alone: another process may have
 * just created them for a job that did not exist yet.
 */
import path from 'node:path';
import type { FileStat } from '../ports';
import { fileIdOfTempName, isTempFileName } from '../paths/temp-path';
import { describeError } from './job-log';
import type { ManagerContext } from './manager-context';

/** Deep enough for any sane model folder layout; a symlink loop cannot make the walk endless. */
const MAX_DEPTH = 16;
/** Statuses whose partial files may still be resumed (a failed job resumes on retry). */
const RESUMABLE_PAGE_SIZE = 200;

async function fileIdsThatMayResume(ctx: ManagerContext): Promise<Set<string>> {
  const owned = new Set<string>();
  for (const job of await ctx.store.listActiveJobs()) {
    for (const file of job.files) owned.add(file.id);
  }
  let cursor: string | null = null;
  do {
    const page = await ctx.store.listJobs({ statuses: ['failed'], limit: RESUMABLE_PAGE_SIZE, cursor });
    for (const job of page.items) for (const file of job.files) owned.add(file.id);
    cursor = page.nextCursor;
  } while (cursor);
  return owned;
}

export async function removeOrphanTempFiles(ctx: ManagerContext): Promise<number> {
  const listedAt = ctx.clock.now();
  const owned = await fileIdsThatMayResume(ctx);
  let removed = 0;

  const visit = async (directory: string, depth: number): Promise<void> => {
    let names: string[];
    try {
      names = await ctx.fs.readdir(directory);
    } catch (error) {
      ctx.logger.warn({ folder: path.relative(ctx.modelsRoot, directory), message: describeError(error) }, 'could not list a folder');
      return;
    }
    for (const name of names) {
      const fullPath = path.join(directory, name);
      let stat: FileStat | null;
      try {
        stat = await ctx.fs.lstat(fullPath);
      } catch {
        continue;
      }
      if (!stat || stat.isSymbolicLink) continue;
      if (stat.isDirectory) {
        if (depth < MAX_DEPTH) await visit(fullPath, depth + 1);
        continue;
      }
      if (!stat.isFile || !isTempFileName(name)) continue;
      const fileId = fileIdOfTempName(name);
      if (fileId && owned.has(fileId)) continue;
      if (stat.mtimeMs >= listedAt) continue;
      try {
        await ctx.fs.unlink(fullPath);
        removed++;
        ctx.logger.info({ file: path.relative(ctx.modelsRoot, fullPath) }, 'removed an orphan temp file');
      } catch (error) {
        ctx.logger.warn({ file: path.relative(ctx.modelsRoot, fullPath), message: describeError(error) }, 'could not remove an orphan temp file');
      }
    }
  };

  await visit(ctx.modelsRoot, 0);
  return removed;
}
