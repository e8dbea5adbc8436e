/** The one place resume is decided, and the header arithmetic it relies on. */
import { describe, expect, it } from 'vitest';
import {
  decideResponse,
  planResume,
  validatorOf,
} from '@modeldock/engine/internal/transfer/resume-plan';
import type { DecisionInput } from '@modeldock/engine/internal/transfer/resume-plan';
import {
  parseContentLength,
  parseContentRange,
  rangeHeader,
} from '@modeldock/engine/internal/http/content-range';
import {
  isRetryableStatus,
  parseRetryAfter,
  retryDelayMs,
} from '@modeldock/engine/internal/http/retry-policy';
import {
  planSegments,
  splitLargestSegment,
  shouldSegment,
  minSegmentBytes,
} from '@modeldock/engine/internal/transfer/segment-plan';
import type { LiveSegment } from '@modeldock/engine/internal/transfer/progress-ledger';
import { ProgressLedger } from '@modeldock/engine/internal/transfer/progress-ledger';

const strong = { etag: '"v1"', lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT' };

describe('planResume', () => {
  it('resumes one stream with If-Range on the strong ETag', () => {
    expect(
      planResume(
        { bytesDone: 100, segments: null, validator: strong, bytesTotal: 1000 },
        150,
        true,
      ),
    ).toEqual({
      kind: 'range',
      from: 100,
      ifRange: '"v1"',
    });
  });

  it('falls back to Last-Modified when there is no strong ETag', () => {
    const plan = planResume(
      {
        bytesDone: 100,
        segments: null,
        validator: { etag: null, lastModified: 'Tue' },
        bytesTotal: null,
      },
      100,
      true,
    );
    expect(plan).toEqual({ kind: 'range', from: 100, ifRange: 'Tue' });
  });

  it.each([
    [
      'nothing downloaded',
      { bytesDone: 0, segments: null, validator: strong, bytesTotal: 10 },
      0,
      true,
      /nothing/,
    ],
    [
      'temp missing',
      { bytesDone: 5, segments: null, validator: strong, bytesTotal: 10 },
      null,
      true,
      /missing/,
    ],
    [
      'no validator',
      { bytesDone: 5, segments: null, validator: null, bytesTotal: 10 },
      5,
      true,
      /no validator/,
    ],
    [
      'ranges broken',
      { bytesDone: 5, segments: null, validator: strong, bytesTotal: 10 },
      5,
      false,
      /range/,
    ],
    [
      'temp shorter',
      { bytesDone: 50, segments: null, validator: strong, bytesTotal: 100 },
      10,
      true,
      /shorter/,
    ],
  ] as const)('restarts from zero when %s', (_name, state, tempSize, rangesUsable, reason) => {
    const plan = planResume(state, tempSize, rangesUsable);
    expect(plan.kind).toBe('fresh');
    expect(plan.kind === 'fresh' && plan.reason).toMatch(reason);
  });

  it('resumes segments against a strong ETag, and only against one', () => {
    const segments = [
      { start: 0, end: 50, done: 50 },
      { start: 50, end: 100, done: 10 },
    ];
    expect(
      planResume({ bytesDone: 60, segments, validator: strong, bytesTotal: 100 }, 60, true).kind,
    ).toBe('segments');
    expect(
      planResume(
        { bytesDone: 60, segments, validator: { etag: null, lastModified: 'x' }, bytesTotal: 100 },
        60,
        true,
      ).kind,
    ).toBe('fresh');
    expect(
      planResume({ bytesDone: 60, segments, validator: strong, bytesTotal: 100 }, 55, true).kind,
    ).toBe('fresh');
  });

  it('treats finished segments as one stream at the end (to confirm with a 416)', () => {
    const segments = [
      { start: 0, end: 50, done: 50 },
      { start: 50, end: 100, done: 50 },
    ];
    expect(
      planResume({ bytesDone: 100, segments, validator: strong, bytesTotal: 100 }, 100, true),
    ).toEqual({
      kind: 'range',
      from: 100,
      ifRange: '"v1"',
    });
  });
});

describe('decideResponse', () => {
  const base = (overrides: Partial<DecisionInput>): DecisionInput => ({
    status: 206,
    headers: { 'content-range': 'bytes 100-999/1000', etag: '"v1"' },
    requested: { ranged: true, start: 100, end: null },
    known: { validator: strong, bytesTotal: 1000 },
    pinned: false,
    encoded: false,
    ...overrides,
  });

  it('accepts a 206 that starts where asked', () => {
    expect(decideResponse(base({}))).toMatchObject({
      kind: 'write',
      from: 100,
      bodyEnd: 1000,
      total: 1000,
      discardPartial: false,
    });
  });

  it('treats a 200 to a ranged request as a restart from zero, never an append', () => {
    const decision = decideResponse(
      base({ status: 200, headers: { 'content-length': '1000', etag: '"v1"' } }),
    );
    expect(decision).toMatchObject({
      kind: 'write',
      from: 0,
      discardPartial: true,
      note: expect.stringContaining('ignored the range'),
    });
  });

  it('fails a changed file with UPSTREAM_CHANGED when pinned, restarts it otherwise', () => {
    const changed = base({ status: 200, headers: { 'content-length': '1000', etag: '"v2"' } });
    expect(decideResponse({ ...changed, pinned: true })).toMatchObject({
      kind: 'reject',
      error: { code: 'UPSTREAM_CHANGED', retryable: false },
    });
    expect(decideResponse(changed)).toMatchObject({
      kind: 'write',
      discardPartial: true,
      note: expect.stringContaining('changed'),
    });
    const resized = base({
      status: 200,
      headers: { 'content-length': '1200', etag: '"v1"' },
      pinned: true,
    });
    expect(decideResponse(resized)).toMatchObject({
      kind: 'reject',
      error: { code: 'UPSTREAM_CHANGED' },
    });
  });

  it('rejects a 206 that ignored If-Range (new ETag) as a change', () => {
    const decision = decideResponse(
      base({ headers: { 'content-range': 'bytes 100-999/1000', etag: '"v2"' } }),
    );
    expect(decision).toMatchObject({
      kind: 'reject',
      error: { code: 'UPSTREAM_CHANGED', retryable: true },
    });
  });

  it.each([
    ['a wrong start', 'bytes 90-999/1000'],
    ['a wrong total', 'bytes 100-999/1001'],
    ['no header', undefined],
    ['a malformed header', 'bytes 100-99/1000'],
  ])('rejects a 206 with %s as BAD_CONTENT_RANGE, a range fault', (_name, contentRange) => {
    const headers: Record<string, string> = { etag: '"v1"' };
    if (contentRange) headers['content-range'] = contentRange;
    expect(decideResponse(base({ headers }))).toMatchObject({
      kind: 'reject',
      error: {
        code: 'BAD_CONTENT_RANGE',
        retryable: true,
        details: { discardPartial: true, rangeFault: true },
      },
    });
  });

  it('accepts a 206 that starts right but runs past the bounded range asked for', () => {
    const decision = decideResponse(base({ requested: { ranged: true, start: 100, end: 200 } }));
    // bodyEnd is where the body really ends: the caller takes up to 200 and drops the rest.
    expect(decision).toMatchObject({ kind: 'write', from: 100, bodyEnd: 1000, total: 1000 });
  });

  it('still rejects a later end when the start or the total is wrong', () => {
    const asked = { ranged: true, start: 100, end: 200 };
    for (const contentRange of ['bytes 99-999/1000', 'bytes 100-1099/1100']) {
      const decision = decideResponse(
        base({ requested: asked, headers: { 'content-range': contentRange, etag: '"v1"' } }),
      );
      expect(decision).toMatchObject({ kind: 'reject', error: { code: 'BAD_CONTENT_RANGE' } });
    }
  });

  it('reads a 416 as complete only when the remote size is the local size', () => {
    const at = (start: number) =>
      decideResponse(
        base({
          status: 416,
          headers: { 'content-range': 'bytes */1000' },
          requested: { ranged: true, start, end: null },
        }),
      );
    expect(at(1000)).toEqual({ kind: 'complete', total: 1000 });
    expect(at(500)).toMatchObject({ kind: 'reject', error: { code: 'BAD_CONTENT_RANGE' } });
  });

  it('does not count encoded Content-Length as the file size', () => {
    const decision = decideResponse(
      base({
        status: 200,
        headers: { 'content-length': '10' },
        requested: { ranged: false, start: 0, end: null },
        known: null,
        encoded: true,
      }),
    );
    expect(decision).toMatchObject({ kind: 'write', total: null, bodyEnd: null });
  });

  it('drops weak ETags from validators', () => {
    expect(validatorOf({ etag: 'W/"x"', 'last-modified': 'Tue' })).toEqual({
      etag: null,
      lastModified: 'Tue',
    });
    expect(validatorOf({})).toBeNull();
  });
});

describe('content-range helpers', () => {
  it('parses satisfied and unsatisfied ranges with exclusive ends', () => {
    expect(parseContentRange('bytes 0-99/1000')).toEqual({
      kind: 'satisfied',
      start: 0,
      end: 100,
      total: 1000,
    });
    expect(parseContentRange('bytes 0-99/*')).toEqual({
      kind: 'satisfied',
      start: 0,
      end: 100,
      total: null,
    });
    expect(parseContentRange('bytes */1000')).toEqual({ kind: 'unsatisfied', total: 1000 });
    expect(parseContentRange('bytes 0-1000/1000')).toBeNull();
    expect(parseContentRange('items 0-1/2')).toBeNull();
    expect(parseContentRange(undefined)).toBeNull();
  });

  it('builds Range headers and reads Content-Length strictly', () => {
    expect(rangeHeader(10, null)).toBe('bytes=10-');
    expect(rangeHeader(10, 20)).toBe('bytes=10-19');
    expect(parseContentLength('42')).toBe(42);
    expect(parseContentLength('4e2')).toBeNull();
    expect(parseContentLength(undefined)).toBeNull();
  });
});

describe('retry policy', () => {
  const config = { retryBaseDelayMs: 1000, retryMaxDelayMs: 60_000, retryAfterCapMs: 300_000 };

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('120', 0)).toBe(120_000);
    expect(parseRetryAfter(new Date(90_000).toUTCString(), 30_000)).toBe(60_000);
    expect(parseRetryAfter(new Date(0).toUTCString(), 30_000)).toBe(0);
    expect(parseRetryAfter('soon', 0)).toBeNull();
    expect(parseRetryAfter(undefined, 0)).toBeNull();
  });

  it('retries 408, 429 and 5xx but not other client errors', () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 410, 416, 501, 505].some(isRetryableStatus)).toBe(false);
  });

  it('backs off exponentially with full jitter, capped', () => {
    const error = { code: 'SERVER_ERROR' as const, retryAfterMs: undefined };
    expect(retryDelayMs(1, error, config, () => 0.999)).toBe(999);
    expect(retryDelayMs(3, error, config, () => 0.5)).toBe(2000);
    expect(retryDelayMs(30, error, config, () => 0.999)).toBeLessThanOrEqual(60_000);
    expect(retryDelayMs(4, error, config, () => 0)).toBe(0);
  });

  it('honours Retry-After up to the cap', () => {
    expect(retryDelayMs(1, { code: 'RATE_LIMITED', retryAfterMs: 5000 }, config)).toBe(5000);
    expect(retryDelayMs(1, { code: 'RATE_LIMITED', retryAfterMs: 10_000_000 }, config)).toBe(
      300_000,
    );
  });

  it('waits 1–30 s on a 429 without Retry-After', () => {
    const error = { code: 'RATE_LIMITED' as const, retryAfterMs: undefined };
    expect(retryDelayMs(1, error, config, () => 0)).toBe(1000);
    expect(retryDelayMs(10, error, config, () => 0.999)).toBeLessThanOrEqual(30_000);
    expect(retryDelayMs(10, error, config, () => 0.999)).toBeGreaterThan(29_000);
  });
});

