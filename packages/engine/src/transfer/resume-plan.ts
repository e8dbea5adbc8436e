/**
 * The one place resume is decided. Never stitch two versions of a file together:
 * - resume only with `Range` + `If-Range` (a strong ETag, else Last-Modified); with no validator the
 *   partial is restarted from zero rather than risked;
 * - a 200 to a ranged request means "here is the whole file": truncate and restart, never append;
 * - a 206 whose Content-Range start or total is not what was asked is rejected and restarted; one
 *   that starts right but runs past the end asked for is accepted: only the bytes asked for are
 *   taken (callers stop at their own end and drop the connection);
 * - a changed validator or size discards the partial, or fails with UPSTREAM_CHANGED when the
 *   file's revision or hash was pinned;
 * - a 416 is complete only when the server's size equals the local size (and the hash matches).
 */
import type { RemoteValidator, Segment } from '../job-model';
import { ModeldockError } from '../errors';
import { parseContentLength, parseContentRange } from '../http/content-range';

/** What the job layer recorded about a partial file. */
export interface PartialState {
  bytesDone: number;
  segments: Segment[] | null;
  validator: RemoteValidator | null;
  bytesTotal: number | null;
}

export type ResumePlan =
  /** Ask for the whole file; whatever is on disk is discarded. */
  | { kind: 'fresh'; reason: string }
  /** Continue one stream from `from`. */
  | { kind: 'range'; from: number; ifRange: string }
  /** Continue each unfinished segment. */
  | { kind: 'segments'; segments: Segment[]; ifRange: string };

/** The validator to send in If-Range: a strong ETag, else Last-Modified. */
export function ifRangeValue(validator: RemoteValidator | null): string | null {
  return validator?.etag ?? validator?.lastModified ?? null;
}

/** Reads the validator a response carries; weak ETags are dropped (they cannot guard a range). */
export function validatorOf(headers: Record<string, string>): RemoteValidator | null {
  const rawEtag = headers.etag?.trim();
  const etag = rawEtag && !rawEtag.startsWith('W/') ? rawEtag : null;
  const lastModified = headers['last-modified']?.trim() || null;
  return etag || lastModified ? { etag, lastModified } : null;
}

export function segmentsComplete(segments: Segment[]): boolean {
  return segments.every((segment) => segment.done >= segment.end - segment.start);
}

/**
 * Decides how to ask for the bytes still missing. `tempSize` is the partial file's size on disk
 * (null when it is missing); `rangesUsable` is false once the server was seen ignoring ranges.
 */
export function planResume(
  state: PartialState,
  tempSize: number | null,
  rangesUsable: boolean,
): ResumePlan {
  const ifRange = ifRangeValue(state.validator);
  const hasBytes =
    state.bytesDone > 0 || (state.segments?.some((segment) => segment.done > 0) ?? false);
  if (!hasBytes) return { kind: 'fresh', reason: 'nothing downloaded yet' };
  if (tempSize === null) return { kind: 'fresh', reason: 'the partial file is missing' };
  if (!rangesUsable) return { kind: 'fresh', reason: 'the server does not honour range requests' };
  if (!ifRange)
    return {
      kind: 'fresh',
      reason: 'the server gave no validator, so a resumed file could mix two versions',
    };
  if (state.segments && state.segments.length > 0) {
    const written = Math.max(
      ...state.segments
        .filter((segment) => segment.done > 0)
        .map((segment) => segment.start + segment.done),
      0,
    );
    if (tempSize < written)
      return { kind: 'fresh', reason: 'the partial file is shorter than recorded' };
    // Stryker disable next-line OptionalChaining: `ifRange` is set here, so the validator is too.
    if (!state.validator?.etag)
      return { kind: 'fresh', reason: 'segments can only resume against a strong ETag' };
    if (segmentsComplete(state.segments)) {
      const end = Math.max(...state.segments.map((segment) => segment.end));
      return { kind: 'range', from: end, ifRange };
    }
    return { kind: 'segments', segments: state.segments, ifRange };
  }
  if (tempSize < state.bytesDone)
    return { kind: 'fresh', reason: 'the partial file is shorter than recorded' };
  return { kind: 'range', from: state.bytesDone, ifRange };
}

/** What one response means for the partial file. */
export type ResponseDecision =
  | {
      kind: 'write';
      /** File offset of the body's first byte. */
      from: number;
      /** Exclusive end of the body's bytes, when known. */
      bodyEnd: number | null;
      total: number | null;
      validator: RemoteValidator | null;
      /** The bytes on disk belong to another version, or the server ignored the range: start over. */
      discardPartial: boolean;
      note: string | null;
    }
  /** 416 for a resume at exactly the remote size: every byte is here; verify it. */
  | { kind: 'complete'; total: number }
  /** Nothing usable: fail with this error (its details say whether to discard the partial). */
  | { kind: 'reject'; error: ModeldockError };

