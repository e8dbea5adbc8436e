/**
 * SHA-256 of a file's contiguous prefix as it grows, computed off the main thread. The worker reads
 * the bytes back from the file (the page cache, they were just written) up to the offset it is
 * told is written, so the main thread only moves bytes from the socket to the disk. Measured on
 * two cores against hashing each chunk in line on the main thread: no slower for one connection,
 * and the main thread stays free for the other connections and the API. After a restart
 * the existing prefix is simply read again. The worker comes from an inline source string so a
 * bundled server (esbuild) needs no extra file.
 */
import { Worker } from 'node:worker_threads';
import { ModeldockError } from '../errors';

const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');

// [0] bytes written so far (may be read), [1] size to finish at (-1 until known), [2] 1 once closed.
const shared = new BigInt64Array(workerData.shared);
const hash = createHash('sha256');
const buffer = Buffer.allocUnsafe(workerData.chunkBytes);
let fd = null;
let hashed = 0;
let lastReported = 0;

function closeFile() {
  if (fd !== null) closeSync(fd);
  fd = null;
}

try {
  for (;;) {
    if (Atomics.load(shared, 2) === 1n) break;
    const finishAt = Number(Atomics.load(shared, 1));
    const advanced = Atomics.load(shared, 0);
    const limit = finishAt >= 0 ? finishAt : Number(advanced);
    if (finishAt >= 0 && hashed > finishAt) throw new Error('asked to finish at ' + finishAt + ' after hashing ' + hashed + ' bytes');
    if (hashed < limit) {
      if (fd === null) fd = openSync(workerData.path, 'r');
      const read = readSync(fd, buffer, 0, Math.min(buffer.length, limit - hashed), hashed);
      if (read === 0) throw new Error('the file ends at ' + hashed + ' bytes, before ' + limit);
      hash.update(read === buffer.length ? buffer : buffer.subarray(0, read));
      hashed += read;
      if (hashed - lastReported >= workerData.reportEveryBytes || hashed === limit) {
        lastReported = hashed;
        parentPort.postMessage({ type: 'progress', hashed });
      }
      continue;
    }
    if (finishAt >= 0) {
      closeFile();
      parentPort.postMessage({ type: 'digest', hex: hash.digest('hex'), hashed });
      break;
    }
    // Caught up: sleep until the main thread writes more (or finishes), checking for close now and then.
    Atomics.wait(shared, 0, advanced, 200);
  }
} catch (error) {
  parentPort.postMessage({ type: 'error', message: String((error && error.message) || error), code: error && error.code });
} finally {
  closeFile();
}
`;

/** Read size per step: large enough to amortise the syscall, small enough to stay cache friendly. */
const CHUNK_BYTES = 1024 * 1024;
const REPORT_EVERY_BYTES = 16 * 1024 * 1024;

type WorkerMessage =
  | { type: 'progress'; hashed: number }
  | { type: 'digest'; hex: string; hashed: number }
  | { type: 'error'; message: string; code?: string };

export interface PrefixHasher {
  /** Bytes [0, offset) are written and may be read. Offsets only grow. */
  advance(offset: number): void;
  /** Offset last passed to `advance` or `finish`. */
  readonly advancedTo: number;
  /** Bytes hashed so far (as last reported by the worker). */
  readonly hashedBytes: number;
  /** Hashes the first `size` bytes and returns the lowercase hex digest. */
  finish(size: number, onProgress?: (hashedBytes: number) => void): Promise<string>;
  /** Stops the worker; pending `finish` calls reject. */
  close(): Promise<void>;
}

export function startPrefixHasher(path: string): PrefixHasher {
  // Offsets travel through shared memory: a message per advance costs more than the hashing it announces.
  const shared = new BigInt64Array(new SharedArrayBuffer(3 * BigInt64Array.BYTES_PER_ELEMENT));
  shared[1] = -1n;
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      path,
      chunkBytes: CHUNK_BYTES,
      reportEveryBytes: REPORT_EVERY_BYTES,
      shared: shared.buffer,
    },
  });
  let advancedTo = 0;
  let hashedBytes = 0;
  let failure: ModeldockError | null = null;
  let closed = false;
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

  worker.on('message', (message: WorkerMessage) => {
    if (message.type === 'progress') {
      hashedBytes = message.hashed;
      pending?.onProgress?.(hashedBytes);
    } else if (message.type === 'digest') {
      hashedBytes = message.hashed;
      pending?.resolve(message.hex);
      pending = null;
    } else {
      rejectPending(
        new ModeldockError(
          'IO_ERROR',
          `Could not read the downloaded file to verify it: ${message.message}`,
        ),
      );
    }
  });
  worker.on('error', (error) => {
    rejectPending(
      new ModeldockError('INTERNAL', `The hashing worker failed: ${error.message}`, {
        cause: error,
      }),
    );
  });
  worker.on('exit', () => {
    if (!closed)
      rejectPending(new ModeldockError('INTERNAL', 'The hashing worker stopped unexpectedly'));
  });

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
    finish(size: number, onProgress?: (hashedBytes: number) => void): Promise<string> {
      if (failure) return Promise.reject(failure);
      if (closed) return Promise.reject(new ModeldockError('INTERNAL', 'The hasher is closed'));
      return new Promise<string>((resolve, reject) => {
        pending = { resolve, reject, onProgress };
        advancedTo = Math.max(advancedTo, size);
        Atomics.store(shared, 1, BigInt(size));
        Atomics.notify(shared, 0);
      });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      rejectPending(new ModeldockError('INTERNAL', 'The hasher was closed'));
      Atomics.store(shared, 2, 1n);
      Atomics.notify(shared, 0);
      await worker.terminate();
    },
  };
}
