/**
 * Writes a sidecar or preview beside a model the way modeldock writes models: a temp file in the
 * same folder, fsync, rename over the final name, fsync the folder. The destination is checked to
 * stay inside the models root, through real paths, so a folder link leading out of it is refused;
 * a failed write leaves the old file as it was and no temp file behind.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { absoluteDestination, assertRealPathInsideRoot } from '../../paths/confine-path';
import type { FileSystem } from '../../ports';

export async function writeFileAtomically(fs: FileSystem, modelsRoot: string, relativePath: string, bytes: Uint8Array): Promise<string> {
  const finalPath = absoluteDestination(modelsRoot, relativePath);
  await assertRealPathInsideRoot(fs, modelsRoot, finalPath);
  const tempPath = path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.${randomBytes(4).toString('hex')}.modeldock-tmp`);
  let renamed = false;
  try {
    const handle = await fs.open(tempPath, 'wx');
    try {
      let offset = 0;
      while (offset < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, offset);
        offset += bytesWritten;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tempPath, finalPath);
    renamed = true;
    await fs.syncDirectory(path.dirname(finalPath));
  } finally {
    if (!renamed) await fs.unlink(tempPath).catch(() => undefined);
  }
  return finalPath;
}

export function jsonBytes(value: unknown, indent: number): Buffer {
  return Buffer.from(`${JSON.stringify(value, null, indent)}\n`, 'utf8');
}
