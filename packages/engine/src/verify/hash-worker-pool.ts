/**
 * The hashing threads, shared by every transfer in the process. A worker hashes one file at a time:
 * a file still being written (it follows the written prefix, told through shared memory how far it
 * may read) or a finished small file (in one pass). Workers are reused: starting one costs about
 * 12 MiB and tens of milliseconds, more than hashing a few megabytes, and a large download right
 * after a bundle of small ones should not hold two. A growing file gets a worker at once (its hash
 * must keep up with the download); finished files wait for one of the pool's. Idle workers are
 * unref'd (they never keep a process alive) and stop after a while.
 *
 * The worker comes from an inline source string so a bundled server (esbuild) needs no extra file.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ModeldockError } from '../errors';

const WORKER_SOURCE = String.raw`
const { parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');

let buffer = null;

// shared: [0] bytes written so far (may be read), [1] size to finish at (-1 until known), [2] 1 once closed.
function run({ id, path, sharedBuffer, chunkBytes, reportEveryBytes }) {
  const shared = new BigInt64Array(sharedBuffer);
  if (!buffer || buffer.length !== chunkBytes) buffer = Buffer.allocUnsafe(chunkBytes);
  const hash = createHash('sha256');
  let fd = null;
  let hashed = 0;
  let lastReported = 0;
  try {
    for (;;) {
      if (Atomics.load(shared, 2) === 1n) break;
      const finishAt = Number(Atomics.load(shared, 1));
      const advanced = Atomics.load(shared, 0);
      const limit = finishAt >= 0 ? finishAt : Number(advanced);
      if (finishAt >= 0 && hashed > finishAt) throw new Error('asked to finish at ' + finishAt + ' after hashing ' + hashed + ' bytes');
      if (hashed < limit) {
        if (fd === null) fd = openSync(path, 'r');
        const read = readSync(fd, buffer, 0, Math.min(buffer.length, limit - hashed), hashed);
        if (read === 0) throw new Error('the file ends at ' + hashed + ' bytes, before ' + limit);
        hash.update(read === buffer.length ? buffer : buffer.subarray(0, read));
        hashed += read;
        if (hashed - lastReported >= reportEveryBytes || hashed === limit) {
          lastReported = hashed;
          parentPort.postMessage({ id, type: 'progress', hashed });
        }
        continue;
      }
      if (finishAt >= 0) {
        parentPort.postMessage({ id, type: 'digest', hex: hash.digest('hex'), hashed });
        break;
      }
      // Caught up: sleep until the main thread writes more (or finishes), checking for close now and then.
      Atomics.wait(shared, 0, advanced, 200);
    }
  } catch (error) {
    parentPort.postMessage({ id, type: 'error', message: String((error && error.message) || error) });
  } finally {
    if (fd !== null) closeSync(fd);
    parentPort.postMessage({ id, type: 'released' });
  }
}

parentPort.on('message', run);
`;

/** Read size per step: large enough to amortise the syscall, small enough to stay cache friendly. */
const CHUNK_BYTES = 1024 * 1024;
const REPORT_EVERY_BYTES = 16 * 1024 * 1024;
const DEFAULT_IDLE_MS = 10_000;

export type HashWorkerMessage =
  | { type: 'progress'; hashed: number }
  | { type: 'digest'; hex: string; hashed: number }
  | { type: 'error'; message: string }
  /** The worker failed or stopped: the task is over without a digest. */
  | { type: 'lost'; error: ModeldockError }
  /** The task is over and the worker free again (after its digest, error or close). */
  | { type: 'released' };

export interface HashTask {
  path: string;
  /** Three BigInt64 slots: bytes readable, size to finish at (-1 until known), 1 once closed. */
  shared: SharedArrayBuffer;
  /** The file is still being written: the task needs a worker now. */
  streaming: boolean;
  onMessage(message: HashWorkerMessage): void;
}

export interface HashWorkerPool {
  /** Starts (or queues) the task; the returned function takes it out of the queue if still there. */
  run(task: HashTask): () => boolean;
  /** Stops every worker; tasks queued or running end with a 'lost' message. */
  close(): Promise<void>;
}

export interface HashWorkerPoolOptions {
  /** Workers kept when idle (and the most that finished files use at once). */
  workers?: number;
  /** A worker idle this long stops (and is started again when needed). */
  idleMs?: number;
}

interface PoolWorker {
  worker: Worker;
  task: (HashTask & { id: number }) | null;
  idleTimer: ReturnType<typeof setTimeout> | null;
}

