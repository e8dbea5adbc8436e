/**
 * SHA-256 of a file's contiguous prefix as it grows, computed off the main thread. The worker reads
 * the bytes back from the file (the page cache, they were just written) up to the offset it is
 * told is written, so the main thread only moves bytes from the socket to the disk. After a restart
 * the existing prefix is simply read again. The worker comes from an inline source string so a
 * bundled server (esbuild) needs no extra file.
 */
import { Worker } from 'node:worker_threads';
import { ModeldockError } from '../errors';

const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');

const hash = createHash('sha256');
const buffer = Buffer.allocUnsafe(workerData.chunkBytes);
let fd = null;
let hashed = 0;
let target = 0;
let finishAt = -1;
let scheduled = false;
let lastReported = 0;

function fail(error) {
  parentPort.postMessage({ type: 'error', message: String((error && error.message) || error), code: error && error.code });
  if (fd !== null) closeSync(fd);
  fd = null;
  finishAt = -2;
}

function pump() {
  scheduled = false;
  if (finishAt === -2) return;
  try {
    const limit = finishAt >= 0 ? finishAt : target;
    if (hashed > limit && finishAt >= 0) throw new Error('asked to finish at ' + finishAt + ' after hashing ' + hashed + ' bytes');
    if (hashed < limit) {
      if (fd === null) fd = openSync(workerData.path, 'r');
      const length = Math.min(buffer.length, limit - hashed);
      const read = readSync(fd, buffer, 0, length, hashed);
      if (read === 0) throw new Error('the file ends at ' + hashed + ' bytes, before ' + limit);
      hash.update(read === buffer.length ? buffer : buffer.subarray(0, read));
      hashed += read;
      if (hashed - lastReported >= workerData.reportEveryBytes || hashed === limit) {
        lastReported = hashed;
        parentPort.postMessage({ type: 'progress', hashed });
      }
    }
    if (finishAt >= 0 && hashed === finishAt) {
      if (fd !== null) closeSync(fd);
      fd = null;
      parentPort.postMessage({ type: 'digest', hex: hash.digest('hex'), hashed });
      finishAt = -2;
      return;
    }
    if (hashed < (finishAt >= 0 ? finishAt : target)) schedule();
  } catch (error) {
    fail(error);
  }
}

function schedule() {
  if (scheduled) return;
  scheduled = true;
  setImmediate(pump);
}

parentPort.on('message', (message) => {
  if (message.type === 'advance') {
    if (message.offset > target) target = message.offset;
    schedule();
  } else if (message.type === 'finish') {
    finishAt = message.size;
    schedule();
  }
});
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
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { path, chunkBytes: CHUNK_BYTES, reportEveryBytes: REPORT_EVERY_BYTES },
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
      rejectPending(new ModeldockError('IO_ERROR', `Could not read the downloaded file to verify it: ${message.message}`));
    }
  });
  worker.on('error', (error) => {
    rejectPending(new ModeldockError('INTERNAL', `The hashing worker failed: ${error.message}`, { cause: error }));
  });
  worker.on('exit', () => {
    if (!closed) rejectPending(new ModeldockError('INTERNAL', 'The hashing worker stopped unexpectedly'));
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
      worker.postMessage({ type: 'advance', offset });
    },
    finish(size: number, onProgress?: (hashedBytes: number) => void): Promise<string> {
      if (failure) return Promise.reject(failure);
      if (closed) return Promise.reject(new ModeldockError('INTERNAL', 'The hasher is closed'));
      return new Promise<string>((resolve, reject) => {
        pending = { resolve, reject, onProgress };
        advancedTo = Math.max(advancedTo, size);
        worker.postMessage({ type: 'finish', size });
      });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      rejectPending(new ModeldockError('INTERNAL', 'The hasher was closed'));
      await worker.terminate();
    },
  };
}
