/**
 * "Clear cache": what can go without losing a model. Temp files of downloads no job can resume,
 * Hugging Face blobs no snapshot links to, and `<stem>.preview.*` images beside no model of that
 * stem. A model file is never on the list. The dry run and the real run build the same plan; the
 * real run removes each item only if it is still what the plan saw.
 */
import path from 'node:path';
import { toModeldockError } from '../errors';
import { fileIdOfTempName, isTempFileName } from '../paths/temp-path';
import { isModelFileName } from '../verify/format-check';
import { isHfCacheBlobPath } from './library-entry';
import { PREVIEW_ONLY_SUFFIXES, stemOf } from './library-sidecars';
import type { ModelLibraryContext } from './model-library-context';
import { walkModelsRoot } from './models-root-walk';

export type CacheItemReason = 'partial-download' | 'unused-hf-blob' | 'orphaned-preview';

export interface CacheItem {
  relativePath: string;
  bytes: number;
  reason: CacheItemReason;
}

export interface CacheCleanup {
  items: CacheItem[];
  /** Bytes the items free (or freed). */
  bytes: number;
}

interface Seen {
  absolutePath: string;
  item: CacheItem;
  mtimeMs: number;
}

async function plan(ctx: ModelLibraryContext): Promise<Seen[]> {
  const listedAt = ctx.now().getTime();
  const inUse = await ctx.filesInUse();
  const linked = new Set<string>();
  const blobs: Seen[] = [];
  const previews: Array<Seen & { folder: string; stem: string }> = [];
  const modelStems = new Set<string>();
  const found: Seen[] = [];

  for await (const file of walkModelsRoot(ctx.fs, ctx.modelsRoot, { followCacheLinks: true })) {
    const seen = (reason: CacheItemReason): Seen => ({
      absolutePath: file.absolutePath,
      mtimeMs: file.stat.mtimeMs,
      item: { relativePath: file.relativePath, bytes: file.stat.size, reason },
    });
    const folder = path.posix.dirname(file.relativePath);
    if (file.readPath !== file.absolutePath) {
      linked.add(file.readPath);
      modelStems.add(`${folder}/${stemOf(file.name)}`);
      continue;
    }
    if (isModelFileName(file.name)) {
      modelStems.add(`${folder}/${stemOf(file.name)}`);
      continue;
    }
    if (isTempFileName(file.name)) {
      const fileId = fileIdOfTempName(file.name);
      // A newer temp file may belong to a job another process created after the owners were listed.
      if ((!fileId || !inUse.fileIds.has(fileId)) && file.stat.mtimeMs < listedAt) found.push(seen('partial-download'));
      continue;
    }
    if (isHfCacheBlobPath(file.relativePath)) {
      if (!inUse.relativePaths.has(file.relativePath)) blobs.push(seen('unused-hf-blob'));
      continue;
    }
    const suffix = PREVIEW_ONLY_SUFFIXES.find((candidate) => file.name.endsWith(candidate));
    if (suffix && file.name.length > suffix.length) {
      previews.push({ ...seen('orphaned-preview'), folder, stem: file.name.slice(0, -suffix.length) });
    }
  }
  for (const blob of blobs) if (!linked.has(blob.absolutePath)) found.push(blob);
  for (const preview of previews) if (!modelStems.has(`${preview.folder}/${preview.stem}`)) found.push(preview);
  return found.sort((a, b) => (a.item.relativePath < b.item.relativePath ? -1 : 1));
}

export async function clearCache(ctx: ModelLibraryContext, dryRun: boolean): Promise<CacheCleanup> {
  const planned = await plan(ctx);
  if (dryRun) {
    return { items: planned.map((seen) => seen.item), bytes: planned.reduce((sum, seen) => sum + seen.item.bytes, 0) };
  }
  const removed: CacheItem[] = [];
  for (const seen of planned) {
    try {
      const stat = await ctx.fs.lstat(seen.absolutePath);
      // Changed since it was looked at: someone is using it after all.
      if (!stat?.isFile || stat.mtimeMs !== seen.mtimeMs || stat.size !== seen.item.bytes) continue;
      await ctx.fs.unlink(seen.absolutePath);
      removed.push(seen.item);
    } catch (error) {
      ctx.logger.warn({ file: seen.item.relativePath, message: toModeldockError(error).message }, 'could not clear a cache file');
    }
  }
  ctx.logger.info({ files: removed.length }, 'cleared the cache');
  return { items: removed, bytes: removed.reduce((sum, item) => sum + item.bytes, 0) };
}
