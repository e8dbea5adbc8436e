/**
 * The end of a transfer: every byte durable and recorded, the hash finished (a verification pass
 * when the hasher lags, e.g. after a segmented transfer), compared with the published checksum,
 * the format checked by magic bytes, and only then the rename to the final path.
 */
import { ModeldockError } from '../errors';
import { checkModelFormat } from '../verify/format-check';
import { placementMismatchWarning } from '../placement/placement-check';
import { startPrefixHasher } from '../verify/sha256-prefix-hasher';
import { SMALL_FILE_BYTES, startSmallFileHasher } from '../verify/small-file-hasher';
import type { FileSystem, WritableFile } from '../ports';
import type { FileTransferCallbacks, FileTransferResult } from './file-transfer-api';
import { finalizeFile } from './finalize-file';
import type { TransferSession } from './transfer-session';

export function hashMismatchError(
  fileName: string,
  expected: string,
  actual: string,
): ModeldockError {
  return new ModeldockError(
    'HASH_MISMATCH',
    `"${fileName}" does not match its published SHA-256 (expected ${expected.slice(0, 12)}…, got ${actual.slice(0, 12)}…). ` +
      'The corrupt download was deleted.',
    { details: { discardPartial: true, expected, actual } },
  );
}

/** Hashes a file that is already complete on disk, reporting the pass through onVerifying. */
export async function hashCompleteFile(
  path: string,
  size: number,
  callbacks: FileTransferCallbacks,
): Promise<string> {
  const hasher = size <= SMALL_FILE_BYTES ? startSmallFileHasher(path) : startPrefixHasher(path);
  try {
    callbacks.onVerifying(0, size);
    const digest = await hasher.finish(size, (hashed) => callbacks.onVerifying(hashed, size));
    callbacks.onVerifying(size, size);
    return digest;
  } finally {
    await hasher.close();
  }
}

export async function verifyAndFinalize(
  session: TransferSession,
  total: number,
): Promise<FileTransferResult> {
  const { file, context, callbacks, ledger } = session;
  ledger.bytesTotal = total;
  await session.flushDurable();
  const size = await session.partial.size();
  if (size !== total) {
    throw new ModeldockError(
      'SIZE_MISMATCH',
      `The partial file holds ${size} bytes but the server's file is ${total} bytes; downloading it again`,
      { retryable: true, details: { discardPartial: true } },
    );
  }

  await session.ensureHasher();
  const hasher = session.hasher;
  callbacks.onVerifying(hasher.hashedBytes, total);
  const digest = await hasher.finish(total, (hashed) => callbacks.onVerifying(hashed, total));
  callbacks.onVerifying(total, total);
  const expected = file.expectedSha256?.toLowerCase() ?? null;
  if (expected && digest !== expected) throw hashMismatchError(file.name, expected, digest);

  const format = await checkFormatOrDiscard(
    context.fs,
    session.tempPath,
    file.name,
    total,
    session.partial.handleForReading,
  );
  await finalizeFile(context.fs, session.releasePartial(), session.finalPath, file.relativePath);
  return {
    sha256: digest,
    bytesTotal: total,
    format: format.format,
    validator: ledger.validator,
    warnings: withPlacementCheck(format.warnings, file.relativePath, format.classification),
  };
}

/** The format check's warnings, plus one when the bytes say the file belongs in another folder. */
function withPlacementCheck(
  warnings: string[],
  relativePath: string,
  classification: Parameters<typeof placementMismatchWarning>[1] | undefined,
): string[] {
  const mismatch = classification ? placementMismatchWarning(relativePath, classification) : null;
  return mismatch ? [...warnings, mismatch] : warnings;
}

async function checkFormatOrDiscard(
  fs: FileSystem,
  path: string,
  fileName: string,
  size: number,
  openFile: WritableFile,
) {
  try {
    return await checkModelFormat(fs, path, fileName, size, openFile);
  } catch (error) {
    if (
      error instanceof ModeldockError &&
      (error.code === 'NOT_A_MODEL' || error.code === 'INVALID_FORMAT')
    ) {
      // The bytes are what the server sent, but not a usable model: keep nothing.
      throw new ModeldockError(error.code, `${error.message}. The download was deleted.`, {
        details: { discardPartial: true },
      });
    }
    throw error;
  }
}
