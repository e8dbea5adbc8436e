/**
 * Small files are hashed in one pass once finished (by a pooled worker, see hash-worker-pool.ts):
 * following them while they download would hold a worker for a file that takes milliseconds.
 */
export { startWholeFileHasher as startSmallFileHasher } from './sha256-prefix-hasher';

/** Files up to this size are hashed in one pass at the end. */
export const SMALL_FILE_BYTES = 16 * 1024 * 1024;
