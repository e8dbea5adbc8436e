/** Header values a server sends that decide how bytes are stitched and when to ask again. */
import { describe, expect, it } from 'vitest';
import {
  parseContentLength,
  parseContentRange,
} from '@modeldock/engine/internal/http/content-range';
import {
  isRetryableStatus,
  parseRetryAfter,
  retryDelayMs,
} from '@modeldock/engine/internal/http/retry-policy';

describe('Content-Range edge cases', () => {
  it('reads a one-byte range', () => {
    expect(parseContentRange('bytes 5-5/10')).toEqual({ kind: 'satisfied', start: 5, end: 6, total: 10 });
    expect(parseContentRange('bytes 9-9/10')).toEqual({ kind: 'satisfied', start: 9, end: 10, total: 10 });
  });

  it.each([
    'bytes 0-9/10 junk',
    'junk bytes 0-9/10',
    'bytes 0-9/10x',
    'xbytes 0-9/10',
    'bytes 0-9/',
    'bytes -9/10',
    'bytes 0-/10',
    'bytes 0 9/10',
    'bytes0-9/10',
    'bytes */',
    'bytes */10x',
    'x bytes */10',
    'bytes */*',
    'bytes 6-5/10',
    'bytes 10-10/10',
    '',
  ])('refuses %j', (value) => {
    expect(parseContentRange(value)).toBeNull();
  });

  it('accepts the unit in any case and surrounding whitespace', () => {
    expect(parseContentRange(' BYTES 0-9/10 ')).toEqual({ kind: 'satisfied', start: 0, end: 10, total: 10 });
    expect(parseContentRange('Bytes */10')).toEqual({ kind: 'unsatisfied', total: 10 });
    expect(parseContentRange('bytes  */10')).toEqual({ kind: 'unsatisfied', total: 10 });
    expect(parseContentRange('bytes  100-199/1000')).toMatchObject({ start: 100, end: 200 });
    expect(parseContentRange('bytes 123456-123456789/123456790')).toEqual({
      kind: 'satisfied',
      start: 123456,
      end: 123456790,
      total: 123456790,
    });
    expect(parseContentRange('bytes */123456790')).toEqual({ kind: 'unsatisfied', total: 123456790 });
  });

  it('refuses offsets and sizes past 2^53, where byte arithmetic stops being exact', () => {
    expect(parseContentRange('bytes 0-9007199254740992/9007199254740993')).toBeNull();
    expect(parseContentRange('bytes 9007199254740992-9007199254740993/*')).toBeNull();
    expect(parseContentRange('bytes 0-9/9007199254740993')).toBeNull();
    expect(parseContentRange('bytes */9007199254740993')).toBeNull();
    expect(parseContentRange('bytes 0-9007199254740990/9007199254740991')).toMatchObject({
      end: 9007199254740991,
    });
  });

  it('reads Content-Length only as a plain non-negative integer', () => {
    expect(parseContentLength(' 42 ')).toBe(42);
    expect(parseContentLength('0')).toBe(0);
    expect(parseContentLength('1234567')).toBe(1234567);
    for (const bad of ['42abc', 'abc42', '-1', '4 2', '', '9007199254740993']) {
      expect(parseContentLength(bad)).toBeNull();
    }
  });
});

describe('Retry-After', () => {
  it('reads only whole seconds or an HTTP-date', () => {
    expect(parseRetryAfter(' 7 ', 0)).toBe(7000);
    expect(parseRetryAfter('120abc', 0)).toBeNull();
    expect(parseRetryAfter('abc120', 0)).toBeNull();
    expect(parseRetryAfter('1.5', 0)).toBeNull();
    expect(parseRetryAfter('-5', 0)).toBeNull();
  });

  it('reads each HTTP-date form, and no date-like garbage as "retry now"', () => {
    const now = Date.parse('Sun, 06 Nov 1994 08:49:00 GMT');
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', now)).toBe(37_000);
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', now)).toBe(37_000);
    expect(parseRetryAfter('Sun Nov  6 08:49:37 1994', now)).toBe(37_000);
    expect(parseRetryAfter('abc 120', now)).toBeNull();
    expect(parseRetryAfter('Sun, 06 Nov 1994', now)).toBeNull();
    expect(parseRetryAfter('99:99:99 nonsense', now)).toBeNull();
  });
});

describe('which statuses are worth another try', () => {
  it('retries 5xx up to 599 except 501 and 505', () => {
    expect(isRetryableStatus(500)).toBe(true);
    expect(isRetryableStatus(599)).toBe(true);
    expect(isRetryableStatus(501)).toBe(false);
    expect(isRetryableStatus(505)).toBe(false);
  });

  it('does not retry statuses of 600 and above, nor other 4xx', () => {
    for (const status of [600, 601, 999, 499, 407, 409, 200, 0]) {
      expect(isRetryableStatus(status)).toBe(false);
    }
  });
});

describe('how long to wait', () => {
  const config = { retryBaseDelayMs: 1000, retryMaxDelayMs: 60_000, retryAfterCapMs: 300_000 };
  const serverError = { code: 'SERVER_ERROR' as const, retryAfterMs: undefined };
  const rateLimited = { code: 'RATE_LIMITED' as const, retryAfterMs: undefined };

  it('treats a negative Retry-After as now, and Retry-After wins over backoff', () => {
    expect(retryDelayMs(5, { code: 'SERVER_ERROR', retryAfterMs: -5000 }, config, () => 0.9)).toBe(0);
    expect(retryDelayMs(5, { code: 'SERVER_ERROR', retryAfterMs: 0 }, config, () => 0.9)).toBe(0);
  });

  it('counts a zeroth failure as the first', () => {
    expect(retryDelayMs(0, serverError, config, () => 0.5)).toBe(500);
    expect(retryDelayMs(0, rateLimited, config, () => 0.5)).toBe(1000);
  });

  it('doubles the ceiling per failure until the maximum', () => {
    expect(retryDelayMs(2, serverError, config, () => 0.5)).toBe(1000);
    expect(retryDelayMs(7, serverError, config, () => 0.5)).toBe(30_000);
    expect(retryDelayMs(8, serverError, config, () => 0.5)).toBe(30_000);
    expect(retryDelayMs(2000, serverError, config, () => 0.5)).toBe(30_000);
  });

  it('grows a 429 wait from 1 s, doubling, to at most 30 s', () => {
    expect(retryDelayMs(3, rateLimited, config, () => 0.5)).toBe(2500);
    expect(retryDelayMs(5, rateLimited, config, () => 0.5)).toBe(8500);
    expect(retryDelayMs(6, rateLimited, config, () => 0.5)).toBe(15_500);
    expect(retryDelayMs(2000, rateLimited, config, () => 0.5)).toBe(15_500);
  });
});
