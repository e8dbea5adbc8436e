/**
 * GGUF metadata: the "GGUF" magic, a u32 version (2 or 3; version 1 used u32 counts), the tensor
 * count, the key-value count, then key-values (u64-length UTF-8 key, u32 type, value). The keys
 * that matter here (`general.architecture`, `general.name`, `general.file_type`, …) come first in
 * practice, so a reader can stop early; the tokenizer's arrays of 150 000 strings that follow are
 * skipped, never built, and array values are kept only when small.
 */
import { ModeldockError } from '../errors';
import type { ReadBytes } from './byte-reader';

export type GgufScalar = number | bigint | boolean | string;
/** A small array is kept; a large one is summarised by its item type and length. */
export type GgufValue = GgufScalar | GgufScalar[] | { arrayOf: string; length: number };

export interface GgufMetadata {
  version: number;
  tensorCount: number;
  /** How many key-values the file declares (`metadata` may hold fewer when reading stopped early). */
  keyValueCount: number;
  metadata: Record<string, GgufValue>;
  /** True when every key-value was read. */
  complete: boolean;
}

export interface GgufReadOptions {
  /** Stop after this key has been read (e.g. "general.architecture"). */
  stopAfterKey?: string;
  /** Arrays longer than this are summarised, not kept (default 64). */
  maxArrayItems?: number;
  /** Refuse to read more than this many bytes of metadata (default 32 MB). */
  maxBytes?: number;
  /** Size of the first read of `readGgufMetadata` (default 64 KB); each next one doubles. */
  firstReadBytes?: number;
}

const TYPE_NAMES = [
  'uint8',
  'int8',
  'uint16',
  'int16',
  'uint32',
  'int32',
  'float32',
  'bool',
  'string',
  'array',
  'uint64',
  'int64',
  'float64',
];
const FIXED_SIZES: Record<number, number> = {
  0: 1,
  1: 1,
  2: 2,
  3: 2,
  4: 4,
  5: 4,
  6: 4,
  7: 1,
  10: 8,
  11: 8,
  12: 8,
};
const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;
const MAX_STRING_BYTES = 16 * 1024 * 1024;

function invalid(problem: string): ModeldockError {
  return new ModeldockError('INVALID_FORMAT', `Not a valid GGUF file: ${problem}`);
}

/** Thrown inside the parser when the buffer ends before the value does. */
class NeedMoreBytes extends Error {}

class Cursor {
  offset = 0;
  constructor(
    private readonly bytes: Buffer,
    private readonly wide: boolean,
  ) {}
  private need(count: number): void {
    if (this.offset + count > this.bytes.length) throw new NeedMoreBytes();
  }
  u32(): number {
    this.need(4);
    const value = this.bytes.readUInt32LE(this.offset);
    this.offset += 4;
    return value;
  }
  u64(): bigint {
    this.need(8);
    const value = this.bytes.readBigUInt64LE(this.offset);
    this.offset += 8;
    return value;
  }
  /** A count or length: u64 from version 2 on, u32 before. */
  count(what: string, max: number): number {
    const value = this.wide ? this.u64() : BigInt(this.u32());
    if (value > BigInt(max)) throw invalid(`${what} (${value}) is impossibly large`);
    return Number(value);
  }
  string(): string {
    const length = this.count('a string length', MAX_STRING_BYTES);
    this.need(length);
    const text = this.bytes.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return text;
  }
  skip(count: number): void {
    this.need(count);
    this.offset += count;
  }
  scalar(type: number): GgufScalar {
    const size = FIXED_SIZES[type];
    if (type === 8) return this.string();
    if (size === undefined) throw invalid(`unknown value type ${type}`);
    this.need(size);
    const at = this.offset;
    this.offset += size;
    const bytes = this.bytes;
    switch (type) {
      case 0:
        return bytes.readUInt8(at);
      case 1:
        return bytes.readInt8(at);
      case 2:
        return bytes.readUInt16LE(at);
      case 3:
        return bytes.readInt16LE(at);
      case 4:
        return bytes.readUInt32LE(at);
      case 5:
        return bytes.readInt32LE(at);
      case 6:
        return bytes.readFloatLE(at);
      case 7:
        return bytes.readUInt8(at) !== 0;
      case 10:
        return bytes.readBigUInt64LE(at);
      case 11:
        return bytes.readBigInt64LE(at);
      default:
        return bytes.readDoubleLE(at);
    }
  }
  value(type: number, maxArrayItems: number, depth = 0): GgufValue {
    if (type !== 9) return this.scalar(type);
    if (depth > 2) throw invalid('arrays are nested too deeply');
    const itemType = this.u32();
    const length = this.count('an array length', Number.MAX_SAFE_INTEGER);
    if (length > maxArrayItems || itemType === 9) {
      const fixed = FIXED_SIZES[itemType];
      if (fixed !== undefined) this.skip(fixed * length);
      else for (let index = 0; index < length; index++) this.value(itemType, 0, depth + 1);
      return { arrayOf: TYPE_NAMES[itemType] ?? String(itemType), length };
    }
    const items: GgufScalar[] = [];
    for (let index = 0; index < length; index++) items.push(this.scalar(itemType));
    return items;
  }
}

