/**
 * The bytes the bench origin serves, without a file on disk: each file is a valid safetensors file
 * (so modeldock's format check passes as it would for a real model) whose tensor bytes are read out
 * of one shared block of pseudo-random bytes at a per-file starting point. The block's length is
 * prime, so no power-of-two offset (a segment, a slab, a page) lands on the same block position:
 * a download that puts bytes at the wrong offset always changes the file's SHA-256.
 */
import { createHash } from 'node:crypto';

/** A prime a little above 8 MiB: the period of every file's tensor bytes. */
export const PATTERN_BYTES = 8_388_617;

/** Incompressible bytes from a xorshift32 generator; the same on every run. */
export function createPattern(length = PATTERN_BYTES): Buffer {
  const pattern = Buffer.allocUnsafe(length);
  let state = 0x9e3779b9;
  let offset = 0;
  for (; offset + 4 <= length; offset += 4) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    pattern.writeUInt32LE(state >>> 0, offset);
  }
  for (; offset < length; offset++) pattern[offset] = offset & 0xff;
  return pattern;
}

/** A safetensors header for one U8 tensor filling the rest of a `size`-byte file. */
export function safetensorsHeader(size: number): Buffer {
  const describe = (dataBytes: number) =>
    JSON.stringify({ data: { dtype: 'U8', shape: [dataBytes], data_offsets: [0, dataBytes] } });
  // Sized for the longest number it can hold, padded with spaces to a multiple of 8 as writers do.
  const headerLength = Math.ceil(describe(size).length / 8) * 8;
  const dataBytes = size - 8 - headerLength;
  if (dataBytes < 0)
    throw new Error(`A safetensors file of ${size} bytes is too small for its header`);
  const header = Buffer.alloc(8 + headerLength, 0x20);
  header.writeBigUInt64LE(BigInt(headerLength), 0);
  header.write(describe(dataBytes), 8, 'latin1');
  return header;
}

export interface ContentSpec {
  /** Path under the origin, e.g. "files/model-1g.safetensors". */
  path: string;
  size: number;
  /** Distinct seeds give distinct bytes. */
  seed: number;
}

export class PatternFile {
  readonly header: Buffer;
  readonly #patternStart: number;

  constructor(
    readonly spec: ContentSpec,
    private readonly pattern: Buffer,
  ) {
    this.header = safetensorsHeader(spec.size);
    this.#patternStart = (spec.seed * 104_729) % pattern.length;
  }

  get size(): number {
    return this.spec.size;
  }

  /**
   * The bytes [start, end) as views into the header and the pattern, none longer than `maxChunk`:
   * nothing is copied, so serving costs the origin only the socket writes.
   */
  *slices(start: number, end: number, maxChunk: number): Generator<Buffer> {
    let position = start;
    while (position < end && position < this.header.length) {
      const stop = Math.min(end, this.header.length, position + maxChunk);
      yield this.header.subarray(position, stop);
      position = stop;
    }
    const period = this.pattern.length;
    while (position < end) {
      const at = (this.#patternStart + position - this.header.length) % period;
      const length = Math.min(end - position, period - at, maxChunk);
      yield this.pattern.subarray(at, at + length);
      position += length;
    }
  }

  sha256(): string {
    const hash = createHash('sha256');
    for (const slice of this.slices(0, this.size, 4 * 1024 * 1024)) hash.update(slice);
    return hash.digest('hex');
  }
}
