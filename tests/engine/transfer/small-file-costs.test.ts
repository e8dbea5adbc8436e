/**
 * What one small file of a bundle costs the disk and the job layer, and the shortcuts that keep it
 * cheap without giving up a guarantee: no zero record and no truncate for a brand-new file, one
 * exclusive create instead of a failing open, the format read from the open temp file, and renames
 * close together in one folder sharing a directory fsync that started after each of them.
 */
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNodeFileSystem } from '@modeldock/engine';
import type { FileSystem, WritableFile } from '@modeldock/engine';
import { transferFile } from '@modeldock/engine/internal/transfer/transfer-file';
import { syncDirectoryShared } from '@modeldock/engine/internal/transfer/directory-sync';
import { PartialFile } from '@modeldock/engine/internal/transfer/partial-file';
import { ConfinedDirectories } from '@modeldock/engine/internal/transfer/confined-directories';
import { returnSlab, takeSlab } from '@modeldock/engine/internal/transfer/slab-pool';
import { tempPathFor } from '@modeldock/engine/internal/paths/temp-path';
import { checkModelFormat } from '@modeldock/engine/internal/verify/format-check';
import { deterministicBytes, startFaultOrigin } from '../../support/fault-origin';
import type { FaultOrigin } from '../../support/fault-origin';
import { createHarness, fileRecord, recorder } from './transfer-harness';
import type { Harness } from './transfer-harness';

interface Counted {
  fs: FileSystem;
  calls: string[];
}

/** The real file system, with every call (and every open's flags) written down. */
function countingFileSystem(): Counted {
  const real = createNodeFileSystem();
  const calls: string[] = [];
  const wrapFile = (file: WritableFile): WritableFile => ({
    write: (...args) => (calls.push('write'), file.write(...args)),
    read: (...args) => (calls.push('read'), file.read(...args)),
    sync: () => (calls.push('sync'), file.sync()),
    truncate: (length) => (calls.push(`truncate ${length}`), file.truncate(length)),
    stat: () => (calls.push('fstat'), file.stat()),
    close: () => (calls.push('close'), file.close()),
  });
  const fs: FileSystem = {
    ...real,
    open: async (filePath, flags) => {
      calls.push(`open ${flags} ${path.basename(filePath)}`);
      return wrapFile(await real.open(filePath, flags));
    },
    syncDirectory: (directory) => (calls.push('syncDirectory'), real.syncDirectory(directory)),
    realpath: (target) => (calls.push('realpath'), real.realpath(target)),
    stat: (target) => (calls.push(`stat ${path.basename(target)}`), real.stat(target)),
  };
  return { fs, calls };
}

/** A safetensors file of `size` bytes: an 8-byte header length, a JSON header, one U8 tensor. */
function safetensors(size: number, seed: number): Buffer {
  const json = (data: number) =>
    JSON.stringify({ w: { dtype: 'U8', shape: [data], data_offsets: [0, data] } });
  const headerLength = Math.ceil(json(size).length / 8) * 8;
  const dataBytes = size - 8 - headerLength;
  const header = Buffer.alloc(8 + headerLength, 0x20);
  header.writeBigUInt64LE(BigInt(headerLength), 0);
  header.write(json(dataBytes), 8, 'latin1');
  return Buffer.concat([header, deterministicBytes(dataBytes, seed)]);
}

let origin: FaultOrigin;
let harness: Harness;
let counted: Counted;

beforeEach(async () => {
  origin = await startFaultOrigin();
  counted = countingFileSystem();
  harness = await createHarness({}, counted.fs);
});
afterEach(async () => {
  await harness.dispose();
  await origin.close();
});

describe('a new small file', () => {
  it('is created exclusively, never truncated, recorded once it is durable, and read back through its open handle', async () => {
    const bytes = safetensors(300_000, 5);
    const served = origin.setFile('/shard.safetensors', bytes);
    const file = fileRecord(served.url, {
      name: 'shard.safetensors',
      relativePath: 'bundle/shard.safetensors',
      bytesTotal: bytes.length,
      expectedSha256: served.sha256,
    });
    const record = recorder();
    const result = await transferFile(file, harness.context(), record.callbacks);
    expect(result).toMatchObject({ sha256: served.sha256, format: 'safetensors' });
    expect((await readFile(path.join(harness.root, file.relativePath))).equals(bytes)).toBe(true);
    // The database already said "nothing yet": no record takes anything back, the last is the whole file.
    expect(record.durable.every((progress) => progress.bytesDone > 0)).toBe(true);
    expect(record.lastDurable()!.bytesDone).toBe(bytes.length);
    const opens = counted.calls.filter((call) => call.startsWith('open '));
    expect(opens).toEqual([expect.stringMatching(/^open wx\+ /)]);
    expect(counted.calls.some((call) => call.startsWith('truncate'))).toBe(false);
    expect(counted.calls).toContain('syncDirectory');
  });

  it('still takes back a recorded partial before starting over', async () => {
    const bytes = deterministicBytes(120_000, 6);
    const served = origin.setFile('/restart.bin', bytes, { etag: null, lastModified: null });
    const file = fileRecord(served.url, { bytesTotal: bytes.length });
    const finalPath = path.join(harness.root, file.relativePath);
    const temp = tempPathFor(finalPath, file.id);
    await mkdir(path.dirname(temp), { recursive: true });
    await writeFile(temp, bytes.subarray(0, 50_000));
    // The job layer recorded 50 000 bytes, but without a validator they cannot be resumed.
    const stale = { ...file, bytesDone: 50_000 };
    const record = recorder();
    await transferFile(stale, harness.context(), record.callbacks);
    expect(record.durable[0]!.bytesDone).toBe(0);
    expect(counted.calls).toContain('truncate 0');
    expect((await readFile(finalPath)).equals(bytes)).toBe(true);
  });
});

