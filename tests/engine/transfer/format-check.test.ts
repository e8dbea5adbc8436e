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
} from '@modeldock/engine/internal/verify/format-check';
import { createNodeFileSystem } from '@modeldock/engine/internal/fs/node-file-system';
import type { FileSystem, WritableFile } from '@modeldock/engine/internal/ports';

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
      classification: expect.objectContaining({ modelClass: null, basis: null }),
    });
  });

  it('classifies the header it checked, for the check of the folder the file landed in', async () => {
    const vae = {
      'encoder.conv_in.weight': { dtype: 'U8', shape: [4], data_offsets: [0, 4] },
      'decoder.conv_in.weight': { dtype: 'U8', shape: [4], data_offsets: [4, 8] },
    };
    expect((await check('ae.safetensors', safetensors(vae, 8))).classification).toMatchObject({
      modelClass: 'vae',
      basis: 'header',
    });
  });

  it('classifies by the string metadata too: ss_network_module names a LoRA whose tensors do not', async () => {
    const tensor = { 'a.weight': { dtype: 'U8', shape: [4], data_offsets: [0, 4] } };
    const described = { __metadata__: { ss_network_module: 'networks.lora' }, ...tensor };
    expect(
      (await check('meta-lora.safetensors', safetensors(described, 4))).classification,
    ).toMatchObject({
      modelClass: 'lora',
      basis: 'header',
      evidence: expect.stringContaining('ss_network_module "networks.lora"'),
    });
    // Only string values are metadata (the format allows no other): a number says nothing.
    const numeric = { __metadata__: { ss_network_module: 5 }, ...tensor };
    expect(
      (await check('meta-number.safetensors', safetensors(numeric, 4))).classification,
    ).toMatchObject({
      modelClass: null,
    });
    // A __metadata__ that is not an object (null, a string) is no metadata, and no tensor.
    for (const odd of [null, 'networks.lora']) {
      const header = { __metadata__: odd, ...tensor };
      expect(
        (await check('meta-odd.safetensors', safetensors(header, 4))).classification,
      ).toMatchObject({
        modelClass: null,
      });
    }
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

describe('reading the file', () => {
  /** Checks `bytes` through a handle that counts its reads (the caller's handle, kept open). */
  async function countReads(name: string, bytes: Buffer) {
    const file = path.join(dir, name);
    await writeFile(file, bytes);
    const real = await fs.open(file, 'r');
    const reads: Array<{ position: number; length: number }> = [];
    const counting = {
      read: (buffer: Uint8Array, offset: number, length: number, position: number) => {
        reads.push({ position, length });
        return real.read(buffer, offset, length, position);
      },
    } as unknown as WritableFile;
    try {
      const result = await checkModelFormat(fs, file, name, bytes.length, counting);
      return { result, reads };
    } finally {
      await real.close();
    }
  }

  it('reads a small file once: its header is already in the first bytes', async () => {
    const small = safetensors({ t: { dtype: 'U8', shape: [4], data_offsets: [0, 4] } }, 4);
    expect(await countReads('small.safetensors', small)).toMatchObject({
      result: { format: 'safetensors', warnings: [] },
      reads: [{ position: 0, length: small.length }],
    });
    // A header that ends exactly where the file (and the first read) ends.
    const bare = safetensors({}, 0);
    expect(await countReads('bare.safetensors', bare)).toMatchObject({
      result: { format: 'safetensors', warnings: [] },
      reads: [{ position: 0, length: 10 }],
    });
  });

  it('shows at most 100 characters of a hostile tensor name in every message', async () => {
    const name = `${'n'.repeat(100)}TAIL`;
    const shown = `"${'n'.repeat(100)}"`;
    const wrongLength = { [name]: { dtype: 'U8', shape: [4], data_offsets: [0, 2] } };
    await expect(check('length.safetensors', safetensors(wrongLength, 2))).rejects.toMatchObject({
      message: expect.stringContaining(`tensor ${shown} has the wrong byte length`),
    });
    const gap = { [name]: { dtype: 'U8', shape: [2], data_offsets: [2, 4] } };
    await expect(check('gap.safetensors', safetensors(gap, 4))).rejects.toMatchObject({
      message: expect.stringContaining(`not contiguous at ${shown} (offset 2, expected 0)`),
    });
  });

  it('calls a file that cannot be opened an I/O error', async () => {
    const unopenable = {
      ...fs,
      open: async () => {
        throw new Error('the disk went away');
      },
    } as FileSystem;
    await expect(
      checkModelFormat(unopenable, path.join(dir, 'gone.gguf'), 'gone.gguf', 24),
    ).rejects.toMatchObject({ code: 'IO_ERROR', message: 'the disk went away' });
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
    expect(await check('model.weights', gguf(2))).toEqual({ format: 'gguf', warnings: [] });
  });

  it('needs the whole fixed header: 16 bytes in version 1, 24 since version 2', async () => {
    expect(await check('v1.gguf', gguf(1).subarray(0, 16))).toEqual({
      format: 'gguf',
      warnings: [],
    });
    expect(await check('v3.gguf', gguf(3))).toEqual({ format: 'gguf', warnings: [] });
    for (const [name, bytes] of [
      ['v1-cut.gguf', gguf(1).subarray(0, 15)],
      ['v2-cut.gguf', gguf(2).subarray(0, 16)],
      ['v3-cut.gguf', gguf(3).subarray(0, 23)],
      // Magic and version only: no tensor or metadata counts.
      ['v3-bare.gguf', gguf(3).subarray(0, 8)],
    ] as const) {
      await expect(check(name, bytes)).rejects.toMatchObject({
        code: 'INVALID_FORMAT',
        message: `"${name}" is not a valid GGUF file: it is too short`,
      });
    }
  });
});

describe('pickle formats', () => {
  it.each(['model.ckpt', 'model.pt', 'model.pth', 'pytorch_model.bin', 'x.pkl'])(
    'accepts %s with a warning',
    async (name) => {
      const result = await check(name, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]));
      expect(result.format).toBe('pickle');
      expect(result.warnings).toEqual([
        `"${name}" is a pickle-based file (${path.extname(name)}): loading it can run arbitrary code. ` +
          'Only use it if you trust its author; prefer a .safetensors version when one exists.',
      ]);
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

  it('tells a login page by its wording: log in, login, log-in, sign in, signin, sign-in', () => {
    for (const words of ['Log in', 'login', 'log-in', 'Sign in', 'signin', 'Sign-in']) {
      const page = Buffer.from(`<!doctype html><title>${words}</title><p>Welcome back</p>`);
      expect(describeUnexpectedBody('html', page, 'a.gguf')).toBe(
        'The server sent an HTML page (looks like a login page: the file probably needs an API key or an account) instead of the model file "a.gguf"',
      );
    }
  });

  it('quotes a JSON error behind a byte order mark, and one cut off mid-body', () => {
    const withBom = Buffer.from('\uFEFF{"detail": "Repository not found"}');
    expect(unexpectedContentTypeError('application/json', 'a.safetensors', withBom)?.message).toBe(
      'The server sent a JSON response instead of the model file "a.safetensors": "Repository not found"',
    );
    // Only the first bytes are sampled, so the JSON may end anywhere: the message is still found.
    for (const body of [
      '{"error" : "Access denied", "url": "https://',
      '{"error":"Quota", "x":[',
    ]) {
      expect(describeUnexpectedBody('json', Buffer.from(body), 'a.gguf')).toMatch(
        /JSON response instead of the model file "a.gguf": "(Access denied|Quota)"$/,
      );
    }
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