/**
 * Parses metadata from bytes that start at byte 0 of the file. Returns null when `bytes` ends
 * before the wanted key-values do (read more and call again); throws INVALID_FORMAT for a file
 * that is not GGUF.
 */
export function parseGgufMetadata(
  bytes: Uint8Array,
  options: GgufReadOptions = {},
): GgufMetadata | null {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (buffer.length < 8) return null;
  if (buffer.toString('latin1', 0, 4) !== 'GGUF') throw invalid('it does not start with "GGUF"');
  const version = buffer.readUInt32LE(4);
  if (version < 1 || version > 3) throw invalid(`unknown version ${version}`);
  const cursor = new Cursor(buffer, version >= 2);
  cursor.skip(8);
  const maxArrayItems = options.maxArrayItems ?? 64;
  try {
    const tensorCount = cursor.count('the tensor count', 10_000_000);
    const keyValueCount = cursor.count('the key-value count', 10_000_000);
    const metadata: Record<string, GgufValue> = {};
    for (let index = 0; index < keyValueCount; index++) {
      const key = cursor.string();
      const type = cursor.u32();
      if (type > 12) throw invalid(`key "${key.slice(0, 100)}" has unknown value type ${type}`);
      metadata[key] = cursor.value(type, maxArrayItems);
      if (key === options.stopAfterKey)
        return {
          version,
          tensorCount,
          keyValueCount,
          metadata,
          complete: index === keyValueCount - 1,
        };
    }
    return { version, tensorCount, keyValueCount, metadata, complete: true };
  } catch (error) {
    if (error instanceof NeedMoreBytes) return null;
    throw error;
  }
}

/**
 * Reads metadata through `read`, fetching 64 KB and then twice as much each time until the wanted
 * key-values are in (at most `maxBytes`). With `stopAfterKey: 'general.architecture'` a remote
 * probe is usually one request.
 */
export async function readGgufMetadata(
  read: ReadBytes,
  options: GgufReadOptions = {},
): Promise<GgufMetadata> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  let bytes: Uint8Array = new Uint8Array(0);
  let wanted = Math.min(options.firstReadBytes ?? 64 * 1024, maxBytes);
  for (;;) {
    const more = await read(bytes.length, wanted - bytes.length);
    bytes = Buffer.concat([bytes, more]);
    const parsed = parseGgufMetadata(bytes, options);
    if (parsed) return parsed;
    if (bytes.length < wanted) throw invalid('the file ends inside its metadata');
    if (wanted >= maxBytes) throw invalid(`its metadata is larger than ${maxBytes} bytes`);
    wanted = Math.min(wanted * 2, maxBytes);
  }
}

/** A metadata value as text, for keys such as general.architecture (null when absent or not a string). */
export function ggufString(metadata: GgufMetadata, key: string): string | null {
  const value = metadata.metadata[key];
  return typeof value === 'string' ? value : null;
}
