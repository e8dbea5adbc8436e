/**
 * Names and folders from outside at their limits: the 200-byte boundary, a multi-byte character at
 * the cut, Windows device names, leading dots, the folder length limit, links out of the root.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sanitizeFileName } from '@modeldock/engine/internal/paths/sanitize-file-name';
import {
  absoluteDestination,
  assertRealPathInsideRoot,
  normaliseFolder,
  relativeDestination,
} from '@modeldock/engine/internal/paths/confine-path';
import { createNodeFileSystem } from '@modeldock/engine/internal/fs/node-file-system';
import type { FileSystem } from '@modeldock/engine/internal/ports';

const bytes = (text: string) => Buffer.byteLength(text);

describe('file names at the 200-byte limit', () => {
  it('keeps a name of exactly 200 bytes whole, with or without an extension', () => {
    const plain = 'a'.repeat(200);
    expect(sanitizeFileName(plain)).toBe(plain);
    const withExtension = `${'b'.repeat(188)}.safetensors`;
    expect(sanitizeFileName(withExtension)).toBe(withExtension);
  });

  it('cuts a 201-byte name to 200 bytes, keeping the extension', () => {
    expect(sanitizeFileName('a'.repeat(201))).toBe('a'.repeat(200));
    expect(sanitizeFileName(`${'b'.repeat(189)}.safetensors`)).toBe(`${'b'.repeat(188)}.safetensors`);
  });

  it('never cuts a multi-byte character in half', () => {
    // 'ü' is 2 bytes: after '.gguf', 195 bytes are left for 97 of them, not 97.5.
    const cut = sanitizeFileName(`${'ü'.repeat(150)}.gguf`)!;
    expect(cut).toBe(`${'ü'.repeat(97)}.gguf`);
    const euro = sanitizeFileName(`${'€'.repeat(100)}.gguf`)!; // 3 bytes each: 195 budget → 65
    expect(cut.includes('\uFFFD') || euro.includes('\uFFFD')).toBe(false);
    expect(euro).toBe(`${'€'.repeat(65)}.gguf`);
    const emoji = sanitizeFileName('😀'.repeat(60))!; // 4 bytes and two UTF-16 units each
    expect(emoji).toBe('😀'.repeat(50));
    expect(bytes(sanitizeFileName(`a${'😀'.repeat(60)}`)!)).toBe(197);
  });

  it('keeps a trailing U+FFFD that was in the name, not left by a cut', () => {
    expect(sanitizeFileName('model\uFFFD')).toBe('model\uFFFD');
  });

  it('keeps an extension of up to 15 characters and the last one of several', () => {
    const long = 'x'.repeat(300);
    expect(sanitizeFileName(`${long}.abcdefghijklmno`)).toBe(`${'x'.repeat(184)}.abcdefghijklmno`);
    expect(sanitizeFileName(`${long}.abcdefghijklmnop`)).toBe(`${long}.abcdefghijklmnop`.slice(0, 200));
    expect(sanitizeFileName(`${long}.v2.safetensors`)).toBe(`${'x'.repeat(188)}.safetensors`);
    expect(sanitizeFileName(`${long}.a`)).toBe(`${'x'.repeat(198)}.a`);
  });
});

describe('Windows device names', () => {
  it.each(['COM1', 'com9.safetensors', 'LPT1', 'lpt3.gguf', 'AUX', 'aux.txt', 'nul', 'PRN.bin', 'COM¹', 'con.a.b'])(
    'prefixes %s',
    (name) => {
      expect(sanitizeFileName(name)).toBe(`_${name}`);
    },
  );

  it.each(['COM10.gguf', 'com.gguf', 'console.safetensors', 'falcon.safetensors', 'xnul', 'lpt', 'auxiliary'])(
    'leaves %s alone',
    (name) => {
      expect(sanitizeFileName(name)).toBe(name);
    },
  );
});

describe('dots, spaces and control characters', () => {
  it('drops leading dots so a name is never hidden or a traversal', () => {
    expect(sanitizeFileName('..hidden.safetensors')).toBe('hidden.safetensors');
    expect(sanitizeFileName('.env')).toBe('env');
    expect(sanitizeFileName('a..b.gguf')).toBe('a..b.gguf');
  });

  it('drops trailing dots and spaces, and surrounding whitespace', () => {
    expect(sanitizeFileName('  model.gguf . . ')).toBe('model.gguf');
    expect(sanitizeFileName('model .gguf')).toBe('model .gguf');
    expect(sanitizeFileName('. .')).toBeNull();
    expect(sanitizeFileName('')).toBeNull();
  });

  it('removes C0, DEL and C1 controls but keeps printable text around them', () => {
    expect(sanitizeFileName('a\u007fb\u0085c\u009fd\u00a0e.gguf')).toBe('abcd\u00a0e.gguf');
    expect(sanitizeFileName('\u0001\u001fx')).toBe('x');
  });

  it('removes a bidirectional override outright, leaving the name as it is stored', () => {
    // "evil\u202Egnp.safetensors" displays as "evilsrosnetefas.png"; the file is called what it is.
    expect(sanitizeFileName('evil\u202Egnp.safetensors')).toBe('evilgnp.safetensors');
    expect(sanitizeFileName('a\u2066b\u2069.gguf')).toBe('ab.gguf');
  });

  it('replaces every forbidden character', () => {
    expect(sanitizeFileName('a<b>c:d"e|f?g*h.gguf')).toBe('a_b_c_d_e_f_g_h.gguf');
  });

  it('decodes percent-encoding at most three times, and leaves broken encodings as they are', () => {
    expect(sanitizeFileName('%25252e%25252e%25252fx.gguf')).toBe('x.gguf');
    expect(sanitizeFileName('%2525252e%2525252e%2525252fx.gguf')).toBe('%2e%2e%2fx.gguf');
    expect(sanitizeFileName('model%zz.gguf')).toBe('model%zz.gguf');
    expect(sanitizeFileName('%41%E0%A4%A.gguf')).toBe('%41%E0%A4%A.gguf');
  });
});

describe('folders', () => {
  it('comes out empty for no folder at all', () => {
    for (const folder of [undefined, null, '', '  ', '.', './']) {
      expect(normaliseFolder(folder)).toBe('');
    }
  });

  it('accepts a folder of exactly 1024 characters and refuses a longer one', () => {
    const segment = 'a'.repeat(127);
    const exact = Array.from({ length: 8 }, () => segment).join('/'); // 8 × 127 + 7 = 1023
    expect(normaliseFolder(`${exact}b`)).toBe(`${exact}b`);
    expect(() => normaliseFolder(`${exact}bc`)).toThrowError(/too long/);
    expect(normaliseFolder(`  ${exact}b  `)).toBe(`${exact}b`);
  });

  it.each([
    ['/', /absolute path/],
    ['/abs/x', /absolute path/],
    ['\\abs', /absolute path/],
    ['C:relative', /absolute path/],
    ['z:', /absolute path/],
    ['a/../b', /leads out of the models folder/],
    ['a\\..', /leads out of the models folder/],
    ['a/%2e%2e/b', /not allowed \("%2e%2e"\)/],
    ['loras/CON', /not allowed \("CON"\)/],
    ['a\u007fb', /control characters/],
    ['a\u001fb', /control characters/],
    // A colon after the first segment is a forbidden character, not a drive letter.
    ['loras:sdxl', /contains a name that is not allowed \("loras:sdxl"\)/],
    ['loras/a:b', /contains a name that is not allowed \("a:b"\)/],
  ])('refuses %j', (folder, message) => {
    expect(() => normaliseFolder(folder)).toThrowError(
      expect.objectContaining({ code: 'PATH_OUTSIDE_ROOT', message: expect.stringMatching(message) }),
    );
  });

  it('normalises separators and keeps names that only look odd', () => {
    expect(normaliseFolder('loras\\\\sdxl//x/./')).toBe('loras/sdxl/x');
    expect(normaliseFolder('a/%zz')).toBe('a/%zz');
  });

  it('joins a folder and a name, and refuses a name that sanitises to nothing', () => {
    expect(relativeDestination('', 'm.gguf')).toBe('m.gguf');
    expect(relativeDestination('loras/', 'm.gguf')).toBe('loras/m.gguf');
    expect(() => relativeDestination('loras', '...')).toThrowError(
      expect.objectContaining({ code: 'INVALID_INPUT', message: '"..." cannot be used as a file name' }),
    );
  });

  it('places the root itself and refuses a sibling that shares its prefix', () => {
    expect(absoluteDestination('/models', '')).toBe(path.resolve('/models'));
    expect(() => absoluteDestination('/models', '../models-evil/x')).toThrowError(
      expect.objectContaining({
        code: 'PATH_OUTSIDE_ROOT',
        message: expect.stringMatching(/^"\.\.\/models-evil\/x" leads out of the models folder: /),
      }),
    );
  });

  it('places a nested destination under the root, one folder per segment', () => {
    expect(absoluteDestination('/models/', 'loras/sdxl/m.gguf')).toBe(
      path.join(path.resolve('/models'), 'loras', 'sdxl', 'm.gguf'),
    );
  });

  it('works with a models root at the top of the file system', () => {
    const top = path.resolve('/');
    expect(absoluteDestination(top, 'loras/m.gguf')).toBe(path.join(top, 'loras', 'm.gguf'));
    expect(absoluteDestination(top, '')).toBe(top);
  });
});

describe('links out of the models root', () => {
  async function layout() {
    const base = await mkdtemp(path.join(os.tmpdir(), 'md-confine-'));
    const root = path.join(base, 'models');
    const sibling = path.join(base, 'models-other');
    await mkdir(root);
    await mkdir(sibling);
    return { base, root, sibling };
  }
  const fs = createNodeFileSystem();

  it('refuses a folder linked to a sibling whose name starts like the root', async () => {
    const { root, sibling } = await layout();
    await symlink(sibling, path.join(root, 'loras'));
    await expect(assertRealPathInsideRoot(fs, root, path.join(root, 'loras', 'x.gguf'))).rejects.toMatchObject({
      code: 'PATH_OUTSIDE_ROOT',
      message: expect.stringContaining('resolves outside the models folder'),
    });
  });

  it('refuses a destination that is a link out of the root, or a dangling one', async () => {
    const { root, sibling } = await layout();
    await writeFile(path.join(sibling, 'target.gguf'), 'x');
    await symlink(path.join(sibling, 'target.gguf'), path.join(root, 'out.gguf'));
    await symlink(path.join(root, 'nowhere.gguf'), path.join(root, 'dangling.gguf'));
    for (const name of ['out.gguf', 'dangling.gguf']) {
      await expect(assertRealPathInsideRoot(fs, root, path.join(root, name))).rejects.toMatchObject({
        code: 'PATH_OUTSIDE_ROOT',
        message: expect.stringContaining('is a link that leads outside the models folder'),
      });
    }
  });

  it('accepts links that stay inside the root, and plain files', async () => {
    const { root } = await layout();
    await mkdir(path.join(root, 'real'));
    await writeFile(path.join(root, 'real', 'a.gguf'), 'x');
    await symlink(path.join(root, 'real'), path.join(root, 'alias'));
    await symlink(path.join(root, 'real', 'a.gguf'), path.join(root, 'link.gguf'));
    await symlink(root, path.join(root, 'self'));
    await writeFile(path.join(root, 'plain.gguf'), 'x');
    for (const target of ['alias/a.gguf', 'link.gguf', 'plain.gguf', 'self', 'new/deeper/x.gguf']) {
      await expect(assertRealPathInsideRoot(fs, root, path.join(root, target))).resolves.toBeUndefined();
    }
  });

  it('accepts destinations under a models root that is the file-system root', async () => {
    const top = path.resolve('/');
    const existing = new Set([top, path.join(top, 'loras')]);
    const rootFs = {
      realpath: async (p: string) => p,
      lstat: async (p: string) =>
        existing.has(p) ? { isSymbolicLink: false, isDirectory: true, isFile: false } : null,
    } as unknown as FileSystem;
    await expect(assertRealPathInsideRoot(rootFs, top, path.join(top, 'loras', 'm.gguf'))).resolves.toBeUndefined();
    await expect(assertRealPathInsideRoot(rootFs, top, path.join(top, 'new', 'm.gguf'))).resolves.toBeUndefined();
  });

  it('stops walking up at the file-system root when nothing exists (an unmounted models drive)', async () => {
    const nothing = {
      realpath: async (p: string) => (p === '/' ? '/' : `/mnt/models`),
      lstat: async () => null,
    } as unknown as FileSystem;
    await expect(
      assertRealPathInsideRoot(nothing, '/mnt/models', '/mnt/models/a/b.gguf'),
    ).rejects.toMatchObject({ code: 'PATH_OUTSIDE_ROOT' });
  });
});
