/**
 * What the engine decides for each answer a server can give to a resume: the cases a plain
 * happy-path test leaves open (a file that changed only by its Last-Modified, a validator on one side
 * only, a pinned download whose 206 carries a new ETag, 416 to requests that did not ask for the end).
 */
import { describe, expect, it } from 'vitest';
import {
  decideResponse,
  ifRangeValue,
  planResume,
  validatorOf,
} from '@modeldock/engine/internal/transfer/resume-plan';
import type { DecisionInput, PartialState } from '@modeldock/engine/internal/transfer/resume-plan';

const MONDAY = 'Mon, 01 Jan 2024 00:00:00 GMT';
const TUESDAY = 'Tue, 02 Jan 2024 00:00:00 GMT';

/** A resume at byte 100 of a 1000-byte file whose partial was recorded with `validator`. */
function answer(
  validator: { etag: string | null; lastModified: string | null } | null,
  overrides: Partial<DecisionInput>,
): DecisionInput {
  return {
    status: 206,
    headers: { 'content-range': 'bytes 100-999/1000' },
    requested: { ranged: true, start: 100, end: null },
    known: { validator, bytesTotal: 1000 },
    pinned: false,
    encoded: false,
    ...overrides,
  };
}

describe('a file that changed shows it only by Last-Modified', () => {
  const recorded = { etag: null, lastModified: MONDAY };

  it('restarts a 206 from a newer version instead of stitching it onto the old bytes', () => {
    const decision = decideResponse(
      answer(recorded, {
        headers: { 'content-range': 'bytes 100-999/1000', 'last-modified': TUESDAY },
      }),
    );
    expect(decision).toMatchObject({
      kind: 'reject',
      error: { code: 'UPSTREAM_CHANGED', retryable: true, details: { discardPartial: true } },
    });
    expect(decision.kind === 'reject' && decision.error.message).toMatch(/changed.*restarting/);
  });

  it('fails a pinned download for good, discarding the partial', () => {
    const decision = decideResponse(
      answer(recorded, {
        pinned: true,
        headers: { 'content-range': 'bytes 100-999/1000', 'last-modified': TUESDAY },
      }),
    );
    expect(decision).toMatchObject({
      kind: 'reject',
      error: { code: 'UPSTREAM_CHANGED', retryable: false, details: { discardPartial: true } },
    });
    expect(decision.kind === 'reject' && decision.error.message).toMatch(/pinned/);
  });

  it('writes a 200 from a newer version from byte 0 and says why', () => {
    const decision = decideResponse(
      answer(recorded, {
        status: 200,
        headers: { 'content-length': '1000', 'last-modified': TUESDAY },
      }),
    );
    expect(decision).toMatchObject({
      kind: 'write',
      from: 0,
      discardPartial: true,
      validator: { etag: null, lastModified: TUESDAY },
      note: expect.stringMatching(/remote file changed \(its ETag or modification date differs\)/),
    });
  });

  it('continues when the Last-Modified is the same', () => {
    const decision = decideResponse(
      answer(recorded, {
        headers: { 'content-range': 'bytes 100-999/1000', 'last-modified': MONDAY },
      }),
    );
    expect(decision).toMatchObject({ kind: 'write', from: 100, discardPartial: false });
  });
});

