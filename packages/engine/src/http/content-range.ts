/** Reading `Content-Range` (RFC 9110 §14.4) and building `Range` requests. Ends are exclusive here. */

export interface SatisfiedRange {
  kind: 'satisfied';
  start: number;
  /** Exclusive. */
  end: number;
  /** null when the server sent `*` for the complete length. */
  total: number | null;
}

export interface UnsatisfiedRange {
  kind: 'unsatisfied';
  total: number;
}

export type ContentRange = SatisfiedRange | UnsatisfiedRange;

/** Parses a Content-Range header; null when missing or malformed. */
export function parseContentRange(value: string | undefined): ContentRange | null {
  if (!value) return null;
  const trimmed = value.trim();
  const unsatisfied = /^bytes\s+\*\/(\d+)$/i.exec(trimmed);
  if (unsatisfied) {
    const total = Number(unsatisfied[1]);
    return Number.isSafeInteger(total) ? { kind: 'unsatisfied', total } : null;
  }
  const satisfied = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(trimmed);
  if (!satisfied) return null;
  const first = Number(satisfied[1]);
  const last = Number(satisfied[2]);
  const total = satisfied[3] === '*' ? null : Number(satisfied[3]);
  // `first <= last`, so a safe `last` makes `first` safe too.
  if (!Number.isSafeInteger(last) || last < first) return null;
  if (total !== null && (!Number.isSafeInteger(total) || last >= total)) return null;
  return { kind: 'satisfied', start: first, end: last + 1, total };
}

/** `Range` header for bytes from `start` to `end` (exclusive), or to the end of the file when null. */
export function rangeHeader(start: number, end: number | null): string {
  return end === null ? `bytes=${start}-` : `bytes=${start}-${end - 1}`;
}

/** Content-Length as a number, or null when absent or not a plain non-negative integer. */
export function parseContentLength(value: string | undefined): number | null {
  // A missing header reads as "undefined", which is no number either.
  if (!/^\s*\d+\s*$/.test(String(value))) return null;
  const length = Number(value);
  return Number.isSafeInteger(length) ? length : null;
}