export interface RequestedRange {
  /** False when no Range header was sent. */
  ranged: boolean;
  start: number;
  /** Exclusive, or null for "to the end". */
  end: number | null;
}

export interface DecisionInput {
  status: number;
  headers: Record<string, string>;
  requested: RequestedRange;
  /** Validator and size of the bytes already on disk (null when nothing is). */
  known: { validator: RemoteValidator | null; bytesTotal: number | null } | null;
  /** A revision or a hash was pinned: a different upstream version is an error, not a restart. */
  pinned: boolean;
  /** Content-Length counts encoded bytes when the body is compressed. */
  encoded: boolean;
}

function validatorsDiffer(before: RemoteValidator | null, after: RemoteValidator | null): boolean {
  if (!before || !after) return false;
  if (before.etag && after.etag) return before.etag !== after.etag;
  if (before.lastModified && after.lastModified) return before.lastModified !== after.lastModified;
  return false;
}

export function restartError(
  code: 'BAD_CONTENT_RANGE' | 'UPSTREAM_CHANGED',
  message: string,
): ModeldockError {
  return new ModeldockError(code, message, { retryable: true, details: { discardPartial: true } });
}

/** The server answered a range request wrongly: restart, and count it against using ranges at all. */
function rangeFault(message: string): ModeldockError {
  return new ModeldockError('BAD_CONTENT_RANGE', message, {
    retryable: true,
    details: { discardPartial: true, rangeFault: true },
  });
}

function upstreamChanged(what: string): ModeldockError {
  return new ModeldockError(
    'UPSTREAM_CHANGED',
    `The file changed on the server since the download started (${what}), but this download is pinned to a ` +
      'specific version or checksum. The partial download was discarded; check the source for the new version.',
    { retryable: false, details: { discardPartial: true } },
  );
}

export function decideResponse(input: DecisionInput): ResponseDecision {
  const { status, headers, requested, known, pinned } = input;
  const validator = validatorOf(headers);

  const validatorChange = (): string | null =>
    known && validatorsDiffer(known.validator, validator)
      ? 'its ETag or modification date differs'
      : null;
  /** Sizes are only compared with one the server itself reported (a validator was recorded with it). */
  const sizeChange = (total: number | null): string | null =>
    known?.validator && known.bytesTotal !== null && total !== null && known.bytesTotal !== total
      ? `its size went from ${known.bytesTotal} to ${total} bytes`
      : null;

  if (status === 200) {
    const total = input.encoded ? null : parseContentLength(headers['content-length']);
    const changed = validatorChange() ?? sizeChange(total);
    if (changed && pinned) return { kind: 'reject', error: upstreamChanged(changed) };
    const note = changed
      ? `the remote file changed (${changed}); starting over`
      : requested.ranged
        ? 'the server ignored the range request and sent the whole file; starting over from byte 0'
        : null;
    return {
      kind: 'write',
      from: 0,
      bodyEnd: total,
      total,
      validator,
      discardPartial: true,
      note,
    };
  }

  if (status === 206) {
    const range = parseContentRange(headers['content-range']);
    if (!range || range.kind !== 'satisfied') {
      return {
        kind: 'reject',
        error: rangeFault(
          'The server answered a range request with a missing or malformed Content-Range',
        ),
      };
    }
    if (range.start !== requested.start) {
      return {
        kind: 'reject',
        error: rangeFault(
          `The server sent bytes from ${range.start} when asked for bytes from ${requested.start}; restarting the file`,
        ),
      };
    }
    const changed = validatorChange();
    if (changed) {
      if (pinned) return { kind: 'reject', error: upstreamChanged(changed) };
      return {
        kind: 'reject',
        error: restartError(
          'UPSTREAM_CHANGED',
          `The remote file changed (${changed}); restarting it`,
        ),
      };
    }
    const knownTotal = known?.bytesTotal ?? null;
    if (sizeChange(range.total)) {
      return {
        kind: 'reject',
        error: rangeFault(
          `The server reports a total of ${range.total} bytes, not ${knownTotal}; restarting the file`,
        ),
      };
    }
    // A later end than asked (naive servers send the rest of the file) is fine: bodyEnd says where
    // the body really ends, and each caller stops at its own end and drops the connection.
    return {
      kind: 'write',
      from: range.start,
      bodyEnd: range.end,
      total: range.total ?? knownTotal,
      validator: validator ?? known?.validator ?? null,
      discardPartial: !requested.ranged,
      note: null,
    };
  }

  // 416 Range Not Satisfiable.
  const range = parseContentRange(headers['content-range']);
  if (
    requested.ranged &&
    range?.kind === 'unsatisfied' &&
    range.total === requested.start &&
    requested.end === null
  ) {
    return { kind: 'complete', total: range.total };
  }
  const told = range?.kind === 'unsatisfied' ? `the file is ${range.total} bytes` : 'no size given';
  return {
    kind: 'reject',
    error: rangeFault(
      `The server refused to resume at byte ${requested.start} (416, ${told}); restarting the file`,
    ),
  };
}