describe('a validator on one side only is not a change', () => {
  it('compares Last-Modified when the server now also sends an ETag', () => {
    const decision = decideResponse(
      answer(
        { etag: null, lastModified: MONDAY },
        {
          headers: {
            'content-range': 'bytes 100-999/1000',
            etag: '"new-header"',
            'last-modified': MONDAY,
          },
        },
      ),
    );
    expect(decision).toMatchObject({ kind: 'write', from: 100 });
  });

  it('continues when the 206 drops the ETag the partial was recorded with, keeping that ETag', () => {
    const recorded = { etag: '"v1"', lastModified: null };
    const decision = decideResponse(
      answer(recorded, {
        headers: { 'content-range': 'bytes 100-999/1000', 'last-modified': TUESDAY },
      }),
    );
    expect(decision).toMatchObject({ kind: 'write', from: 100, validator: { etag: null } });
    const bare = decideResponse(
      answer(recorded, { headers: { 'content-range': 'bytes 100-999/1000' } }),
    );
    expect(bare).toMatchObject({ kind: 'write', from: 100, validator: recorded });
  });

  it('continues a partial recorded with no validator at all', () => {
    const decision = decideResponse(
      answer(null, { headers: { 'content-range': 'bytes 100-999/1000', etag: '"v1"' } }),
    );
    expect(decision).toMatchObject({ kind: 'write', from: 100, validator: { etag: '"v1"' } });
  });

  it('has no validator at all when neither side gave one', () => {
    const decision = decideResponse(
      answer(null, { known: null, headers: { 'content-range': 'bytes 100-999/1000' } }),
    );
    expect(decision).toMatchObject({ kind: 'write', validator: null, total: 1000 });
  });
});

describe('a pinned download whose 206 carries a new ETag', () => {
  it('fails with UPSTREAM_CHANGED, not a retryable restart', () => {
    const decision = decideResponse(
      answer(
        { etag: '"v1"', lastModified: null },
        { pinned: true, headers: { 'content-range': 'bytes 100-999/1000', etag: '"v2"' } },
      ),
    );
    expect(decision).toMatchObject({
      kind: 'reject',
      error: { code: 'UPSTREAM_CHANGED', retryable: false, details: { discardPartial: true } },
    });
    // The user is told why it will not be retried and what to do.
    expect(decision.kind === 'reject' && decision.error.message).toMatch(
      /^The file changed on the server since the download started \(.+\), but this download is pinned to a specific version or checksum\. The partial download was discarded; check the source for the new version\.$/,
    );
  });

  it('restarts an unpinned one, discarding the partial', () => {
    const decision = decideResponse(
      answer(
        { etag: '"v1"', lastModified: null },
        { headers: { 'content-range': 'bytes 100-999/1000', etag: '"v2"' } },
      ),
    );
    expect(decision).toMatchObject({
      kind: 'reject',
      error: { code: 'UPSTREAM_CHANGED', retryable: true, details: { discardPartial: true } },
    });
  });

  it('continues a pinned download whose 206 keeps the ETag', () => {
    const decision = decideResponse(
      answer(
        { etag: '"v1"', lastModified: null },
        { pinned: true, headers: { 'content-range': 'bytes 100-999/1000', etag: '"v1"' } },
      ),
    );
    expect(decision).toMatchObject({ kind: 'write', from: 100, discardPartial: false });
  });

  it('restarts a pinned download from 0 when the server ignores the range but the file is the same', () => {
    const decision = decideResponse(
      answer(
        { etag: '"v1"', lastModified: null },
        { pinned: true, status: 200, headers: { 'content-length': '1000', etag: '"v1"' } },
      ),
    );
    expect(decision).toMatchObject({ kind: 'write', from: 0, discardPartial: true });
  });
});

