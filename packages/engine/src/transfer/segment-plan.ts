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
  return Math.max(ABSOLUTE_MIN_SEGMENT_BYTES, Math.floor(config.segmentThresholdBytes / Math.max(1, config.connectionsPerFile)));
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
 * then the rest cut into up to `connectionsPerFile` pieces no smaller than the minimum.
 */
export function planSegments(done: number, total: number, config: SegmentConfig): Segment[] {
  const segments: Segment[] = done > 0 ? [{ start: 0, end: done, done }] : [];
  const remaining = total - done;
  if (remaining <= 0) return segments.length > 0 ? segments : [{ start: 0, end: total, done: 0 }];
  const count = Math.max(1, Math.min(config.connectionsPerFile, Math.floor(remaining / minSegmentBytes(config))));
  const size = Math.ceil(remaining / count);
  for (let start = done; start < total; start += size) {
    segments.push({ start, end: Math.min(total, start + size), done: 0 });
  }
  return segments;
}

/** An unfinished segment no connection is working on, lowest offset first. */
export function nextIdleSegment(segments: readonly LiveSegment[]): LiveSegment | null {
  return segments.find((segment) => !segment.active && segment.start + segment.written < segment.end) ?? null;
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
  const upper: LiveSegment = { start: at, end: largest.end, written: 0, done: 0, cursor: at, active: true };
  largest.end = at;
  segments.splice(segments.indexOf(largest) + 1, 0, upper);
  return upper;
}
