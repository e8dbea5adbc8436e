/** Failure cases 17 (disk full), 20 (someone else's file at the destination), 25 (paths stay inside the root), and fsync discipline. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { transferFile } from '@modeldock/engine/internal/transfer/transfer-file';
import { createNodeFileSystem } from '@modeldock/engine/internal/fs/node-file-system';
import { tempPathFor } from '@modeldock/engine';
import type { FileRecord } from '@modeldock/engine';
import { deterministicBytes, startFaultOrigin } from '../../support/fault-origin';
import type { FaultOrigin } from '../../support/fault-origin';
import { faultFileSystem } from '../../support/fault-file-system';
import type { FaultFileSystem } from '../../support/fault-file-system';
import { createHarness, failureOf, fileRecord, recorder } from './transfer-harness';
import type { Harness } from './transfer-harness';

let origin: FaultOrigin;
let harness: Harness;

beforeEach(async () => {
  origin = await startFaultOrigin();
});
afterEach(async () => {
  await harness?.dispose();
  await origin.close();
});

function finalPath(file: FileRecord): string {
  return path.join(harness.root, file.relativePath);
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

describe('17. disk full mid-write', () => {
  it('fails with DISK_FULL and the numbers, is not retried, and keeps the durable partial for resume', async () => {
    const disk: FaultFileSystem = faultFileSystem(createNodeFileSystem());
    harness = await createHarness({}, disk);
    const served = origin.setFile('/big.bin', deterministicBytes(3_000_000, 51));
    const file = fileRecord(served.url);
    // The disk fills up (another writer) once the download is under way.
    let filled = false;
    const record = recorder({
      onBytes: () => {
        if (!filled) disk.failAfter(100_000);
        filled = true;
      },
    });
    const error = await failureOf(transferFile(file, harness.context(), record.callbacks));
    expect(error).toMatchObject({
      code: 'DISK_FULL',
      message: expect.stringMatching(/^Not enough disk space: [\d.]+ MB needed, 0 bytes free/),
    });
    expect(origin.requestsTo('/big.bin')).toHaveLength(1);
    expect(harness.clock.sleeps).toEqual([]);
    const partial = await readFile(tempPathFor(finalPath(file), file.id));
    const durable = record.lastDurable()!;
    expect(durable.bytesDone).toBeGreaterThan(0);
    expect(durable.bytesDone).toBeLessThanOrEqual(disk.bytesWritten);
    expect(
      partial.subarray(0, durable.bytesDone).equals(served.bytes.subarray(0, durable.bytesDone)),
    ).toBe(true);

    // With space again, the same record resumes from its durable offset.
    disk.failAfter(null);
    const resumed = await transferFile(
      {
        ...file,
        bytesDone: durable.bytesDone,
        validator: durable.validator,
        bytesTotal: durable.bytesTotal,
      },
      harness.context(),
      recorder().callbacks,
    );
    expect(resumed.sha256).toBe(served.sha256);
    expect(origin.requestsTo('/big.bin')[1]!.headers.range).toBe(`bytes=${durable.bytesDone}-`);
  });

  it('refuses to start when the disk cannot hold what is left to download', async () => {
    const disk = faultFileSystem(createNodeFileSystem(), { freeBytes: 1_000 });
    harness = await createHarness({}, disk);
    const served = origin.setFile('/huge.bin', deterministicBytes(50_000, 52));
    const error = await failureOf(
      transferFile(fileRecord(served.url), harness.context(), recorder().callbacks),
    );
    expect(error).toMatchObject({
      code: 'DISK_FULL',
      message: expect.stringContaining('50.0 KB needed, 1.0 KB free'),
    });
    expect(disk.bytesWritten).toBe(0);
  });
});

describe('20. a file the engine did not write at the destination', () => {
  beforeEach(async () => {
    harness = await createHarness();
  });

  it('is never overwritten: DESTINATION_EXISTS, and the file is untouched', async () => {
    const served = origin.setFile('/mine.bin', deterministicBytes(5000, 53));
    const file = fileRecord(served.url);
    await mkdir(path.dirname(finalPath(file)), { recursive: true });
    await writeFile(finalPath(file), 'precious user data');
    await expect(transferFile(file, harness.context(), recorder().callbacks)).rejects.toMatchObject(
      { code: 'DESTINATION_EXISTS' },
    );
    expect(await readFile(finalPath(file), 'utf8')).toBe('precious user data');
    expect(origin.requests).toHaveLength(0);
  });

  it('refuses to rename over a file that appeared while downloading, keeping the verified temp', async () => {
    const served = origin.setFile('/race.bin', deterministicBytes(200_000, 54));
    origin.script('/race.bin', { kind: 'throttle', bytesPerSecond: 2_000_000 });
    const file = fileRecord(served.url);
    let planted = false;
    const record = recorder({
      onBytes: (bytes) => {
        if (!planted && bytes > 50_000) {
          planted = true;
          void writeFile(finalPath(file), 'someone else');
        }
      },
    });
    await expect(transferFile(file, harness.context(), record.callbacks)).rejects.toMatchObject({
      code: 'DESTINATION_EXISTS',
    });
    expect(await readFile(finalPath(file), 'utf8')).toBe('someone else');
    expect((await readFile(tempPathFor(finalPath(file), file.id))).equals(served.bytes)).toBe(true);
  });

  it('adopts its own file renamed into place just before a crash (record complete, temp gone)', async () => {
    const served = origin.setFile('/done.bin', deterministicBytes(30_000, 55));
    const file = fileRecord(served.url, { expectedSha256: served.sha256 });
    await mkdir(path.dirname(finalPath(file)), { recursive: true });
    await writeFile(finalPath(file), served.bytes);
    const record = recorder();
    const result = await transferFile(
      {
        ...file,
        bytesDone: 30_000,
        bytesTotal: 30_000,
        validator: { etag: served.etag, lastModified: null },
      },
      harness.context(),
      record.callbacks,
    );
    expect(result).toMatchObject({ sha256: served.sha256, bytesTotal: 30_000 });
    expect(origin.requests).toHaveLength(0);
    expect(record.verifying.at(-1)).toEqual([30_000, 30_000]);
  });

  it('does not adopt a same-size file whose hash differs from the pinned one', async () => {
    const served = origin.setFile('/other.bin', deterministicBytes(30_000, 56));
    const file = fileRecord(served.url, {
      expectedSha256: served.sha256,
      bytesDone: 30_000,
      bytesTotal: 30_000,
    });
    await mkdir(path.dirname(finalPath(file)), { recursive: true });
    await writeFile(finalPath(file), deterministicBytes(30_000, 57));
    await expect(transferFile(file, harness.context(), recorder().callbacks)).rejects.toMatchObject(
      { code: 'DESTINATION_EXISTS' },
    );
  });
});

describe('25. destinations stay inside the models root', () => {
  let outside: string;
  beforeEach(async () => {
    harness = await createHarness();
    outside = await mkdtemp(path.join(os.tmpdir(), 'modeldock-outside-'));
  });
  afterEach(async () => {
    await rm(outside, { recursive: true, force: true });
  });

  it.each(['../escape.bin', 'a/../../escape.bin'])(
    'refuses the relative path %s before any request',
    async (relativePath) => {
      const served = origin.setFile('/x.bin', deterministicBytes(100, 58));
      await expect(
        transferFile(
          fileRecord(served.url, { relativePath }),
          harness.context(),
          recorder().callbacks,
        ),
      ).rejects.toMatchObject({
        code: 'PATH_OUTSIDE_ROOT',
      });
      expect(origin.requests).toHaveLength(0);
    },
  );

  it('refuses a folder that is a symlink leading outside the root', async () => {
    await symlink(outside, path.join(harness.root, 'loras'));
    const served = origin.setFile('/y.bin', deterministicBytes(100, 59));
    await expect(
      transferFile(
        fileRecord(served.url, { relativePath: 'loras/y.bin' }),
        harness.context(),
        recorder().callbacks,
      ),
    ).rejects.toMatchObject({ code: 'PATH_OUTSIDE_ROOT' });
    expect(await exists(path.join(outside, 'y.bin'))).toBe(false);
    expect(origin.requests).toHaveLength(0);
  });
});

describe('durable before recorded', () => {
  it('fsyncs before each onDurable and finishes with fsync, rename and a directory fsync', async () => {
    const disk = faultFileSystem(createNodeFileSystem());
    const calls: string[] = [];
    const observed = {
      ...disk,
      rename: async (from: string, to: string) => {
        calls.push(`rename ${path.basename(to)}`);
        await disk.rename(from, to);
      },
      syncDirectory: async (directory: string) => {
        calls.push(`syncdir ${path.basename(directory)}`);
        await disk.syncDirectory(directory);
      },
    };
    harness = await createHarness({ syncIntervalMs: 0 }, observed);
    const served = origin.setFile('/durable.bin', deterministicBytes(200_000, 60));
    const file = fileRecord(served.url);
    let syncsAtLastDurable = 0;
    const record = recorder();
    const callbacks = {
      ...record.callbacks,
      onDurable: async (progress: Parameters<typeof record.callbacks.onDurable>[0]) => {
        if (progress.bytesDone > 0) expect(disk.syncs).toBeGreaterThan(syncsAtLastDurable);
        syncsAtLastDurable = disk.syncs;
        calls.push(`durable ${progress.bytesDone}`);
        await record.callbacks.onDurable(progress);
      },
    };
    await transferFile(file, harness.context(), callbacks);
    const renameAt = calls.indexOf(`rename ${file.name}`);
    expect(calls.slice(renameAt)).toEqual([`rename ${file.name}`, 'syncdir checkpoints']);
    expect(calls[renameAt - 1]).toBe('durable 200000');
  });
});
