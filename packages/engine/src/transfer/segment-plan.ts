/**
 * How a large file is cut into byte ranges fetched over several connections, and how the largest
 * remaining range is split when a connection runs out of work (so all finish together).
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

function splitEvenly(
  start: number,
  end: number,
  maxPieces: number,
  config: SegmentConfig,
): Segment[] {
  const length = end - start;
  if (length <= 0) return [];
  const count = Math.max(1, Math.min(maxPieces, Math.floor(length / minSegmentBytes(config))));
  const size = Math.ceil(length / count);
  const pieces: Segment[] = [];
  for (let offset = start; offset < end; offset += size)
    pieces.push({ start: offset, end: Math.min(end, offset + size), done: 0 });
  return pieces;
}

/**
 * Segments covering [0, total): [0, done) as one finished segment when something is already there,
 * then the rest cut into up to `connectionsPerFile` pieces no smaller than the minimum. When a first
 * response already covers [done, firstEnd), that range is kept as one segment and the rest is cut
 * for the other connections.
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
  if (firstEnd === undefined || firstEnd >= total)
    return [...finished, ...splitEvenly(done, total, config.connectionsPerFile, config)];
  return [
    ...finished,
    { start: done, end: firstEnd, done: 0 },
    ...splitEvenly(firstEnd, total, Math.max(1, config.connectionsPerFile - 1), config),
  ];
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
