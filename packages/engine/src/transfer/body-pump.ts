/**
 * Moves one response body into the partial file at its offsets: each chunk waits for the
 * bandwidth limiters, is cut at the window's end (which a segment split may lower while the body
 * streams), and is staged into large positional writes. Backpressure is natural: the next chunk is
 * only read once the previous one is staged, and staging waits when every slab is being written.
 */
import type { BandwidthLimiter } from './bandwidth';
import type { PartialFile } from './partial-file';
import { SLAB_BYTES, StagedWriter } from './staged-writer';
import { takeFromAll } from './token-bucket-limiter';

export interface WriteWindow {
  /** File offset of the next byte to stage. */
  position: number;
  /** Exclusive offset not to write past, read before every chunk; null = until the body ends. */
  limit(): number | null;
  /** A chunk ending at `end` is about to be staged. */
  reserve(end: number): void;
  /** Every byte before `end` is now written to the file (reported in order). */
  written(end: number): void;
  /** `data` was staged to be written at `position` (the single stream hashes it in line). */
  staged?(data: Uint8Array, position: number): void;
  /** Where the body is expected to end when that is not a limit (a single stream's Content-Length). */
  expectedEnd?: number | null;
}

export type PumpOutcome = 'body-ended' | 'window-full';

const MIN_SLAB_BYTES = 16 * 1024;
/**
 * A single stream stages in larger slabs (fewer writes for the one connection, and a 1 MiB file of
 * a bundle costs two); still small enough that progress moves, and a pause keeps, every half MiB.
 */
const SINGLE_STREAM_SLAB_BYTES = 512 * 1024;

/**
 * Slabs small against a short range, so little is staged (and lost in a crash) per connection; a
 * single stream's slabs no larger than its body.
 */
function slabBytesFor(window: WriteWindow): number {
  const limit = window.limit();
  if (limit === null) {
    const remaining = window.expectedEnd == null ? null : window.expectedEnd - window.position;
    return remaining !== null && remaining > 0
      ? Math.max(MIN_SLAB_BYTES, Math.min(SINGLE_STREAM_SLAB_BYTES, remaining))
      : SINGLE_STREAM_SLAB_BYTES;
  }
  return Math.max(MIN_SLAB_BYTES, Math.min(SLAB_BYTES, Math.ceil((limit - window.position) / 8)));
}

function anyLimited(limiters: readonly BandwidthLimiter[]): boolean {
  for (const limiter of limiters) if (limiter.rate !== null) return true;
  return false;
}

export async function pumpBody(
  body: AsyncIterable<Uint8Array>,
  file: PartialFile,
  window: WriteWindow,
  limiters: readonly BandwidthLimiter[],
  signal: AbortSignal,
  /** The engine's clock: on a slow link, staged bytes are written (and counted) within half a second. */
  now: () => number,
): Promise<PumpOutcome> {
  const writer = new StagedWriter(file, (end) => window.written(end), slabBytesFor(window), {
    now,
  });
  let outcome: PumpOutcome = 'body-ended';
  try {
    for await (const chunk of body) {
      let data = chunk;
      const limit = window.limit();
      if (limit !== null) {
        if (window.position >= limit) {
          outcome = 'window-full';
          break;
        }
        if (data.length > limit - window.position) data = data.subarray(0, limit - window.position);
      }
      window.reserve(window.position + data.length);
      if (anyLimited(limiters)) await takeFromAll(limiters, data.length, signal);
      await writer.append(data, window.position);
      window.staged?.(data, window.position);
      window.position += data.length;
      const after = window.limit();
      if (after !== null && window.position >= after) {
        outcome = 'window-full';
        break;
      }
    }
  } catch (error) {
    // Bytes that arrived before the failure are good: write them so a resume starts after them.
    await writer.drain().catch(() => undefined);
    writer.release();
    throw error;
  }
  try {
    await writer.drain();
  } finally {
    await writer.settle();
    writer.release();
  }
  return outcome;
}
