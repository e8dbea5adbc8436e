/** Coalesced positional writes: order of reports, gaps, and failures. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StagedWriter } from '@modeldock/engine/internal/transfer/staged-writer';
import { PartialFile } from '@modeldock/engine/internal/transfer/partial-file';
import { createNodeFileSystem } from '@modeldock/engine/internal/fs/node-file-system';
import { faultFileSystem } from '../../support/fault-file-system';
import { deterministicBytes } from '../../support/fault-origin';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'modeldock-staged-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('staged writer', () => {
  it('writes chunks at their offsets in few large writes and reports ends in order', async () => {
    const file = await PartialFile.open(createNodeFileSystem(), path.join(dir, 'a.part'));
    const ends: number[] = [];
    const writer = new StagedWriter(file, (end) => ends.push(end), 1000);
    const bytes = deterministicBytes(5500, 121);
    for (let offset = 0; offset < bytes.length; offset += 300)
      await writer.append(bytes.subarray(offset, offset + 300), offset);
    await writer.drain();
    await file.close();
    expect((await readFile(path.join(dir, 'a.part'))).equals(bytes)).toBe(true);
    expect(ends).toEqual([1000, 2000, 3000, 4000, 5000, 5500]);
  });

  it('starts a new write when the next chunk is not contiguous', async () => {
    const file = await PartialFile.open(createNodeFileSystem(), path.join(dir, 'b.part'));
    const ends: number[] = [];
    const writer = new StagedWriter(file, (end) => ends.push(end), 1000);
    await writer.append(Buffer.from('abc'), 0);
    await writer.append(Buffer.from('xyz'), 10);
    await writer.drain();
    await file.close();
    const written = await readFile(path.join(dir, 'b.part'));
    expect(written.subarray(0, 3).toString()).toBe('abc');
    expect(written.subarray(10, 13).toString()).toBe('xyz');
    expect(ends).toEqual([3, 13]);
  });

  it('raises a failed write on the next append or drain, and reports nothing after it', async () => {
    const disk = faultFileSystem(createNodeFileSystem(), { failAfterBytes: 1500 });
    const file = await PartialFile.open(disk, path.join(dir, 'c.part'));
    const ends: number[] = [];
    const writer = new StagedWriter(file, (end) => ends.push(end), 1000);
    const bytes = deterministicBytes(4000, 122);
    const failure = (async () => {
      for (let offset = 0; offset < bytes.length; offset += 500)
        await writer.append(bytes.subarray(offset, offset + 500), offset);
      await writer.drain();
    })();
    await expect(failure).rejects.toMatchObject({ code: 'DISK_FULL' });
    await writer.settle();
    await file.close();
    expect(ends).toEqual([1000]);
  });

  it('writes a slab that has waited half a second at the next chunk, so a slow link still shows progress', async () => {
    const file = await PartialFile.open(createNodeFileSystem(), path.join(dir, 'slow.part'));
    let now = 10_000;
    const ends: number[] = [];
    const writer = new StagedWriter(file, (end) => ends.push(end), 512 * 1024, {
      now: () => now,
    });
    // 10 KB every 200 ms: 50 KB/s, far from filling a 512 KiB slab.
    for (let offset = 0; offset < 100_000; offset += 10_000) {
      await writer.append(deterministicBytes(10_000, offset + 1), offset);
      await writer.settle();
      now += 200;
    }
    // The first slab starts at t=0 and is written with the chunk staged at t=600 ms, and so on.
    expect(ends).toEqual([40_000, 80_000]);
    await writer.drain();
    await file.close();
    expect(ends).toEqual([40_000, 80_000, 100_000]);
  });

  it('without a clock, writes only full slabs until drained', async () => {
    const file = await PartialFile.open(createNodeFileSystem(), path.join(dir, 'untimed.part'));
    const ends: number[] = [];
    const writer = new StagedWriter(file, (end) => ends.push(end), 512 * 1024);
    for (let offset = 0; offset < 100_000; offset += 10_000) {
      await writer.append(deterministicBytes(10_000, offset + 1), offset);
    }
    await writer.settle();
    expect(ends).toEqual([]);
    await writer.drain();
    await file.close();
    expect(ends).toEqual([100_000]);
  });
});
