/**
 * Temp files (`.<name>.<fileId>.modeldock-part`) left by a crash, a cleared job or a cancelled run
 * whose cleanup was interrupted. One is removed when no job that may still resume it owns its file
 * id. Files newer than the moment the owners were listed are left alone: another process may have
 * just created them for a job that did not exist yet. Half-made Hugging Face cache links and refs
 * (`*.modeldock-link`, `*.modeldock-ref`) belong to no job: any older than that moment go too.
 */
import path from 'node:path';
import { fileIdOfTempName, isTempFileName } from '../paths/temp-path';
import { isHfCacheTempName } from '../sources/huggingface/hf-cache-layout';
import { walkModelsRoot } from '../library/models-root-walk';
import { describeError } from '../errors';
import type { ManagerContext } from './manager-context';

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
  const files = walkModelsRoot(ctx.fs, ctx.modelsRoot, {
    yieldLinksNamed: isHfCacheTempName,
    onUnreadableFolder: (folder, error) =>
      ctx.logger.warn({ folder: path.relative(ctx.modelsRoot, folder), message: describeError(error) }, 'could not list a folder'),
  });
  for await (const file of files) {
    const cacheTemp = isHfCacheTempName(file.name);
    if (!cacheTemp && !isTempFileName(file.name)) continue;
    const fileId = cacheTemp ? null : fileIdOfTempName(file.name);
    if (fileId && owned.has(fileId)) continue;
    if (file.stat.mtimeMs >= listedAt) continue;
    try {
      await ctx.fs.unlink(file.absolutePath);
      removed++;
      ctx.logger.info({ file: file.relativePath }, 'removed an orphan temp file');
    } catch (error) {
      ctx.logger.warn({ file: file.relativePath, message: describeError(error) }, 'could not remove an orphan temp file');
    }
  }
  return removed;
}
