/**
 * A bundle's completed files entered into the local file index a batch at a time: one recordMany
 * for the regular files among them, each with the size and time it has on disk; a failure logged,
 * never thrown.
 */
import { mkdir, symlink } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CompletedLocalFile, IndexedFile } from '@modeldock/engine';
import { recordLocalFiles } from '@modeldock/engine/internal/jobs/local-index-batch';
import { createLibraryFixture, NOW, sha256Of } from './helpers/library-fixture';
import type { LibraryFixture } from './helpers/library-fixture';
import { MemoryFileIndex } from './helpers/memory-file-index';

/** The in-memory index with recordMany, telling its calls apart from record's. */
class BatchingFileIndex extends MemoryFileIndex {
  readonly batches: string[][] = [];
  readonly singles: string[] = [];
  failManyWith: Error | null = null;

  override async record(file: Omit<IndexedFile, 'indexedAt'>, now: Date): Promise<void> {
    this.singles.push(file.relativePath);
    return super.record(file, now);
  }

  override async recordMany(files: Omit<IndexedFile, 'indexedAt'>[], now: Date): Promise<void> {
    this.batches.push(files.map((file) => file.relativePath));
    if (this.failManyWith) throw this.failManyWith;
    for (const file of files) await super.record(file, now);
  }
}

let fixture: LibraryFixture;

beforeEach(async () => {
  fixture = await createLibraryFixture();
});

afterEach(async () => {
  await fixture.cleanup();
});

function completed(
  relativePath: string,
  sourceKind: string | null = 'huggingface',
): CompletedLocalFile {
  return { relativePath, sha256: sha256Of(relativePath), sourceKind };
}

/** Twenty files on disk (more than are looked at at once), with a missing file, a folder and a link among them. */
async function bundleOnDisk(): Promise<{ files: CompletedLocalFile[]; regular: string[] }> {
  const regular: string[] = [];
  for (let index = 0; index < 20; index++) {
    const relativePath = `unit/${String(index).padStart(2, '0')}.json`;
    await fixture.write(
      relativePath,
      'x'.repeat(index + 1),
      new Date(Date.UTC(2030, 0, 1, 0, 0, index)),
    );
    regular.push(relativePath);
  }
  await mkdir(fixture.absolute('unit/folder.json'));
  await symlink(fixture.absolute('unit/00.json'), fixture.absolute('unit/link.json'));
  const files = regular.map((relativePath) => completed(relativePath));
  files.splice(3, 0, completed('unit/gone.json'));
  files.splice(10, 0, completed('unit/folder.json'));
  files.splice(17, 0, completed('unit/link.json', null));
  return { files, regular };
}

describe('recording completed files in the index', () => {
  it('records the regular files in one recordMany, each with its size and modification time on disk', async () => {
    const index = new BatchingFileIndex();
    const { files, regular } = await bundleOnDisk();
    await recordLocalFiles({ ...fixture.ctx, index }, files);

    expect(index.batches).toEqual([regular]);
    expect(index.singles).toEqual([]);
    for (const [position, relativePath] of regular.entries()) {
      expect(await index.get(relativePath)).toEqual({
        relativePath,
        sha256: sha256Of(relativePath),
        size: position + 1,
        mtimeMs: Date.UTC(2030, 0, 1, 0, 0, position),
        sourceKind: 'huggingface',
        inode: String((await fixture.fs.lstat(fixture.absolute(relativePath)))!.ino),
        source: null,
        jobId: null,
        indexedAt: NOW,
      });
    }
    expect(await index.get('unit/link.json')).toBeNull();
    expect(fixture.logger.lines.filter((line) => line.level === 'warn')).toEqual([]);
  });

  it('writes nothing when none of the files is a regular file on disk', async () => {
    const index = new BatchingFileIndex();
    await mkdir(fixture.absolute('unit/folder.json'), { recursive: true });
    await recordLocalFiles({ ...fixture.ctx, index }, [
      completed('unit/gone.json'),
      completed('unit/folder.json'),
    ]);
    await recordLocalFiles({ ...fixture.ctx, index }, []);
    expect(index.batches).toEqual([]);
    expect(index.all()).toEqual([]);
  });

  it('logs a failed recordMany and returns: the index is a help, not the truth', async () => {
    const index = new BatchingFileIndex();
    index.failManyWith = new Error('database is read-only');
    const { files } = await bundleOnDisk();
    await expect(recordLocalFiles({ ...fixture.ctx, index }, files)).resolves.toBeUndefined();
    expect(fixture.logger.find('could not record files in the local file index')).toMatchObject({
      level: 'warn',
      fields: { files: files.length, message: expect.stringContaining('database is read-only') },
    });
    expect(index.all()).toEqual([]);
  });

  it('logs a file it cannot look at and returns, recording none of the batch', async () => {
    const index = new BatchingFileIndex();
    const { files } = await bundleOnDisk();
    const fs = {
      ...fixture.fs,
      lstat: async (absolutePath: string) => {
        if (absolutePath.endsWith('07.json'))
          throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
        return fixture.fs.lstat(absolutePath);
      },
    };
    await expect(recordLocalFiles({ ...fixture.ctx, fs, index }, files)).resolves.toBeUndefined();
    expect(
      fixture.logger.find('could not record files in the local file index')?.fields,
    ).toMatchObject({
      message: expect.stringContaining('EACCES'),
    });
    expect(index.batches).toEqual([]);
  });
});
