/**
 * Bounds on what a body may write when nothing else bounds it: a body of unknown length stops at
 * the space it may use, and a compressed body may not expand like a decompression bomb (a 51 KB
 * gzip once wrote 50 MiB). Bytes before the limit are kept; the chunk that crosses it is not.
 */
import { ModeldockError } from '../errors';
import { formatBytes } from './disk-space';

/** Model files barely compress; a body expanding more than this is refused. */
export const MAX_DECODED_RATIO = 100;
/** Below this many decoded bytes the ratio is not judged (small text files compress well). */
export const RATIO_CHECK_AFTER_BYTES = 16 * 1024 * 1024;

/** Yields `body` until it would pass `maxBytes`, then throws `tooLarge(bytesThatWouldBeWritten)`. */
export async function* capBody(
  body: AsyncIterable<Uint8Array>,
  maxBytes: number,
  tooLarge: (bytes: number) => Error,
): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > maxBytes) throw tooLarge(total);
    yield chunk;
  }
}

export function decompressionBombError(encodedBytes: number, decodedBytes: number): ModeldockError {
  return new ModeldockError(
    'HTTP_ERROR',
    `The server's compressed body expanded more than ${MAX_DECODED_RATIO}-fold (${formatBytes(encodedBytes)} became ${formatBytes(decodedBytes)}). A model file does not compress like that, so it was refused before it could fill the disk.`,
    { retryable: false, details: { encodedBytes, decodedBytes } },
  );
}

/** Whether `decodedBytes` from `encodedBytes` looks like a decompression bomb. */
export function expandsTooMuch(encodedBytes: number, decodedBytes: number): boolean {
  return decodedBytes > RATIO_CHECK_AFTER_BYTES && decodedBytes > encodedBytes * MAX_DECODED_RATIO;
}
