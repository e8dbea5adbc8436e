/** The shared hashing workers for small files: right digests under a queue, errors as values, restarts, close. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHashWorkerPool } from '../../../packages/engine/src/verify/hash-worker-pool';
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

describe('hash worker pool', () => {
  it('hashes more files than it has workers, each with its own digest', async () => {
    const pool = createHashWorkerPool({ workers: 2 });
    try {
      const files = await Promise.all(
        Array.from({ length: 7 }, async (_, index) => {
          const bytes = deterministicBytes(200_000 + index * 70_001, 300 + index);
          const file = path.join(dir, `file-${index}.bin`);
          await writeFile(file, bytes);
          return { file, bytes };
        }),
      );
      const digests = await Promise.all(
        files.map(({ file, bytes }) => pool.hashFile(file, bytes.length)),
      );
      expect(digests).toEqual(files.map(({ bytes }) => sha256Hex(bytes)));
      // Only the first bytes when asked for fewer.
      expect(await pool.hashFile(files[0]!.file, 1000)).toBe(
        sha256Hex(files[0]!.bytes.subarray(0, 1000)),
      );
      expect(await pool.hashFile(files[0]!.file, 0)).toBe(sha256Hex(Buffer.alloc(0)));
    } finally {
      await pool.close();
    }
  });

  it('turns unreadable and short files into IO_ERROR and keeps working', async () => {
    const pool = createHashWorkerPool({ workers: 1 });
    try {
      const file = path.join(dir, 'short.bin');
      const bytes = deterministicBytes(5000, 7);
      await writeFile(file, bytes);
      await expect(pool.hashFile(path.join(dir, 'missing.bin'), 10)).rejects.toMatchObject({
        code: 'IO_ERROR',
        message: expect.stringContaining('Could not read the downloaded file to verify it'),
      });
      await expect(pool.hashFile(file, 6000)).rejects.toMatchObject({
        code: 'IO_ERROR',
        message: expect.stringContaining('ends at 5000 bytes'),
      });
      expect(await pool.hashFile(file, 5000)).toBe(sha256Hex(bytes));
    } finally {
      await pool.close();
    }
  });

  it('starts again after its idle workers stopped', async () => {
    const pool = createHashWorkerPool({ workers: 1, idleMs: 1 });
    try {
      const file = path.join(dir, 'again.bin');
      const bytes = deterministicBytes(10_000, 8);
      await writeFile(file, bytes);
      expect(await pool.hashFile(file, bytes.length)).toBe(sha256Hex(bytes));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await pool.hashFile(file, bytes.length)).toBe(sha256Hex(bytes));
    } finally {
      await pool.close();
    }
  });

  it('rejects what is queued or asked after close', async () => {
    const pool = createHashWorkerPool({ workers: 1 });
    const file = path.join(dir, 'closing.bin');
    await writeFile(file, deterministicBytes(3_000_000, 9));
    const outcomes = Promise.allSettled([
      pool.hashFile(file, 3_000_000),
      pool.hashFile(file, 3_000_000),
    ]);
    await pool.close();
    for (const outcome of await outcomes) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'INTERNAL' } });
    }
    await expect(pool.hashFile(file, 1)).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});
