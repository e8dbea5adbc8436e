/**
 * The stored settings object: defaults (and what the environment changes of them), a change checked
 * whole with an error naming the field and nothing stored on bad input, bandwidth windows (overlap,
 * past midnight), what another process stored read on reload, and stored garbage read defensively.
 */
import { describe, expect, it } from 'vitest';
import { applyAppSettingsPatch, createAppSettings, defaultAppSettings, findOverlap, readAppSettings } from '@modeldock/engine';
import type { AppSettings, ModeldockError } from '@modeldock/engine';
import { FakeClock } from '../jobs/helpers/fake-clock';
import { MemorySettingsStore } from '../../support/memory-upkeep-stores';

function refusal(work: () => unknown): ModeldockError {
  try {
    work();
  } catch (error) {
    return error as ModeldockError;
  }
  throw new Error('expected a refusal');
}

describe('defaults', () => {
  it('scan every 30 min, recovery and updates daily, finished jobs kept 24 h, failed 7 days, no limit', () => {
    const settings = defaultAppSettings();
    expect(settings.maintenance).toEqual({
      scan: { enabled: true, intervalMinutes: 30 },
      recovery: { enabled: true, intervalMinutes: 1440 },
      updates: { enabled: true, intervalMinutes: 1440 },
    });
    expect(settings.retention).toEqual({ finishedJobsHours: 24, failedJobsDays: 7 });
    expect(settings.bandwidth).toEqual({ globalLimitBps: null, windows: [] });
    expect(settings.metadata).toEqual({ writeSidecars: true, writeA1111: false, maxNsfwLevel: 2 });
  });

  it('takes the scan interval and the limit from the environment until something is stored', () => {
    expect(defaultAppSettings({ scanIntervalMinutes: 0 }).maintenance.scan.enabled).toBe(false);
    expect(defaultAppSettings({ scanIntervalMinutes: 90, globalLimitBps: 1000 })).toMatchObject({
      maintenance: { scan: { enabled: true, intervalMinutes: 90 } },
      bandwidth: { globalLimitBps: 1000 },
    });
  });
});

describe('a change', () => {
  const base = defaultAppSettings();

  it('applies the fields sent and keeps the others', () => {
    const next = applyAppSettingsPatch(base, {
      maintenance: { updates: { enabled: false } },
      bandwidth: { windows: [{ start: '08:00', end: '23:00', limitBps: 2_000_000 }] },
      retention: { finishedJobsHours: null },
      metadata: { writeA1111: true },
    });
    expect(next.maintenance.updates).toEqual({ enabled: false, intervalMinutes: 1440 });
    expect(next.maintenance.scan).toEqual(base.maintenance.scan);
    expect(next.bandwidth).toEqual({ globalLimitBps: null, windows: [{ start: '08:00', end: '23:00', limitBps: 2_000_000 }] });
    expect(next.retention).toEqual({ finishedJobsHours: null, failedJobsDays: 7 });
    expect(next.metadata.writeA1111).toBe(true);
    expect(base.maintenance.updates.enabled).toBe(true);
  });

  it.each([
    [{ maintenance: { scan: { intervalMinutes: 0 } } }, 'maintenance.scan.intervalMinutes:'],
    [{ maintenance: { recovery: { intervalMinutes: 12.5 } } }, 'maintenance.recovery.intervalMinutes:'],
    [{ maintenance: { updates: { enabled: 'yes' } } }, 'maintenance.updates.enabled:'],
    [{ maintenance: { backup: {} } }, 'maintenance.backup:'],
    [{ bandwidth: { globalLimitBps: -1 } }, 'bandwidth.globalLimitBps:'],
    [{ bandwidth: { windows: [{ start: '8:00', end: '23:00', limitBps: 1 }] } }, 'bandwidth.windows[0].start:'],
    [{ bandwidth: { windows: [{ start: '08:00', end: '24:00', limitBps: 1 }] } }, 'bandwidth.windows[0].end:'],
    [{ bandwidth: { windows: [{ start: '08:00', end: '08:00', limitBps: 1 }] } }, 'bandwidth.windows[0].end:'],
    [{ bandwidth: { windows: [{ start: '08:00', end: '09:00' }] } }, 'bandwidth.windows[0].limitBps:'],
    [{ bandwidth: { windows: [{ start: '08:00', end: '09:00', limitBps: 0 }] } }, 'bandwidth.windows[0].limitBps:'],
    [
      { bandwidth: { windows: [{ start: '08:00', end: '23:00', limitBps: 1 }, { start: '22:00', end: '06:00', limitBps: null }] } },
      'bandwidth.windows[1]: overlaps bandwidth.windows[0] (08:00–23:00)',
    ],
    [{ retention: { finishedJobsHours: 0 } }, 'retention.finishedJobsHours:'],
    [{ retention: { failedJobsDays: 1000 } }, 'retention.failedJobsDays:'],
    [{ metadata: { maxNsfwLevel: 3 } }, 'metadata.maxNsfwLevel'],
    [{ theme: 'dark' }, 'settings.theme:'],
    ['all of them', 'settings:'],
  ])('%j is refused naming the field', (patch, field) => {
    const error = refusal(() => applyAppSettingsPatch(base, patch));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message.startsWith(field)).toBe(true);
  });

  it('accepts windows that meet at an edge, and one past midnight', () => {
    const windows = [
      { start: '08:00', end: '23:00', limitBps: 2_000_000 },
      { start: '23:00', end: '06:00', limitBps: null },
    ];
    expect(applyAppSettingsPatch(base, { bandwidth: { windows } }).bandwidth.windows).toEqual(windows);
    expect(findOverlap([...windows, { start: '05:59', end: '07:00', limitBps: 1 }])).toEqual([1, 2]);
  });
});

