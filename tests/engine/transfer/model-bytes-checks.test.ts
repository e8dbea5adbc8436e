/**
 * Is it really the model? Each safetensors per-tensor rule, the header-length bounds, the GGUF magic
 * and version, and what a text body looks like, each with the file that breaks it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  SAFETENSORS_MAX_HEADER_BYTES,
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
  dir = await mkdtemp(path.join(os.tmpdir(), 'modeldock-bytes-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function check(name: string, bytes: Buffer, claimedSize = bytes.length) {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return checkModelFormat(fs, file, name, claimedSize);
}

function safetensors(header: unknown, dataBytes: number): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, Buffer.alloc(dataBytes, 1)]);
}

const rejects = (promise: Promise<unknown>, message: RegExp) =>
  expect(promise).rejects.toMatchObject({ code: 'INVALID_FORMAT', message: expect.stringMatching(message) });

describe('safetensors tensors, one rule at a time', () => {
  const tensor = (overrides: Record<string, unknown>) => ({
    t: { dtype: 'U8', shape: [4], data_offsets: [0, 4], ...overrides },
  });

  it.each([
    ['a missing dtype', { dtype: undefined }],
    ['a numeric dtype', { dtype: 1 }],
    ['a shape that is not a list', { shape: 4 }],
    ['a negative dimension', { shape: [-4] }],
    ['a fractional dimension', { shape: [1.5] }],
    ['a dimension past 2^53', { shape: [2 ** 60] }],
    ['offsets that are not a list', { data_offsets: 4 }],
    ['three offsets', { data_offsets: [0, 2, 4] }],
    ['one offset', { data_offsets: [4] }],
    ['a negative offset', { data_offsets: [-4, 0] }],
    ['a fractional offset', { data_offsets: [0, 3.5] }],
    ['an end before the begin', { data_offsets: [4, 0], shape: [0] }],
  ])('refuses %s', async (_name, overrides) => {
    await rejects(check('t.safetensors', safetensors(tensor(overrides), 4)), /tensor "t" is malformed/);
  });

  it('refuses a tensor entry that is null', async () => {
    await rejects(check('n.safetensors', safetensors({ t: null }, 0)), /tensor "t" is malformed/);
  });

  it('checks the byte length as elements × dtype size', async () => {
    const f16 = { t: { dtype: 'F16', shape: [2, 3], data_offsets: [0, 12] } };
    expect((await check('f16.safetensors', safetensors(f16, 12))).format).toBe('safetensors');
    const scalar = { t: { dtype: 'F64', shape: [], data_offsets: [0, 8] } };
    expect((await check('scalar.safetensors', safetensors(scalar, 8))).format).toBe('safetensors');
    const wrong = { t: { dtype: 'BF16', shape: [2, 3], data_offsets: [0, 6] } };
    await rejects(check('wrong.safetensors', safetensors(wrong, 6)), /tensor "t" has the wrong byte length/);
    const i64 = { t: { dtype: 'I64', shape: [3], data_offsets: [0, 12] } };
    await rejects(check('i64.safetensors', safetensors(i64, 12)), /wrong byte length/);
  });

  it('accepts tensors listed out of order, and empty tensors sharing an offset', async () => {
    const header = {
      late: { dtype: 'U8', shape: [4], data_offsets: [4, 8] },
      empty: { dtype: 'U8', shape: [0], data_offsets: [4, 4] },
      early: { dtype: 'U8', shape: [4], data_offsets: [0, 4] },
    };
    expect((await check('order.safetensors', safetensors(header, 8))).format).toBe('safetensors');
  });

  it('names the offset where data stops being contiguous', async () => {
    const header = {
      x: { dtype: 'U8', shape: [4], data_offsets: [0, 4] },
      y: { dtype: 'U8', shape: [4], data_offsets: [6, 10] },
    };
    await rejects(check('gap.safetensors', safetensors(header, 10)), /not contiguous at "y" \(offset 6, expected 4\)/);
    await rejects(
      check('short.safetensors', safetensors({ x: header.x }, 6)),
      /describes 4 bytes of tensors but 6 follow/,
    );
  });

  it('shows at most 100 characters of a hostile tensor name', async () => {
    const name = `${'n'.repeat(100)}TAIL`;
    const failure = check('long.safetensors', safetensors({ [name]: { dtype: 'U8' } }, 0));
    await rejects(failure, new RegExp(`tensor "${'n'.repeat(100)}" is malformed`));
  });

  it('ignores the metadata entry, whatever it holds', async () => {
    const header = { __metadata__: { anything: 'goes' }, t: { dtype: 'U8', shape: [2], data_offsets: [0, 2] } };
    expect((await check('meta.safetensors', safetensors(header, 2))).format).toBe('safetensors');
  });
});

describe('safetensors header length', () => {
  const withLength = (length: bigint, rest: Buffer) => {
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(length);
    return Buffer.concat([prefix, rest]);
  };

  it('accepts the smallest header, "{}", with nothing after it', async () => {
    expect((await check('empty.safetensors', withLength(2n, Buffer.from('{}')))).format).toBe('safetensors');
  });

  it('refuses a length below 2, and one past the end of the file', async () => {
    await rejects(check('one.safetensors', withLength(1n, Buffer.from('{}'))), /header length \(1\) is impossible for a 10-byte file/);
    await rejects(check('past.safetensors', withLength(3n, Buffer.from('{}'))), /header length \(3\)/);
  });

  it('refuses a file shorter than the length field', async () => {
    await rejects(check('tiny.safetensors', Buffer.from([2, 0, 0, 0, 0, 0, 0])), /too short/);
    await rejects(check('claimed.safetensors', Buffer.from([2, 0, 0]), 100), /too short/);
  });

  it('refuses a header that does not start with "{"', async () => {
    await rejects(check('space.safetensors', withLength(3n, Buffer.from(' {}'))), /does not start with "\{"/);
  });

  /** A handle over a virtual file of `size` bytes: the first 8 hold `headerLength`, the rest are zeros. */
  function hugeFile(headerLength: number) {
    const reads: number[] = [];
    const handle = {
      read: async (buffer: Uint8Array, offset: number, length: number, position: number) => {
        reads.push(length);
        if (position >= 4096) return { bytesRead: 0 };
        const prefix = Buffer.alloc(8);
        prefix.writeBigUInt64LE(BigInt(headerLength));
        const bytes = Buffer.alloc(Math.min(length, 64));
        if (position === 0) prefix.copy(bytes);
        bytes.copy(buffer, offset);
        return { bytesRead: bytes.length };
      },
      close: async () => undefined,
    } as unknown as WritableFile;
    return { handle, reads };
  }

  it('refuses a header above 100 MB before reading it, and reads one of exactly 100 MB', async () => {
    const over = hugeFile(SAFETENSORS_MAX_HEADER_BYTES + 1);
    await rejects(
      checkModelFormat(fs, '/virtual', 'big.safetensors', 300_000_000, over.handle),
      /header length \(100000001\)/,
    );
    expect(over.reads.every((length) => length <= 4096)).toBe(true);
    const limit = hugeFile(SAFETENSORS_MAX_HEADER_BYTES);
    await rejects(
      checkModelFormat(fs, '/virtual', 'big.safetensors', 300_000_000, limit.handle),
      /does not start with "\{"/,
    );
  });

  it('reads a header in as many reads as the file system needs', async () => {
    const header = {
      __metadata__: { note: 'x'.repeat(6000) },
      t: { dtype: 'U8', shape: [2], data_offsets: [0, 2] },
    };
    const bytes = safetensors(header, 2);
    const file = path.join(dir, 'chunked.safetensors');
    await writeFile(file, bytes);
    const real = await fs.open(file, 'r');
    const chunked = {
      read: (buffer: Uint8Array, offset: number, length: number, position: number) =>
        real.read(buffer, offset, Math.min(length, 1000), position),
      close: () => real.close(),
    } as unknown as WritableFile;
    try {
      expect((await checkModelFormat(fs, file, 'chunked.safetensors', bytes.length, chunked)).format).toBe(
        'safetensors',
      );
      // The caller's handle stays open.
      const probe = Buffer.alloc(1);
      expect((await real.read(probe, 0, 1, 0)).bytesRead).toBe(1);
    } finally {
      await real.close();
    }
  });
});

