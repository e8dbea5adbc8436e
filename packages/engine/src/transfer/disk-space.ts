/** Disk space in words a person can act on: "Not enough disk space: 12.4 GB needed, 3.1 GB free". */
import { ModeldockError } from '../errors';
import type { FileSystem } from '../ports';

const UNITS = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB'];

export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${Math.max(0, Math.round(bytes))} bytes`;
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${UNITS[unit]}`;
}

async function freeBytesOrNull(fs: FileSystem, directory: string): Promise<number | null> {
  try {
    return await fs.freeBytes(directory);
  } catch {
    return null;
  }
}

function diskFull(needed: number | null, free: number | null, cause?: unknown): ModeldockError {
  const numbers =
    needed !== null && free !== null
      ? `: ${formatBytes(needed)} needed, ${formatBytes(free)} free`
      : free !== null
        ? `: ${formatBytes(free)} free`
        : '';
  return new ModeldockError(
    'DISK_FULL',
    `Not enough disk space${numbers}. Free some space, then resume: the part already downloaded is kept.`,
    { cause, retryable: false, details: { neededBytes: needed, freeBytes: free } },
  );
}

/** The DISK_FULL error for a write that failed with ENOSPC, with the numbers filled in. */
export async function diskFullError(
  fs: FileSystem,
  directory: string,
  neededBytes: number | null,
  cause: unknown,
): Promise<ModeldockError> {
  return diskFull(neededBytes, await freeBytesOrNull(fs, directory), cause);
}

/** Refuses to start writing `neededBytes` more when the disk cannot hold them and keep `reserveBytes` free. */
export async function assertFreeSpace(
  fs: FileSystem,
  directory: string,
  neededBytes: number,
  reserveBytes = 0,
): Promise<void> {
  if (neededBytes <= 0) return;
  const free = await freeBytesOrNull(fs, directory);
  if (free !== null && free < neededBytes + reserveBytes) throw diskFull(neededBytes, free);
}

/**
 * How many bytes a body of unknown length may still write: the free space less the reserve, or
 * null when the file system cannot say (then nothing but the disk itself stops it).
 */
export async function unknownLengthCeiling(
  fs: FileSystem,
  directory: string,
  reserveBytes: number,
): Promise<number | null> {
  const free = await freeBytesOrNull(fs, directory);
  return free === null ? null : Math.max(0, free - reserveBytes);
}

/** The error for a body of unknown length that kept coming past the space it may use. */
export function unknownLengthTooLargeError(writtenBytes: number, url: string): ModeldockError {
  return new ModeldockError(
    'DISK_FULL',
    `The server sent ${formatBytes(writtenBytes)} without saying how much more would come, and the disk has no more room to spare (${url}): stopped before it filled the disk. The partial file is kept; Cancel removes it.`,
    // neededBytes: null keeps this message: it is not a write that found the disk full.
    { retryable: false, details: { writtenBytes, neededBytes: null } },
  );
}
