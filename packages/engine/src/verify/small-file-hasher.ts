/**
 * The PrefixHasher for small files: a worker costs more to start than hashing a few megabytes, so
 * the file is simply read back and hashed on the main thread when it is finished.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { ModeldockError } from '../errors';
import type { PrefixHasher } from './sha256-prefix-hasher';

/** Files up to this size are hashed in one pass at the end. */
export const SMALL_FILE_BYTES = 16 * 1024 * 1024;
const READ_BYTES = 1024 * 1024;

export function startSmallFileHasher(path: string): PrefixHasher {
  let advancedTo = 0;
  let hashedBytes = 0;
  let closed = false;
  return {
    get advancedTo() {
      return advancedTo;
    },
    get hashedBytes() {
      return hashedBytes;
    },
    advance(offset: number): void {
      if (offset > advancedTo) advancedTo = offset;
    },
    async finish(size: number, onProgress?: (hashedBytes: number) => void): Promise<string> {
      if (closed) throw new ModeldockError('INTERNAL', 'The hasher is closed');
      advancedTo = Math.max(advancedTo, size);
      const hash = createHash('sha256');
      const buffer = Buffer.allocUnsafe(Math.min(READ_BYTES, Math.max(1, size)));
      const handle = await open(path, 'r').catch((error: Error) => {
        throw new ModeldockError(
          'IO_ERROR',
          `Could not read the downloaded file to verify it: ${error.message}`,
          { cause: error },
        );
      });
      try {
        hashedBytes = 0;
        while (hashedBytes < size) {
          const { bytesRead } = await handle.read(
            buffer,
            0,
            Math.min(buffer.length, size - hashedBytes),
            hashedBytes,
          );
          if (bytesRead === 0) {
            throw new ModeldockError(
              'IO_ERROR',
              `Could not read the downloaded file to verify it: the file ends at ${hashedBytes} bytes, before ${size}`,
            );
          }
          hash.update(buffer.subarray(0, bytesRead));
          hashedBytes += bytesRead;
          if (closed) throw new ModeldockError('INTERNAL', 'The hasher was closed');
        }
      } finally {
        await handle.close();
      }
      onProgress?.(hashedBytes);
      return hash.digest('hex');
    },
    async close(): Promise<void> {
      closed = true;
    },
  };
}
