/** What a failure while reading a body means: a stop, a stall, a disk error, a reset or an early end. */
import { isModeldockError, ModeldockError } from '../errors';
import { describeUrl } from '../http/http-url';
import type { RemoteBody } from './remote-request';

function hasCode(error: unknown, predicate: (code: string) => boolean): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && predicate(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * `received` bytes of the body arrived out of `expected` (null when the length is unknown). Errors
 * the engine raised itself (disk, limiter, stop, idle) pass through; a broken read becomes a
 * retryable NETWORK_ERROR (reset) or PREMATURE_EOF (closed early, or a cut-off compressed body).
 */
export function bodyReadError(
  remote: RemoteBody,
  error: unknown,
  received: number,
  expected: number | null,
): ModeldockError {
  const interruption = remote.interruption();
  if (interruption) return interruption;
  if (isModeldockError(error)) return error;
  const where = describeUrl(remote.finalUrl);
  const of = expected === null ? '' : ` of ${expected}`;
  if (
    hasCode(
      error,
      (code) => code.startsWith('Z_') || code === 'ERR__ERROR' || code.startsWith('ERR_BROTLI'),
    )
  ) {
    return new ModeldockError(
      'PREMATURE_EOF',
      `The compressed body from ${where} was cut off or corrupt after ${received} bytes; starting again`,
      {
        cause: error,
        retryable: true,
      },
    );
  }
  if (hasCode(error, (code) => code === 'ECONNRESET')) {
    return new ModeldockError(
      'NETWORK_ERROR',
      `The connection to ${where} was reset after ${received}${of} bytes; resuming`,
      {
        cause: error,
        retryable: true,
      },
    );
  }
  return new ModeldockError(
    'PREMATURE_EOF',
    `The connection to ${where} closed after ${received}${of} bytes; resuming`,
    {
      cause: error,
      retryable: true,
    },
  );
}

/** The body ended cleanly but short of its announced length. */
export function prematureEofError(
  remote: RemoteBody,
  received: number,
  expected: number,
): ModeldockError {
  return new ModeldockError(
    'PREMATURE_EOF',
    `The server at ${describeUrl(remote.finalUrl)} ended the body after ${received} of ${expected} bytes; resuming`,
    { retryable: true },
  );
}
