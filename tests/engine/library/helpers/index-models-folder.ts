/**
 * Puts every model file under the models root into a LocalFileIndex, hashed, as the library's scan
 * does for its own store: for tests of the download side (reuse, previews) that need files "already
 * known" without standing up the library.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isModelFileName, recordLocalFile, walkModelsRoot } from '@modeldock/engine';
import type { LibraryContext } from '@modeldock/engine';

export async function indexModelsFolder(ctx: LibraryContext): Promise<number> {
  let recorded = 0;
  for await (const file of walkModelsRoot(ctx.fs, ctx.modelsRoot, { skipHidden: true })) {
    if (!isModelFileName(file.name)) continue;
    const sha256 = createHash('sha256').update(await readFile(file.absolutePath)).digest('hex');
    const known = await ctx.index.get(file.relativePath);
    if (known?.sha256 === sha256 && known.size === file.stat.size && known.mtimeMs === file.stat.mtimeMs) continue;
    await recordLocalFile(ctx, { relativePath: file.relativePath, sha256, sourceKind: null });
    recorded++;
  }
  return recorded;
}
