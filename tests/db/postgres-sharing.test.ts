/**
 * What sharing one PostgreSQL server between processes needs: migrations that run once when
 * several start together, claims that never hand a job to two workers, and events that reach
 * every process. Each "process" is its own openDatabase with its own connection pool.
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_MIGRATIONS_FOLDER, openDatabase } from '@modeldock/db';
import type { ModeldockDatabase, OpenDatabaseOptions } from '@modeldock/db';
import {
  appendEventWithoutNotification,
  appliedMigrationCount,
  createScratchPostgresDatabase,
  cutListenConnections,
} from '@modeldock/db/testing';
import type { ScratchPostgresDatabase } from '@modeldock/db/testing';
import type { JobRecord, StoredJobEvent } from '@modeldock/engine';
import { describeWithPostgres } from './helpers/postgres-tier';

const NOW = new Date('2030-01-01T00:00:00.000Z');
const MIGRATIONS_IN_JOURNAL = (
  JSON.parse(
    readFileSync(path.join(DEFAULT_MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8'),
  ) as {
    entries: unknown[];
  }
).entries.length;

describeWithPostgres('sharing PostgreSQL between processes', (adminUrl) => {
  let scratch: ScratchPostgresDatabase | undefined;
  const opened: ModeldockDatabase[] = [];

  async function openProcess(
    options: Partial<OpenDatabaseOptions> = {},
  ): Promise<ModeldockDatabase> {
    const database = await openDatabase({
      dataDir: tmpdir(),
      databaseUrl: scratch!.url,
      ...options,
    });
    opened.push(database);
    return database;
  }

  async function freshDatabase(): Promise<void> {
    scratch = await createScratchPostgresDatabase(adminUrl);
  }

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((database) => database.close()));
    await scratch?.drop();
    scratch = undefined;
  });

  function createJob(database: ModeldockDatabase, index: number): Promise<JobRecord> {
    return database.jobs.createJob(
      {
        source: `https://models.example/${index}.gguf`,
        kind: 'direct',
        priority: index % 3,
        files: [
          {
            url: `https://models.example/${index}.gguf`,
            name: `${index}.gguf`,
            relativePath: `llm/${index}.gguf`,
            bytesTotal: 1,
            expectedSha256: null,
            credential: null,
            revision: null,
          },
        ],
      },
      NOW,
    );
  }

  describe('migrations', () => {
    it('run once when several processes start together, and not again on the next start', async () => {
      await freshDatabase();
      const starters = await Promise.all([openProcess(), openProcess(), openProcess()]);
      expect(starters.map((database) => database.driver)).toEqual([
        'postgres',
        'postgres',
        'postgres',
      ]);
      expect(await appliedMigrationCount(starters[0]!)).toBe(MIGRATIONS_IN_JOURNAL);

      const job = await createJob(starters[1]!, 1);
      await Promise.all(opened.splice(0).map((database) => database.close()));

      const restarted = await openProcess();
      expect(await appliedMigrationCount(restarted)).toBe(MIGRATIONS_IN_JOURNAL);
      expect(await restarted.jobs.getJob(job.id)).toEqual(job);
    });

    it('a failing migration is reported with the server’s own words, and leaves the lock free', async () => {
      await freshDatabase();
      const folder = await mkdtemp(path.join(tmpdir(), 'modeldock-bad-migrations-'));
      try {
        await mkdir(path.join(folder, 'meta'));
        const entry = {
          idx: 0,
          version: '7',
          when: 1_700_000_000_000,
          tag: '0000_broken',
          breakpoints: true,
        };
        await writeFile(
          path.join(folder, 'meta', '_journal.json'),
          JSON.stringify({ version: '7', dialect: 'postgresql', entries: [entry] }),
        );
        await writeFile(path.join(folder, '0000_broken.sql'), 'create table broken (;');

        const error = await openDatabase({
          dataDir: tmpdir(),
          databaseUrl: scratch!.url,
          migrationsFolder: folder,
        }).catch((caught: unknown) => caught);
        expect(error).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
        expect((error as Error).message).toMatch(
          /^Cannot use PostgreSQL at 127\.0\.0\.1:\d+\/modeldock_test_\w+: syntax error/,
        );
        expect((error as Error).message).not.toContain('Failed query');
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
      // The advisory lock went with the failed attempt: the real migrations still run.
      const database = await openProcess();
      expect(await appliedMigrationCount(database)).toBe(MIGRATIONS_IN_JOURNAL);
    });
  });

  describe('claims', () => {
    it('two processes claiming at once never take the same job', async () => {
      await freshDatabase();
      const first = await openProcess();
      const second = await openProcess();
      const jobs = [];
      for (let i = 0; i < 24; i++) jobs.push(await createJob(i % 2 === 0 ? first : second, i));

      const claimedBy = new Map<string, string[]>();
      async function worker(database: ModeldockDatabase, workerId: string): Promise<void> {
        for (;;) {
          const job = await database.jobs.claimNextJob(workerId, 60_000, NOW);
          if (!job) return;
          claimedBy.set(job.id, [...(claimedBy.get(job.id) ?? []), workerId]);
          expect(job).toMatchObject({ status: 'running', leaseOwner: workerId });
        }
      }
      // Four claimers per process, all racing on the same rows.
      await Promise.all([
        ...[0, 1, 2, 3].map((i) => worker(first, `first-${i}`)),
        ...[0, 1, 2, 3].map((i) => worker(second, `second-${i}`)),
      ]);

      expect([...claimedBy.keys()].sort()).toEqual(jobs.map((job) => job.id).sort());
      for (const [jobId, workers] of claimedBy)
        expect({ jobId, workers: workers.length }).toEqual({ jobId, workers: 1 });
      for (const job of await first.jobs.listActiveJobs()) {
        expect(job.leaseOwner).toBe(claimedBy.get(job.id)![0]);
      }
    });
  });

  describe('failures', () => {
    it('a store whose connection is gone fails with a retryable DATABASE_UNAVAILABLE', async () => {
      await freshDatabase();
      const database = await openProcess();
      await database.close();
      const error = await database.jobs
        .claimNextJob('worker-a', 1_000, NOW)
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'DATABASE_UNAVAILABLE', retryable: true });
      expect((error as Error).message).toMatch(
        /^The database failed while taking the next download from the queue: \S/,
      );
      expect((error as Error).message).not.toContain('Failed query');
    });
  });

  describe('events', () => {
    it('reach every process watching, each once and in order', async () => {
      await freshDatabase();
      const watcher = await openProcess();
      const other = await openProcess();
      const job = await createJob(other, 1);

      const heard: StoredJobEvent[] = [];
      const stop = watcher.watchEvents((event) => heard.push(event));

      const own = await watcher.jobs.appendEvent(job.id, 'created', null, NOW);
      const fromOther = await other.jobs.appendEvent(job.id, 'status', null, NOW);
      const lastFromOther = await other.jobs.appendEvent(job.id, 'removed', null, NOW);
      await vi.waitFor(() => expect(heard.map((event) => event.id)).toContain(lastFromOther.id), {
        timeout: 10_000,
      });

      // Our own event was delivered when appended; its NOTIFY echo is not delivered again.
      const ownAgain = await watcher.jobs.appendEvent(job.id, 'updated', null, NOW);
      const sentinel = await other.jobs.appendEvent(job.id, 'updated', null, NOW);
      await vi.waitFor(() => expect(heard.map((event) => event.id)).toContain(sentinel.id), {
        timeout: 10_000,
      });

      expect(heard).toEqual([own, fromOther, lastFromOther, ownAgain, sentinel]);
      stop();
    });

    it('stop once unsubscribed, while other watchers carry on', async () => {
      await freshDatabase();
      const watcher = await openProcess();
      const other = await openProcess();
      const job = await createJob(other, 2);

      const heard: string[] = [];
      const stop = watcher.watchEvents((event) => heard.push(event.id));
      const first = await other.jobs.appendEvent(job.id, 'created', null, NOW);
      await vi.waitFor(() => expect(heard).toEqual([first.id]), { timeout: 10_000 });
      stop();

      const kept: string[] = [];
      watcher.watchEvents((event) => kept.push(event.id));
      const second = await other.jobs.appendEvent(job.id, 'status', null, NOW);
      await vi.waitFor(() => expect(kept).toEqual([second.id]), { timeout: 10_000 });
      expect(heard).toEqual([first.id]);
    });

    it('an event whose notification never came is still found', async () => {
      await freshDatabase();
      const watcher = await openProcess({ eventPollIntervalMs: 50 });
      const other = await openProcess();
      const job = await createJob(other, 3);
      const heard: string[] = [];
      watcher.watchEvents((event) => heard.push(event.id));

      const silent = await appendEventWithoutNotification(other, job.id, NOW);
      await vi.waitFor(() => expect(heard).toEqual([silent]), { timeout: 10_000 });
    });

    it('after the LISTEN connection is cut, it catches up on reconnecting and hears later events', async () => {
      await freshDatabase();
      // Polling far apart: only the reconnect can find the silent event within the test.
      const watcher = await openProcess({ eventPollIntervalMs: 600_000 });
      const other = await openProcess();
      const job = await createJob(other, 4);
      const heard: string[] = [];
      watcher.watchEvents((event) => heard.push(event.id));

      // Stored while nobody could hear it, as if its notification was sent during the cut.
      const missed = await appendEventWithoutNotification(other, job.id, NOW);
      expect(await cutListenConnections(adminUrl, scratch!.name)).toBeGreaterThan(0);
      await vi.waitFor(() => expect(heard).toEqual([missed]), { timeout: 15_000 });

      const afterCut = await other.jobs.appendEvent(job.id, 'updated', null, NOW);
      await vi.waitFor(() => expect(heard).toEqual([missed, afterCut.id]), { timeout: 15_000 });
    });
  });
});
