/**
 * How a large file is cut into byte ranges fetched over several connections: connections take
 * pieces off the front of the unclaimed bytes, lowest offset first (piece-sizer.ts says how big),
 * so the written prefix grows steadily and the hash follows the download; when nothing is left to
 * claim, the largest remaining range is split (so all connections finish together).
 */
import type { EngineConfig } from '../config';
import type { Segment } from '../job-model';
import type { LiveSegment } from './progress-ledger';

type SegmentConfig = Pick<EngineConfig, 'segmentThresholdBytes' | 'connectionsPerFile'>;

/** Below this a segment is not worth a connection of its own. */
const ABSOLUTE_MIN_SEGMENT_BYTES = 4096;

export function minSegmentBytes(config: SegmentConfig): number {
  return Math.max(
    ABSOLUTE_MIN_SEGMENT_BYTES,
    Math.floor(config.segmentThresholdBytes / Math.max(1, config.connectionsPerFile)),
  );
}

export interface SegmentEligibility {
  total: number | null;
  acceptsRanges: boolean;
  strongEtag: boolean;
  identityEncoding: boolean;
}

/** Several connections only when the file is large and the server can serve ranges of one exact version. */
export function shouldSegment(config: SegmentConfig, facts: SegmentEligibility): boolean {
  return (
    config.connectionsPerFile > 1 &&
    facts.total !== null &&
    facts.total > config.segmentThresholdBytes &&
    facts.acceptsRanges &&
    facts.strongEtag &&
    facts.identityEncoding
  );
}

/**
 * Segments covering [0, total): [0, done) as one finished segment when something is already there,
 * then a first piece of the minimum segment size (or the range a first response already covers,
 * [done, firstEnd)), then the rest as one unclaimed segment that connections take pieces of.
 */
export function planSegments(
  done: number,
  total: number,
  config: SegmentConfig,
  firstEnd?: number,
): Segment[] {
  const finished: Segment[] =
    done > 0 ? [{ start: 0, end: Math.min(done, total), done: Math.min(done, total) }] : [];
  if (done >= total) return finished.length > 0 ? finished : [{ start: 0, end: total, done: 0 }];
  const firstPieceEnd = Math.min(total, firstEnd ?? done + minSegmentBytes(config));
  const rest: Segment[] =
    firstPieceEnd < total ? [{ start: firstPieceEnd, end: total, done: 0 }] : [];
  return [...finished, { start: done, end: firstPieceEnd, done: 0 }, ...rest];
}

/** Where the first request should stop when the file will be segmented: the end of its own segment. */
export function firstSegmentEnd(done: number, total: number, config: SegmentConfig): number {
  return planSegments(done, total, config).find((segment) => segment.start === done)?.end ?? total;
}

/** An unfinished segment no connection is working on, lowest offset first. */
export function nextIdleSegment(segments: readonly LiveSegment[]): LiveSegment | null {
  return (
    segments.find((segment) => !segment.active && segment.start + segment.written < segment.end) ??
    null
  );
}

/**
 * The lowest unclaimed bytes, about `pieceBytes` of them past what is already written there, but
 * no more than a fair share of what is left unclaimed (so one connection does not take what the
 * others would then have to split off): cut off the front of the first idle segment (the rest
 * stays idle, right after it), or the whole segment when little is left. Marks the piece active and
 * returns it, or null when every unfinished segment has a connection.
 */
export function claimNextPiece(
  segments: LiveSegment[],
  pieceBytes: number,
  connections: number,
  floorBytes: number,
): LiveSegment | null {
  const idle = nextIdleSegment(segments);
  if (!idle) return null;
  idle.active = true;
  let unclaimed = 0;
  for (const segment of segments) {
    if (!segment.active || segment === idle)
      unclaimed += segment.end - segment.start - segment.written;
  }
  const fairShare = Math.ceil(unclaimed / Math.max(1, connections));
  const size = Math.max(floorBytes, Math.min(pieceBytes, fairShare));
  const from = idle.start + idle.written;
  // Leave no sliver behind: a remainder under half a piece goes with this one.
  if (idle.end - from <= size + Math.floor(size / 2)) return idle;
  const cut = from + size;
  segments.splice(segments.indexOf(idle) + 1, 0, {
    start: cut,
    end: idle.end,
    written: 0,
    done: 0,
    cursor: cut,
    active: false,
  });
  idle.end = cut;
  return idle;
}

/**
 * Splits the active segment with the most bytes left past its cursor in two, when both halves
 * stay at least `minBytes`; returns the new upper half (inserted in order) or null.
 */
export function splitLargestSegment(segments: LiveSegment[], minBytes: number): LiveSegment | null {
  let largest: LiveSegment | null = null;
  for (const segment of segments) {
    if (!segment.active) continue;
    if (!largest || segment.end - segment.cursor > largest.end - largest.cursor) largest = segment;
  }
  if (!largest || largest.end - largest.cursor < 2 * minBytes) return null;
  const at = largest.cursor + Math.floor((largest.end - largest.cursor) / 2);
  const upper: LiveSegment = {
    start: at,
    end: largest.end,
    written: 0,
    done: 0,
    cursor: at,
    active: true,
  };
  largest.end = at;
  segments.splice(segments.indexOf(largest) + 1, 0, upper);
  return upper;
}
