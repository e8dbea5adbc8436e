/**
 * SHA-256 of a file's contiguous prefix as it grows, computed off the main thread. A pooled hashing
 * worker (hash-worker-pool.ts) reads the bytes back from the file (the page cache, they were just
 * written) up to the offset it is told is written, so the main thread only moves bytes from the
 * socket to the disk. Measured on two cores against hashing each chunk in line on the main thread:
 * no slower for one connection, and the main thread stays free for the other connections and the
 * API. After a restart the existing prefix is simply read again.
 */
import { ModeldockError } from '../errors';
import { sharedHashWorkerPool } from './hash-worker-pool';
import type { HashWorkerMessage, HashWorkerPool } from './hash-worker-pool';

export interface PrefixHasher {
  /** Bytes [0, offset) are written and may be read. Offsets only grow. */
  advance(offset: number): void;
  /** Offset last passed to `advance` or `finish`. */
  readonly advancedTo: number;
  /** Bytes hashed so far (as last reported by the worker). */
  readonly hashedBytes: number;
  /** Hashes the first `size` bytes and returns the lowercase hex digest. */
  finish(size: number, onProgress?: (hashedBytes: number) => void): Promise<string>;
  /** Stops hashing and frees the worker; pending `finish` calls reject. */
  close(): Promise<void>;
}

interface HasherOptions {
  pool?: HashWorkerPool;
  /** The file is complete already: hash it in one pass when `finish` is called. */
  wholeFile?: boolean;
}

function readError(message: string): ModeldockError {
  return new ModeldockError(
    'IO_ERROR',
    `Could not read the downloaded file to verify it: ${message}`,
  );
}

function createHasher(path: string, options: HasherOptions): PrefixHasher {
  const pool = options.pool ?? sharedHashWorkerPool();
  // Offsets travel through shared memory: a message per advance costs more than the hashing it announces.
  const newShared = () => {
    const slots = new BigInt64Array(new SharedArrayBuffer(3 * BigInt64Array.BYTES_PER_ELEMENT));
    slots[1] = -1n;
    return slots;
  };
  let shared = newShared();
  let advancedTo = 0;
  let hashedBytes = 0;
  let failure: ModeldockError | null = null;
  let closed = false;
  let started = false;
  let released = true;
  let digested = false;
  let releaseWaiters: Array<() => void> = [];
  const whenReleased = (): Promise<void> =>
    released ? Promise.resolve() : new Promise<void>((resolve) => releaseWaiters.push(resolve));
  const noteReleased = (): void => {
    released = true;
    const waiters = releaseWaiters;
    releaseWaiters = [];
    for (const wake of waiters) wake();
  };
  let pending: {
    resolve: (hex: string) => void;
    reject: (error: unknown) => void;
    onProgress: ((hashedBytes: number) => void) | undefined;
  } | null = null;

  const rejectPending = (error: ModeldockError): void => {
    failure ??= error;
    pending?.reject(error);
    pending = null;
  };

  const onMessage = (message: HashWorkerMessage): void => {
    if (message.type === 'progress') {
      hashedBytes = message.hashed;
      pending?.onProgress?.(hashedBytes);
    } else if (message.type === 'digest') {
      hashedBytes = message.hashed;
      digested = true;
      pending?.resolve(message.hex);
      pending = null;
    } else if (message.type === 'error') {
      rejectPending(readError(message.message));
    } else if (message.type === 'lost') {
      rejectPending(message.error);
      noteReleased();
    } else {
      noteReleased();
      // Let go without a digest and without being closed: nothing else will answer a finish.
      if (!closed && !digested)
        rejectPending(new ModeldockError('INTERNAL', 'The hashing worker stopped unexpectedly'));
    }
  };

  let unqueue: () => boolean = () => false;
  const start = (): void => {
    if (started) return;
    started = true;
    released = false;
    unqueue = pool.run({
      path,
      shared: shared.buffer as SharedArrayBuffer,
      streaming: !options.wholeFile,
      onMessage,
    });
  };

  // A growing file is followed from the start; a whole file waits for `finish`.
  if (!options.wholeFile) start();

  return {
    get advancedTo() {
      return advancedTo;
    },
    get hashedBytes() {
      return hashedBytes;
    },
    advance(offset: number): void {
      if (offset <= advancedTo || closed) return;
      advancedTo = offset;
      Atomics.store(shared, 0, BigInt(offset));
      Atomics.notify(shared, 0);
    },
    async finish(size: number, onProgress?: (hashedBytes: number) => void): Promise<string> {
      if (digested) {
        // Asked again after a digest: the file is finished; hash it again from byte 0.
        await whenReleased();
        shared = newShared();
        started = false;
        digested = false;
        hashedBytes = 0;
      }
      if (closed) throw new ModeldockError('INTERNAL', 'The hasher is closed');
      if (failure) throw failure;
      return new Promise<string>((resolve, reject) => {
        pending = { resolve, reject, onProgress };
        advancedTo = Math.max(advancedTo, size);
        Atomics.store(shared, 1, BigInt(size));
        Atomics.notify(shared, 0);
        start();
      });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      rejectPending(new ModeldockError('INTERNAL', 'The hasher was closed'));
      Atomics.store(shared, 2, 1n);
      Atomics.notify(shared, 0);
      // Still waiting for a worker: nothing to stop. Else wait for it to let go of the file (it
      // checks between reads).
      if (unqueue()) noteReleased();
      await whenReleased();
    },
  };
}

/** Follows the file's written prefix from now on, on a worker of its own. */
export function startPrefixHasher(path: string, pool?: HashWorkerPool): PrefixHasher {
  return createHasher(path, { pool, wholeFile: false });
}

/** Hashes a finished file in one pass when `finish` is called, on one of the pool's workers. */
export function startWholeFileHasher(path: string, pool?: HashWorkerPool): PrefixHasher {
  return createHasher(path, { pool, wholeFile: true });
}
