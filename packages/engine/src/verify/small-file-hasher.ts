/**
 * Small files are not followed by a worker while they download (it would be held for a file that
 * takes milliseconds): they are hashed in line from the staged bytes (inline-sha256.ts) or, when
 * that cannot be, in one pass once finished by a pooled worker (see hash-worker-pool.ts).
 */
export { startWholeFileHasher as startSmallFileHasher } from './sha256-prefix-hasher';

/** Files up to this size are hashed without a worker following the download. */
export const SMALL_FILE_BYTES = 16 * 1024 * 1024;
