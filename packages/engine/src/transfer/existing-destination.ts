/**
 * Something already sits at the final path. Either this very transfer renamed it there and the
 * process died before the database heard (the record says every byte was durable, the temp file is
 * gone and the size matches): verify it and report success. Or it is someone else's file: refuse.
 */
import { checkModelFormat } from '../verify/format-check';
import type { FileTransferResult } from './file-transfer-api';
import { destinationExistsError } from './finalize-file';
import type { TransferSession } from './transfer-session';
import { hashCompleteFile } from './verify-and-finalize';

export async function adoptOwnCompletedFile(
  session: TransferSession,
): Promise<FileTransferResult | null> {
  const { file, context, callbacks } = session;
  const existing = await context.fs.lstat(session.finalPath);
  if (!existing) return null;
  // Only the byte layer records bytesDone, and only after an fsync: a full count means our own bytes.
  const recordedComplete =
    file.bytesTotal !== null && file.bytesTotal > 0 && file.bytesDone >= file.bytesTotal;
  const looksLikeOurs =
    recordedComplete &&
    existing.isFile &&
    !existing.isSymbolicLink &&
    existing.size === file.bytesTotal &&
    (await session.tempSize()) === null;
  if (!looksLikeOurs) throw destinationExistsError(file.relativePath);
  const digest = await hashCompleteFile(session.finalPath, existing.size, callbacks);
  const expected = file.expectedSha256?.toLowerCase() ?? null;
  if (expected && digest !== expected) throw destinationExistsError(file.relativePath);
  const format = await checkModelFormat(context.fs, session.finalPath, file.name, existing.size);
  context.logger.info(
    { fileId: file.id },
    'the file was already renamed into place before a restart; verified it',
  );
  return {
    sha256: digest,
    bytesTotal: existing.size,
    format: format.format,
    validator: file.validator,
    warnings: format.warnings,
  };
}
