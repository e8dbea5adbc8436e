/**
 * Job retention and the maintenance stores, as suites any store runs (memory, PGlite, PostgreSQL):
 * expired finished jobs leave the list (failed ones after 7 days), completed files stay, stored
 * events of removed jobs are pruned; a maintenance run is claimed once by concurrent callers and its
 * end recorded once; refresh failures count up on the same code and start over on another.
 */
import { mkdtemp, rm, stat, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAppSettings, createDownloadManager, createTaskRunner, JOB_RETENTION_TASK, startJobRetention } from '@modeldock/engine';
import type { DownloadManager, JobRecord, JobStatus, JobStore, MaintenanceReport, MaintenanceRunStore, RefreshFailureStore, SettingsPort, TaskRunner } from '@modeldock/engine';
import { FakeClock } from '../../engine/jobs/helpers/fake-clock';
import { RecordingLogger } from '../../engine/jobs/helpers/recording-logger';
import { nodeFileSystemForTests } from '../../support/node-fs-for-tests';

const HOUR = 3_600_000;
const T0 = Date.parse('2030-03-01T12:00:00.000Z');
const unusedHttp = { request: async () => { throw new Error('no HTTP in this test'); } };

export function describeJobRetention(name: string, open: () => Promise<{ jobs: JobStore; settings: SettingsPort }>): void {
  describe(`job retention: ${name}`, () => {
    let clock: FakeClock;
    let root: string;
    let manager: DownloadManager;
    let runner: TaskRunner;
    let jobs: JobStore;
    let settingsStore: SettingsPort;

    beforeEach(async () => {
      ({ jobs, settings: settingsStore } = await open());
      clock = new FakeClock(T0);
      root = await mkdtemp(path.join(tmpdir(), 'modeldock-retention-'));
      manager = createDownloadManager({ store: jobs, http: unusedHttp, fs: nodeFileSystemForTests(), clock, logger: new RecordingLogger(), modelsRoot: root, workerId: 'retention-test' });
      // Not started: retention needs no claim loop, and a fake day would spin its poll thousands of times.
      runner = createTaskRunner({ clock, logger: new RecordingLogger() });
    });

    afterEach(async () => {
      await runner.stop();
      await manager.stop();
      await rm(root, { recursive: true, force: true });
    });

    async function finished(file: string, status: JobStatus, hoursAgo: number): Promise<JobRecord> {
      const created = await jobs.createJob(
        { source: `https://models.example/${file}`, kind: 'direct', priority: 0, files: [{ url: `https://models.example/${file}`, name: file, relativePath: `loras/${file}`, bytesTotal: 4, expectedSha256: null, credential: null, revision: null }] },
        new Date(T0 - hoursAgo * HOUR - 1000),
      );
      await jobs.appendEvent(created.id, 'created', null, new Date(T0 - hoursAgo * HOUR - 1000));
      if (status === 'queued') return created;
      const at = new Date(T0 - hoursAgo * HOUR);
      await jobs.updateJob(created.id, { status, finishedAt: at }, at);
      await jobs.appendEvent(created.id, 'status', null, at);
      return created;
    }

    async function listed(): Promise<string[]> {
      const page = await manager.listJobs({ limit: 100 });
      return page.items.map((job) => job.files[0]!.name).sort();
    }

    async function eventsOf(jobId: string): Promise<string[]> {
      return (await jobs.listEventsAfter('0', jobId)).map((event) => event.type);
    }

    it('clears finished jobs past retention, keeps failed ones 7 days, prunes their events, never a completed file', async () => {
      const settings = createAppSettings({ store: settingsStore, clock });
      await settings.get();
      const retention = startJobRetention({ settings, manager, runner, clock, logger: new RecordingLogger() });
      await mkdir(path.join(root, 'loras'), { recursive: true });
      await writeFile(path.join(root, 'loras', 'old.safetensors'), 'done');
      const old = await finished('old.safetensors', 'completed', 25);
      await finished('recent.safetensors', 'completed', 1);
      await finished('cancelled.safetensors', 'cancelled', 30);
      await finished('failed-6d.safetensors', 'failed', 6 * 24);
      const failedOld = await finished('failed-8d.safetensors', 'failed', 8 * 24);
      await finished('queued.safetensors', 'queued', 48);

      expect(await retention.sweep()).toMatchObject({ removed: 3 });
      expect(await listed()).toEqual(['failed-6d.safetensors', 'queued.safetensors', 'recent.safetensors']);
      // The library keeps what was downloaded: the completed file is still there.
      expect((await stat(path.join(root, 'loras', 'old.safetensors'))).size).toBe(4);
      // Only the 'removed' event of a removed job stays, so a client that reconnects learns it went.
      expect(await eventsOf(old.id)).toEqual(['removed']);
      expect(await eventsOf(failedOld.id)).toEqual(['removed']);

      // A day later the 'removed' events go too; the recent completed job and the 6-day failure expired.
      await clock.advance(25 * HOUR);
      expect(await retention.sweep()).toMatchObject({ removed: 2 });
      expect(await eventsOf(old.id)).toEqual([]);
      expect(await listed()).toEqual(['queued.safetensors']);
    });

    it('with retention off completed jobs stay; the runner sweeps on its own, on the clock', async () => {
      const settings = createAppSettings({ store: settingsStore, clock });
      await settings.update({ retention: { finishedJobsHours: null, failedJobsDays: 2 } });
      startJobRetention({ settings, manager, runner, clock, logger: new RecordingLogger(), everyMs: HOUR });
      await finished('kept.safetensors', 'completed', 24 * 30);
      await finished('failed.safetensors', 'failed', 24 + 1 / 60);
      runner.start();
      /** Moves the clock, then lets a sweep the runner started finish its queries (a real database). */
      const advance = async (ms: number) => {
        await clock.advance(ms);
        while (runner.status(JOB_RETENTION_TASK)?.running) await new Promise((resolve) => setTimeout(resolve, 5));
      };
      await advance(0);
      expect(runner.status(JOB_RETENTION_TASK)?.runs).toBe(1);
      expect(await listed()).toEqual(['failed.safetensors', 'kept.safetensors']);
      await advance(23 * HOUR);
      expect(await listed()).toEqual(['failed.safetensors', 'kept.safetensors']);
      await advance(1 * HOUR);
      expect(await listed()).toEqual(['kept.safetensors']);
    });
  });
}

