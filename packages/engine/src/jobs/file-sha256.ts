/** SHA-256 of a file already on disk, read through the FileSystem port in large sequential chunks. */
import { createHash } from 'node:crypto';
import type { FileSystem } from '../ports';

const CHUNK_BYTES = 4 * 1024 * 1024;

export async function sha256OfFile(fs: FileSystem, absolutePath: string, signal?: AbortSignal): Promise<string> {
  const handle = await fs.open(absolutePath, 'r');
  try {
    const hash = createHash('sha256');
    const buffer = new Uint8Array(CHUNK_BYTES);
    let position = 0;
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}
