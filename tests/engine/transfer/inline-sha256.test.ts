/**
 * A small file's SHA-256 taken from the bytes as they are staged, and the pass over the file on
 * disk it falls back to when they do not arrive in order from byte 0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startInlineHasher } from '@modeldock/engine/internal/verify/inline-sha256';
import { createHashWorkerPool } from '@modeldock/engine/internal/verify/hash-worker-pool';
import type { HashTask, HashWorkerPool } from '@modeldock/engine/internal/verify/hash-worker-pool';
import { StagedWriter } from '@modeldock/engine/internal/transfer/staged-writer';
import { PartialFile } from '@modeldock/engine/internal/transfer/partial-file';
import type { FileSystem, WritableFile } from '@modeldock/engine/internal/ports';
import { createNodeFileSystem } from '@modeldock/engine/internal/fs/node-file-system';
import { deterministicBytes, sha256Hex } from '../../support/fault-origin';

let dir: string;
let pool: HashWorkerPool;
/** Tasks handed to the pool: a worker pass over the file on disk. */
let workerPasses: number;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'modeldock-inline-'));
  const real = createHashWorkerPool({ workers: 1 });
  pool = {
    run: (task: HashTask) => {
      workerPasses++;
      return real.run(task);
    },
    close: () => real.close(),
  };
});
afterAll(async () => {
  await pool.close();
  await rm(dir, { recursive: true, force: true });
});

function chunksOf(bytes: Buffer, size: number): Array<{ data: Buffer; position: number }> {
  const chunks = [];
  for (let position = 0; position < bytes.length; position += size)
    chunks.push({ data: bytes.subarray(position, position + size), position });
  return chunks;
}

describe('in-line small-file hasher', () => {
  it('hashes bytes staged in order from byte 0 without reading the file', async () => {
    workerPasses = 0;
    const bytes = deterministicBytes(300_000, 131);
    // Not on disk at all: a read would fail.
    const hasher = startInlineHasher(path.join(dir, 'never-written.bin'), pool);
    for (const { data, position } of chunksOf(bytes, 65_536)) hasher.staged(data, position);
    hasher.advance(bytes.length);
    expect(hasher.advancedTo).toBe(bytes.length);
    expect(hasher.hashedBytes).toBe(bytes.length);
    expect(await hasher.finish(bytes.length)).toBe(sha256Hex(bytes));
    expect(workerPasses).toBe(0);
    await hasher.close();
    await expect(hasher.finish(bytes.length)).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('hashes an empty file', async () => {
    const hasher = startInlineHasher(path.join(dir, 'empty.bin'), pool);
    expect(await hasher.finish(0)).toBe(sha256Hex(Buffer.alloc(0)));
    await hasher.close();
  });

  it('reads the file on disk when a chunk does not continue the hashed bytes (a resume, a rewrite)', async () => {
    workerPasses = 0;
    const bytes = deterministicBytes(200_000, 132);
    const file = path.join(dir, 'resumed.bin');
    await writeFile(file, bytes);
    const hasher = startInlineHasher(file, pool);
    // The first 50 000 bytes were written by an earlier attempt: the stream resumes after them.
    hasher.advance(50_000);
    hasher.staged(bytes.subarray(50_000, 100_000), 50_000);
    hasher.staged(bytes.subarray(100_000), 100_000);
    const progress: number[] = [];
    expect(await hasher.finish(bytes.length, (hashed) => progress.push(hashed))).toBe(sha256Hex(bytes));
    expect(workerPasses).toBe(1);
    expect(progress).toEqual([bytes.length]);
    expect(hasher.hashedBytes).toBe(bytes.length);
    await hasher.close();

    const rewritten = startInlineHasher(file, pool);
    rewritten.staged(bytes.subarray(0, 1000), 0);
    rewritten.staged(bytes.subarray(500, 1500), 500);
    expect(await rewritten.finish(bytes.length)).toBe(sha256Hex(bytes));
    expect(workerPasses).toBe(2);
    await rewritten.close();
  });

  it('reads the file when fewer bytes were staged than it is asked to finish at, and when asked again', async () => {
    workerPasses = 0;
    const bytes = deterministicBytes(90_000, 133);
    const file = path.join(dir, 'short.bin');
    await writeFile(file, bytes);
    const hasher = startInlineHasher(file, pool);
    hasher.staged(bytes.subarray(0, 40_000), 0);
    expect(await hasher.finish(bytes.length)).toBe(sha256Hex(bytes));
    expect(workerPasses).toBe(1);
    await hasher.close();

    const twice = startInlineHasher(file, pool);
    twice.staged(bytes, 0);
    expect(await twice.finish(bytes.length)).toBe(sha256Hex(bytes));
    expect(workerPasses).toBe(1);
    // A digest is final: asked again, the file on disk is hashed.
    expect(await twice.finish(bytes.length)).toBe(sha256Hex(bytes));
    expect(workerPasses).toBe(2);
    await twice.close();
  });
});

describe('staged writer, one write at a time', () => {
  it('starts a slab write only once the previous one is over', async () => {
    const real = createNodeFileSystem();
    let inFlight = 0;
    let most = 0;
    const fs: FileSystem = {
      ...real,
      open: async (filePath, flags) => {
        const file = await real.open(filePath, flags);
        const counted: WritableFile = {
          ...file,
          write: async (...args) => {
            most = Math.max(most, ++inFlight);
            try {
              await new Promise((resolve) => setTimeout(resolve, 5));
              return await file.write(...args);
            } finally {
              inFlight--;
            }
          },
          read: (...args) => file.read(...args),
          sync: () => file.sync(),
          truncate: (length) => file.truncate(length),
          stat: () => file.stat(),
          close: () => file.close(),
        };
        return counted;
      },
    };
    const target = path.join(dir, 'serial.part');
    const partial = await PartialFile.open(fs, target);
    const ends: number[] = [];
    const writer = new StagedWriter(partial, (end) => ends.push(end), 1000);
    const bytes = deterministicBytes(5500, 134);
    for (const { data, position } of chunksOf(bytes, 250)) await writer.append(data, position);
    await writer.drain();
    writer.release();
    await partial.close();
    expect(most).toBe(1);
    expect(ends).toEqual([1000, 2000, 3000, 4000, 5000, 5500]);
    expect((await readFile(target)).equals(bytes)).toBe(true);
  });
});
