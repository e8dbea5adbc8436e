/** Failure cases 13 and 28: what came back instead of a model, and formats checked by their bytes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  checkModelFormat,
  describeUnexpectedBody,
  isModelFileName,
  sniffTextBody,
  unexpectedContentTypeError,
} from '../../../packages/engine/src/verify/format-check';
import { createNodeFileSystem } from '../../../packages/engine/src/fs/node-file-system';

const fs = createNodeFileSystem();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'modeldock-format-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function check(name: string, bytes: Buffer) {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return checkModelFormat(fs, file, name, bytes.length);
}

/** A safetensors file whose header is `header` (an object) followed by `dataBytes` bytes. */
function safetensors(header: unknown, dataBytes: number, headerLengthOverride?: bigint): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(headerLengthOverride ?? BigInt(json.length));
  return Buffer.concat([length, json, Buffer.alloc(dataBytes, 1)]);
}

describe('safetensors', () => {
  const valid = {
    __metadata__: { format: 'pt' },
    'a.weight': { dtype: 'F16', shape: [2, 3], data_offsets: [0, 12] },
    'b.bias': { dtype: 'F32', shape: [4], data_offsets: [12, 28] },
    'c.unknown': { dtype: 'F4', shape: [8], data_offsets: [28, 32] },
  };

  it('accepts a header whose tensors cover the rest of the file exactly', async () => {
    expect(await check('ok.safetensors', safetensors(valid, 32))).toEqual({
      format: 'safetensors',
      warnings: [],
    });
  });

  it('refuses an absurd header length without allocating it', async () => {
    await expect(
      check('huge.safetensors', safetensors(valid, 32, 2n ** 63n)),
    ).rejects.toMatchObject({
      code: 'INVALID_FORMAT',
      message: expect.stringContaining('header length'),
    });
    await expect(check('over.safetensors', safetensors(valid, 32, 10_000n))).rejects.toMatchObject({
      code: 'INVALID_FORMAT',
    });
  });

  it.each([
    [
      'a gap between tensors',
      {
        x: { dtype: 'U8', shape: [4], data_offsets: [0, 4] },
        y: { dtype: 'U8', shape: [4], data_offsets: [8, 12] },
      },
      12,
    ],
    [
      'overlapping tensors',
      {
        x: { dtype: 'U8', shape: [8], data_offsets: [0, 8] },
        y: { dtype: 'U8', shape: [4], data_offsets: [4, 8] },
      },
      8,
    ],
    [
      'trailing bytes no tensor covers',
      { x: { dtype: 'U8', shape: [4], data_offsets: [0, 4] } },
      10,
    ],
    ['a truncated file', { x: { dtype: 'U8', shape: [40], data_offsets: [0, 40] } }, 10],
    [
      'a shape that does not match the byte length',
      { x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } },
      8,
    ],
    ['reversed offsets', { x: { dtype: 'U8', shape: [0], data_offsets: [4, 0] } }, 4],
    ['a header that is not an object', [1, 2, 3], 0],
  ])('refuses %s', async (_name, header, dataBytes) => {
    await expect(check('bad.safetensors', safetensors(header, dataBytes))).rejects.toMatchObject({
      code: 'INVALID_FORMAT',
    });
  });

  it('refuses a header that is not JSON', async () => {
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(5n);
    await expect(
      check('garbage.safetensors', Buffer.concat([length, Buffer.from('{nope'), Buffer.alloc(3)])),
    ).rejects.toMatchObject({
      code: 'INVALID_FORMAT',
      message: expect.stringContaining('not valid JSON'),
    });
  });

  it('says NOT_A_MODEL when the .safetensors file is really an HTML page', async () => {
    await expect(
      check(
        'page.safetensors',
        Buffer.from('<!DOCTYPE html><html><title>Login</title><a>Sign in</a></html>'),
      ),
    ).rejects.toMatchObject({
      code: 'NOT_A_MODEL',
      message: expect.stringContaining('looks like a login page'),
    });
  });
});

