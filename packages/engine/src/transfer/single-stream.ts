/** One connection writing the file from an offset to its end (the fallback and the small-file path). */
import type { WriteWindow } from './body-pump';
import { pumpBody } from './body-pump';
import { bodyReadError, prematureEofError } from './body-errors';
import { decodeBody } from './content-decoding';
import type { ContentEncoding } from './content-decoding';
import type { RemoteBody } from './remote-request';
import type { TransferSession } from './transfer-session';

export async function streamToEnd(
  session: TransferSession,
  remote: RemoteBody,
  from: number,
  /** Exclusive end the body announced (Content-Length / Content-Range), null when unknown or encoded. */
  bodyEnd: number | null,
  encoding: ContentEncoding,
  signal: AbortSignal,
): Promise<void> {
  const ledger = session.ledger;
  ledger.written = from;
  const window: WriteWindow = {
    position: from,
    limit: () => null,
    expectedEnd: bodyEnd,
    reserve: () => undefined,
    written: (end) => {
      ledger.written = end;
      session.noteWritten();
    },
    staged: (data, position) => session.noteStaged(data, position),
  };
  try {
    await pumpBody(
      decodeBody(remote.body, encoding),
      session.partial,
      window,
      session.context.limiters,
      signal,
      () => session.context.clock.now(),
    );
  } catch (error) {
    throw bodyReadError(
      remote,
      error,
      window.position - from,
      bodyEnd === null ? null : bodyEnd - from,
    );
  } finally {
    remote.close();
  }
  if (bodyEnd !== null && window.position < bodyEnd)
    throw prematureEofError(remote, window.position - from, bodyEnd - from);
  // With no announced length the end of the body is the end of the file.
  if (ledger.bytesTotal === null || encoding !== 'identity') ledger.bytesTotal = window.position;
}