describe('GGUF', () => {
  const gguf = (version: number, length = 24) => {
    const bytes = Buffer.alloc(length);
    bytes.write('GGUF', 0, 'latin1');
    if (length >= 8) bytes.writeUInt32LE(version, 4);
    return bytes;
  };

  it('accepts versions 1, 2 and 3 only', async () => {
    expect((await check('v2.gguf', gguf(2))).format).toBe('gguf');
    await rejects(check('v0.gguf', gguf(0)), /unknown version 0/);
    await rejects(check('v4.gguf', gguf(4)), /unknown version 4/);
  });

  it('refuses a wrong magic, and a magic with nothing after it', async () => {
    await rejects(check('ggml.gguf', Buffer.from('GGMLxxxxxxxx')), /does not start with "GGUF"/);
    await rejects(check('lower.gguf', Buffer.from('ggufxxxxxxxx')), /does not start with "GGUF"/);
    await rejects(check('short.gguf', gguf(3, 7)), /too short/);
    // The file is shorter than its claimed size: only the bytes really there count.
    await rejects(check('cut.gguf', gguf(3, 4), 24), /too short/);
  });

  it('recognises the magic under another extension only with a version after it', async () => {
    expect((await check('model.weights', gguf(3, 8))).format).toBe('gguf');
    expect((await check('seven.weights', gguf(3, 7))).format).toBe('other');
    expect((await check('almost.weights', Buffer.from('GGUX\u0003\u0000\u0000\u0000'))).format).toBe('other');
  });

  it('says NOT_A_MODEL for a .gguf that is an HTML page', async () => {
    await expect(check('page.gguf', Buffer.from('<html><body>Not Found</body></html>'))).rejects.toMatchObject({
      code: 'NOT_A_MODEL',
    });
  });
});

