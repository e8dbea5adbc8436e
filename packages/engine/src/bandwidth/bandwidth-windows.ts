/**
 * Bandwidth windows: times of day (the server's local time zone) with their own global limit, e.g.
 * 2 MB/s from 08:00 to 23:00. A window whose end is before its start runs past midnight. Windows
 * may not overlap; outside every window the manual limit holds.
 */

export interface BandwidthWindow {
  /** "HH:MM", 24-hour, inclusive. */
  start: string;
  /** "HH:MM", exclusive; before `start` = the window ends the next day. */
  end: string;
  /** Bytes per second in the window; null = unlimited. */
  limitBps: number | null;
}

export type BandwidthLimitSource = 'manual' | 'window';

export interface EffectiveBandwidthLimit {
  /** Bytes per second in force now; null = unlimited. */
  bps: number | null;
  source: BandwidthLimitSource;
  /** The window in force, when the source is a window. */
  window: BandwidthWindow | null;
}

const MINUTES_PER_DAY = 24 * 60;
const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Minutes since midnight of "HH:MM", or null when it is not such a time. */
export function minuteOfDayOf(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const match = TIME_OF_DAY.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
}

/** The minutes of the day a window covers, as one or two [from, to) ranges within 0–1440. */
export function windowRanges(window: BandwidthWindow): Array<[number, number]> {
  const start = minuteOfDayOf(window.start)!;
  const end = minuteOfDayOf(window.end)!;
  return start < end ? [[start, end]] : [[start, MINUTES_PER_DAY], [0, end]];
}

/** The index pair of the first two windows that share a minute, or null. */
export function findOverlap(windows: readonly BandwidthWindow[]): [number, number] | null {
  for (let a = 0; a < windows.length; a++) {
    for (let b = a + 1; b < windows.length; b++) {
      const overlaps = windowRanges(windows[a]!).some(([fromA, toA]) =>
        windowRanges(windows[b]!).some(([fromB, toB]) => fromA < toB && fromB < toA),
      );
      if (overlaps) return [a, b];
    }
  }
  return null;
}

/** The server's local time of day, in minutes (with seconds as a fraction). */
export function localMinuteOfDay(epochMs: number): number {
  const date = new Date(epochMs);
  return date.getHours() * 60 + date.getMinutes() + date.getSeconds() / 60 + date.getMilliseconds() / 60_000;
}

function covers(window: BandwidthWindow, minute: number): boolean {
  return windowRanges(window).some(([from, to]) => minute >= from && minute < to);
}

export function effectiveBandwidthLimit(
  manualBps: number | null,
  windows: readonly BandwidthWindow[],
  minuteOfDay: number,
): EffectiveBandwidthLimit {
  const window = windows.find((candidate) => covers(candidate, minuteOfDay)) ?? null;
  return window ? { bps: window.limitBps, source: 'window', window } : { bps: manualBps, source: 'manual', window: null };
}

/** Milliseconds from `minuteOfDay` to the next start or end of a window; null without windows. */
export function msUntilNextBoundary(windows: readonly BandwidthWindow[], minuteOfDay: number): number | null {
  if (windows.length === 0) return null;
  let soonest = Infinity;
  for (const window of windows) {
    for (const boundary of [minuteOfDayOf(window.start)!, minuteOfDayOf(window.end)!]) {
      let ahead = boundary - minuteOfDay;
      if (ahead <= 0) ahead += MINUTES_PER_DAY;
      soonest = Math.min(soonest, ahead);
    }
  }
  return Math.ceil(soonest * 60_000);
}
