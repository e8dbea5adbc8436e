/**
 * The bandwidth schedule on a fake clock: the manual limit outside windows, a window's own limit
 * inside it, switched at the window's edges (also past midnight), applied at once when the settings
 * change, and the limit in force reported with its source. Time of day is UTC here (injected).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAppSettings, createTaskRunner, effectiveBandwidthLimit, msUntilNextBoundary, startBandwidthSchedule } from '@modeldock/engine';
import type { AppSettingsService, BandwidthSchedule, TaskRunner } from '@modeldock/engine';
import { FakeClock } from '../jobs/helpers/fake-clock';
import { RecordingLogger } from '../jobs/helpers/recording-logger';
import { MemorySettingsStore } from '../../support/memory-upkeep-stores';

const utcMinuteOfDay = (ms: number) => (((ms % 86_400_000) + 86_400_000) % 86_400_000) / 60_000;
const at = (time: string) => Date.parse(`2030-01-01T${time}:00.000Z`);
const MB = 1_000_000;

let clock: FakeClock;
let runner: TaskRunner;
let settings: AppSettingsService;
let schedule: BandwidthSchedule;
let applied: Array<number | null>;

async function start(windows: Array<{ start: string; end: string; limitBps: number | null }>, manual: number | null): Promise<void> {
  const store = new MemorySettingsStore();
  settings = createAppSettings({ store, clock });
  await settings.update({ bandwidth: { globalLimitBps: manual, windows } });
  schedule = startBandwidthSchedule({ settings, clock, runner, apply: (bps) => applied.push(bps), minuteOfDay: utcMinuteOfDay });
  runner.start();
  await clock.advance(0);
}

beforeEach(() => {
  clock = new FakeClock(at('07:00'));
  runner = createTaskRunner({ clock, logger: new RecordingLogger() });
  applied = [];
});

afterEach(async () => {
  schedule?.stop();
  await runner.stop();
});

describe('bandwidth windows', () => {
  it('switches to the window limit when it starts and back when it ends, on the clock', async () => {
    await start([{ start: '08:00', end: '23:00', limitBps: 2 * MB }], null);
    expect(applied).toEqual([null]);
    expect(schedule.current()).toEqual({ bps: null, source: 'manual', window: null, manualBps: null });
    await clock.advance(60 * 60_000 - 1);
    expect(applied).toEqual([null]);
    await clock.advance(1);
    expect(applied).toEqual([null, 2 * MB]);
    expect(schedule.current()).toMatchObject({ bps: 2 * MB, source: 'window', window: { start: '08:00', end: '23:00' }, manualBps: null });
    await clock.advance(15 * 60 * 60_000);
    expect(applied).toEqual([null, 2 * MB, null]);
    expect(schedule.current().source).toBe('manual');
    // And again the next morning.
    await clock.advance(9 * 60 * 60_000);
    expect(applied).toEqual([null, 2 * MB, null, 2 * MB]);
  });

  it('a night window past midnight: unlimited at night, the manual limit by day', async () => {
    await start([{ start: '23:00', end: '07:30', limitBps: null }], 500_000);
    expect(applied).toEqual([null]);
    expect(schedule.current()).toMatchObject({ source: 'window', bps: null, manualBps: 500_000 });
    await clock.advance(30 * 60_000);
    expect(applied).toEqual([null, 500_000]);
    await clock.advance(15.5 * 60 * 60_000);
    expect(applied).toEqual([null, 500_000, null]);
  });

  it('applies a change of the settings at once, and the new windows from then on', async () => {
    await start([], 1 * MB);
    expect(applied).toEqual([1 * MB]);
    await settings.update({ bandwidth: { globalLimitBps: 3 * MB } });
    expect(applied).toEqual([1 * MB, 3 * MB]);
    await settings.update({ bandwidth: { windows: [{ start: '07:10', end: '07:20', limitBps: 100 }] } });
    await clock.advance(10 * 60_000);
    expect(applied).toEqual([1 * MB, 3 * MB, 100]);
    await clock.advance(10 * 60_000);
    expect(applied).toEqual([1 * MB, 3 * MB, 100, 3 * MB]);
  });
});

describe('window arithmetic', () => {
  it('start is inside a window, end is not', () => {
    const windows = [{ start: '08:00', end: '23:00', limitBps: 7 }];
    expect(effectiveBandwidthLimit(1, windows, 8 * 60).bps).toBe(7);
    expect(effectiveBandwidthLimit(1, windows, 23 * 60).bps).toBe(1);
    expect(effectiveBandwidthLimit(1, windows, 7 * 60 + 59.9).bps).toBe(1);
  });

  it('the next edge, wrapping past midnight; none without windows', () => {
    const windows = [{ start: '08:00', end: '23:00', limitBps: 7 }];
    expect(msUntilNextBoundary(windows, 23 * 60 + 30)).toBe(8.5 * 60 * 60_000);
    expect(msUntilNextBoundary(windows, 8 * 60)).toBe(15 * 60 * 60_000);
    expect(msUntilNextBoundary([], 0)).toBeNull();
  });
});
