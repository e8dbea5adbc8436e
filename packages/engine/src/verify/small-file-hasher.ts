/**
 * The PrefixHasher for small files: a worker of its own costs more to start than hashing a few
 * megabytes, so the finished file is hashed in one pass by the shared pool of hashing workers
 * (hash-worker-pool.ts), keeping the main thread free for the sockets of the other files.
 */
import { ModeldockError } from '../errors';
import { sharedHashWorkerPool } from './hash-worker-pool';
import type { HashWorkerPool } from './hash-worker-pool';
import type { PrefixHasher } from './sha256-prefix-hasher';

/** Files up to this size are hashed in one pass at the end. */
export const SMALL_FILE_BYTES = 16 * 1024 * 1024;

export function startSmallFileHasher(
  path: string,
  pool: HashWorkerPool = sharedHashWorkerPool(),
): PrefixHasher {
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
      const digest = await pool.hashFile(path, size);
      if (closed) throw new ModeldockError('INTERNAL', 'The hasher was closed');
      hashedBytes = size;
      onProgress?.(hashedBytes);
      return digest;
    },
    async close(): Promise<void> {
      closed = true;
    },
  };
}
