/**
 * A response body taken off the connection as soon as it arrives, into a bounded queue the reader
 * drains. undici's body stream throws away what it holds when the connection fails (a reset, or a
 * server closing early), so a reader still busy with the disk when that happened got none of the
 * bytes that had arrived — and a server that always closed early never let a slow reader progress.
 * Bytes in this queue survive the failure: the reader gets every one of them, then the error.
 * Backpressure stays: past `highWaterBytes` the stream is paused until the reader catches up.
 */
import type { Readable } from 'node:stream';

export interface ReadAheadBody extends AsyncIterable<Uint8Array> {
  /** Stops queueing and forgets what is queued, leaving the stream to the caller (to dump it). */
  detach(): void;
}

function ignore(): void {}

export function readAhead(stream: Readable, highWaterBytes: number): ReadAheadBody {
  const queue: Uint8Array[] = [];
  let queuedBytes = 0;
  let ended = false;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  let reading = false;

  const notify = (): void => {
    const waiter = wake;
    wake = null;
    waiter?.();
  };
  const onData = (chunk: Uint8Array): void => {
    queue.push(chunk);
    queuedBytes += chunk.length;
    if (queuedBytes >= highWaterBytes) stream.pause();
    notify();
  };
  const onEnd = (): void => {
    ended = true;
    notify();
  };
  const onError = (error: unknown): void => {
    failure ??= error;
    notify();
  };
  const onClose = (): void => {
    // Destroyed without an error or an end: the body did not arrive whole.
    if (!ended) failure ??= new Error('The connection closed before the body ended');
    notify();
  };
  const detach = (): void => {
    stream.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    // Never a stream without an error listener: an 'error' nobody hears would end the process.
    stream.on('error', ignore);
    queue.length = 0;
    queuedBytes = 0;
  };
  stream.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);

  async function* chunks(): AsyncGenerator<Uint8Array> {
    if (reading) throw new Error('A response body can be read only once');
    reading = true;
    let finished = false;
    try {
      for (;;) {
        const chunk = queue.shift();
        if (chunk) {
          queuedBytes -= chunk.length;
          if (stream.isPaused() && queuedBytes < highWaterBytes / 2) stream.resume();
          yield chunk;
          continue;
        }
        if (failure !== null) throw failure;
        if (ended) {
          finished = true;
          return;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      detach();
      // A reader that stops early frees the connection, as undici's own iterator does.
      if (!finished && !stream.destroyed) stream.destroy();
    }
  }

  return { [Symbol.asyncIterator]: chunks, detach };
}
