/**
 * What has been written and what is durable, for one file. A single stream is one growing offset;
 * a segmented transfer is a list of byte ranges, each with its own written and durable counts.
 * `durable` only moves forward through `commit` after an fsync, so what is reported to the job
 * layer never runs ahead of the disk.
 */
import type { RemoteValidator, Segment } from '../job-model';
import type { DurableProgress } from './file-transfer-api';

export interface LiveSegment {
  start: number;
  /** Exclusive; shrinks when the segment is split to give another connection work. */
  end: number;
  /** Bytes written from `start` (in the page cache, maybe not yet on disk). */
  written: number;
  /** Bytes from `start` known to be fsynced. */
  done: number;
  /** Highest offset a connection has started writing: splits never cut below it. */
  cursor: number;
  /** A connection is fetching this segment. */
  active: boolean;
}

/** Written offsets captured right before an fsync starts. */
export interface WrittenCapture {
  single: number;
  segments: Array<[LiveSegment, number]>;
}

export class ProgressLedger {
  /** Single stream: bytes written from 0, and how many of them are durable. */
  written = 0;
  durable = 0;
  segments: LiveSegment[] | null = null;
  validator: RemoteValidator | null;
  bytesTotal: number | null;
  /** Encoded transfers restart from zero: their offsets are not the server's offsets. */
  resumable = true;

  constructor(validator: RemoteValidator | null, bytesTotal: number | null) {
    this.validator = validator;
    this.bytesTotal = bytesTotal;
  }

  static single(
    offset: number,
    validator: RemoteValidator | null,
    bytesTotal: number | null,
  ): ProgressLedger {
    const ledger = new ProgressLedger(validator, bytesTotal);
    ledger.written = offset;
    ledger.durable = offset;
    return ledger;
  }

  static segmented(
    segments: Segment[],
    validator: RemoteValidator | null,
    bytesTotal: number | null,
  ): ProgressLedger {
    const ledger = new ProgressLedger(validator, bytesTotal);
    ledger.useSegments(segments);
    return ledger;
  }

  useSegments(segments: Segment[]): void {
    this.segments = segments
      .map((segment) => ({
        start: segment.start,
        end: segment.end,
        written: segment.done,
        done: segment.done,
        cursor: segment.start + segment.done,
        active: false,
      }))
      .sort((a, b) => a.start - b.start);
  }

  /** Back to one stream with `offset` bytes durable (a resume, or finished segments seen as one). */
  useSingle(offset: number): void {
    this.segments = null;
    this.written = offset;
    this.durable = offset;
  }

  get isSegmented(): boolean {
    return this.segments !== null;
  }

  /**
   * Merges neighbouring segments that are finished and durable into one, so a file fetched in
   * hundreds of pieces keeps a short segment list (in memory and in every progress record).
   */
  mergeFinishedSegments(): void {
    const segments = this.segments;
    if (!segments || segments.length < 2) return;
    const isSettled = (segment: LiveSegment) =>
      !segment.active && segment.done === segment.end - segment.start;
    let kept = 0;
    for (let index = 0; index < segments.length; index++) {
      const segment = segments[index]!;
      const previous = kept > 0 ? segments[kept - 1]! : null;
      if (previous && isSettled(previous) && isSettled(segment) && previous.end === segment.start) {
        previous.end = segment.end;
        previous.written = previous.end - previous.start;
        previous.done = previous.written;
        previous.cursor = previous.end;
      } else {
        segments[kept++] = segment;
      }
    }
    segments.length = kept;
  }

  /** Bytes received into the file so far (for live progress). */
  receivedBytes(): number {
    if (!this.segments) return this.written;
    let total = 0;
    for (const segment of this.segments) total += segment.written;
    return total;
  }

  durableBytes(): number {
    if (!this.segments) return this.durable;
    let total = 0;
    for (const segment of this.segments) total += segment.done;
    return total;
  }

  /** Length of the written prefix with no hole: what the hasher may read. */
  contiguousBytes(): number {
    if (!this.segments) return this.written;
    let prefix = 0;
    for (const segment of this.segments) {
      if (segment.start !== prefix) break;
      prefix = segment.start + segment.written;
      if (segment.start + segment.written < segment.end) break;
    }
    return prefix;
  }

  isComplete(): boolean {
    if (!this.segments) return this.bytesTotal !== null && this.written >= this.bytesTotal;
    return this.segments.every((segment) => segment.start + segment.written >= segment.end);
  }

  captureWritten(): WrittenCapture {
    return {
      single: this.written,
      segments: this.segments
        ? this.segments.map((segment): [LiveSegment, number] => [segment, segment.written])
        : [],
    };
  }

  /** Marks a capture durable (its fsync finished). Returns whether anything moved. */
  commit(capture: WrittenCapture): boolean {
    let moved = false;
    if (this.segments) {
      for (const [segment, written] of capture.segments) {
        if (written > segment.done) {
          segment.done = written;
          moved = true;
        }
      }
    } else if (capture.single > this.durable) {
      this.durable = capture.single;
      moved = true;
    }
    return moved;
  }

  durableProgress(): DurableProgress {
    return {
      bytesDone: this.durableBytes(),
      segments: this.segments
        ? this.segments.map((segment) => ({
            start: segment.start,
            end: segment.end,
            done: segment.done,
          }))
        : null,
      validator: this.resumable ? this.validator : null,
      bytesTotal: this.bytesTotal,
    };
  }

  /** Forgets every byte: the partial is being discarded. */
  reset(validator: RemoteValidator | null, bytesTotal: number | null): void {
    this.written = 0;
    this.durable = 0;
    this.segments = null;
    this.validator = validator;
    this.bytesTotal = bytesTotal;
    this.resumable = true;
  }
}