describe('which names are model weights', () => {
  it.each(['.safetensors', '.sft', '.gguf', '.ckpt', '.pt', '.pth', '.bin', '.pkl', '.pt2', '.onnx', '.h5', '.msgpack', '.tflite', '.mlmodel', '.pb', '.nemo', '.engine'])(
    '%s is',
    (extension) => {
      expect(isModelFileName(`model${extension.toUpperCase()}`)).toBe(true);
    },
  );

  it.each(['config.json', 'README.md', 'model', 'merges.txt', 'model.safetensors.json'])('%s is not', (name) => {
    expect(isModelFileName(name)).toBe(false);
  });

  it('judges text bodies under every model extension, not under others', async () => {
    for (const name of ['x.onnx', 'x.pt2', 'x.ckpt']) {
      await expect(check(name, Buffer.from('{"error":"denied"}'))).rejects.toMatchObject({ code: 'NOT_A_MODEL' });
    }
    expect(await check('x.txt', Buffer.from('{"error":"denied"}'))).toEqual({ format: 'other', warnings: [] });
  });
});

describe('text bodies', () => {
  it.each([
    '<!DOCTYPE html><p>',
    '<!doctype   HTML>',
    '<html lang="en">',
    '<head><title>x',
    '<body>',
    '<script>x</script>',
    '<meta charset="utf-8">',
    '<title>Sign in</title>',
    '<div>',
    '<!-- comment -->',
    '\uFEFF  \n<html>',
  ])('sees HTML in %j', (text) => {
    expect(sniffTextBody(Buffer.from(text))).toBe('html');
  });

  it.each([
    ['{"a":1}', 'json'],
    ['[ "x" ]', 'json'],
    ['[]', 'json'],
    ['{ }', 'json'],
    ['<?xml version="1.0"?><Error/>', 'xml'],
    ['<?xml version="1.0"?><html xmlns="x">', 'html'],
    ['[1, 2]', null],
    ['{1', null],
    ['x<html>', null],
    ['<span>', null],
    ['PK\u0003\u0004', null],
  ])('reads %j as %s', (text, kind) => {
    expect(sniffTextBody(Buffer.from(text))).toBe(kind);
  });

  it('looks only at the first 4096 bytes', () => {
    const late = Buffer.from(`<?xml version="1.0"?>${' '.repeat(5000)}<html>`);
    expect(sniffTextBody(late)).toBe('xml');
    const inside = Buffer.from(`<?xml version="1.0"?>${' '.repeat(4000)}<html>`);
    expect(sniffTextBody(inside)).toBe('html');
  });

  it('tells a login page, a bot check and an error page apart', () => {
    const say = (html: string) => describeUnexpectedBody('html', Buffer.from(html), 'm.gguf');
    expect(say('<html>Please log-in</html>')).toContain('looks like a login page');
    expect(say('<html>password</html>')).toContain('looks like a login page');
    expect(say('<html>complete the captcha</html>')).toContain('looks like a bot check');
    expect(say('<html>Access denied</html>')).toContain('looks like an error page');
    expect(say('<html>Welcome</html>')).toBe('The server sent an HTML page instead of the model file "m.gguf"');
  });

  it('quotes what a JSON error says, once, collapsed and bounded', () => {
    const say = (json: string) => describeUnexpectedBody('json', Buffer.from(json), 'm.bin');
    expect(say('{"message":"Bad  token\\n now","error":"Bad  token\\n now"}')).toBe(
      'The server sent a JSON response instead of the model file "m.bin": "Bad token now"',
    );
    expect(say('{"error":"Unauthorized","detail":"Log in"}')).toContain('"Unauthorized: Log in"');
    expect(say('{"message":"  ","error":7}')).toBe('The server sent a JSON response instead of the model file "m.bin"');
    expect(say('{"message": "cut off')).toBe('The server sent a JSON response instead of the model file "m.bin"');
    expect(say('{"error": "broken", oops')).toContain('"broken"');
    const long = say(JSON.stringify({ message: 'y'.repeat(1000) }));
    expect(long).toContain(`"${'y'.repeat(300)}"`);
    expect(long).not.toContain('y'.repeat(301));
  });

  it('quotes an XML error code only when there is one', () => {
    expect(describeUnexpectedBody('xml', Buffer.from('<Error/>'), 'm.gguf')).toBe(
      'The server sent an XML error instead of the model file "m.gguf"',
    );
  });

  it('judges a Content-Type of XHTML or any +json, and describes it by the body', () => {
    const sample = Buffer.from('{"error":"quota"}');
    expect(unexpectedContentTypeError('application/xhtml+xml', 'm.gguf', Buffer.alloc(0))?.message).toContain(
      'HTML page',
    );
    expect(unexpectedContentTypeError('Application/JSON ; charset=utf-8', 'm.gguf', Buffer.alloc(0))?.code).toBe(
      'NOT_A_MODEL',
    );
    expect(unexpectedContentTypeError('text/html', 'm.gguf', sample)?.message).toContain('"quota"');
    expect(unexpectedContentTypeError('text/plain', 'm.gguf', sample)).toBeNull();
  });
});

describe('opening the file', () => {
  it('fails with an error value when the file cannot be opened', async () => {
    const failure = checkModelFormat(fs, path.join(dir, 'missing.gguf'), 'missing.gguf', 10);
    await expect(failure).rejects.toMatchObject({ code: expect.any(String) });
  });

  it('closes a handle it opened itself', async () => {
    let closed = 0;
    const counting: FileSystem = {
      ...fs,
      open: async (file: string, flags: string) => {
        const handle = await fs.open(file, flags as 'r');
        return { ...handle, read: handle.read.bind(handle), close: async () => { closed++; await handle.close(); } } as WritableFile;
      },
    } as FileSystem;
    const file = path.join(dir, 'closed.ckpt');
    await writeFile(file, Buffer.from([0x80, 0x02]));
    await checkModelFormat(counting, file, 'closed.ckpt', 2);
    expect(closed).toBe(1);
  });
});
