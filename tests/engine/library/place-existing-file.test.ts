/**
 * Placing a file already on disk at a new destination: a hard link on the same file system, a copy
 * where linking is not possible, and in every case a temp file verified against the expected
 * SHA-256 before the rename — never a partial or wrong file at the final path, never an overwrite.
 */
import { link, mkdir, readFile, readdir, readlink, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ModeldockError, createNodeFileSystem, placeExistingFile } from '@modeldock/engine';
import type { FileSystem } from '@modeldock/engine';
import { faultFileSystem } from '../../support/fault-file-system';
import { nodeFileSystemForTests, withoutHardLinks } from '../../support/node-fs-for-tests';
import { createLibraryFixture, sha256Of } from './helpers/library-fixture';
import type { LibraryFixture } from './helpers/library-fixture';

const CONTENT = Buffer.from('weights '.repeat(1000));
let fixture: LibraryFixture | null = null;

afterEach(async () => {
  await fixture?.cleanup();
  fixture = null;
});

async function setUp(fs: FileSystem): Promise<LibraryFixture> {
  fixture = await createLibraryFixture(fs);
  await fixture.write('checkpoints/original.safetensors', CONTENT);
  return fixture;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ModeldockError);
  return (error as ModeldockError).code;
}

/** Every entry of a folder, hidden temp files included. */
async function entries(folder: string): Promise<string[]> {
  return (await readdir(folder)).sort();
}

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

describe('placing a file already on disk', () => {
  it('hard-links it on the same file system: same bytes, same inode, verified', async () => {
    const f = await setUp(nodeFileSystemForTests());
    const placed = await placeExistingFile(f.ctx, {
      from: 'checkpoints/original.safetensors',
      to: 'diffusion_models/copy.safetensors',
      expectedSha256: sha256Of(CONTENT),
    });
    expect(placed).toEqual({ method: 'link', bytes: CONTENT.length, sha256: sha256Of(CONTENT) });
    const [original, copy] = await Promise.all([
      stat(f.absolute('checkpoints/original.safetensors')),
      stat(f.absolute('diffusion_models/copy.safetensors')),
    ]);
    expect(copy.ino).toBe(original.ino);
    expect(await readFile(f.absolute('diffusion_models/copy.safetensors'))).toEqual(CONTENT);
    expect(await entries(f.absolute('diffusion_models'))).toEqual(['copy.safetensors']);
    // The verification read the placed file, not just the source.
    expect(f.fs.reads.some((read) => read.startsWith('diffusion_models/.copy.safetensors.'))).toBe(
      true,
    );
  });

  it('copies when the file system cannot link here (EXDEV, EPERM, ENOTSUP)', async () => {
    for (const refusal of ['EXDEV', 'EPERM', 'ENOTSUP']) {
      const fs: FileSystem = {
        ...nodeFileSystemForTests(),
        link: async () => {
          throw errno(refusal);
        },
      };
      const f = await setUp(fs);
      const placed = await placeExistingFile(f.ctx, {
        from: 'checkpoints/original.safetensors',
        to: 'vae/copy.safetensors',
        expectedSha256: sha256Of(CONTENT),
      });
      expect(placed.method).toBe('copy');
      expect((await stat(f.absolute('vae/copy.safetensors'))).ino).not.toBe(
        (await stat(f.absolute('checkpoints/original.safetensors'))).ino,
      );
      expect(await readFile(f.absolute('vae/copy.safetensors'))).toEqual(CONTENT);
      expect(await entries(f.absolute('vae'))).toEqual(['copy.safetensors']);
      await f.cleanup();
      fixture = null;
    }
  });

  it('refuses a file that no longer has the expected SHA-256, leaving nothing behind', async () => {
    const f = await setUp(nodeFileSystemForTests());
    const code = await codeOf(
      placeExistingFile(f.ctx, {
        from: 'checkpoints/original.safetensors',
        to: 'vae/copy.safetensors',
        expectedSha256: sha256Of('something else'),
      }),
    );
    expect(code).toBe('HASH_MISMATCH');
    expect(await entries(f.absolute('vae'))).toEqual([]);
  });

  it('never replaces a file already at the destination', async () => {
    const f = await setUp(nodeFileSystemForTests());
    await f.write('vae/copy.safetensors', 'mine, not yours');
    const code = await codeOf(
      placeExistingFile(f.ctx, {
        from: 'checkpoints/original.safetensors',
        to: 'vae/copy.safetensors',
        expectedSha256: sha256Of(CONTENT),
      }),
    );
    expect(code).toBe('DESTINATION_EXISTS');
    expect(await readFile(f.absolute('vae/copy.safetensors'), 'utf8')).toBe('mine, not yours');
    expect(await entries(f.absolute('vae'))).toEqual(['copy.safetensors']);
  });

  it('refuses a destination whose folder is a link leading outside the models folder', async () => {
    const f = await setUp(nodeFileSystemForTests());
    await mkdir(path.join(f.root, 'elsewhere'));
    await symlink(path.join(f.root, 'elsewhere'), f.absolute('escape'));
    const code = await codeOf(
      placeExistingFile(f.ctx, {
        from: 'checkpoints/original.safetensors',
        to: 'escape/copy.safetensors',
        expectedSha256: sha256Of(CONTENT),
      }),
    );
    expect(code).toBe('PATH_OUTSIDE_ROOT');
    expect(await entries(path.join(f.root, 'elsewhere'))).toEqual([]);
  });

  it('removes a half-written copy when the disk fills up, and says so', async () => {
    const disk = faultFileSystem(withoutHardLinks(nodeFileSystemForTests()));
    const f = await setUp(disk);
    disk.failAfter(100);
    const code = await codeOf(
      placeExistingFile(f.ctx, {
        from: 'checkpoints/original.safetensors',
        to: 'vae/copy.safetensors',
        expectedSha256: sha256Of(CONTENT),
      }),
    );
    expect(code).toBe('DISK_FULL');
    expect(await entries(f.absolute('vae'))).toEqual([]);
  });

  it('passes on a link failure that is not about the file system (permission), leaving nothing behind', async () => {
    const base = nodeFileSystemForTests();
    const f = await setUp({
      ...base,
      link: async () => {
        throw errno('EACCES');
      },
    });
    const code = await codeOf(
      placeExistingFile(f.ctx, {
        from: 'checkpoints/original.safetensors',
        to: 'vae/copy.safetensors',
        expectedSha256: sha256Of(CONTENT),
      }),
    );
    expect(code).toBe('IO_ERROR');
    expect(await entries(f.absolute('vae'))).toEqual([]);
  });

  it("the engine's file system makes hard and symbolic links itself", async () => {
    const f = await setUp(createNodeFileSystem());
    await f.fs.symlink('checkpoints/original.safetensors', f.absolute('pointer'));
    expect(await readlink(f.absolute('pointer'))).toBe('checkpoints/original.safetensors');
    await f.fs.link(f.absolute('checkpoints/original.safetensors'), f.absolute('second-name'));
    expect((await stat(f.absolute('second-name'))).nlink).toBe(2);
  });
});
