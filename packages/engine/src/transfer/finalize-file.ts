/**
 * The only way a file reaches its final path: fsync the temp file, rename it beside itself, fsync
 * the directory (one fsync shared by the files renamed there together). A file the engine did not
 * write is never replaced silently.
 */
import path from 'node:path';
import { ModeldockError, toModeldockError } from '../errors';
import type { FileSystem } from '../ports';
import { syncDirectoryShared } from './directory-sync';
import type { PartialFile } from './partial-file';

export function destinationExistsError(relativePath: string): ModeldockError {
  return new ModeldockError(
    'DESTINATION_EXISTS',
    `"${relativePath}" already exists and was not written by this download. Move or delete it, or choose another ` +
      'folder or file name, then retry; modeldock never overwrites a file it did not write.',
  );
}

export async function finalizeFile(
  fs: FileSystem,
  partial: PartialFile,
  finalPath: string,
  relativePath: string,
): Promise<void> {
  try {
    await partial.sync();
  } finally {
    await partial.close().catch(() => undefined);
  }
  // A race with another writer is possible in theory; the window is the rename itself.
  if (await fs.lstat(finalPath)) throw destinationExistsError(relativePath);
  try {
    await fs.rename(partial.path, finalPath);
    await syncDirectoryShared(fs, path.dirname(finalPath));
  } catch (error) {
    throw toModeldockError(error, 'IO_ERROR');
  }
}
