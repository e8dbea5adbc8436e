/**
 * Pieces in file order (segment-plan.ts, piece-sizer.ts, progress-ledger.ts): connections take the
 * lowest unclaimed bytes, a fair share at most, so the hashed prefix grows with the download; piece
 * sizes follow the measured round trip and rate; finished pieces merge so the list stays short.
 */
import { describe, expect, it } from 'vitest';
import { PieceSizer } from '@modeldock/engine/internal/transfer/piece-sizer';
import { ProgressLedger } from '@modeldock/engine/internal/transfer/progress-ledger';
import type { LiveSegment } from '@modeldock/engine/internal/transfer/progress-ledger';
import { claimNextPiece } from '@modeldock/engine/internal/transfer/segment-plan';

const MIB = 1024 * 1024;

function idle(start: number, end: number, written = 0): LiveSegment {
  return { start, end, written, done: written, cursor: start + written, active: false };
}

describe('claiming pieces', () => {
  it('cuts pieces off the front of the unclaimed bytes, in file order', () => {
    const segments = [idle(0, 100 * MIB)];
    const first = claimNextPiece(segments, 4 * MIB, 4, MIB)!;
    const second = claimNextPiece(segments, 4 * MIB, 4, MIB)!;
    expect([first.start, first.end, first.active]).toEqual([0, 4 * MIB, true]);
    expect([second.start, second.end]).toEqual([4 * MIB, 8 * MIB]);
    expect(segments.map((segment) => [segment.start, segment.end, segment.active])).toEqual([
      [0, 4 * MIB, true],
      [4 * MIB, 8 * MIB, true],
      [8 * MIB, 100 * MIB, false],
    ]);
  });

  it('takes no more than a fair share of what is left, and never less than the floor', () => {
    const segments = [idle(0, 10 * MIB)];
    expect(claimNextPiece(segments, 64 * MIB, 4, MIB)!.end).toBe(Math.ceil((10 * MIB) / 4));
    const small = [idle(0, 3 * MIB)];
    expect(claimNextPiece(small, 64 * MIB, 8, MIB)!.end).toBe(MIB);
  });

  it('takes the whole rest rather than leave a sliver, and continues after written bytes', () => {
    const segments = [idle(0, 5 * MIB, 2 * MIB)];
    const piece = claimNextPiece(segments, 2 * MIB, 1, MIB)!;
    expect([piece.start, piece.end, piece.written]).toEqual([0, 5 * MIB, 2 * MIB]);
    const longer = [idle(0, 20 * MIB, 2 * MIB)];
    const cut = claimNextPiece(longer, 2 * MIB, 1, MIB)!;
    expect([cut.start, cut.end, cut.written]).toEqual([0, 4 * MIB, 2 * MIB]);
    expect(longer[1]).toMatchObject({ start: 4 * MIB, end: 20 * MIB, written: 0, cursor: 4 * MIB });
  });

  it('returns null when every unfinished segment has a connection', () => {
    const busy = { ...idle(0, MIB), active: true };
    expect(claimNextPiece([busy, idle(MIB, 2 * MIB, MIB)], MIB, 2, 4096)).toBeNull();
  });
});

describe('piece sizes', () => {
  it('start at the floor, then last many round trips at the measured rate', () => {
    const sizer = new PieceSizer(MIB, 8 * MIB);
    expect(sizer.pieceBytes()).toBe(MIB);
    expect(sizer.minSplitBytes()).toBe(8 * MIB);
    // A distant server: 50 ms to the first byte, 20 MB/s per connection → 32 round trips ≈ 32 MB.
    sizer.noteTimeToFirstByte(50);
    sizer.noteBody(20_000_000, 1000);
    expect(sizer.pieceBytes()).toBe(32_000_000);
    // A split at the end is worth 8 round trips of bytes.
    expect(sizer.minSplitBytes()).toBe(8_000_000);
  });

  it('stay small next to a fast local server, and splits go down to a quarter MiB', () => {
    const sizer = new PieceSizer(MIB, 8 * MIB);
    sizer.noteTimeToFirstByte(0.5);
    sizer.noteBody(20_000_000, 1000);
    expect(sizer.pieceBytes()).toBe(2_000_000);
    expect(sizer.minSplitBytes()).toBe(256 * 1024);
  });

  it('ignore samples that say nothing about the link', () => {
    const sizer = new PieceSizer(MIB, 8 * MIB);
    sizer.noteBody(1000, 0);
    sizer.noteBody(0, 100);
    sizer.noteTimeToFirstByte(Number.NaN);
    expect(sizer.pieceBytes()).toBe(MIB);
  });
});

describe('merging finished pieces', () => {
  it('merges neighbours that are durable and idle, and keeps everything else', () => {
    const ledger = ProgressLedger.segmented(
      [
        { start: 0, end: 10, done: 10 },
        { start: 10, end: 20, done: 10 },
        { start: 20, end: 30, done: 5 },
        { start: 30, end: 40, done: 10 },
        { start: 40, end: 50, done: 10 },
      ],
      null,
      50,
    );
    ledger.segments![4]!.active = true;
    ledger.mergeFinishedSegments();
    expect(ledger.durableProgress().segments).toEqual([
      { start: 0, end: 20, done: 20 },
      { start: 20, end: 30, done: 5 },
      { start: 30, end: 40, done: 10 },
      { start: 40, end: 50, done: 10 },
    ]);
    expect(ledger.durableBytes()).toBe(45);
    expect(ledger.contiguousBytes()).toBe(25);
  });
});
