/**
 * Scheduled maintenance on a fake clock with memory stores: each kind runs an interval after the
 * schedule first knew it and then an interval after its stored last start (a restart does not move
 * it); a kind turned off does not run; two schedulers sharing one store start a due run once; a run
 * still open is not started twice; a finished run gives one report; "run now" is user-initiated.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAppSettings, createMaintenanceScheduler, createTaskRunner } from '@modeldock/engine';
import type { AppSettingsService, MaintenanceCounts, MaintenanceKind, MaintenanceReport, MaintenanceScheduler, Task, TaskPriority, TaskRunner } from '@modeldock/engine';
import { FakeClock } from '../jobs/helpers/fake-clock';
import { RecordingLogger } from '../jobs/helpers/recording-logger';
import { MemoryMaintenanceRunStore, MemorySettingsStore } from '../../support/memory-upkeep-stores';

const MINUTE = 60_000;
const START = Date.parse('2030-01-01T00:00:00.000Z');

/** The refresh tasks the actions queued, finished by the test. */
class FakeRefreshTasks {
  readonly tasks = new Map<string, Task>();
  private readonly listeners = new Set<(task: Task) => void>();
  queued: Array<{ kind: MaintenanceKind; priority: TaskPriority; id: string }> = [];

  create(kind: MaintenanceKind, priority: TaskPriority): { taskId: string } {
    const id = `task-${this.tasks.size + 1}`;
    this.tasks.set(id, {
      id,
      kind,
      status: 'pending',
      priority,
      targets: { scope: 'library' },
      done: 0,
      total: 0,
      current: null,
      errors: [],
      errorCount: 0,
      createdAt: new Date(START).toISOString(),
      startedAt: null,
      finishedAt: null,
    });
    this.queued.push({ kind, priority, id });
    return { taskId: id };
  }

  finish(id: string, status: 'completed' | 'failed' = 'completed', errorCount = 0, publish = true): void {
    const task = { ...this.tasks.get(id)!, status, errorCount, finishedAt: new Date(START).toISOString() };
    this.tasks.set(id, task);
    if (publish) for (const listener of this.listeners) listener(task);
  }

  async get(id: string): Promise<Task> {
    return this.tasks.get(id)!;
  }

