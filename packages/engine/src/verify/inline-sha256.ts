/**
 * SHA-256 of a small file computed on the main thread from the bytes as they are staged for
 * writing, instead of a pooled worker reading the finished file back. Measured on two cores with a
 * bundle of 1000 × 1 MiB files: the worker's hand-offs (a message each way, an open, a read and a
 * close per file) cost more CPU than the hashing itself, which is the same on either thread.
 *
 * Only bytes that arrive in file order from byte 0 can be hashed this way: a chunk at any other
 * offset (a resume, a rewrite, several connections) stops it, and `finish` then hashes the file
 * on disk in one pass on a pooled worker, as before.
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { ModeldockError } from '../errors';
import type { HashWorkerPool } from './hash-worker-pool';
import { startWholeFileHasher } from './sha256-prefix-hasher';
import type { PrefixHasher } from './sha256-prefix-hasher';

export interface InlineHasher extends PrefixHasher {
  /** `data` is about to be written at `position`; hashed when it continues the bytes hashed so far. */
  staged(data: Uint8Array, position: number): void;
}

export function startInlineHasher(path: string, pool?: HashWorkerPool): InlineHasher {
  let hash: Hash | null = createHash('sha256');
  let hashedTo = 0;
  let advancedTo = 0;
  let fallback: PrefixHasher | null = null;
  let closed = false;

  return {
    get advancedTo() {
      return advancedTo;
    },
    get hashedBytes() {
      return fallback ? fallback.hashedBytes : hashedTo;
    },
    staged(data: Uint8Array, position: number): void {
      if (hash === null) return;
      if (position !== hashedTo) {
        hash = null;
        return;
      }
      hash.update(data);
      hashedTo += data.length;
    },
    advance(offset: number): void {
      if (offset > advancedTo) advancedTo = offset;
    },
    async finish(size: number, onProgress?: (hashedBytes: number) => void): Promise<string> {
      if (closed) throw new ModeldockError('INTERNAL', 'The hasher is closed');
      advancedTo = Math.max(advancedTo, size);
      if (hash !== null && hashedTo === size) {
        const hex = hash.digest('hex');
        // A digest is final: asked again, the file on disk is read.
        hash = null;
        return hex;
      }
      hash = null;
      await fallback?.close();
      fallback = startWholeFileHasher(path, pool);
      return fallback.finish(size, onProgress);
    },
    async close(): Promise<void> {
      closed = true;
      hash = null;
      await fallback?.close();
    },
  };
}
