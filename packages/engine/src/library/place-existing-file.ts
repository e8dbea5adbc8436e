/**
 * Puts a file already under the models root at another destination without downloading it: a hard
 * link when both are on the same file system (no bytes copied, no space used), else a copy. Either
 * way the bytes go to a temp file beside the destination first, are checked against the expected
 * SHA-256 there, and only then renamed into place (then the folder is fsynced): the final path only
 * ever holds a complete, verified file, and an existing file there is never replaced.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { ModeldockError, toModeldockError } from '../errors';
import type { FileSystem, WritableFile } from '../ports';
import { absoluteDestination, assertRealPathInsideRoot } from '../paths/confine-path';
import { tempPathFor } from '../paths/temp-path';
import { destinationExistsError } from '../transfer/finalize-file';
import { sha256OfFile } from '../verify/file-sha256';
import type { LibraryContext } from './library-context';

/** Link failures that mean "not possible here" rather than "something is wrong": copy instead. */
const CANNOT_LINK_CODES = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOSYS']);
const COPY_CHUNK_BYTES = 4 * 1024 * 1024;

export interface PlacementRequest {
  /** The file to reuse, relative to the models root. */
  from: string;
  /** Where it must appear, relative to the models root. */
  to: string;
  expectedSha256: string;
  signal?: AbortSignal;
}

export interface Placement {
  method: 'link' | 'copy';
  bytes: number;
  sha256: string;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

async function copyBytes(
  fs: FileSystem,
  fromPath: string,
  toPath: string,
  signal?: AbortSignal,
): Promise<number> {
  const source = await fs.open(fromPath, 'r');
  let target: WritableFile | null = null;
  try {
    target = await fs.open(toPath, 'wx');
    const buffer = new Uint8Array(COPY_CHUNK_BYTES);
    let position = 0;
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await source.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) break;
      let written = 0;
      while (written < bytesRead) {
        const { bytesWritten } = await target.write(
          buffer,
          written,
          bytesRead - written,
          position + written,
        );
        written += bytesWritten;
      }
      position += bytesRead;
    }
    await target.sync();
    return position;
  } finally {
    await source.close().catch(() => undefined);
    await target?.close().catch(() => undefined);
  }
}

/** Hard link when the file system allows it, else a durable copy; returns how it was done. */
async function linkOrCopy(
  fs: FileSystem,
  fromPath: string,
  toPath: string,
  signal?: AbortSignal,
): Promise<Placement['method']> {
  try {
    await fs.link(fromPath, toPath);
    return 'link';
  } catch (error) {
    if (!CANNOT_LINK_CODES.has(codeOf(error) ?? '')) throw error;
  }
  await copyBytes(fs, fromPath, toPath, signal);
  return 'copy';
}

export async function placeExistingFile(
  ctx: LibraryContext,
  request: PlacementRequest,
): Promise<Placement> {
  const { fs, modelsRoot } = ctx;
  const fromPath = absoluteDestination(modelsRoot, request.from);
  const toPath = absoluteDestination(modelsRoot, request.to);
  await assertRealPathInsideRoot(fs, modelsRoot, fromPath);
  await assertRealPathInsideRoot(fs, modelsRoot, toPath);
  if (await fs.lstat(toPath)) throw destinationExistsError(request.to);
  await fs.mkdir(path.dirname(toPath));
  // Not a job's file id: a temp file left by a crash here is an orphan, collected at the next start.
  const tempPath = tempPathFor(toPath, `reuse-${randomUUID()}`);
  try {
    const method = await linkOrCopy(fs, fromPath, tempPath, request.signal);
    const sha256 = await sha256OfFile(fs, tempPath, { signal: request.signal });
    if (sha256 !== request.expectedSha256) {
      throw new ModeldockError(
        'HASH_MISMATCH',
        `"${request.from}" no longer has the expected SHA-256 (it changed since it was indexed), so it was not reused`,
        { details: { expectedSha256: request.expectedSha256, actualSha256: sha256 } },
      );
    }
    const stat = await fs.stat(tempPath);
    // The window for a race with another writer is the rename itself, as for downloads.
    if (await fs.lstat(toPath)) throw destinationExistsError(request.to);
    await fs.rename(tempPath, toPath);
    await fs.syncDirectory(path.dirname(toPath));
    return { method, bytes: stat?.size ?? 0, sha256 };
  } catch (error) {
    // EEXIST: the temp name was somebody else's; anything else leaves nothing of ours behind.
    if (codeOf(error) !== 'EEXIST') await fs.unlink(tempPath).catch(() => undefined);
    throw toModeldockError(error, 'IO_ERROR');
  }
}
