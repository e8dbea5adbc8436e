/**
 * The library's scan on a real models folder and the real (PGlite) store: which files become
 * entries, that an unchanged file is never read again (size + mtime + inode), that a renamed or
 * moved file keeps its entry (not listed twice), that a file gone from disk stays as missing with
 * its source, Hugging Face cache entries, unreadable files, and a scan interrupted and resumed.
 */
import { appendFile, copyFile, mkdir, rename, rm, symlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanLibrary } from '@modeldock/engine';
import type { LibraryRow } from '@modeldock/engine';
import { sha256Of } from '../../engine/library/helpers/library-fixture';
import { createModelLibraryFixture, sharedDatabase } from '../helpers/model-library-fixture';
import type { ModelLibraryFixture } from '../helpers/model-library-fixture';

const shared = sharedDatabase();
let f: ModelLibraryFixture;

beforeEach(async () => {
  f = await createModelLibraryFixture(shared);
});
afterEach(async () => {
  await f.cleanup();
});
afterAll(async () => {
  await shared.close();
});

async function rows(): Promise<LibraryRow[]> {
  return f.db.library.page(null, 1000);
}

async function row(relativePath: string): Promise<LibraryRow | undefined> {
  return (await rows()).find((candidate) => candidate.relativePath === relativePath);
}

const scan = () => scanLibrary(f.scanContext, { concurrency: 1 });

