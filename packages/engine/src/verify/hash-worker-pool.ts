/**
 * SHA-256 of whole files on a few long-lived worker threads, for the many small files of a bundle:
 * starting a worker per file costs more than hashing a few megabytes, and hashing on the main thread
 * takes time from the sockets it serves. Workers read the file themselves (synchronous reads, off
 * the main thread and off libuv's file-system pool, which fsyncs keep busy), start on first use,
 * are unref'd while idle (an idle pool never keeps a process alive) and stop after a while idle.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ModeldockError } from '../errors';

const WORKER_SOURCE = String.raw`
const { parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const buffer = Buffer.allocUnsafe(1024 * 1024);
parentPort.on('message', ({ id, path, size }) => {
  let fd = null;
  try {
    fd = openSync(path, 'r');
    const hash = createHash('sha256');
    let hashed = 0;
    while (hashed < size) {
      const read = readSync(fd, buffer, 0, Math.min(buffer.length, size - hashed), hashed);
      if (read === 0) throw new Error('the file ends at ' + hashed + ' bytes, before ' + size);
      hash.update(read === buffer.length ? buffer : buffer.subarray(0, read));
      hashed += read;
    }
    parentPort.postMessage({ id, hex: hash.digest('hex') });
  } catch (error) {
    parentPort.postMessage({ id, message: String((error && error.message) || error) });
  } finally {
    if (fd !== null) closeSync(fd);
  }
});
`;

interface Task {
  id: number;
  path: string;
  size: number;
  resolve: (hex: string) => void;
  reject: (error: unknown) => void;
}

type Reply = { id: number; hex: string } | { id: number; message: string };

interface PoolWorker {
  worker: Worker;
  task: Task | null;
  idleTimer: ReturnType<typeof setTimeout> | null;
}

export interface HashWorkerPool {
  /** SHA-256 (lowercase hex) of the first `size` bytes of the file at `path`. */
  hashFile(path: string, size: number): Promise<string>;
  /** Stops every worker; queued and running hashes reject. */
  close(): Promise<void>;
}

export interface HashWorkerPoolOptions {
  workers?: number;
  /** A worker idle this long stops (and is started again when needed). */
  idleMs?: number;
}

const DEFAULT_IDLE_MS = 10_000;

function readError(message: string): ModeldockError {
  return new ModeldockError(
    'IO_ERROR',
    `Could not read the downloaded file to verify it: ${message}`,
  );
}

export function createHashWorkerPool(options: HashWorkerPoolOptions = {}): HashWorkerPool {
  // One core stays for the main thread and its sockets.
  const size = options.workers ?? Math.max(1, Math.min(4, availableParallelism() - 1));
  const idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  const workers: PoolWorker[] = [];
  const queue: Task[] = [];
  let nextId = 1;
  let closed = false;

  const retire = (entry: PoolWorker, error: unknown) => {
    const index = workers.indexOf(entry);
    if (index !== -1) workers.splice(index, 1);
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    entry.task?.reject(error);
    entry.task = null;
    dispatch();
  };

  const startWorker = (): PoolWorker => {
    const entry: PoolWorker = {
      worker: new Worker(WORKER_SOURCE, { eval: true }),
      task: null,
      idleTimer: null,
    };
    entry.worker.on('message', (reply: Reply) => {
      const task = entry.task;
      if (!task || task.id !== reply.id) return;
      entry.task = null;
      if ('hex' in reply) task.resolve(reply.hex);
      else task.reject(readError(reply.message));
      dispatch();
    });
    entry.worker.on('error', (error) => {
      retire(
        entry,
        new ModeldockError('INTERNAL', `The hashing worker failed: ${error.message}`, {
          cause: error,
        }),
      );
    });
    entry.worker.on('exit', () => {
      retire(entry, new ModeldockError('INTERNAL', 'The hashing worker stopped unexpectedly'));
    });
    workers.push(entry);
    return entry;
  };

  const park = (entry: PoolWorker) => {
    entry.worker.unref();
    entry.idleTimer = setTimeout(() => {
      if (entry.task) return;
      const index = workers.indexOf(entry);
      if (index !== -1) workers.splice(index, 1);
      void entry.worker.terminate();
    }, idleMs);
    entry.idleTimer.unref();
  };

  function dispatch(): void {
    while (queue.length > 0 && !closed) {
      const entry =
        workers.find((candidate) => candidate.task === null) ??
        (workers.length < size ? startWorker() : null);
      if (!entry) return;
      const task = queue.shift()!;
      if (entry.idleTimer) clearTimeout(entry.idleTimer);
      entry.idleTimer = null;
      entry.task = task;
      entry.worker.ref();
      entry.worker.postMessage({ id: task.id, path: task.path, size: task.size });
    }
    for (const entry of workers) if (entry.task === null && entry.idleTimer === null) park(entry);
  }

  return {
    hashFile(path: string, bytes: number): Promise<string> {
      if (closed)
        return Promise.reject(new ModeldockError('INTERNAL', 'The hashing pool is closed'));
      return new Promise<string>((resolve, reject) => {
        queue.push({ id: nextId++, path, size: bytes, resolve, reject });
        dispatch();
      });
    },
    async close(): Promise<void> {
      closed = true;
      const error = new ModeldockError('INTERNAL', 'The hashing pool was closed');
      for (const task of queue.splice(0)) task.reject(error);
      const stopping = workers.splice(0);
      for (const entry of stopping) {
        if (entry.idleTimer) clearTimeout(entry.idleTimer);
        entry.task?.reject(error);
        entry.task = null;
      }
      await Promise.all(stopping.map((entry) => entry.worker.terminate()));
    },
  };
}

let shared: HashWorkerPool | null = null;

/** The process-wide pool the byte layer hashes small files with. */
export function sharedHashWorkerPool(): HashWorkerPool {
  shared ??= createHashWorkerPool();
  return shared;
}