export function createHashWorkerPool(options: HashWorkerPoolOptions = {}): HashWorkerPool {
  // One core stays for the main thread and its sockets.
  const keep = options.workers ?? Math.max(1, Math.min(4, availableParallelism() - 1));
  const idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  const workers: PoolWorker[] = [];
  const queue: Array<HashTask & { id: number }> = [];
  let nextId = 1;
  let closed = false;

  const lose = (entry: PoolWorker, error: ModeldockError) => {
    const index = workers.indexOf(entry);
    if (index !== -1) workers.splice(index, 1);
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    const task = entry.task;
    entry.task = null;
    task?.onMessage({ type: 'lost', error });
    dispatch();
  };

  const startWorker = (): PoolWorker => {
    const entry: PoolWorker = {
      worker: new Worker(WORKER_SOURCE, { eval: true }),
      task: null,
      idleTimer: null,
    };
    entry.worker.on('message', (message: HashWorkerMessage & { id: number }) => {
      const task = entry.task;
      if (!task || task.id !== message.id) return;
      if (message.type === 'released') {
        entry.task = null;
        task.onMessage({ type: 'released' });
        dispatch();
        return;
      }
      task.onMessage(message);
    });
    entry.worker.on('error', (error) => {
      lose(
        entry,
        new ModeldockError('INTERNAL', `The hashing worker failed: ${error.message}`, {
          cause: error,
        }),
      );
    });
    entry.worker.on('exit', () => {
      lose(entry, new ModeldockError('INTERNAL', 'The hashing worker stopped unexpectedly'));
    });
    workers.push(entry);
    return entry;
  };

  const give = (entry: PoolWorker, task: HashTask & { id: number }) => {
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    entry.idleTimer = null;
    entry.task = task;
    entry.worker.ref();
    entry.worker.postMessage({
      id: task.id,
      path: task.path,
      sharedBuffer: task.shared,
      chunkBytes: CHUNK_BYTES,
      reportEveryBytes: REPORT_EVERY_BYTES,
    });
  };

  const retire = (entry: PoolWorker) => {
    const index = workers.indexOf(entry);
    if (index !== -1) workers.splice(index, 1);
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    void entry.worker.terminate();
  };

  function dispatch(): void {
    if (closed) return;
    while (queue.length > 0) {
      // Finished files use at most `keep` workers; workers following growing files do not count.
      const hashingWholeFiles = workers.filter((candidate) => candidate.task?.streaming === false).length;
      const entry =
        workers.find((candidate) => candidate.task === null) ??
        (hashingWholeFiles < keep ? startWorker() : null);
      if (!entry) break;
      give(entry, queue.shift()!);
    }
    let idle = 0;
    for (const entry of [...workers]) {
      if (entry.task !== null) continue;
      // Beyond the pool's size (workers a burst of growing files started), idle workers go at once.
      if (++idle > keep) {
        retire(entry);
        continue;
      }
      if (entry.idleTimer !== null) continue;
      entry.worker.unref();
      entry.idleTimer = setTimeout(() => {
        if (entry.task === null) retire(entry);
      }, idleMs);
      entry.idleTimer.unref();
    }
  }

  return {
    run(task: HashTask): () => boolean {
      const notQueued = () => false;
      if (closed) {
        task.onMessage({
          type: 'lost',
          error: new ModeldockError('INTERNAL', 'The hashing pool is closed'),
        });
        return notQueued;
      }
      const numbered = { ...task, id: nextId++ };
      if (task.streaming) {
        give(workers.find((candidate) => candidate.task === null) ?? startWorker(), numbered);
        dispatch();
        return notQueued;
      }
      queue.push(numbered);
      dispatch();
      return () => {
        const index = queue.indexOf(numbered);
        if (index === -1) return false;
        queue.splice(index, 1);
        return true;
      };
    },
    async close(): Promise<void> {
      closed = true;
      const error = new ModeldockError('INTERNAL', 'The hashing pool was closed');
      for (const task of queue.splice(0)) task.onMessage({ type: 'lost', error });
      const stopping = workers.splice(0);
      for (const entry of stopping) {
        if (entry.idleTimer) clearTimeout(entry.idleTimer);
        const task = entry.task;
        entry.task = null;
        task?.onMessage({ type: 'lost', error });
      }
      await Promise.all(stopping.map((entry) => entry.worker.terminate()));
    },
  };
}

let shared: HashWorkerPool | null = null;

/** The process-wide pool every transfer hashes with. */
export function sharedHashWorkerPool(): HashWorkerPool {
  shared ??= createHashWorkerPool();
  return shared;
}
