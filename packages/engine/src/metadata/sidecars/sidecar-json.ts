/**
 * Reads one JSON sidecar another tool (or a person) wrote: bounded in size, parsed, and checked to
 * be a JSON object. Anything else is an INVALID_SIDECAR value with a message, never an exception
 * that stops a scan.
 */
import { ModeldockError } from '../../errors';
import type { FileSystem } from '../../ports';
import { isObject } from '../json-fields';
import type { JsonObject } from '../json-fields';

/** Largest sidecar read: a `.civitai.info` with every image's generation data stays well below. */
export const MAX_SIDECAR_BYTES = 8 * 1024 * 1024;

export type SidecarJson = { kind: 'absent' } | { kind: 'ok'; value: JsonObject } | { kind: 'invalid'; error: ModeldockError };

export async function readBoundedFile(fs: FileSystem, absolutePath: string, maxBytes: number): Promise<Buffer | 'too-large'> {
  const handle = await fs.open(absolutePath, 'r');
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) return 'too-large';
    const buffer = Buffer.alloc(size);
    let offset = 0;
    while (offset < size) {
      const { bytesRead } = await handle.read(buffer, offset, size - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    return buffer.subarray(0, offset);
  } finally {
    await handle.close();
  }
}

export async function readSidecarJson(fs: FileSystem, absolutePath: string, shownName: string): Promise<SidecarJson> {
  const stat = await fs.stat(absolutePath);
  if (!stat) return { kind: 'absent' };
  if (!stat.isFile) return { kind: 'invalid', error: new ModeldockError('INVALID_SIDECAR', `${shownName} is not a file`) };
  let bytes: Buffer | 'too-large';
  try {
    bytes = await readBoundedFile(fs, absolutePath, MAX_SIDECAR_BYTES);
  } catch (error) {
    return { kind: 'invalid', error: new ModeldockError('INVALID_SIDECAR', `${shownName} could not be read: ${(error as Error).message}`, { cause: error }) };
  }
  if (bytes === 'too-large') {
    return { kind: 'invalid', error: new ModeldockError('INVALID_SIDECAR', `${shownName} is larger than ${MAX_SIDECAR_BYTES / 1024 / 1024} MB and was not read`) };
  }
  let value: unknown;
  try {
    // A byte-order mark is legal in files written by some Windows tools.
    value = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
  } catch {
    return { kind: 'invalid', error: new ModeldockError('INVALID_SIDECAR', `${shownName} is not valid JSON: fix or delete it`) };
  }
  if (!isObject(value)) return { kind: 'invalid', error: new ModeldockError('INVALID_SIDECAR', `${shownName} is not a JSON object`) };
  return { kind: 'ok', value };
}