describe('segment plan', () => {
  const config = { segmentThresholdBytes: 64, connectionsPerFile: 4 };

  it('only splits large files from servers with ranges and a strong ETag', () => {
    const facts = { total: 1000, acceptsRanges: true, strongEtag: true, identityEncoding: true };
    expect(shouldSegment(config, facts)).toBe(true);
    expect(shouldSegment(config, { ...facts, total: 64 })).toBe(false);
    expect(shouldSegment(config, { ...facts, acceptsRanges: false })).toBe(false);
    expect(shouldSegment(config, { ...facts, strongEtag: false })).toBe(false);
    expect(shouldSegment(config, { ...facts, identityEncoding: false })).toBe(false);
    expect(shouldSegment({ ...config, connectionsPerFile: 1 }, facts)).toBe(false);
  });

  it('covers the file exactly: what is done as one finished segment, a first piece, the rest unclaimed', () => {
    const segments = planSegments(100, 100_000, config);
    expect(segments).toEqual([
      { start: 0, end: 100, done: 100 },
      { start: 100, end: 100 + minSegmentBytes(config), done: 0 },
      { start: 100 + minSegmentBytes(config), end: 100_000, done: 0 },
    ]);
    const afterProbe = planSegments(0, 100_000, config, 25_000);
    expect(afterProbe).toEqual([
      { start: 0, end: 25_000, done: 0 },
      { start: 25_000, end: 100_000, done: 0 },
    ]);
  });

  it('splits the largest active segment past its cursor, never below it', () => {
    const live = (start: number, end: number, cursor: number): LiveSegment => ({
      start,
      end,
      written: cursor - start,
      done: 0,
      cursor,
      active: true,
    });
    const segments = [live(0, 100_000, 90_000), live(100_000, 200_000, 110_000)];
    const upper = splitLargestSegment(segments, minSegmentBytes(config))!;
    expect(upper.start).toBe(155_000);
    expect(segments[1]!.end).toBe(155_000);
    expect(segments.map((segment) => segment.start)).toEqual([0, 100_000, 155_000]);
    expect(splitLargestSegment([live(0, 10_000, 9_990)], 4096)).toBeNull();
  });
});

describe('progress ledger', () => {
  it('reports only committed bytes as durable, and the hole-free prefix for hashing', () => {
    const ledger = ProgressLedger.segmented(
      [
        { start: 0, end: 100, done: 0 },
        { start: 100, end: 200, done: 0 },
      ],
      strong,
      200,
    );
    const [first, second] = ledger.segments!;
    second!.written = 50;
    expect(ledger.contiguousBytes()).toBe(0);
    first!.written = 100;
    expect(ledger.contiguousBytes()).toBe(150);
    const capture = ledger.captureWritten();
    second!.written = 80;
    expect(ledger.commit(capture)).toBe(true);
    expect(ledger.durableProgress()).toMatchObject({
      bytesDone: 150,
      segments: [{ done: 100 }, { done: 50 }],
    });
    expect(ledger.receivedBytes()).toBe(180);
    expect(ledger.commit(capture)).toBe(false);
  });
});