describe('sizes are compared only with one the server reported', () => {
  it('names both sizes when a pinned file grew', () => {
    const decision = decideResponse(
      answer(
        { etag: '"v1"', lastModified: null },
        { pinned: true, status: 200, headers: { 'content-length': '1200', etag: '"v1"' } },
      ),
    );
    expect(decision.kind === 'reject' && decision.error.message).toContain(
      'its size went from 1000 to 1200 bytes',
    );
  });

  it('ignores a size recorded without a validator (it was never the server’s word)', () => {
    const decision = decideResponse(
      answer(null, { status: 200, headers: { 'content-length': '1200', etag: '"v1"' } }),
    );
    expect(decision).toMatchObject({
      kind: 'write',
      total: 1200,
      note: expect.stringContaining('ignored the range'),
    });
  });

  it('ignores an unknown size on either side', () => {
    const noKnownTotal = decideResponse(
      answer(
        { etag: '"v1"', lastModified: null },
        {
          known: { validator: { etag: '"v1"', lastModified: null }, bytesTotal: null },
          status: 200,
          headers: { 'content-length': '1200', etag: '"v1"' },
        },
      ),
    );
    expect(noKnownTotal).toMatchObject({ note: expect.stringContaining('ignored the range') });
    const noLength = decideResponse(
      answer({ etag: '"v1"', lastModified: null }, { status: 200, headers: { etag: '"v1"' } }),
    );
    expect(noLength).toMatchObject({
      kind: 'write',
      total: null,
      bodyEnd: null,
      note: expect.stringContaining('ignored the range'),
    });
  });

  it('rejects a 206 whose total differs, naming both sizes', () => {
    const decision = decideResponse(
      answer(
        { etag: '"v1"', lastModified: null },
        { headers: { 'content-range': 'bytes 100-999/1001', etag: '"v1"' } },
      ),
    );
    expect(decision.kind === 'reject' && decision.error.message).toMatch(/1001 bytes, not 1000/);
  });

  it('takes the recorded size when a 206 gives `*` as the total', () => {
    const decision = decideResponse(
      answer(
        { etag: '"v1"', lastModified: null },
        { headers: { 'content-range': 'bytes 100-999/*', etag: '"v1"' } },
      ),
    );
    expect(decision).toMatchObject({ kind: 'write', bodyEnd: 1000, total: 1000 });
  });
});

describe('a 200 or 206 to a request that asked for the whole file', () => {
  it('writes a 200 from byte 0 with no note', () => {
    const decision = decideResponse(
      answer(null, {
        known: null,
        status: 200,
        requested: { ranged: false, start: 0, end: null },
        headers: { 'content-length': '1000', etag: '"v1"' },
      }),
    );
    expect(decision).toEqual({
      kind: 'write',
      from: 0,
      bodyEnd: 1000,
      total: 1000,
      validator: { etag: '"v1"', lastModified: null },
      discardPartial: true,
      note: null,
    });
  });

  it('writes a 206 for the whole file from byte 0, discarding whatever was on disk', () => {
    const decision = decideResponse(
      answer(null, {
        known: null,
        requested: { ranged: false, start: 0, end: null },
        headers: { 'content-range': 'bytes 0-999/1000' },
      }),
    );
    expect(decision).toMatchObject({ kind: 'write', from: 0, discardPartial: true });
  });

  it('refuses a 206 whose Content-Range is the unsatisfied form', () => {
    const decision = decideResponse(answer(null, { headers: { 'content-range': 'bytes */1000' } }));
    expect(decision).toMatchObject({
      kind: 'reject',
      error: { code: 'BAD_CONTENT_RANGE', message: expect.stringMatching(/malformed Content-Range/) },
    });
  });

  it('says where the wrong 206 started', () => {
    const decision = decideResponse(
      answer(null, { headers: { 'content-range': 'bytes 0-999/1000' } }),
    );
    expect(decision.kind === 'reject' && decision.error.message).toMatch(
      /bytes from 0 when asked for bytes from 100/,
    );
  });
});

describe('416 means complete only for a resume that asked for the rest of the file', () => {
  const refusal = (requested: DecisionInput['requested'], contentRange?: string) =>
    decideResponse(
      answer(
        { etag: '"v1"', lastModified: null },
        { status: 416, requested, headers: contentRange ? { 'content-range': contentRange } : {} },
      ),
    );

  it('a segment (bounded) request at the remote size is a range fault', () => {
    expect(refusal({ ranged: true, start: 1000, end: 1500 }, 'bytes */1000')).toMatchObject({
      kind: 'reject',
      error: { code: 'BAD_CONTENT_RANGE', details: { rangeFault: true, discardPartial: true } },
    });
  });

  it('an unranged request is never complete', () => {
    expect(refusal({ ranged: false, start: 1000, end: null }, 'bytes */1000')).toMatchObject({
      kind: 'reject',
    });
  });

  it('a 416 without the unsatisfied Content-Range says no size was given', () => {
    const decision = refusal({ ranged: true, start: 1000, end: null });
    expect(decision.kind === 'reject' && decision.error.message).toMatch(
      /refused to resume at byte 1000 \(416, no size given\)/,
    );
    expect(refusal({ ranged: true, start: 1000, end: null }, 'bytes 0-999/1000').kind).toBe(
      'reject',
    );
  });

  it('a 416 naming another size says so', () => {
    const decision = refusal({ ranged: true, start: 500, end: null }, 'bytes */1000');
    expect(decision.kind === 'reject' && decision.error.message).toMatch(/the file is 1000 bytes/);
  });
});

