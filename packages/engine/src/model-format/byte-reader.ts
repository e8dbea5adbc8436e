/**
 * Where header bytes come from: a function that returns bytes [offset, offset + length) of a file,
 * fewer only at the end of the file. The header readers take one of these so the same parsing
 * serves an in-memory buffer, a file on disk and (remote-header.ts) a file still on a server.
 */
import { toModeldockError } from '../errors';
import type { FileSystem } from '../ports';

export type ReadBytes = (offset: number, length: number) => Promise<Uint8Array>;

/** Reads from bytes already in memory (a test fixture, the head of a response). */
export function bufferByteReader(bytes: Uint8Array): ReadBytes {
  return async (offset, length) =>
    bytes.subarray(Math.min(offset, bytes.length), Math.min(offset + length, bytes.length));
}

/**
 * Reads from a local file, opening it once; call `close` when done. The metadata and library
 * readers use this on files under the models root.
 */
export async function openFileByteReader(
  fs: FileSystem,
  filePath: string,
): Promise<{ read: ReadBytes; close: () => Promise<void> }> {
  let handle: Awaited<ReturnType<FileSystem['open']>>;
  try {
    handle = await fs.open(filePath, 'r');
  } catch (error) {
    throw toModeldockError(error, 'IO_ERROR');
  }
  const read: ReadBytes = async (offset, length) => {
    const buffer = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  };
  return { read, close: () => handle.close().catch(() => undefined) };
}
