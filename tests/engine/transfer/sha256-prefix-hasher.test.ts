/** SHA-256 of a growing file's prefix, off the main thread. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startPrefixHasher } from '@modeldock/engine/internal/verify/sha256-prefix-hasher';
import { deterministicBytes, sha256Hex } from '../../support/fault-origin';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'modeldock-hasher-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('prefix hasher', () => {
  it('hashes a file as it grows and matches a one-shot hash', async () => {
    const bytes = deterministicBytes(3 * 1024 * 1024 + 123, 91);
    const file = path.join(dir, 'growing.bin');
    await writeFile(file, bytes.subarray(0, 1_000_000));
    const hasher = startPrefixHasher(file);
    try {
      hasher.advance(1_000_000);
      await appendFile(file, bytes.subarray(1_000_000, 2_500_000));
      hasher.advance(2_500_000);
      await appendFile(file, bytes.subarray(2_500_000));
      const progress: number[] = [];
      const digest = await hasher.finish(bytes.length, (hashed) => progress.push(hashed));
      expect(digest).toBe(sha256Hex(bytes));
      expect(hasher.hashedBytes).toBe(bytes.length);
      expect(progress.at(-1)).toBe(bytes.length);
    } finally {
      await hasher.close();
    }
  });

  it('re-hashes an existing prefix after a restart', async () => {
    const bytes = deterministicBytes(500_000, 92);
    const file = path.join(dir, 'existing.bin');
    await writeFile(file, bytes);
    const hasher = startPrefixHasher(file);
    try {
      hasher.advance(200_000);
      expect(await hasher.finish(500_000)).toBe(sha256Hex(bytes));
    } finally {
      await hasher.close();
    }
  });

  it('fails with IO_ERROR when the file is shorter than claimed', async () => {
    const file = path.join(dir, 'short.bin');
    await writeFile(file, Buffer.alloc(10));
    const hasher = startPrefixHasher(file);
    try {
      await expect(hasher.finish(100)).rejects.toMatchObject({
        code: 'IO_ERROR',
        message: expect.stringContaining('ends at 10'),
      });
      await expect(hasher.finish(100)).rejects.toMatchObject({ code: 'IO_ERROR' });
    } finally {
      await hasher.close();
    }
  });

  it('rejects a pending finish when closed', async () => {
    const file = path.join(dir, 'never.bin');
    await writeFile(file, Buffer.alloc(10));
    const hasher = startPrefixHasher(file);
    const pending = expect(hasher.finish(1_000_000_000)).rejects.toMatchObject({
      code: expect.stringMatching(/INTERNAL|IO_ERROR/),
    });
    await hasher.close();
    await pending;
    await expect(hasher.finish(1)).rejects.toBeDefined();
  });
});

describe('small-file hasher', () => {
  it('hashes the finished file in one pass on the shared hashing workers', async () => {
    const { startSmallFileHasher } =
      await import('@modeldock/engine/internal/verify/small-file-hasher');
    const bytes = deterministicBytes(3_000_000, 93);
    const file = path.join(dir, 'small.bin');
    await writeFile(file, bytes);
    const hasher = startSmallFileHasher(file);
    hasher.advance(1000);
    expect(hasher.advancedTo).toBe(1000);
    const progress: number[] = [];
    expect(await hasher.finish(bytes.length, (hashed) => progress.push(hashed))).toBe(
      sha256Hex(bytes),
    );
    expect(progress).toEqual([bytes.length]);
    expect(hasher.hashedBytes).toBe(bytes.length);
    await expect(hasher.finish(bytes.length + 1)).rejects.toMatchObject({ code: 'IO_ERROR' });
    await hasher.close();
    await expect(hasher.finish(1)).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(
      startSmallFileHasher(path.join(dir, 'missing.bin')).finish(1),
    ).rejects.toMatchObject({ code: 'IO_ERROR' });
  });
});
