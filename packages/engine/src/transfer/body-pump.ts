/**
 * Moves one response body into the partial file at its offsets, chunk by chunk: each chunk waits
 * for the bandwidth limiters, is cut at the window's end (which a segment split may lower while the
 * body streams), written at its position, and then counted. Backpressure is natural: the next
 * chunk is only read once the previous one is on its way to the disk.
 */
import type { BandwidthLimiter } from './bandwidth';
import type { PartialFile } from './partial-file';
import { takeFromAll } from './token-bucket-limiter';

export interface WriteWindow {
  /** File offset of the next byte. */
  position: number;
  /** Exclusive offset not to write past, read before every chunk; null = until the body ends. */
  limit(): number | null;
  /** A write up to `end` is about to start. */
  reserve(end: number): void;
  /** `bytes` more were written at the window's position (already advanced). */
  written(bytes: number): void;
}

export type PumpOutcome = 'body-ended' | 'window-full';

export async function pumpBody(
  body: AsyncIterable<Uint8Array>,
  file: PartialFile,
  window: WriteWindow,
  limiters: readonly BandwidthLimiter[],
  signal: AbortSignal,
): Promise<PumpOutcome> {
  for await (const chunk of body) {
    let data = chunk;
    let limit = window.limit();
    if (limit !== null) {
      if (window.position >= limit) return 'window-full';
      if (data.length > limit - window.position) data = data.subarray(0, limit - window.position);
    }
    window.reserve(window.position + data.length);
    await takeFromAll(limiters, data.length, signal);
    await file.writeAt(data, window.position);
    window.position += data.length;
    window.written(data.length);
    limit = window.limit();
    if (limit !== null && window.position >= limit) return 'window-full';
  }
  return 'body-ended';
}
