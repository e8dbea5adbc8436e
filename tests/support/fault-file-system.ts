/**
 * The real file system with a disk that fills up: after `failAfterBytes` bytes have been written
 * (across all files), writes fail with ENOSPC, and `freeBytes` reports what the fake disk has left.
 */
import type { FileSystem, WritableFile } from '@modeldock/engine';

export interface FaultFileSystem extends FileSystem {
  /** Bytes written through this file system so far. */
  readonly bytesWritten: number;
  /** From now on, fail writes once this many bytes in total were written (null = never). */
  failAfter(bytes: number | null): void;
  /** Count of fsync calls on files. */
  readonly syncs: number;
}

function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), {
    code: 'ENOSPC',
    errno: -28,
    syscall: 'write',
  });
}

export function faultFileSystem(
  inner: FileSystem,
  options: { failAfterBytes?: number | null; freeBytes?: number } = {},
): FaultFileSystem {
  let limit = options.failAfterBytes ?? null;
  let written = 0;
  let syncs = 0;

  const wrap = (file: WritableFile): WritableFile => ({
    async write(buffer, offset, length, position) {
      // Bytes are counted before the write starts, so concurrent writes cannot overrun the limit.
      const room = limit === null ? length : Math.max(0, Math.min(length, limit - written));
      if (room === 0) throw enospc();
      written += room;
      try {
        const result = await file.write(buffer, offset, room, position);
        written -= room - result.bytesWritten;
        return result;
      } catch (error) {
        written -= room;
        throw error;
      }
    },
    read: (buffer, offset, length, position) => file.read(buffer, offset, length, position),
    sync: async () => {
      syncs++;
      await file.sync();
    },
    truncate: (length) => file.truncate(length),
    stat: () => file.stat(),
    close: () => file.close(),
  });

  return {
    ...inner,
    open: async (path, flags) => wrap(await inner.open(path, flags)),
    freeBytes: async (path) =>
      options.freeBytes !== undefined
        ? options.freeBytes
        : limit !== null
          ? Math.max(0, limit - written)
          : inner.freeBytes(path),
    get bytesWritten() {
      return written;
    },
    get syncs() {
      return syncs;
    },
    failAfter(bytes) {
      limit = bytes === null ? null : written + bytes;
    },
  };
}
