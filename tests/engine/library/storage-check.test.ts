/**
 * `checkStorage` (what `library.storage` and `modeldock doctor` report): a writable models root
 * says so with its free space and keeps no probe file; a full disk, a refused open and a file
 * system that will not tell its free space are reported as values with their codes.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkStorage } from '@modeldock/engine';
import type { FileSystem } from '@modeldock/engine';
import { nodeFileSystemForTests } from '../../support/node-fs-for-tests';
import { faultFileSystem } from '../../support/fault-file-system';
import { FakeClock } from '../jobs/helpers/fake-clock';

let root: string;
const clock = new FakeClock(1_700_000_000_000);

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'modeldock-storage-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('checkStorage', () => {
  it('reports a writable root with its free space and leaves nothing behind', async () => {
    const check = await checkStorage(nodeFileSystemForTests(), root, clock);
    expect(check).toMatchObject({ modelsRoot: root, writable: true, problem: null });
    expect(check.freeBytes).toBeGreaterThan(0);
    expect(await readdir(root)).toEqual([]);
  });

  it('reports a full disk as DISK_FULL and removes the half-written probe', async () => {
    const fs = faultFileSystem(nodeFileSystemForTests(), { failAfterBytes: 0, freeBytes: 0 });
    const check = await checkStorage(fs, root, clock);
    expect(check.writable).toBe(false);
    expect(check.problem?.code).toBe('DISK_FULL');
    expect(check.freeBytes).toBe(0);
    expect(await readdir(root)).toEqual([]);
  });

  it('reports a refused open (read-only or no permission) as IO_ERROR', async () => {
    const inner = nodeFileSystemForTests();
    const readOnly: FileSystem = {
      ...inner,
      open: async () => {
        throw Object.assign(new Error('EROFS: read-only file system, open'), { code: 'EROFS' });
      },
    };
    const check = await checkStorage(readOnly, root, clock);
    expect(check).toMatchObject({
      writable: false,
      problem: { code: 'IO_ERROR', message: 'Read-only file system' },
    });
  });

  it('still checks writing when the free space cannot be read', async () => {
    const inner = nodeFileSystemForTests();
    const silent: FileSystem = {
      ...inner,
      freeBytes: () => Promise.reject(new Error('statfs unsupported')),
    };
    const check = await checkStorage(silent, root, clock);
    expect(check).toMatchObject({ freeBytes: null, writable: true });
  });

  it('never reuses a probe name, so a leftover probe cannot make the check fail', async () => {
    const fs = nodeFileSystemForTests();
    const leftover = await fs.open(path.join(root, '.modeldock-write-check-x'), 'wx');
    await leftover.close();
    const first = await checkStorage(fs, root, clock);
    const second = await checkStorage(fs, root, clock);
    expect([first.writable, second.writable]).toEqual([true, true]);
    expect(await readdir(root)).toEqual(['.modeldock-write-check-x']);
  });
});
