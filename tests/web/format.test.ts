import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatDuration,
  formatPercent,
  formatProgress,
  formatSpeed,
  formatTimeUntil,
  parseLimit,
  parseRate,
  percentDone,
  splitRate,
} from '../../apps/web/src/lib/shared/format';

describe('formatBytes', () => {
  it('shows whole bytes below one kilobyte', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
  });

  it('uses decimal units with three significant figures', () => {
    expect(formatBytes(1000)).toBe('1.00 kB');
    expect(formatBytes(1_234_567)).toBe('1.23 MB');
    expect(formatBytes(12_345_678_901)).toBe('12.3 GB');
    expect(formatBytes(123_456_789_012)).toBe('123 GB');
    expect(formatBytes(40e9)).toBe('40.0 GB');
    expect(formatBytes(2.5e12)).toBe('2.50 TB');
  });

  it('carries a value that rounds to 1000 into the next unit', () => {
    expect(formatBytes(999_700)).toBe('1.00 MB');
    expect(formatBytes(999_499)).toBe('999 kB');
  });

  it('shows a dash for values that are not sizes', () => {
    expect(formatBytes(-1)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
  });
});

describe('formatSpeed', () => {
  it('appends per second', () => {
    expect(formatSpeed(0)).toBe('0 B/s');
    expect(formatSpeed(12_300_000)).toBe('12.3 MB/s');
  });

  it('shows a dash for a negative speed', () => {
    expect(formatSpeed(-5)).toBe('—');
  });
});

describe('formatDuration', () => {
  it('rounds seconds up so "0 s" never shows while bytes remain', () => {
    expect(formatDuration(0.2)).toBe('1 s');
    expect(formatDuration(45)).toBe('45 s');
  });

  it('uses the two largest units', () => {
    expect(formatDuration(65)).toBe('1 min 05 s');
    expect(formatDuration(3725)).toBe('1 h 02 min');
    expect(formatDuration(2 * 86_400 + 3 * 3600 + 59)).toBe('2 d 03 h');
  });

  it('shows a dash when unknown', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('—');
    expect(formatDuration(-3)).toBe('—');
  });
});

describe('percentDone', () => {
  it('is null when the total is unknown', () => {
    expect(percentDone(500, null)).toBeNull();
  });

  it('rounds down to one decimal', () => {
    expect(percentDone(1, 3)).toBe(33.3);
    expect(percentDone(2, 3)).toBe(66.6);
  });

  it('never says 100 before every byte is there', () => {
    expect(percentDone(999_999, 1_000_000)).toBe(99.9);
    expect(percentDone(1_000_000, 1_000_000)).toBe(100);
  });

  it('treats an empty file as done and clamps odd values', () => {
    expect(percentDone(0, 0)).toBe(100);
    expect(percentDone(-10, 100)).toBe(0);
    expect(percentDone(200, 100)).toBe(100);
  });

  it('formats with one decimal or a dash', () => {
    expect(formatPercent(33.3)).toBe('33.3 %');
    expect(formatPercent(100)).toBe('100.0 %');
    expect(formatPercent(null)).toBe('—');
  });
});

describe('formatProgress', () => {
  it('shows done of total, or says the size is unknown', () => {
    expect(formatProgress(1.2e9, 4e9)).toBe('1.20 GB of 4.00 GB');
    expect(formatProgress(1.2e9, null)).toBe('1.20 GB of unknown size');
  });
});

describe('formatTimeUntil', () => {
  const now = Date.parse('2025-01-01T12:00:00.000Z');

  it('counts down to a future time', () => {
    expect(formatTimeUntil('2025-01-01T12:00:12.000Z', now)).toBe('in 12 s');
    expect(formatTimeUntil('2025-01-01T12:02:00.000Z', now)).toBe('in 2 min 00 s');
  });

  it('says now once the time has come', () => {
    expect(formatTimeUntil('2025-01-01T11:59:00.000Z', now)).toBe('now');
  });

  it('shows a dash for a time it cannot read', () => {
    expect(formatTimeUntil('soon', now)).toBe('—');
  });
});

describe('parseRate', () => {
  it('converts a typed number and unit to bytes per second', () => {
    expect(parseRate('10', 'MB/s')).toEqual({ bytesPerSecond: 10_000_000 });
    expect(parseRate(' 1.5 ', 'GB/s')).toEqual({ bytesPerSecond: 1_500_000_000 });
    expect(parseRate('2,5', 'kB/s')).toEqual({ bytesPerSecond: 2500 });
  });

  it('explains what is wrong with input that is not a limit', () => {
    expect(parseRate('', 'MB/s')).toEqual({ error: 'Enter a limit, or choose "Unlimited".' });
    expect(parseRate('fast', 'MB/s')).toEqual({ error: '"fast" is not a number.' });
    expect(parseRate('-3', 'MB/s')).toEqual({
      error: 'The limit must be positive ("-3" is below 0).',
    });
    expect(parseRate('-5', 'kB/s')).toEqual({
      error: 'The limit must be positive ("-5" is below 0).',
    });
    expect(parseRate('-x', 'MB/s')).toEqual({ error: '"-x" is not a number.' });
    expect(parseRate('0', 'MB/s')).toEqual({ error: 'The limit must be more than 0.' });
    expect(parseRate('2000', 'GB/s')).toEqual({ error: 'The limit must be at most 1000 GB/s.' });
  });
});

describe('splitRate', () => {
  it('picks the largest unit the limit reaches', () => {
    expect(splitRate(2_000_000)).toEqual({ value: '2', unit: 'MB/s' });
    expect(splitRate(1_500_000_000)).toEqual({ value: '1.5', unit: 'GB/s' });
    expect(splitRate(500)).toEqual({ value: '0.5', unit: 'kB/s' });
  });

  it('round-trips through parseRate', () => {
    const { value, unit } = splitRate(12_345_000);
    expect(parseRate(value, unit)).toEqual({ bytesPerSecond: 12_345_000 });
  });
});

describe('parseLimit', () => {
  it('reads a blank field as unlimited and anything else as parseRate does', () => {
    expect(parseLimit('  ', 'MB/s')).toEqual({ bytesPerSecond: null });
    expect(parseLimit('10', 'MB/s')).toEqual({ bytesPerSecond: 10_000_000 });
    expect(parseLimit('fast', 'MB/s')).toEqual({ error: '"fast" is not a number.' });
  });
});
