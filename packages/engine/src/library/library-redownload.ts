/**
 * "Download again" for a missing entry: the same source (the same Hugging Face commit, Civitai
 * version or URL) to the same place, with the hash it had, so the bytes that come back are the same.
 */
import path from 'node:path';
import { ModeldockError } from '../errors';
import type { EnqueueRequest } from '../download-request';
import { parseHfCachePath } from './library-entry';
import type { LibraryRow } from './library-store';
import type { ModelLibraryContext } from './model-library-context';

export function redownloadRequest(row: LibraryRow): EnqueueRequest {
  if (row.status !== 'missing') {
    throw new ModeldockError('INVALID_STATE', `"${row.relativePath}" is on disk: nothing to download again`);
  }
  const source = row.source;
  const url = source && source.kind !== 'disk' ? source.url : null;
  if (!url) {
    throw new ModeldockError(
      'INVALID_STATE',
      `"${row.relativePath}" was found on disk, so modeldock does not know where to download it from`,
    );
  }
  const sha256 = row.sha256 ?? undefined;
  const cache = parseHfCachePath(row.relativePath);
  if (cache) return { url, layout: 'hf-cache', folder: cache.cacheFolder, sha256 };
  const folder = path.posix.dirname(row.relativePath);
  return { url, folder: folder === '.' ? '' : folder, filename: path.posix.basename(row.relativePath), sha256 };
}

export async function redownload(ctx: ModelLibraryContext, row: LibraryRow): Promise<{ jobId: string }> {
  const result = await ctx.enqueue(redownloadRequest(row));
  ctx.logger.info({ file: row.relativePath, jobId: result.jobId }, 'downloading a missing model again');
  return { jobId: result.jobId };
}