describe('a bundle of files in one folder', () => {
  it('checks the folder once while the check is fresh, and again after', async () => {
    let now = 0;
    const confined = new ConfinedDirectories({ now: () => now, sleep: async () => undefined });
    const run = async (name: string, seed: number) => {
      const bytes = deterministicBytes(3000, seed);
      const served = origin.setFile(`/${name}`, bytes);
      const file = fileRecord(served.url, {
        relativePath: `bundle/${name}`,
        bytesTotal: bytes.length,
      });
      await transferFile(
        file,
        harness.context({ confinedDirectories: confined }),
        recorder().callbacks,
      );
    };
    const realpaths = () => counted.calls.filter((call) => call === 'realpath').length;
    await run('a.bin', 1);
    const afterFirst = realpaths();
    expect(afterFirst).toBeGreaterThan(0);
    await run('b.bin', 2);
    expect(realpaths()).toBe(afterFirst);
    now += 1_000;
    await run('c.bin', 3);
    expect(realpaths()).toBeGreaterThan(afterFirst);
  });

  it('looks at a new file’s temp path once when its folder was checked moments ago', async () => {
    const confined = new ConfinedDirectories({ now: () => 0, sleep: async () => undefined });
    const run = async (name: string, seed: number) => {
      const bytes = deterministicBytes(3000, seed);
      const served = origin.setFile(`/${name}`, bytes);
      const file = fileRecord(served.url, { relativePath: `fresh/${name}`, bytesTotal: 3000 });
      await transferFile(file, harness.context({ confinedDirectories: confined }), recorder().callbacks);
      expect((await readFile(path.join(harness.root, file.relativePath))).equals(bytes)).toBe(true);
    };
    await run('first.bin', 11);
    counted.calls.length = 0;
    await run('second.bin', 12);
    // The folder check's lstat already said the temp file is missing: no stat before the request.
    expect(counted.calls.filter((call) => call.startsWith('stat .second.bin'))).toEqual([]);
    expect(counted.calls.filter((call) => call.startsWith('open '))).toEqual([expect.stringMatching(/^open wx\+ /)]);
  });

  it('still refuses a temp path that is a link leading outside the root', async () => {
    const confined = new ConfinedDirectories({ now: () => 0, sleep: async () => undefined });
    const bytes = deterministicBytes(3000, 4);
    const served = origin.setFile('/first.bin', bytes);
    await transferFile(
      fileRecord(served.url, { relativePath: 'linked/first.bin', bytesTotal: 3000 }),
      harness.context({ confinedDirectories: confined }),
      recorder().callbacks,
    );
    const file = fileRecord(origin.setFile('/second.bin', bytes).url, {
      relativePath: 'linked/second.bin',
      bytesTotal: 3000,
    });
    const outside = path.join(path.dirname(harness.root), `outside-${file.id}`);
    await symlink(outside, tempPathFor(path.join(harness.root, file.relativePath), file.id));
    await expect(
      transferFile(file, harness.context({ confinedDirectories: confined }), recorder().callbacks),
    ).rejects.toMatchObject({ code: 'PATH_OUTSIDE_ROOT' });
  });

  it('writes a small single stream in few large writes and fsyncs it once', async () => {
    // No periodic fsync in between: only the one before verification (the one at the rename is skipped).
    const quiet = await createHarness({ syncIntervalMs: 60_000 }, counted.fs);
    try {
      const bytes = safetensors(1024 * 1024, 8);
      const served = origin.setFile('/one-mib.safetensors', bytes);
      const file = fileRecord(served.url, {
        name: 'one-mib.safetensors',
        relativePath: 'one-mib.safetensors',
        bytesTotal: bytes.length,
      });
      await transferFile(file, quiet.context(), recorder().callbacks);
      // Two slabs when the body arrives in one burst; a loaded machine may split it once or twice
      // more. Without staging it would be one write per 64 KiB network chunk (16 here).
      const writes = counted.calls.filter((call) => call === 'write').length;
      expect(writes).toBeGreaterThanOrEqual(2);
      expect(writes).toBeLessThanOrEqual(4);
      expect(counted.calls.filter((call) => call === 'sync')).toHaveLength(1);
    } finally {
      await quiet.dispose();
    }
  });
});

