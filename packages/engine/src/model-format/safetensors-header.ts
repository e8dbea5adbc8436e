/**
 * The safetensors header: a little-endian u64 length N, then N bytes of JSON mapping tensor names
 * to `{ dtype, shape, data_offsets }`, with an optional `__metadata__` object of string → string
 * (kohya's `ss_*`, ModelSpec's `modelspec.*`). Parsing is separate from reading, so callers with
 * the bytes in hand parse them and callers without read just the header (2 small reads).
 */
import { ModeldockError } from '../errors';
import type { ReadBytes } from './byte-reader';

/** The safetensors reference implementation refuses headers above 100 MB. */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsTensor {
  dtype: string;
  shape: number[];
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  /** Tensor name → description, in the header's order. */
  tensors: Map<string, SafetensorsTensor>;
  /** `__metadata__`: string values only (others are dropped, as the format requires strings). */
  metadata: Record<string, string>;
  /** 8 + N: where the tensor data starts. */
  dataStart: number;
}

function invalid(problem: string): ModeldockError {
  return new ModeldockError('INVALID_FORMAT', `Not a valid safetensors file: ${problem}`);
}

/**
 * N from the first 8 bytes, checked before anything is sized by it: at least 2 ("{}"), at most
 * `maxHeaderBytes`, and (when the file size is known) inside the file.
 */
export function safetensorsHeaderLength(
  first8: Uint8Array,
  options: { fileSize?: number | null; maxHeaderBytes?: number } = {},
): number {
  if (first8.length < 8) throw invalid('it is shorter than 8 bytes');
  const length = Buffer.from(first8.buffer, first8.byteOffset, 8).readBigUInt64LE(0);
  const max = BigInt(options.maxHeaderBytes ?? SAFETENSORS_MAX_HEADER_BYTES);
  if (length < 2n || length > max) throw invalid(`its header length (${length}) is impossible`);
  if (
    options.fileSize !== undefined &&
    options.fileSize !== null &&
    length > BigInt(options.fileSize - 8)
  ) {
    throw invalid(`its header length (${length}) is longer than the ${options.fileSize}-byte file`);
  }
  return Number(length);
}

function isTensorEntry(
  value: unknown,
): value is { dtype: string; shape: unknown[]; data_offsets: unknown[] } {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry.dtype === 'string' &&
    Array.isArray(entry.shape) &&
    Array.isArray(entry.data_offsets)
  );
}

/** Parses the N JSON bytes that follow the length. Offsets are taken as given (format-check.ts checks them against the data). */
export function parseSafetensorsHeaderJson(json: Uint8Array): SafetensorsHeader {
  if (json[0] !== 0x7b) throw invalid('its header does not start with "{"');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(json.buffer, json.byteOffset, json.length).toString('utf8'));
  } catch {
    throw invalid('its header is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw invalid('its header is not a JSON object');
  const tensors = new Map<string, SafetensorsTensor>();
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        for (const [key, text] of Object.entries(value as Record<string, unknown>)) {
          if (typeof text === 'string') metadata[key] = text;
        }
      }
      continue;
    }
    if (!isTensorEntry(value)) throw invalid(`tensor "${name.slice(0, 100)}" is malformed`);
    const [begin, end] = value.data_offsets;
    tensors.set(name, {
      dtype: value.dtype,
      shape: value.shape.filter((dimension): dimension is number => typeof dimension === 'number'),
      dataOffsets: [Number(begin), Number(end)],
    });
  }
  return { tensors, metadata, dataStart: 8 + json.length };
}

/** Parses a header from a buffer that starts at byte 0 of the file and holds at least the whole header. */
export function parseSafetensorsHeader(
  bytes: Uint8Array,
  options: { fileSize?: number | null } = {},
): SafetensorsHeader {
  const length = safetensorsHeaderLength(bytes, options);
  if (bytes.length < 8 + length)
    throw invalid(`the header needs ${8 + length} bytes but only ${bytes.length} were given`);
  return parseSafetensorsHeaderJson(bytes.subarray(8, 8 + length));
}

/**
 * Reads just the header through `read`: bytes 0–7, then 8 … 8+N−1. `maxHeaderBytes` lowers the
 * 100 MB cap where a caller must bound what it fetches (a preview over the network).
 */
export async function readSafetensorsHeader(
  read: ReadBytes,
  options: { fileSize?: number | null; maxHeaderBytes?: number } = {},
): Promise<SafetensorsHeader> {
  const length = safetensorsHeaderLength(await read(0, 8), options);
  const json = await read(8, length);
  if (json.length < length) throw invalid(`the file ends inside its ${length}-byte header`);
  return parseSafetensorsHeaderJson(json);
}