describe('validators read from a response', () => {
  it('keeps a strong ETag and trims both validators', () => {
    expect(validatorOf({ etag: ' "v1" ', 'last-modified': ` ${MONDAY} ` })).toEqual({
      etag: '"v1"',
      lastModified: MONDAY,
    });
    expect(validatorOf({ etag: '"v1"' })).toEqual({ etag: '"v1"', lastModified: null });
    expect(validatorOf({ 'last-modified': '   ' })).toBeNull();
    expect(validatorOf({ etag: 'W/"weak"' })).toBeNull();
  });

  it('sends the ETag in If-Range, else the Last-Modified, else nothing', () => {
    expect(ifRangeValue({ etag: '"v1"', lastModified: MONDAY })).toBe('"v1"');
    expect(ifRangeValue({ etag: null, lastModified: MONDAY })).toBe(MONDAY);
    expect(ifRangeValue(null)).toBeNull();
  });
});

describe('planning the next request', () => {
  const strong = { etag: '"v1"', lastModified: null };
  const state = (overrides: Partial<PartialState>): PartialState => ({
    bytesDone: 0,
    segments: null,
    validator: strong,
    bytesTotal: 1000,
    ...overrides,
  });

  it('starts fresh when no segment has a byte yet', () => {
    const segments = [
      { start: 0, end: 500, done: 0 },
      { start: 500, end: 1000, done: 0 },
    ];
    expect(planResume(state({ segments }), 0, true)).toEqual({
      kind: 'fresh',
      reason: 'nothing downloaded yet',
    });
  });

  it('resumes segments from what the started ones wrote (unstarted ones need no bytes on disk)', () => {
    const segments = [
      { start: 0, end: 500, done: 10 },
      { start: 500, end: 1000, done: 0 },
    ];
    expect(planResume(state({ segments }), 10, true)).toEqual({
      kind: 'segments',
      segments,
      ifRange: '"v1"',
    });
  });

  it('resumes one stream when the recorded segment list is empty', () => {
    expect(planResume(state({ bytesDone: 300, segments: [] }), 300, true)).toEqual({
      kind: 'range',
      from: 300,
      ifRange: '"v1"',
    });
  });

  it('explains a fresh start for a missing partial, a server without ranges or validators', () => {
    expect(planResume(state({ bytesDone: 5 }), null, true)).toEqual({
      kind: 'fresh',
      reason: 'the partial file is missing',
    });
    expect(planResume(state({ bytesDone: 5 }), 5, false)).toEqual({
      kind: 'fresh',
      reason: 'the server does not honour range requests',
    });
    expect(planResume(state({ bytesDone: 5, validator: null }), 5, true)).toEqual({
      kind: 'fresh',
      reason: 'the server gave no validator, so a resumed file could mix two versions',
    });
    expect(
      planResume(
        state({ segments: [{ start: 0, end: 500, done: 10 }], validator: { etag: null, lastModified: MONDAY } }),
        10,
        true,
      ),
    ).toEqual({ kind: 'fresh', reason: 'segments can only resume against a strong ETag' });
    expect(planResume(state({ segments: [{ start: 0, end: 500, done: 10 }] }), 9, true)).toEqual({
      kind: 'fresh',
      reason: 'the partial file is shorter than recorded',
    });
    expect(planResume(state({ bytesDone: 10 }), 9, true)).toEqual({
      kind: 'fresh',
      reason: 'the partial file is shorter than recorded',
    });
  });
});