describe('GGUF', () => {
  const gguf = (version: number) => {
    const header = Buffer.alloc(24);
    header.write('GGUF', 0, 'latin1');
    header.writeUInt32LE(version, 4);
    return header;
  };

  it('accepts versions 1–3', async () => {
    expect((await check('m.gguf', gguf(3))).format).toBe('gguf');
    expect((await check('m1.gguf', gguf(1))).format).toBe('gguf');
  });

  it('refuses a wrong magic or an unknown version', async () => {
    await expect(check('v9.gguf', gguf(9))).rejects.toMatchObject({
      code: 'INVALID_FORMAT',
      message: expect.stringContaining('version 9'),
    });
    await expect(check('x.gguf', Buffer.from('GGML0000'))).rejects.toMatchObject({
      code: 'INVALID_FORMAT',
    });
  });

  it('recognises GGUF magic under another extension', async () => {
    expect((await check('model.weights', gguf(2))).format).toBe('gguf');
  });
});

describe('pickle formats', () => {
  it.each(['model.ckpt', 'model.pt', 'model.pth', 'pytorch_model.bin', 'x.pkl'])(
    'accepts %s with a warning',
    async (name) => {
      const result = await check(name, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]));
      expect(result.format).toBe('pickle');
      expect(result.warnings[0]).toMatch(/can run arbitrary code/);
    },
  );

  it('refuses a .bin that is a JSON error', async () => {
    await expect(
      check('weights.bin', Buffer.from('{"error":"Unauthorized","message":"Log in to download"}')),
    ).rejects.toMatchObject({
      code: 'NOT_A_MODEL',
      message: expect.stringContaining('JSON response'),
    });
  });
});

describe('other files', () => {
  it('does not judge files that are not model weights', async () => {
    expect(await check('config.json', Buffer.from('{"a":1}'))).toEqual({
      format: 'other',
      warnings: [],
    });
    expect(await check('README.md', Buffer.from('<h1>hi</h1>'))).toEqual({
      format: 'other',
      warnings: [],
    });
  });

  it('knows which names are model weights', () => {
    expect(isModelFileName('a.SafeTensors')).toBe(true);
    expect(isModelFileName('a.onnx')).toBe(true);
    expect(isModelFileName('tokenizer.json')).toBe(false);
  });
});

describe('bodies that are not the model', () => {
  it('recognises HTML, XML and JSON bodies, not binary ones', () => {
    expect(sniffTextBody(Buffer.from('  <html><body>'))).toBe('html');
    expect(
      sniffTextBody(Buffer.from('<?xml version="1.0"?><Error><Code>AccessDenied</Code></Error>')),
    ).toBe('xml');
    expect(sniffTextBody(Buffer.from('{"error": "x"}'))).toBe('json');
    expect(sniffTextBody(Buffer.from([0x80, 0x02, 0x7d, 0x71]))).toBeNull();
  });

  it('describes what came back', () => {
    expect(
      describeUnexpectedBody(
        'html',
        Buffer.from('<html>Just a moment... Cloudflare</html>'),
        'a.gguf',
      ),
    ).toContain('bot check');
    expect(
      describeUnexpectedBody('html', Buffer.from('<html>404 Not Found</html>'), 'a.gguf'),
    ).toContain('error page');
    expect(
      describeUnexpectedBody(
        'xml',
        Buffer.from('<Error><Code>AccessDenied</Code></Error>'),
        'a.gguf',
      ),
    ).toContain('(AccessDenied)');
    expect(
      describeUnexpectedBody('json', Buffer.from('{"detail":"Rate limit"}'), 'a.gguf'),
    ).toContain('"Rate limit"');
  });

  it('rejects text/html and application/json Content-Types for model files only', () => {
    expect(
      unexpectedContentTypeError('text/html; charset=utf-8', 'm.safetensors', Buffer.alloc(0))
        ?.code,
    ).toBe('NOT_A_MODEL');
    expect(
      unexpectedContentTypeError('application/problem+json', 'm.gguf', Buffer.alloc(0))?.code,
    ).toBe('NOT_A_MODEL');
    expect(
      unexpectedContentTypeError('application/json', 'config.json', Buffer.alloc(0)),
    ).toBeNull();
    expect(
      unexpectedContentTypeError('application/octet-stream', 'm.safetensors', Buffer.alloc(0)),
    ).toBeNull();
    expect(unexpectedContentTypeError(undefined, 'm.safetensors', Buffer.alloc(0))).toBeNull();
  });
});
