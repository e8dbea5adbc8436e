import { describe, expect, it } from 'vitest';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  ModeldockError,
  bufferByteReader,
  createNodeFileSystem,
  openFileByteReader,
  parseGgufMetadata,
  parseSafetensorsHeader,
  readGgufMetadata,
  readSafetensorsHeader,
  safetensorsHeaderLength,
} from '@modeldock/engine';
import { ggufFile, safetensorsFile } from '../../support/model-bytes';

function code(work: () => unknown): string | null {
  try {
    work();
    return null;
  } catch (error) {
    return error instanceof ModeldockError ? error.code : 'not a ModeldockError';
  }
}

describe('safetensors header', () => {
  it('parses tensors and __metadata__ (strings only) from bytes', () => {
    const bytes = safetensorsFile({
      tensors: ['a.weight', 'b.bias'],
      metadata: { ss_base_model_version: 'sdxl_base_v1-0', 'modelspec.title': 'X' },
    });
    const header = parseSafetensorsHeader(bytes, { fileSize: bytes.length });
    expect([...header.tensors.keys()]).toEqual(['a.weight', 'b.bias']);
    expect(header.tensors.get('b.bias')).toEqual({ dtype: 'U8', shape: [4], dataOffsets: [4, 8] });
    expect(header.metadata).toEqual({
      ss_base_model_version: 'sdxl_base_v1-0',
      'modelspec.title': 'X',
    });
    expect(header.dataStart).toBe(bytes.length - 8);
  });

  it('refuses impossible lengths before allocating, and non-JSON headers', () => {
    const huge = Buffer.alloc(8);
    huge.writeBigUInt64LE(2n ** 60n);
    expect(code(() => safetensorsHeaderLength(huge))).toBe('INVALID_FORMAT');
    const long = Buffer.alloc(8);
    long.writeBigUInt64LE(1000n);
    expect(code(() => safetensorsHeaderLength(long, { fileSize: 100 }))).toBe('INVALID_FORMAT');
    expect(code(() => safetensorsHeaderLength(Buffer.alloc(4)))).toBe('INVALID_FORMAT');
    const notJson = Buffer.concat([Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{abc')]);
    expect(code(() => parseSafetensorsHeader(notJson))).toBe('INVALID_FORMAT');
    const array = Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('[]')]);
    expect(code(() => parseSafetensorsHeader(array))).toBe('INVALID_FORMAT');
    const badTensor = Buffer.concat([
      Buffer.from([12, 0, 0, 0, 0, 0, 0, 0]),
      Buffer.from('{"a":"b"}   '),
    ]);
    expect(code(() => parseSafetensorsHeader(badTensor))).toBe('INVALID_FORMAT');
  });

  it('reads just the header through a ReadBytes, in two reads', async () => {
    const bytes = safetensorsFile({ tensors: ['x'], tensorBytes: 100_000 });
    const reads: Array<[number, number]> = [];
    const read = bufferByteReader(bytes);
    const header = await readSafetensorsHeader(async (offset, length) => {
      reads.push([offset, length]);
      return read(offset, length);
    });
    expect([...header.tensors.keys()]).toEqual(['x']);
    expect(reads).toEqual([
      [0, 8],
      [8, header.dataStart - 8],
    ]);
    await expect(
      readSafetensorsHeader(bufferByteReader(bytes.subarray(0, 20))),
    ).rejects.toMatchObject({ code: 'INVALID_FORMAT' });
  });

  it('reads a local file with openFileByteReader', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-format-'));
    const file = path.join(dir, 'x.safetensors');
    await fs.writeFile(file, safetensorsFile({ tensors: ['lora_unet_a.lora_down.weight'] }));
    const reader = await openFileByteReader(createNodeFileSystem(), file);
    try {
      expect([...(await readSafetensorsHeader(reader.read)).tensors.keys()]).toEqual([
        'lora_unet_a.lora_down.weight',
      ]);
    } finally {
      await reader.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
    await expect(
      openFileByteReader(createNodeFileSystem(), path.join(dir, 'missing')),
    ).rejects.toMatchObject({ code: 'IO_ERROR' });
  });
});

describe('GGUF metadata', () => {
  const file = ggufFile(
    {
      'general.architecture': 'flux',
      'general.name': 'FLUX.1 dev',
      'general.file_type': 8,
      'general.quantized': true,
      'general.size': 12n,
      'general.tags': ['a', 'b'],
      'tokenizer.ggml.tokens': Array.from({ length: 200 }, (_, i) => `token${i}`),
      'tokenizer.ggml.scores': Array.from({ length: 100 }, (_, i) => i),
    },
    { tensorCount: 5 },
  );

  it('parses key-values, keeps small arrays and summarises large ones', () => {
    const parsed = parseGgufMetadata(file)!;
    expect(parsed).toMatchObject({ version: 3, tensorCount: 5, keyValueCount: 8, complete: true });
    expect(parsed.metadata['general.architecture']).toBe('flux');
    expect(parsed.metadata['general.file_type']).toBe(8);
    expect(parsed.metadata['general.quantized']).toBe(true);
    expect(parsed.metadata['general.size']).toBe(12n);
    expect(parsed.metadata['general.tags']).toEqual(['a', 'b']);
    expect(parsed.metadata['tokenizer.ggml.tokens']).toEqual({ arrayOf: 'string', length: 200 });
    expect(parsed.metadata['tokenizer.ggml.scores']).toEqual({ arrayOf: 'int32', length: 100 });
  });

  it('says "need more" (null) on a cut buffer, stops after a key, refuses non-GGUF', () => {
    expect(parseGgufMetadata(file.subarray(0, 40))).toBeNull();
    const early = parseGgufMetadata(file, { stopAfterKey: 'general.name' })!;
    expect(Object.keys(early.metadata)).toEqual(['general.architecture', 'general.name']);
    expect(early.complete).toBe(false);
    expect(code(() => parseGgufMetadata(Buffer.from('GGML\x03\x00\x00\x00')))).toBe(
      'INVALID_FORMAT',
    );
    const version9 = Buffer.from(file);
    version9.writeUInt32LE(9, 4);
    expect(code(() => parseGgufMetadata(version9))).toBe('INVALID_FORMAT');
    const badType = Buffer.concat([
      file.subarray(0, 24),
      Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]),
      Buffer.from('k'),
      Buffer.from([99, 0, 0, 0]),
    ]);
    expect(code(() => parseGgufMetadata(badType))).toBe('INVALID_FORMAT');
  });

  it('reads more until the metadata is complete, within a byte cap', async () => {
    const big = ggufFile({
      'general.architecture': 'llama',
      'tokenizer.ggml.tokens': Array.from({ length: 30_000 }, (_, i) => `token-${i}`),
      'general.name': 'after',
    });
    const parsed = await readGgufMetadata(bufferByteReader(big));
    expect(parsed.metadata['general.name']).toBe('after');
    await expect(
      readGgufMetadata(bufferByteReader(big), { maxBytes: 64 * 1024 }),
    ).rejects.toMatchObject({ code: 'INVALID_FORMAT' });
    await expect(
      readGgufMetadata(bufferByteReader(big.subarray(0, 100_000))),
    ).rejects.toMatchObject({ code: 'INVALID_FORMAT' });
  });
});
