import { describe, expect, it } from 'vitest';
import { formatBytes } from '@modeldock/engine/internal/jobs/human-bytes';
import { formatDuration } from '@modeldock/engine/internal/jobs/human-duration';
import { SpeedMeter } from '@modeldock/engine/internal/jobs/speed-meter';

describe('numbers in messages', () => {
  it('bytes read in decimal units with one decimal', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_500)).toBe('1.5 kB');
    expect(formatBytes(12_400_000_000)).toBe('12.4 GB');
    expect(formatBytes(3_100_000_000_000)).toBe('3.1 TB');
    expect(formatBytes(-1)).toBe('-1 B');
  });

  it('durations read in the largest sensible unit', () => {
    expect(formatDuration(250)).toBe('250 ms');
    expect(formatDuration(30_000)).toBe('30 s');
    expect(formatDuration(10 * 60_000)).toBe('10 min');
    expect(formatDuration(5 * 3_600_000)).toBe('5 h');
  });
});

describe('speed', () => {
  it('is the average over the window, not the last chunk, and falls to 0 when bytes stop', () => {
    const meter = new SpeedMeter(0, 5_000);
    // 2 kB every other second: 1 kB/s on average, though single chunks say 0 or 2 kB/s.
    for (let second = 2; second <= 10; second += 2) meter.add(2_000, second * 1_000);
    const average = meter.bytesPerSecond(10_000);
    expect(average).toBe(1_000);
    expect(meter.bytesPerSecond(20_000)).toBe(0);
    expect(new SpeedMeter(5).bytesPerSecond(5)).toBe(0);
  });
});
