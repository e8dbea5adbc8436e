/**
 * The shared hashing workers: right digests under a queue, errors as values, a growing file never
 * waiting behind finished ones, workers reused across files and restarted after going idle, close.
 */
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHashWorkerPool } from '@modeldock/engine/internal/verify/hash-worker-pool';
import {
  startPrefixHasher,
  startWholeFileHasher,
} from '@modeldock/engine/internal/verify/sha256-prefix-hasher';
import { deterministicBytes } from '../../support/fault-origin';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hash-pool-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function fileOf(name: string, bytes: Buffer): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return file;
}

describe('hash worker pool', () => {
  it('hashes more finished files than it has workers, each with its own digest', async () => {
    const pool = createHashWorkerPool({ workers: 2 });
    try {
      const files = await Promise.all(
        Array.from({ length: 7 }, async (_, index) => {
          const bytes = deterministicBytes(200_000 + index * 70_001, 300 + index);
          return { file: await fileOf(`file-${index}.bin`, bytes), bytes };
        }),
      );
      const digests = await Promise.all(
        files.map(({ file, bytes }) => startWholeFileHasher(file, pool).finish(bytes.length)),
      );
      expect(digests).toEqual(files.map(({ bytes }) => sha256Hex(bytes)));
      // Only the first bytes when asked for fewer.
      expect(await startWholeFileHasher(files[0]!.file, pool).finish(1000)).toBe(
        sha256Hex(files[0]!.bytes.subarray(0, 1000)),
      );
    } finally {
      await pool.close();
    }
  });

  it('turns unreadable and short files into IO_ERROR and keeps working', async () => {
    const pool = createHashWorkerPool({ workers: 1 });
    try {
      const bytes = deterministicBytes(5000, 7);
      const file = await fileOf('short.bin', bytes);
      await expect(
        startWholeFileHasher(path.join(dir, 'missing.bin'), pool).finish(10),
      ).rejects.toMatchObject({
        code: 'IO_ERROR',
        message: expect.stringContaining('Could not read the downloaded file to verify it'),
      });
      await expect(startWholeFileHasher(file, pool).finish(6000)).rejects.toMatchObject({
        code: 'IO_ERROR',
        message: expect.stringContaining('ends at 5000 bytes'),
      });
      expect(await startWholeFileHasher(file, pool).finish(5000)).toBe(sha256Hex(bytes));
    } finally {
      await pool.close();
    }
  });

  it('gives a growing file a worker of its own while finished files use the pool', async () => {
    const pool = createHashWorkerPool({ workers: 1 });
    const bytes = deterministicBytes(3_000_000, 11);
    const growing = await fileOf('growing.bin', bytes.subarray(0, 1_000_000));
    const other = deterministicBytes(100_000, 12);
    const finished = await fileOf('finished.bin', other);
    const prefix = startPrefixHasher(growing, pool);
    try {
      prefix.advance(1_000_000);
      // The growing file's worker waits for more bytes; a finished file is not stuck behind it.
      expect(await startWholeFileHasher(finished, pool).finish(other.length)).toBe(
        sha256Hex(other),
      );
      await appendFile(growing, bytes.subarray(1_000_000));
      expect(await prefix.finish(bytes.length)).toBe(sha256Hex(bytes));
      // The same hasher again: the whole file is read once more.
      expect(await prefix.finish(bytes.length)).toBe(sha256Hex(bytes));
    } finally {
      await prefix.close();
      await pool.close();
    }
  });

  it('starts again after its idle workers stopped', async () => {
    const pool = createHashWorkerPool({ workers: 1, idleMs: 1 });
    try {
      const bytes = deterministicBytes(10_000, 8);
      const file = await fileOf('again.bin', bytes);
      expect(await startWholeFileHasher(file, pool).finish(bytes.length)).toBe(sha256Hex(bytes));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await startWholeFileHasher(file, pool).finish(bytes.length)).toBe(sha256Hex(bytes));
    } finally {
      await pool.close();
    }
  });

  it('lets go of a queued file at once when its hasher closes', async () => {
    const pool = createHashWorkerPool({ workers: 1 });
    const big = await fileOf('busy.bin', deterministicBytes(4_000_000, 13));
    const small = await fileOf('queued.bin', deterministicBytes(1000, 14));
    try {
      const busy = startWholeFileHasher(big, pool).finish(4_000_000);
      const queued = startWholeFileHasher(small, pool);
      const outcome = queued.finish(1000).catch((error: unknown) => error);
      await queued.close();
      expect(await outcome).toMatchObject({ code: 'INTERNAL' });
      expect(await busy).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await pool.close();
    }
  });

  it('ends what is queued or running when the pool closes, and refuses new work', async () => {
    const pool = createHashWorkerPool({ workers: 1 });
    const file = await fileOf('closing.bin', deterministicBytes(3_000_000, 9));
    const outcomes = Promise.allSettled([
      startWholeFileHasher(file, pool).finish(3_000_000),
      startWholeFileHasher(file, pool).finish(3_000_000),
    ]);
    await pool.close();
    for (const outcome of await outcomes) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'INTERNAL' } });
    }
    await expect(startWholeFileHasher(file, pool).finish(1)).rejects.toMatchObject({
      code: 'INTERNAL',
    });
  });
});
