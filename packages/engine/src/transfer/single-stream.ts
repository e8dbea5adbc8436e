/** One connection writing the file from an offset to its end (the fallback and the small-file path). */
import type { WriteWindow } from './body-pump';
import { pumpBody } from './body-pump';
import { bodyReadError, prematureEofError } from './body-errors';
import { capBody } from './body-limits';
import { decodeBody } from './content-decoding';
import { unknownLengthCeiling, unknownLengthTooLargeError } from './disk-space';
import { describeUrl } from '../http/http-url';
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
  let body = decodeBody(remote.body, encoding);
  if (bodyEnd === null) {
    // Nothing says where this body ends: it may use the free space less the reserve, no more.
    const { fs, config } = session.context;
    const ceiling = await unknownLengthCeiling(fs, session.directory, config.diskReserveBytes);
    if (ceiling !== null) {
      body = capBody(body, ceiling, (bytes) =>
        unknownLengthTooLargeError(bytes, describeUrl(remote.finalUrl)),
      );
    }
  }
  try {
    await pumpBody(body, session.partial, window, session.context.limiters, signal, () =>
      session.context.clock.now(),
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