  subscribe(listener: (task: Task) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

let clock: FakeClock;
let runners: TaskRunner[];
let schedulers: MaintenanceScheduler[];
let settingsStore: MemorySettingsStore;
let runStore: MemoryMaintenanceRunStore;
let tasks: FakeRefreshTasks;
let reports: MaintenanceReport[];
let counts: MaintenanceCounts;

async function startScheduler(): Promise<{ scheduler: MaintenanceScheduler; settings: AppSettingsService }> {
  const runner = createTaskRunner({ clock, logger: new RecordingLogger() });
  const settings = createAppSettings({ store: settingsStore, clock });
  await settings.get();
  const scheduler = createMaintenanceScheduler({
    settings,
    store: runStore,
    tasks,
    runner,
    clock,
    logger: new RecordingLogger(),
    actions: {
      scan: async (priority) => tasks.create('scan', priority),
      recovery: async (priority) => tasks.create('recovery', priority),
      updates: async (priority) => tasks.create('updates', priority),
    },
    measure: async () => ({ ...counts }),
    onReport: (report) => void reports.push(report),
  });
  runner.start();
  runners.push(runner);
  schedulers.push(scheduler);
  await clock.advance(0);
  return { scheduler, settings };
}

async function stopScheduler(index: number): Promise<void> {
  await schedulers[index]!.stop();
  await runners[index]!.stop();
}

const queuedKinds = () => tasks.queued.map((queued) => queued.kind);

beforeEach(() => {
  clock = new FakeClock(START);
  runners = [];
  schedulers = [];
  settingsStore = new MemorySettingsStore();
  runStore = new MemoryMaintenanceRunStore();
  tasks = new FakeRefreshTasks();
  reports = [];
  counts = { updatesAvailable: 0, noPreview: 5, incomplete: 4, missing: 1 };
});

afterEach(async () => {
  for (const scheduler of schedulers) await scheduler.stop();
  for (const runner of runners) await runner.stop();
});

describe('the schedule', () => {
  it('runs each kind an interval after it was first known, at low priority, then an interval after each start', async () => {
    await startScheduler();
    expect(queuedKinds()).toEqual([]);
    await clock.advance(30 * MINUTE);
    expect(tasks.queued).toEqual([{ kind: 'scan', priority: 'low', id: 'task-1' }]);
    tasks.finish('task-1');
    await clock.advance(30 * MINUTE);
    expect(queuedKinds()).toEqual(['scan', 'scan']);
    tasks.finish('task-2');
    await clock.advance(23 * 60 * MINUTE);
    expect(queuedKinds().filter((kind) => kind !== 'scan')).toEqual(['recovery', 'updates']);
  });

  it('after a restart the next run follows the stored last start, not the process start', async () => {
    await startScheduler();
    await clock.advance(30 * MINUTE);
    expect(queuedKinds()).toEqual(['scan']);
    tasks.finish('task-1');
    await stopScheduler(0);
    await clock.advance(20 * MINUTE);
    await startScheduler();
    expect(queuedKinds()).toEqual(['scan']);
    await clock.advance(9 * MINUTE);
    expect(queuedKinds()).toEqual(['scan']);
    await clock.advance(1 * MINUTE);
    expect(queuedKinds()).toEqual(['scan', 'scan']);
    const status = await schedulers[1]!.status();
    expect(status.find((item) => item.kind === 'scan')).toMatchObject({
      lastRunAt: new Date(START + 60 * MINUTE).toISOString(),
      nextRunAt: new Date(START + 90 * MINUTE).toISOString(),
      running: true,
      taskId: 'task-2',
    });
    expect(status.find((item) => item.kind === 'recovery')).toMatchObject({ lastRunAt: null, nextRunAt: new Date(START + 24 * 60 * MINUTE).toISOString() });
  });

  it('a kind turned off does not run, and a changed interval counts from the last start', async () => {
    const { settings } = await startScheduler();
    await settings.update({ maintenance: { scan: { enabled: false }, updates: { intervalMinutes: 60 } } });
    await clock.advance(59 * MINUTE);
    expect(queuedKinds()).toEqual([]);
    await clock.advance(1 * MINUTE);
    expect(queuedKinds()).toEqual(['updates']);
    expect((await schedulers[0]!.status()).find((item) => item.kind === 'scan')).toMatchObject({ enabled: false, nextRunAt: null });
  });

  it('two processes sharing the store start a due run once', async () => {
    await startScheduler();
    await startScheduler();
    await clock.advance(30 * MINUTE);
    expect(queuedKinds()).toEqual(['scan']);
  });

  it('does not start a kind again while its last run is still open', async () => {
    await startScheduler();
    await clock.advance(30 * MINUTE);
    await clock.advance(60 * MINUTE);
    expect(queuedKinds()).toEqual(['scan']);
    tasks.finish('task-1');
    await clock.advance(1 * MINUTE);
    expect(queuedKinds()).toEqual(['scan', 'scan']);
  });
});

describe('reports', () => {
  it('one report per finished run, with what changed between its start and end', async () => {
    const { settings } = await startScheduler();
    await settings.update({ maintenance: { scan: { enabled: false }, updates: { enabled: false } } });
    // A second process (it reads the stored settings when it starts): still one report.
    await startScheduler();
    await clock.advance(24 * 60 * MINUTE);
    expect(queuedKinds()).toEqual(['recovery']);
    counts = { updatesAvailable: 2, noPreview: 2, incomplete: 1, missing: 3 };
    tasks.finish('task-1', 'completed', 4);
    await clock.advance(1 * MINUTE);
    expect(reports).toEqual([
      expect.objectContaining({
        kind: 'recovery',
        taskId: 'task-1',
        status: 'completed',
        userInitiated: false,
        updatesFound: 2,
        previewsRecovered: 3,
        metadataRecovered: 3,
        modelsMissing: 3,
        newlyMissing: 2,
        notable: true,
        stillIncomplete: 1,
        errors: 4,
        summary: 'Metadata and preview recovery: 2 updates found, 3 previews recovered, 3 models described, 3 models missing, 4 errors',
      }),
    ]);
    expect((await schedulers[0]!.status()).find((item) => item.kind === 'recovery')?.lastReport?.taskId).toBe('task-1');
  });

  it('a run that finished in another process, unheard here, is reported by the next check', async () => {
    await startScheduler();
    await clock.advance(30 * MINUTE);
    tasks.finish('task-1', 'failed', 0, false);
    expect(reports).toEqual([]);
    await clock.advance(1 * MINUTE);
    expect(reports).toEqual([expect.objectContaining({ kind: 'scan', status: 'failed', notable: true, summary: expect.stringMatching(/^Library scan \(failed\): 0 updates found/) })]);
  });

  it('a scheduled scan that found nothing new is not notable; one that found missing models is', async () => {
    await startScheduler();
    await clock.advance(30 * MINUTE);
    tasks.finish('task-1');
    await clock.advance(30 * MINUTE);
    counts = { ...counts, missing: 2 };
    tasks.finish('task-2');
    await clock.advance(1 * MINUTE);
    expect(reports.map((report) => [report.taskId, report.notable, report.newlyMissing])).toEqual([
      ['task-1', false, 0],
      ['task-2', true, 1],
    ]);
  });

  it('"run now" is user-initiated (normal priority) and moves the next scheduled run', async () => {
    await startScheduler();
    await clock.advance(10 * MINUTE);
    expect(await schedulers[0]!.runNow('scan')).toEqual({ taskId: 'task-1' });
    expect(tasks.queued[0]).toMatchObject({ kind: 'scan', priority: 'normal' });
    tasks.finish('task-1');
    await clock.advance(1 * MINUTE);
    expect(reports[0]).toMatchObject({ kind: 'scan', userInitiated: true });
    await clock.advance(28 * MINUTE);
    expect(queuedKinds()).toEqual(['scan']);
    await clock.advance(1 * MINUTE);
    expect(queuedKinds()).toEqual(['scan', 'scan']);
    await expect(schedulers[0]!.runNow('backup' as MaintenanceKind)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