describe('a scan of the models folder', () => {
  it('lists model files by extension with folder, name, format, size and SHA-256; skips the rest', async () => {
    await f.write('checkpoints/model.safetensors', 'safetensors bytes');
    await f.write('diffusion_models/deep/er/z.gguf', 'gguf bytes');
    await f.write('loras/old.ckpt', 'pickle bytes');
    await f.write('at-the-root.pt', 'root');
    await f.write('checkpoints/readme.txt', 'not a model');
    await f.write('checkpoints/.hidden.safetensors', 'hidden');
    await f.write('checkpoints/.model.safetensors.0191.modeldock-part', 'a partial download');
    await symlink(f.absolute('checkpoints/model.safetensors'), f.absolute('checkpoints/link.safetensors'));

    expect(await scan()).toEqual({ hashed: 4, unchanged: 0, moved: 0, missing: 0, failed: 0 });
    const listed = await rows();
    expect(listed.map((entry) => [entry.relativePath, entry.folder, entry.name, entry.format, entry.status])).toEqual([
      ['at-the-root.pt', '', 'at-the-root.pt', 'pickle', 'present'],
      ['checkpoints/model.safetensors', 'checkpoints', 'model.safetensors', 'safetensors', 'present'],
      ['diffusion_models/deep/er/z.gguf', 'diffusion_models', 'z.gguf', 'gguf', 'present'],
      ['loras/old.ckpt', 'loras', 'old.ckpt', 'pickle', 'present'],
    ]);
    const model = (await row('checkpoints/model.safetensors'))!;
    expect(model.sha256).toBe(sha256Of('safetensors bytes'));
    expect(model.sizeBytes).toBe('safetensors bytes'.length);
    expect(model.source).toBeNull();
    expect(model.inode).toMatch(/^\d+$/);
  });

  it('never reads an unchanged file again; a changed size, time or inode is read again', async () => {
    await f.write('a.gguf', 'first');
    await f.write('b.gguf', 'second');
    await f.write('c.gguf', 'third');
    await scan();
    f.fs.reads.length = 0;
    expect(await scan()).toEqual({ hashed: 0, unchanged: 3, moved: 0, missing: 0, failed: 0 });
    expect(f.fs.reads).toEqual([]);

    await f.write('a.gguf', 'FIRST'); // same size, new time
    await utimes(f.absolute('a.gguf'), new Date('2031-01-01'), new Date('2031-01-01'));
    await appendFile(f.absolute('b.gguf'), '!');
    // Same size and time, other inode: replaced by a copy.
    const before = (await f.fs.lstat(f.absolute('c.gguf')))!;
    await copyFile(f.absolute('c.gguf'), f.absolute('c.tmp'));
    await rename(f.absolute('c.tmp'), f.absolute('c.gguf'));
    await utimes(f.absolute('c.gguf'), before.mtimeMs / 1000, before.mtimeMs / 1000);
    const after = (await f.fs.lstat(f.absolute('c.gguf')))!;
    expect(after.ino).not.toBe(before.ino);

    expect((await scan()).hashed).toBe(3);
    expect(f.fs.reads.sort()).toEqual(['a.gguf', 'b.gguf', 'c.gguf']);
    expect((await row('a.gguf'))!.sha256).toBe(sha256Of('FIRST'));
  });

  it('recognises a renamed file without reading it, and a moved copy by its hash: one entry, same id', async () => {
    await f.write('loras/style.safetensors', 'lora bytes');
    await f.write('checkpoints/big.safetensors', 'checkpoint bytes');
    await scan();
    const lora = (await row('loras/style.safetensors'))!;
    const checkpoint = (await row('checkpoints/big.safetensors'))!;

    await mkdir(f.absolute('loras/sdxl'));
    await rename(f.absolute('loras/style.safetensors'), f.absolute('loras/sdxl/renamed style.safetensors'));
    // A move across file systems is a copy and a delete: a new inode and a new time.
    await f.write('checkpoints/sub/big.safetensors', 'checkpoint bytes');
    await rm(f.absolute('checkpoints/big.safetensors'));
    f.fs.reads.length = 0;

    expect(await scan()).toEqual({ hashed: 1, unchanged: 0, moved: 2, missing: 0, failed: 0 });
    expect(f.fs.reads).toEqual(['checkpoints/sub/big.safetensors']);
    const listed = await rows();
    expect(listed.map((entry) => entry.relativePath)).toEqual([
      'checkpoints/sub/big.safetensors',
      'loras/sdxl/renamed style.safetensors',
    ]);
    expect(listed.find((entry) => entry.relativePath.startsWith('loras'))!.id).toBe(lora.id);
    expect(listed.find((entry) => entry.relativePath.startsWith('checkpoints'))!.id).toBe(checkpoint.id);
    expect(listed.every((entry) => entry.status === 'present')).toBe(true);
  });

  it('keeps a file gone from disk as missing, with its source and job, and present again when it is back', async () => {
    await f.write('checkpoints/dl.safetensors', 'downloaded');
    const stat = (await f.fs.lstat(f.absolute('checkpoints/dl.safetensors')))!;
    await f.db.fileIndex.record(
      {
        relativePath: 'checkpoints/dl.safetensors',
        sha256: sha256Of('downloaded'),
        size: stat.size,
        mtimeMs: stat.mtimeMs,
        inode: String(stat.ino),
        sourceKind: 'direct',
        source: { kind: 'url', url: 'https://example.test/dl.safetensors' },
        jobId: 'job-1',
      },
      new Date(f.clock.now()),
    );
    expect((await scan()).unchanged).toBe(1);
    await rm(f.absolute('checkpoints/dl.safetensors'));

    expect((await scan()).missing).toBe(1);
    const missing = (await row('checkpoints/dl.safetensors'))!;
    expect(missing).toMatchObject({
      status: 'missing',
      sizeBytes: 'downloaded'.length,
      source: { kind: 'url', url: 'https://example.test/dl.safetensors' },
      jobId: 'job-1',
    });
    expect(await f.db.fileIndex.get('checkpoints/dl.safetensors')).toBeNull();
    expect((await scan()).missing).toBe(0);

    await f.write('checkpoints/dl.safetensors', 'downloaded');
    await scan();
    expect(await row('checkpoints/dl.safetensors')).toMatchObject({ id: missing.id, status: 'present', jobId: 'job-1' });
  });

  it('keeps entries present whose file the walk skips (no model extension, a cache blob)', async () => {
    await f.write('checkpoints/weights.data', 'saved under an odd name');
    const stat = (await f.fs.lstat(f.absolute('checkpoints/weights.data')))!;
    await f.db.fileIndex.record(
      { relativePath: 'checkpoints/weights.data', sha256: sha256Of('saved under an odd name'), size: stat.size, mtimeMs: stat.mtimeMs, sourceKind: 'direct' },
      new Date(),
    );
    expect(await scan()).toMatchObject({ unchanged: 1, missing: 0 });
    expect((await row('checkpoints/weights.data'))!.status).toBe('present');
  });

  it('lists a Hugging Face cache one entry per snapshot file, named by repo and path, with the blob’s source', async () => {
    const repo = 'huggingface/hub/models--org--name';
    await f.write(`${repo}/blobs/aaaa1111`, 'unet bytes');
    await f.write(`${repo}/blobs/bbbb2222`, 'config bytes');
    await mkdir(f.absolute(`${repo}/snapshots/c0ffee/unet`), { recursive: true });
    await symlink('../../../blobs/aaaa1111', f.absolute(`${repo}/snapshots/c0ffee/unet/model.safetensors`));
    await symlink('../../blobs/bbbb2222', f.absolute(`${repo}/snapshots/c0ffee/config.json`));
    // A link out of the root is never followed.
    await symlink('/etc/hostname', f.absolute(`${repo}/snapshots/c0ffee/escape.safetensors`));
    const blob = (await f.fs.lstat(f.absolute(`${repo}/blobs/aaaa1111`)))!;
    await f.db.fileIndex.record(
      {
        relativePath: `${repo}/blobs/aaaa1111`,
        sha256: sha256Of('unet bytes'),
        size: blob.size,
        mtimeMs: blob.mtimeMs,
        inode: String(blob.ino),
        sourceKind: 'huggingface',
        source: { kind: 'huggingface', repo: 'org/name', revision: 'c0ffee', path: 'unet/model.safetensors', url: 'https://hf.test/org/name/resolve/c0ffee/unet/model.safetensors' },
        jobId: 'job-hf',
      },
      new Date(),
    );
    f.fs.reads.length = 0;

    await scan();
    // The blob's hash was known: the snapshot file was not read.
    expect(f.fs.reads).toEqual([]);
    const listed = await f.library.list({});
    expect(listed.items.map((entry) => [entry.name, entry.folder, entry.relativePath])).toEqual([
      ['org/name: unet/model.safetensors', 'huggingface', `${repo}/snapshots/c0ffee/unet/model.safetensors`],
    ]);
    expect(listed.items[0]).toMatchObject({
      sha256: sha256Of('unet bytes'),
      sizeBytes: 'unet bytes'.length,
      jobId: 'job-hf',
      source: { kind: 'huggingface', repo: 'org/name', revision: 'c0ffee', path: 'unet/model.safetensors', url: 'https://hf.test/org/name/resolve/c0ffee/unet/model.safetensors' },
    });
    // The blob stays indexed (for reuse) but is not listed, and not missing.
    expect((await row(`${repo}/blobs/aaaa1111`))!.status).toBe('present');
    expect((await f.library.stats()).files).toBe(1);
  });

  it('lists a file it cannot read with the error, and carries on with the others', async () => {
    await f.write('a.gguf', 'readable');
    await f.write('b.gguf', 'locked');
    f.fs.beforeOpen = (absolutePath) => {
      if (absolutePath.endsWith('b.gguf')) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    };
    const errors: unknown[] = [];
    const report = await scanLibrary(f.scanContext, { onItemError: (error) => errors.push(error) });
    expect(report).toMatchObject({ hashed: 1, failed: 1 });
    expect(errors).toEqual([{ target: 'b.gguf', code: 'IO_ERROR', message: expect.stringMatching(/permission denied/i) }]);
    const locked = (await f.library.list({})).items.find((entry) => entry.name === 'b.gguf')!;
    expect(locked).toMatchObject({ sha256: null, status: 'present', error: { code: 'IO_ERROR' } });

    f.fs.beforeOpen = null;
    expect((await scan()).hashed).toBe(1);
    expect((await row('b.gguf'))!).toMatchObject({ sha256: sha256Of('locked'), error: null });
  });

  it('does not mark entries missing under a folder it could not list', async () => {
    await f.write('loras/a.safetensors', 'a');
    await scan();
    const readdir = f.fs.readdir;
    f.fs.readdir = async (dir) => {
      if (dir.endsWith(`${path.sep}loras`)) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      return readdir(dir);
    };
    const errors: unknown[] = [];
    expect((await scanLibrary(f.scanContext, { onItemError: (error) => errors.push(error) })).missing).toBe(0);
    expect(errors).toEqual([expect.objectContaining({ target: 'loras', code: 'IO_ERROR' })]);
    expect((await row('loras/a.safetensors'))!.status).toBe('present');
  });

  it('does not record a file written to while it was read; the next scan does', async () => {
    await f.write('growing.gguf', 'part one');
    f.fs.beforeOpen = async (absolutePath, flags) => {
      if (flags === 'r' && absolutePath.endsWith('growing.gguf')) {
        f.fs.beforeOpen = null;
        await appendFile(absolutePath, ' and part two');
      }
    };
    expect((await scan()).hashed).toBe(0);
    expect(await row('growing.gguf')).toBeUndefined();
    expect((await scan()).hashed).toBe(1);
    expect((await row('growing.gguf'))!.sha256).toBe(sha256Of('part one and part two'));
  });

  it('an interrupted scan keeps what it recorded: the next one reads only the rest', async () => {
    for (let n = 0; n < 150; n++) await f.write(`loras/${String(n).padStart(3, '0')}.safetensors`, `lora ${n}`);
    const controller = new AbortController();
    let seen = 0;
    await expect(
      scanLibrary(f.scanContext, {
        signal: controller.signal,
        concurrency: 1,
        onProgress: ({ done }) => {
          seen = done;
          if (done === 100) controller.abort(new Error('stop'));
        },
      }),
    ).rejects.toThrow('stop');
    expect(seen).toBe(100);
    const recorded = (await rows()).length;
    expect(recorded).toBeGreaterThanOrEqual(64);
    f.fs.reads.length = 0;
    const report = await scan();
    expect(report.hashed + recorded).toBe(150);
    expect(f.fs.reads.length).toBe(150 - recorded);
  });
});
