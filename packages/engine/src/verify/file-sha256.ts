/** SHA-256 of a file already on disk, read through the FileSystem port in large sequential chunks. */
import { createHash } from 'node:crypto';
import type { FileSystem } from '../ports';

const CHUNK_BYTES = 4 * 1024 * 1024;

export interface HashOptions {
  signal?: AbortSignal;
  /** Awaited before each chunk is read: lets a background reader yield or slow down. */
  beforeRead?: (bytes: number) => Promise<void>;
  chunkBytes?: number;
}

export async function sha256OfFile(
  fs: FileSystem,
  absolutePath: string,
  options: HashOptions = {},
): Promise<string> {
  const { signal, beforeRead, chunkBytes = CHUNK_BYTES } = options;
  const handle = await fs.open(absolutePath, 'r');
  try {
    const hash = createHash('sha256');
    const buffer = new Uint8Array(chunkBytes);
    let position = 0;
    for (;;) {
      signal?.throwIfAborted();
      if (beforeRead) await beforeRead(buffer.length);
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
