/** What part of a file a request asks for: Range (one range) and If-Range, as RFC 9110 says. */

export interface ByteRange {
  start: number;
  /** Exclusive. */
  end: number;
}

export type RangeAnswer =
  { kind: 'whole' } | { kind: 'partial'; range: ByteRange } | { kind: 'unsatisfiable' };

/** `bytes=a-b`, `bytes=a-` or `bytes=-n`; anything else (or a stale If-Range) is the whole file. */
export function answerRange(
  rangeHeader: string | undefined,
  ifRangeHeader: string | undefined,
  etag: string,
  size: number,
): RangeAnswer {
  if (!rangeHeader) return { kind: 'whole' };
  if (ifRangeHeader !== undefined && ifRangeHeader !== etag) return { kind: 'whole' };
  const match = /^bytes=(\d*)-(\d*)$/.exec(rangeHeader.trim());
  if (!match || (match[1] === '' && match[2] === '')) return { kind: 'whole' };
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', range: { start: Math.max(0, size - suffix), end: size } };
  }
  const start = Number(match[1]);
  const last = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || last < start) return { kind: 'unsatisfiable' };
  return { kind: 'partial', range: { start, end: last + 1 } };
}