describe('staging slabs', () => {
  it('come in power-of-two sizes and are handed out again once returned', () => {
    const slab = takeSlab(300_000);
    expect(slab.length).toBe(512 * 1024);
    returnSlab(slab);
    expect(takeSlab(400_000)).toBe(slab);
    expect(takeSlab(400_000)).not.toBe(slab);
    // A buffer of another size is not kept.
    const odd = Buffer.alloc(1000);
    returnSlab(odd);
    expect(takeSlab(1000)).not.toBe(odd);
  });
});

describe('the partial file', () => {
  it('keeps the bytes of a temp file that appeared after it was seen missing', async () => {
    const temp = path.join(harness.root, 'race.part');
    await writeFile(temp, 'kept');
    const partial = await PartialFile.open(counted.fs, temp, false);
    expect(partial.knownEmpty).toBe(false);
    const buffer = Buffer.alloc(4);
    await partial.handleForReading.read(buffer, 0, 4, 0);
    expect(buffer.toString()).toBe('kept');
    await partial.truncate(0);
    expect(partial.knownEmpty).toBe(true);
    await partial.writeAt(Buffer.from('x'), 0);
    expect(partial.knownEmpty).toBe(false);
    counted.calls.length = 0;
    await partial.sync();
    await partial.sync();
    expect(counted.calls).toEqual(['sync']);
    await partial.writeAt(Buffer.from('y'), 1);
    await partial.sync();
    expect(counted.calls).toEqual(['sync', 'write', 'sync']);
    await partial.close();
  });
});

describe('the format check', () => {
  it('reads a small safetensors header from the first read of an open handle, and leaves it open', async () => {
    const bytes = safetensors(50_000, 7);
    const filePath = path.join(harness.root, 'open.safetensors');
    await writeFile(filePath, bytes);
    const handle = await counted.fs.open(filePath, 'r');
    counted.calls.length = 0;
    await expect(
      checkModelFormat(counted.fs, filePath, 'open.safetensors', bytes.length, handle),
    ).resolves.toMatchObject({
      format: 'safetensors',
    });
    expect(counted.calls).toEqual(['read']);
    await handle.close();
    // A header longer than the first read is read on its own.
    const long = Buffer.concat([
      Buffer.alloc(8),
      Buffer.from(
        `{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"__metadata__":{"pad":"${'x'.repeat(6000)}"}}`,
      ),
      Buffer.from([1]),
    ]);
    long.writeBigUInt64LE(BigInt(long.length - 9), 0);
    await writeFile(filePath, long);
    await expect(
      checkModelFormat(counted.fs, filePath, 'open.safetensors', long.length),
    ).resolves.toMatchObject({
      format: 'safetensors',
    });
  });
});

describe('shared directory fsync', () => {
  it('gives each caller an fsync that started after it arrived, and shares it with those arriving meanwhile', async () => {
    const events: string[] = [];
    const pending: Array<() => void> = [];
    const fake = {
      syncDirectory: (directory: string) => {
        events.push(`start ${directory}`);
        return new Promise<void>((resolve) =>
          pending.push(() => (events.push(`end ${directory}`), resolve())),
        );
      },
    } as unknown as FileSystem;
    const first = syncDirectoryShared(fake, '/d');
    const second = syncDirectoryShared(fake, '/d');
    const third = syncDirectoryShared(fake, '/d');
    const other = syncDirectoryShared(fake, '/e');
    expect(events).toEqual(['start /d', 'start /e']);
    let secondDone = false;
    void second.then(() => (secondDone = true));
    pending.shift()!();
    await first;
    await Promise.resolve();
    expect(secondDone).toBe(false);
    // The second and third arrived while the first ran: one more fsync serves both.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(events).toEqual(['start /d', 'start /e', 'end /d', 'start /d']);
    pending.shift()!();
    pending.shift()!();
    await Promise.all([second, third, other]);
    expect(events.filter((event) => event === 'start /d')).toHaveLength(2);
  });

  it('passes a failed fsync to its callers and starts afresh for the next', async () => {
    let calls = 0;
    const fake = {
      syncDirectory: async () => {
        calls++;
        if (calls === 1) throw Object.assign(new Error('EIO'), { code: 'EIO' });
      },
    } as unknown as FileSystem;
    await expect(syncDirectoryShared(fake, '/f')).rejects.toThrow('EIO');
    await expect(syncDirectoryShared(fake, '/f')).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });
});