describe('the stored object', () => {
  it('stores a good change, refuses a bad one without storing any part of it, and tells listeners', async () => {
    const store = new MemorySettingsStore();
    const settings = createAppSettings({ store, clock: new FakeClock(0) });
    const heard: AppSettings[] = [];
    settings.subscribe((value) => heard.push(value));
    await settings.update({ retention: { finishedJobsHours: 48 }, bandwidth: { globalLimitBps: 5_000_000 } });
    expect(store.values.get('retention')).toEqual({ finishedJobsHours: 48, failedJobsDays: 7 });
    expect(store.values.get('bandwidth')).toEqual({ globalLimitBps: 5_000_000, windows: [] });
    expect(store.values.has('maintenance')).toBe(false);
    const writes = store.writes;
    await expect(settings.update({ retention: { finishedJobsHours: 1 }, bandwidth: { windows: [{ start: 'noon', end: '13:00', limitBps: 1 }] } })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/^bandwidth\.windows\[0\]\.start:/),
    });
    expect(store.writes).toBe(writes);
    expect((await settings.get()).retention.finishedJobsHours).toBe(48);
    expect(heard).toHaveLength(1);
  });

  it('sees what another process stored when it reads again, and only then tells its listeners', async () => {
    const store = new MemorySettingsStore();
    const here = createAppSettings({ store, clock: new FakeClock(0) });
    const there = createAppSettings({ store, clock: new FakeClock(0) });
    await here.get();
    const heard: AppSettings[] = [];
    here.subscribe((value) => heard.push(value));
    await there.update({ bandwidth: { globalLimitBps: 1_000_000 } });
    expect(here.current().bandwidth.globalLimitBps).toBeNull();
    expect(await here.reload()).toBe(true);
    expect(here.current().bandwidth.globalLimitBps).toBe(1_000_000);
    expect(await here.reload()).toBe(false);
    expect(heard).toHaveLength(1);
  });

  it('reads stored garbage field by field, falling back to the defaults', () => {
    const read = readAppSettings({
      maintenance: { scan: { enabled: 'no', intervalMinutes: 60 }, recovery: 'daily' },
      bandwidth: { globalLimitBps: 'fast', windows: [{ start: '08:00', end: '08:00', limitBps: 1 }] },
      retention: { finishedJobsHours: null, failedJobsDays: -3 },
      metadata: { writeSidecars: false },
    });
    expect(read.maintenance.scan).toEqual({ enabled: true, intervalMinutes: 60 });
    expect(read.maintenance.recovery).toEqual({ enabled: true, intervalMinutes: 1440 });
    expect(read.bandwidth).toEqual({ globalLimitBps: null, windows: [] });
    expect(read.retention).toEqual({ finishedJobsHours: null, failedJobsDays: 7 });
    expect(read.metadata.writeSidecars).toBe(false);
  });
});
