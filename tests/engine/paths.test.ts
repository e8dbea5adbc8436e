import { describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  absoluteDestination,
  assertRealPathInsideRoot,
  fileIdOfTempName,
  normaliseFolder,
  relativeDestination,
  sanitizeFileName,
  tempPathFor,
} from '@modeldock/engine';
import { nodeFileSystemForTests } from '../support/node-fs-for-tests';

describe('sanitizeFileName reduces hostile names to one safe segment', () => {
  it.each([
    ['../../.bashrc', 'bashrc'],
    ['/etc/passwd', 'passwd'],
    ['C:\\x', 'x'],
    ['\\\\host\\share\\x.safetensors', 'x.safetensors'],
    ['%2e%2e%2fevil.bin', 'evil.bin'],
    ['%252e%252e%252fdouble.bin', 'double.bin'],
    ['CON', '_CON'],
    ['lpt1.txt', '_lpt1.txt'],
    ['model.safetensors...', 'model.safetensors'],
    ['a\u0000b\u001fc.gguf', 'abc.gguf'],
    ['what?<>|.ckpt', 'what____.ckpt'],
  ])('%s → %s', (input, expected) => {
    expect(sanitizeFileName(input)).toBe(expected);
  });

  it('returns null when nothing usable is left', () => {
    expect(sanitizeFileName('..')).toBeNull();
    expect(sanitizeFileName('/')).toBeNull();
    expect(sanitizeFileName('...')).toBeNull();
  });

  it('caps very long names and keeps the extension', () => {
    const name = sanitizeFileName(`${'a'.repeat(10_000)}.safetensors`)!;
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(200);
    expect(name.endsWith('.safetensors')).toBe(true);
  });
});

describe('folders stay inside the models root', () => {
  it('accepts nested relative folders', () => {
    expect(normaliseFolder('loras/sdxl')).toBe('loras/sdxl');
    expect(normaliseFolder('./checkpoints/')).toBe('checkpoints');
    expect(normaliseFolder(undefined)).toBe('');
  });

  it.each(['../x', 'a/../../x', '/abs', 'C:\\Windows', '\\\\host\\share', 'a/%2e%2e/b', 'x\u0000y'])(
    'rejects %s with PATH_OUTSIDE_ROOT',
    (folder) => {
      expect(() => normaliseFolder(folder)).toThrowError(expect.objectContaining({ code: 'PATH_OUTSIDE_ROOT' }));
    },
  );

  it('builds relative and absolute destinations', () => {
    expect(relativeDestination('vae', '../ae.safetensors')).toBe('vae/ae.safetensors');
    expect(absoluteDestination('/models', 'vae/ae.safetensors')).toBe(path.resolve('/models/vae/ae.safetensors'));
    expect(() => absoluteDestination('/models', '../etc/passwd')).toThrowError(
      expect.objectContaining({ code: 'PATH_OUTSIDE_ROOT' }),
    );
    expect(() => relativeDestination('', '..')).toThrowError(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('refuses a folder that is a symlink out of the root', async () => {
    const base = await mkdtemp(path.join(os.tmpdir(), 'md-paths-'));
    const root = path.join(base, 'models');
    const outsideDir = path.join(base, 'elsewhere');
    await mkdir(root);
    await mkdir(outsideDir);
    await symlink(outsideDir, path.join(root, 'loras'));
    const fs = nodeFileSystemForTests();
    await expect(
      assertRealPathInsideRoot(fs, root, path.join(root, 'loras', 'x.safetensors')),
    ).rejects.toMatchObject({ code: 'PATH_OUTSIDE_ROOT' });
    await expect(
      assertRealPathInsideRoot(fs, root, path.join(root, 'new', 'deep', 'x.safetensors')),
    ).resolves.toBeUndefined();
  });

  it('names temp files beside the destination with their owner', () => {
    const temp = tempPathFor('/m/vae/ae.safetensors', 'f123');
    expect(path.dirname(temp)).toBe('/m/vae');
    expect(fileIdOfTempName(path.basename(temp))).toBe('f123');
    expect(fileIdOfTempName('ae.safetensors')).toBeNull();
  });
});

describe('names that read differently from what they are (issue 9.5)', () => {
  it('strips bidirectional overrides and isolates from file names', () => {
    for (const mark of ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069']) {
      expect(sanitizeFileName(`evil${mark}gnp.safetensors`)).toBe('evilgnp.safetensors');
    }
  });

  it('NFC-normalises a folder before its checks: a decomposed "é" is the composed folder', () => {
    expect(normaliseFolder('loras/cafe\u0301')).toBe('loras/caf\u00e9');
    expect(relativeDestination('cafe\u0301', 'mode\u0300le.safetensors')).toBe('caf\u00e9/mod\u00e8le.safetensors');
  });

  it('refuses a folder holding a bidirectional override', () => {
    expect(() => normaliseFolder('loras/\u202eevil')).toThrow(/not allowed/);
  });
});