const counts = { updatesAvailable: 1, noPreview: 2, incomplete: 3, missing: 4 };

function report(taskId: string): MaintenanceReport {
  return {
    kind: 'scan',
    taskId,
    status: 'completed',
    userInitiated: false,
    startedAt: new Date(T0).toISOString(),
    finishedAt: new Date(T0).toISOString(),
    updatesFound: 0,
    previewsRecovered: 0,
    metadataRecovered: 0,
    modelsMissing: 0,
    newlyMissing: 0,
    stillIncomplete: 0,
    errors: 0,
    summary: 'Library scan: nothing',
    notable: false,
  };
}

/** `a` and `b` are two connections (processes) to the same database where the store can have them. */
export function describeMaintenanceStores(
  name: string,
  open: () => Promise<{ a: MaintenanceRunStore; b: MaintenanceRunStore; failures: RefreshFailureStore; addEntry(id: string): Promise<void> }>,
): void {
  describe(`maintenance stores: ${name}`, () => {
    it('a due run is claimed by one of two concurrent callers; not again before its interval', async () => {
      const { a, b } = await open();
      await a.ensure(['scan', 'recovery', 'updates'], new Date(T0));
      await b.ensure(['scan'], new Date(T0 + HOUR));
      expect((await a.list()).map((row) => [row.kind, row.since.toISOString()]).sort()).toEqual([
        ['recovery', new Date(T0).toISOString()],
        ['scan', new Date(T0).toISOString()],
        ['updates', new Date(T0).toISOString()],
      ]);
      const now = new Date(T0 + HOUR);
      const claims = await Promise.all([
        a.claim('scan', new Date(T0), now, { userInitiated: false, baseline: counts }),
        b.claim('scan', new Date(T0), now, { userInitiated: false, baseline: counts }),
      ]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await a.claim('scan', new Date(T0 + HOUR - 1), new Date(T0 + 2 * HOUR), { userInitiated: false, baseline: counts })).toBe(false);
      const [row] = (await b.list()).filter((item) => item.kind === 'scan');
      expect(row).toMatchObject({ lastStartedAt: now, lastFinishedAt: null, taskId: null, baseline: counts, userInitiated: false });
    });

    it('the end of a run is recorded once, and only for its own task', async () => {
      const { a, b } = await open();
      await a.ensure(['scan'], new Date(T0));
      expect(await a.claim('scan', new Date(T0), new Date(T0 + HOUR), { userInitiated: true, baseline: counts })).toBe(true);
      await a.setTask('scan', 'task-1', new Date(T0 + HOUR));
      expect(await b.finish('scan', 'task-0', report('task-0'), new Date(T0 + 2 * HOUR))).toBe(false);
      const ends = await Promise.all([
        a.finish('scan', 'task-1', report('task-1'), new Date(T0 + 2 * HOUR)),
        b.finish('scan', 'task-1', report('task-1'), new Date(T0 + 2 * HOUR)),
      ]);
      expect(ends.filter(Boolean)).toHaveLength(1);
      const [row] = await a.list();
      expect(row).toMatchObject({ taskId: 'task-1', userInitiated: true, lastFinishedAt: new Date(T0 + 2 * HOUR), lastReport: report('task-1') });
    });

    it('refresh failures count up on the same code, start over on another, and clear', async () => {
      const { failures, addEntry } = await open();
      await addEntry('entry-1');
      await addEntry('entry-2');
      const at = new Date(T0);
      await failures.record([{ entryId: 'entry-1', code: 'NOT_AN_IMAGE' }, { entryId: 'entry-2', code: 'HTTP_ERROR' }], at);
      await failures.record([{ entryId: 'entry-1', code: 'NOT_AN_IMAGE' }], at);
      await failures.record([{ entryId: 'entry-1', code: 'NOT_AN_IMAGE' }, { entryId: 'entry-2', code: 'SERVER_ERROR' }], at);
      expect(await failures.get(['entry-1', 'entry-2', 'entry-3'])).toEqual(
        new Map([
          ['entry-1', { code: 'NOT_AN_IMAGE', count: 3 }],
          ['entry-2', { code: 'SERVER_ERROR', count: 1 }],
        ]),
      );
      await failures.clear(['entry-1']);
      expect([...(await failures.get(['entry-1', 'entry-2'])).keys()]).toEqual(['entry-2']);
    });
  });
}
