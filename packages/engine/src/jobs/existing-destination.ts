/**
 * A file can already sit at a destination that no running job writes: downloaded earlier, copied in
 * by hand, or another tool's. It is never overwritten silently. When it is the expected file (same
 * SHA-256 when one is known, else the same size when that is known) it is reported as present and
 * nothing is downloaded; otherwise the request fails with DESTINATION_EXISTS and says what to do.
 * A hash the local file index holds for the file, unchanged since, saves reading it again.
 */
import { ModeldockError } from '../errors';
import type { FileSystem } from '../ports';
import type { NewFile } from '../ports';
import { absoluteDestination, assertRealPathInsideRoot } from '../paths/confine-path';
import { sha256OfFile } from '../verify/file-sha256';
import { currentIndexEntry } from '../library/indexed-hash';
import type { LibraryContext } from '../library/library-context';
import { formatBytes } from './human-bytes';

export interface DestinationCheck {
  present: boolean;
  /** Size on disk when present. */
  bytes: number | null;
  /** Hash computed when it was checked against an expected one. */
  sha256: string | null;
  /** True when the file was read to compute `sha256` (not taken from the local file index). */
  hashedNow?: boolean;
}

const WHAT_TO_DO = 'Move or delete it, or choose another folder or file name, then try again.';

export interface DestinationCheckOptions {
  signal?: AbortSignal;
  /** Told before each chunk of a file being hashed is read: bytes read so far, and the file's size. */
  onHashing?: (bytesDone: number, bytesTotal: number) => Promise<void>;
}

export async function checkExistingDestination(
  fs: FileSystem,
  modelsRoot: string,
  file: NewFile,
  library: LibraryContext | null = null,
  options: DestinationCheckOptions = {},
): Promise<DestinationCheck> {
  const absolutePath = absoluteDestination(modelsRoot, file.relativePath);
  await assertRealPathInsideRoot(fs, modelsRoot, absolutePath);
  const stat = await fs.stat(absolutePath);
  if (!stat) return { present: false, bytes: null, sha256: null };
  if (!stat.isFile) {
    throw new ModeldockError(
      'DESTINATION_EXISTS',
      `"${file.relativePath}" already exists and is a folder. ${WHAT_TO_DO}`,
    );
  }
  if (file.bytesTotal !== null && stat.size !== file.bytesTotal) {
    throw new ModeldockError(
      'DESTINATION_EXISTS',
      `"${file.relativePath}" already exists with a different size (${formatBytes(stat.size)} on disk, ${formatBytes(file.bytesTotal)} expected). ${WHAT_TO_DO}`,
    );
  }
  if (file.expectedSha256 === null) return { present: true, bytes: stat.size, sha256: null };
  const indexed = library
    ? await currentIndexEntry(library, file.relativePath).catch(() => null)
    : null;
  let hashed = 0;
  const { onHashing } = options;
  const actual = indexed
    ? indexed.sha256
    : await sha256OfFile(fs, absolutePath, {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(onHashing
          ? {
              beforeRead: async (bytes: number) => {
                await onHashing(hashed, stat.size);
                hashed = Math.min(stat.size, hashed + bytes);
              },
            }
          : {}),
      });
  if (actual !== file.expectedSha256) {
    throw new ModeldockError(
      'DESTINATION_EXISTS',
      `"${file.relativePath}" already exists but is not the expected file (its SHA-256 differs). ${WHAT_TO_DO}`,
      { details: { expectedSha256: file.expectedSha256, actualSha256: actual } },
    );
  }
  return { present: true, bytes: stat.size, sha256: actual, hashedNow: indexed === null };
}
