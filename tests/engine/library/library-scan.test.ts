/**
 * One pass of the local file index over a real models folder: which files it hashes, what it skips,
 * that an unchanged file is never read again, that changes are noticed by size or modification time,
 * that files gone from disk are forgotten, and that an interrupted pass resumes where it stopped.
 */
import { appendFile, mkdir, rm, symlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanLibrary } from '@modeldock/engine';
import { createLibraryFixture, sha256Of } from './helpers/library-fixture';
import type { LibraryFixture } from './helpers/library-fixture';

let fixture: LibraryFixture;

beforeEach(async () => {
  fixture = await createLibraryFixture();
});

afterEach(async () => {
  await fixture.cleanup();
});

const paths = () => fixture.index.all().map((file) => file.relativePath);

describe('a pass over the models folder', () => {
  it('hashes model files by extension and records size, mtime and SHA-256; skips the rest', async () => {
    await fixture.write('checkpoints/model.safetensors', 'safetensors bytes');
    await fixture.write('diffusion_models/deep/er/z.gguf', 'gguf bytes');
    await fixture.write('loras/old.ckpt', 'pickle bytes');
    await fixture.write('checkpoints/readme.txt', 'not a model');
    await fixture.write('checkpoints/.hidden.safetensors', 'hidden');
    await fixture.write('.cache/inside-hidden-folder.gguf', 'hidden folder');
    await fixture.write('checkpoints/.model.safetensors.0191.modeldock-part', 'a partial download');
    await symlink(
      fixture.absolute('checkpoints/model.safetensors'),
      fixture.absolute('checkpoints/link.safetensors'),
    );

    const report = await scanLibrary(fixture.ctx);

    expect(report).toEqual({ hashed: 3, unchanged: 0, forgotten: 0, failed: 0 });
    expect(paths()).toEqual([
      'checkpoints/model.safetensors',
      'diffusion_models/deep/er/z.gguf',
      'loras/old.ckpt',
    ]);
    const model = (await fixture.index.get('checkpoints/model.safetensors'))!;
    expect(model.sha256).toBe(sha256Of('safetensors bytes'));
    expect(model.size).toBe('safetensors bytes'.length);
    expect(model.sourceKind).toBeNull();
    expect(model.mtimeMs).toBe(
      (await fixture.fs.lstat(fixture.absolute('checkpoints/model.safetensors')))!.mtimeMs,
    );
  });

  it('never reads an unchanged file again, and re-hashes one whose size or modification time changed', async () => {
    await fixture.write('a.gguf', 'first');
    await fixture.write('b.gguf', 'second');
    await scanLibrary(fixture.ctx);
    fixture.fs.reads.length = 0;

    expect(await scanLibrary(fixture.ctx)).toEqual({
      hashed: 0,
      unchanged: 2,
      forgotten: 0,
      failed: 0,
    });
    expect(fixture.fs.reads).toEqual([]);

    await appendFile(fixture.absolute('a.gguf'), ' and more');
    const touched = new Date(Date.now() + 60_000);
    await fixture.write('b.gguf', 'SECOND', touched);
    expect(await scanLibrary(fixture.ctx)).toEqual({
      hashed: 2,
      unchanged: 0,
      forgotten: 0,
      failed: 0,
    });
    expect((await fixture.index.get('a.gguf'))!.sha256).toBe(sha256Of('first and more'));
    expect((await fixture.index.get('b.gguf'))!.sha256).toBe(sha256Of('SECOND'));
  });

  it('keeps who wrote a file while its content is the same, and drops it once the content changed', async () => {
    await fixture.write('a.gguf', 'downloaded');
    const stat = (await fixture.fs.lstat(fixture.absolute('a.gguf')))!;
    await fixture.index.record(
      {
        relativePath: 'a.gguf',
        sha256: sha256Of('downloaded'),
        size: stat.size,
        mtimeMs: stat.mtimeMs - 1,
        sourceKind: 'huggingface',
      },
      new Date(),
    );
    await scanLibrary(fixture.ctx);
    expect((await fixture.index.get('a.gguf'))!.sourceKind).toBe('huggingface');

    await fixture.write('a.gguf', 'replaced!!', new Date(Date.now() + 60_000));
    await scanLibrary(fixture.ctx);
    expect((await fixture.index.get('a.gguf'))!.sourceKind).toBeNull();
  });

  it('forgets files gone from disk, and keeps recorded files the walk does not visit current', async () => {
    await fixture.write('gone.gguf', 'soon deleted');
    await fixture.write('huggingface/hub/models--org--name/blobs/0123abcd', 'a cache blob');
    await scanLibrary(fixture.ctx);
    const blob = (await fixture.fs.lstat(
      fixture.absolute('huggingface/hub/models--org--name/blobs/0123abcd'),
    ))!;
    await fixture.index.record(
      {
        relativePath: 'huggingface/hub/models--org--name/blobs/0123abcd',
        sha256: sha256Of('a cache blob'),
        size: blob.size,
        mtimeMs: blob.mtimeMs,
        sourceKind: 'huggingface',
      },
      new Date(),
    );
    await fixture.index.record(
      {
        relativePath: '../outside.gguf',
        sha256: sha256Of('x'),
        size: 1,
        mtimeMs: 1,
        sourceKind: null,
      },
      new Date(),
    );
    await rm(fixture.absolute('gone.gguf'));
    fixture.fs.reads.length = 0;

    expect(await scanLibrary(fixture.ctx)).toEqual({
      hashed: 0,
      unchanged: 1,
      forgotten: 2,
      failed: 0,
    });
    expect(paths()).toEqual(['huggingface/hub/models--org--name/blobs/0123abcd']);
    expect(fixture.fs.reads).toEqual([]);

    await appendFile(
      fixture.absolute('huggingface/hub/models--org--name/blobs/0123abcd'),
      ' changed',
    );
    expect((await scanLibrary(fixture.ctx)).hashed).toBe(1);
    expect(
      (await fixture.index.get('huggingface/hub/models--org--name/blobs/0123abcd'))!.sha256,
    ).toBe(sha256Of('a cache blob changed'));
  });

  it('pages through a large index when looking for files that disappeared', async () => {
    for (let n = 0; n < 450; n++) {
      await fixture.index.record(
        {
          relativePath: `gone/${String(n).padStart(4, '0')}.gguf`,
          sha256: sha256Of(String(n)),
          size: 1,
          mtimeMs: 1,
          sourceKind: null,
        },
        new Date(),
      );
    }
    await fixture.write('kept.gguf', 'kept');
    const report = await scanLibrary(fixture.ctx);
    expect(report.forgotten).toBe(450);
    expect(paths()).toEqual(['kept.gguf']);
  });

  it('does not record a file written to while it was read, and indexes it on the next pass', async () => {
    await fixture.write('growing.gguf', 'part one');
    fixture.fs.beforeOpen = async (absolutePath, flags) => {
      if (flags === 'r' && absolutePath.endsWith('growing.gguf')) {
        fixture.fs.beforeOpen = null;
        await appendFile(absolutePath, ' and part two');
      }
    };
    expect(await scanLibrary(fixture.ctx)).toEqual({
      hashed: 0,
      unchanged: 0,
      forgotten: 0,
      failed: 1,
    });
    expect(await fixture.index.get('growing.gguf')).toBeNull();

    expect((await scanLibrary(fixture.ctx)).hashed).toBe(1);
    expect((await fixture.index.get('growing.gguf'))!.sha256).toBe(
      sha256Of('part one and part two'),
    );
  });

  it('logs a file it cannot read and carries on with the others', async () => {
    await fixture.write('a.gguf', 'readable');
    await fixture.write('b.gguf', 'locked');
    fixture.fs.beforeOpen = (absolutePath) => {
      if (absolutePath.endsWith('b.gguf'))
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    };
    expect(await scanLibrary(fixture.ctx)).toEqual({
      hashed: 1,
      unchanged: 0,
      forgotten: 0,
      failed: 1,
    });
    expect(paths()).toEqual(['a.gguf']);
    expect(fixture.logger.find('could not index a file')?.fields).toMatchObject({ file: 'b.gguf' });
  });

  it('logs a folder it cannot list, and an indexed file it cannot check is kept, not forgotten', async () => {
    await fixture.write('ok/a.gguf', 'a');
    await mkdir(fixture.absolute('locked'));
    const readdir = fixture.fs.readdir;
    fixture.fs.readdir = async (folder) => {
      if (folder.endsWith('locked'))
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      return readdir(folder);
    };
    await fixture.index.record(
      {
        relativePath: 'locked/b.gguf',
        sha256: sha256Of('b'),
        size: 1,
        mtimeMs: 1,
        sourceKind: null,
      },
      new Date(),
    );
    const lstat = fixture.fs.lstat;
    fixture.fs.lstat = async (target) => {
      if (target.endsWith(path.join('locked', 'b.gguf')))
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      return lstat(target);
    };

    expect(await scanLibrary(fixture.ctx)).toEqual({
      hashed: 1,
      unchanged: 0,
      forgotten: 0,
      failed: 1,
    });
    expect(paths()).toEqual(['locked/b.gguf', 'ok/a.gguf']);
    expect(fixture.logger.find('could not list a folder')?.fields).toMatchObject({
      folder: 'locked',
    });
    expect(fixture.logger.find('could not check an indexed file')?.fields).toMatchObject({
      file: 'locked/b.gguf',
    });
  });

  it('stops when aborted, keeping what it recorded, and the next pass only hashes what is left', async () => {
    for (const name of ['a.gguf', 'b.gguf', 'c.gguf'])
      await fixture.write(name, `content of ${name}`);
    const controller = new AbortController();
    let reads = 0;
    const interrupted = scanLibrary(fixture.ctx, {
      signal: controller.signal,
      beforeRead: async () => {
        // The second file's first chunk: stop there.
        if (++reads === 3) controller.abort(new Error('stop'));
      },
    });
    await expect(interrupted).rejects.toThrow('stop');
    expect(paths()).toEqual(['a.gguf']);

    fixture.fs.reads.length = 0;
    expect(await scanLibrary(fixture.ctx)).toEqual({
      hashed: 2,
      unchanged: 1,
      forgotten: 0,
      failed: 0,
    });
    expect(fixture.fs.reads).toEqual(['b.gguf', 'c.gguf']);
  });

  it('sees a file whose only change is its modification time', async () => {
    await fixture.write('same.gguf', 'same bytes');
    await scanLibrary(fixture.ctx);
    const later = new Date(Date.now() + 120_000);
    await utimes(fixture.absolute('same.gguf'), later, later);
    fixture.fs.reads.length = 0;
    expect((await scanLibrary(fixture.ctx)).hashed).toBe(1);
    expect(fixture.fs.reads).toEqual(['same.gguf']);
  });
});
