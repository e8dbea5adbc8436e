/**
 * Coalesces a body's small network chunks into a few large positional writes: chunks are copied
 * into reusable slabs, a full slab is written while the next one fills (so the socket keeps being
 * read during the write), and a write is only reported once it completed. Far fewer trips to the
 * file system thread pool than one write per 64 KB chunk, and no allocation per chunk.
 *
 * On a slow link a slab would take long to fill (512 KiB at 50 KB/s is ten seconds), and progress is
 * only reported for written bytes: so a slab that has held bytes for `maxStagedMs` is written at
 * the next chunk even when not full, and progress keeps moving at least twice a second.
 */
import type { PartialFile } from './partial-file';
import { returnSlab, takeSlab } from './slab-pool';

export const SLAB_BYTES = 256 * 1024;
const SLAB_COUNT = 2;
/** How long staged bytes may wait for their slab to fill before they are written anyway. */
export const MAX_STAGED_MS = 500;

export interface StagedWriterTiming {
  /** Milliseconds, from the engine's clock. */
  now: () => number;
  maxStagedMs?: number;
}

interface Slab {
  /** Taken from the slab pool when first needed (a small body may never need the second slab). */
  buffer: Buffer | null;
  /** File offset of the slab's first byte. */
  position: number;
  length: number;
  /** When the slab's first byte was staged (clock milliseconds). */
  stagedSince: number;
  /** The write of this slab, while it runs. */
  writing: Promise<void> | null;
}

export class StagedWriter {
  readonly #slabs: Slab[];
  #current = 0;
  #failure: unknown = null;
  #hasFailure = false;
  /** File offset of the earliest failed slab: bytes before it were still written. */
  #failedAt = Number.POSITIVE_INFINITY;
  readonly #slabBytes: number;
  readonly #timing: Required<StagedWriterTiming> | null;

  constructor(
    private readonly file: PartialFile,
    /** Called in file order when the bytes up to `end` (exclusive) are written. */
    private readonly onWritten: (end: number) => void,
    slabBytes = SLAB_BYTES,
    /** Without it, slabs are written only when full (or drained). */
    timing?: StagedWriterTiming,
  ) {
    this.#slabBytes = slabBytes;
    this.#timing = timing ? { maxStagedMs: MAX_STAGED_MS, ...timing } : null;
    this.#slabs = Array.from({ length: SLAB_COUNT }, () => ({
      buffer: null,
      position: 0,
      length: 0,
      stagedSince: 0,
      writing: null,
    }));
  }

  #rethrow(): void {
    if (this.#hasFailure) throw this.#failure;
  }

  /** Stages `data` to be written at `position`; waits only when every slab is busy writing. */
  async append(data: Uint8Array, position: number): Promise<void> {
    this.#rethrow();
    let offset = 0;
    while (offset < data.length) {
      let slab = this.#slabs[this.#current]!;
      if (slab.writing) await slab.writing;
      this.#rethrow();
      if (slab.length > 0 && slab.position + slab.length !== position + offset) {
        this.#flush(slab);
        slab = this.#slabs[this.#current]!;
        if (slab.writing) await slab.writing;
        this.#rethrow();
      }
      if (slab.length === 0) {
        slab.position = position + offset;
        if (this.#timing) slab.stagedSince = this.#timing.now();
      }
      slab.buffer ??= takeSlab(this.#slabBytes);
      const copied = Math.min(data.length - offset, this.#slabBytes - slab.length);
      slab.buffer.set(data.subarray(offset, offset + copied), slab.length);
      slab.length += copied;
      offset += copied;
      if (slab.length === this.#slabBytes) this.#flush(slab);
    }
    this.#flushIfWaitedTooLong();
  }

  /** The slow-link rule: bytes staged for `maxStagedMs` are written now (the next slab fills meanwhile). */
  #flushIfWaitedTooLong(): void {
    const slab = this.#slabs[this.#current]!;
    if (!this.#timing || slab.length === 0 || slab.writing) return;
    if (this.#timing.now() - slab.stagedSince >= this.#timing.maxStagedMs) this.#flush(slab);
  }

  /**
   * Starts writing a slab once the previous slab's write is over, and moves on to the next one.
   * One write at a time per writer: two writes of one file in flight together contend for its
   * inode lock, measured as CPU spent spinning in the kernel; the next slab still fills meanwhile.
   */
  #flush(slab: Slab): void {
    if (slab.length === 0) return;
    const end = slab.position + slab.length;
    const previous = this.#slabs[(this.#current + SLAB_COUNT - 1) % SLAB_COUNT]!.writing;
    slab.writing = (async () => {
      try {
        // Its failure is its own to report; this slab is still written (bytes before a failure count).
        await previous;
        await this.file.writeAt(slab.buffer!.subarray(0, slab.length), slab.position);
        // A later slab may have failed first; this one's bytes are on disk all the same.
        if (end <= this.#failedAt) this.onWritten(end);
      } catch (error) {
        this.#failedAt = Math.min(this.#failedAt, slab.position);
        if (!this.#hasFailure) {
          this.#hasFailure = true;
          this.#failure = error;
        }
      } finally {
        slab.length = 0;
        slab.writing = null;
      }
    })();
    this.#current = (this.#current + 1) % SLAB_COUNT;
  }

  /** Writes everything staged and waits for every write; throws the first write failure. */
  async drain(): Promise<void> {
    this.#flush(this.#slabs[this.#current]!);
    for (const slab of this.#slabs) await slab.writing;
    this.#rethrow();
  }

  /** Waits for writes in flight without raising their failure (error paths). */
  async settle(): Promise<void> {
    for (const slab of this.#slabs) await slab.writing;
  }

  /** Gives the slabs back to the pool; only once every write has finished (after drain or settle). */
  release(): void {
    for (const slab of this.#slabs) {
      if (slab.writing || !slab.buffer) continue;
      returnSlab(slab.buffer);
      slab.buffer = null;
    }
  }
}
