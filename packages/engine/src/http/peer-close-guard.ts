/**
 * Keeps a server's close from crashing the process. undici 7's HTTP/1 parser asserts that it is not
 * paused when a connection that will not be kept alive (HTTP/1.0 such as `python3 -m http.server`,
 * or `Connection: close`) ends or is reset (nodejs/undici#5360; fixed only in undici 8, which needs
 * Node 22). The parser pauses whenever a body is read slower than it arrives — a busy disk or a
 * bandwidth limit — so a server closing right after its last bytes threw an uncatchable
 * AssertionError from a socket event. Each connection is wrapped so that:
 * - the peer's end of stream (FIN) reaches the parser only once it has asked for more bytes and found
 *   none, i.e. after it consumed everything received before the FIN (TCP's own order);
 * - a reset (ECONNRESET) reaches undici as a plain socket error, which fails the request, instead of
 *   as the "maybe the body is complete" case that tries to finish the message — a reset is never a
 *   clean end of a body, and a body cut short by one must not pass for complete.
 */
import type { Socket } from 'node:net';

type Push = Socket['push'];
type Read = Socket['read'];
type Destroy = Socket['destroy'];

/** The reset, renamed so the HTTP client fails the request; the original stays as the cause. */
function resetAsSocketError(reset: Error): Error {
  return new Error(`The server reset the connection (${reset.message})`, { cause: reset });
}

function isReset(error: unknown): error is Error {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'ECONNRESET';
}

export function guardPeerClose<T extends Socket>(socket: T): T {
  const push: Push = socket.push.bind(socket);
  const read: Read = socket.read.bind(socket);
  const destroy: Destroy = socket.destroy.bind(socket);
  /** The parser's last read found nothing left: it is waiting for bytes, not paused on some. */
  let parserWaiting = true;
  let endHeld = false;

  const releaseEnd = (): void => {
    if (!endHeld || !parserWaiting || socket.destroyed) return;
    endHeld = false;
    push(null);
  };

  socket.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (chunk === null && (!parserWaiting || socket.readableLength > 0)) {
      endHeld = true;
      return false;
    }
    return push(chunk, encoding);
  };

  socket.read = (size?: number): unknown => {
    const chunk: unknown = read(size);
    // A sized read is the stream machinery filling its buffer; the parser always reads everything.
    if (size === undefined) {
      parserWaiting = chunk === null;
      // After the current parser step, which may still finish the message on what it has.
      if (parserWaiting && endHeld) process.nextTick(releaseEnd);
    }
    return chunk;
  };

  socket.destroy = (error?: Error): T => {
    destroy(isReset(error) ? resetAsSocketError(error) : error);
    return socket;
  };

  return socket;
}
