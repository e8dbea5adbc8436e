/** openDatabase on the embedded PGlite: locking, reopening, migrations, events, keys and settings. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS_FOLDER, openDatabase } from '@modeldock/db';
import type { ModeldockDatabase } from '@modeldock/db';
import { appliedMigrationCount, LOCK_FILE_NAME, serverSetting } from '@modeldock/db/testing';
import type { StoredJobEvent } from '@modeldock/engine';
import { deadPid } from './helpers/child-process';
import { describeApiKeyAndSettingsStores } from './helpers/key-and-settings-suite';
import { makeTempDataDir, removeTempDataDir } from './helpers/temp-data-dir';

const NOW = new Date('2030-01-01T00:00:00.000Z');
const MIGRATIONS_IN_JOURNAL = (
  JSON.parse(
    readFileSync(path.join(DEFAULT_MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8'),
  ) as {
    entries: unknown[];
  }
).entries.length;

let dataDir: string;
let database: ModeldockDatabase;

beforeAll(async () => {
  dataDir = await makeTempDataDir();
  database = await openDatabase({ dataDir });
});

afterAll(async () => {
  await database?.close();
  await removeTempDataDir(dataDir);
});

function createJob(db: ModeldockDatabase, relativePath = 'checkpoints/model.safetensors') {
  return db.jobs.createJob(
    {
      source: `https://models.example/${relativePath}`,
      kind: 'direct',
      priority: 0,
      files: [
        {
          url: `https://models.example/${relativePath}`,
          name: path.basename(relativePath),
          relativePath,
          bytesTotal: 10,
          expectedSha256: null,
          credential: null,
          revision: null,
        },
      ],
    },
    NOW,
  );
}

describe('openDatabase on PGlite', () => {
  it('reports its driver and keeps the database under <dataDir>/pglite, locked', () => {
    expect(database.driver).toBe('pglite');
    expect(existsSync(path.join(dataDir, 'pglite', 'PG_VERSION'))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(dataDir, LOCK_FILE_NAME), 'utf8'))).toMatchObject({
      pid: process.pid,
    });
  });

  it('refuses a second open of the same directory, and the first keeps working', async () => {
    const job = await createJob(database, 'a.gguf');
    await expect(openDatabase({ dataDir })).rejects.toMatchObject({
      code: 'DATABASE_LOCKED',
      message: expect.stringContaining(dataDir),
    });
    expect(await database.jobs.getJob(job.id)).toMatchObject({ id: job.id });
    expect((await createJob(database, 'b.gguf')).status).toBe('queued');
  });

  it('runs the embedded server with small shared buffers (its default 128 MB is a third of the server\'s memory)', async () => {
    expect(await serverSetting(database, 'shared_buffers')).toBe('16MB');
  });

  it('releases the directory on close; reopening finds the data and applies no migration twice', async () => {
    const job = await createJob(database, 'kept.gguf');
    expect(await appliedMigrationCount(database)).toBe(MIGRATIONS_IN_JOURNAL);
    await database.close();
    await database.close();
    expect(existsSync(path.join(dataDir, LOCK_FILE_NAME))).toBe(false);
    await expect(database.jobs.getJob(job.id)).rejects.toMatchObject({
      code: 'DATABASE_UNAVAILABLE',
      message: expect.stringMatching(/^The database failed while reading a download: \S/),
    });

    database = await openDatabase({ dataDir });
    expect(await database.jobs.getJob(job.id)).toEqual(job);
    expect(await appliedMigrationCount(database)).toBe(MIGRATIONS_IN_JOURNAL);
  });

  it('takes over the lock of a process that died without closing', async () => {
    await database.close();
    const pid = await deadPid();
    writeFileSync(
      path.join(dataDir, LOCK_FILE_NAME),
      JSON.stringify({ pid, startTime: '1', hostname: hostname(), token: 'crashed' }),
    );
    database = await openDatabase({ dataDir });
    expect(JSON.parse(readFileSync(path.join(dataDir, LOCK_FILE_NAME), 'utf8'))).toMatchObject({
      pid: process.pid,
    });
    expect((await database.jobs.listJobs({ limit: 100 })).items.length).toBeGreaterThan(0);
  });

  it('watchEvents hears every appended event once, until unsubscribed', async () => {
    const job = await createJob(database, 'watched.gguf');
    const heard: StoredJobEvent[] = [];
    const alsoHeard: string[] = [];
    const stop = database.watchEvents((event) => heard.push(event));
    const stopOther = database.watchEvents((event) => alsoHeard.push(event.id));
    const failing = database.watchEvents(() => {
      throw new Error('a broken watcher');
    });

    const first = await database.jobs.appendEvent(job.id, 'created', null, NOW);
    const second = await database.jobs.appendEvent(job.id, 'status', null, NOW);
    stop();
    const third = await database.jobs.appendEvent(job.id, 'removed', null, NOW);
    stopOther();
    failing();

    expect(heard).toEqual([first, second]);
    expect(alsoHeard).toEqual([first.id, second.id, third.id]);
  });

  describeApiKeyAndSettingsStores(() => database);
});

describe('openDatabase refuses what it cannot use', () => {
  it('a missing migrations folder, before touching the data directory', async () => {
    const dir = await makeTempDataDir();
    try {
      await expect(
        openDatabase({ dataDir: dir, migrationsFolder: path.join(dir, 'nowhere') }),
      ).rejects.toMatchObject({
        code: 'DATABASE_UNAVAILABLE',
        message: expect.stringContaining(path.join(dir, 'nowhere')),
      });
      expect(existsSync(path.join(dir, LOCK_FILE_NAME))).toBe(false);
    } finally {
      await removeTempDataDir(dir);
    }
  });

  it('a data directory that cannot be created', async () => {
    const dir = await makeTempDataDir();
    try {
      writeFileSync(path.join(dir, 'a-file'), '');
      await expect(
        openDatabase({ dataDir: path.join(dir, 'a-file', 'data') }),
      ).rejects.toMatchObject({
        code: 'DATABASE_UNAVAILABLE',
      });
    } finally {
      await removeTempDataDir(dir);
    }
  });

  it('a DATABASE_URL that is not PostgreSQL', async () => {
    await expect(
      openDatabase({ dataDir: '/nonexistent', databaseUrl: 'mysql://root:hunter2secret@db/x' }),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.not.stringContaining('hunter2secret'),
    });
  });

  it('an unreachable PostgreSQL server, without showing the password', async () => {
    const error = await openDatabase({
      dataDir: '/nonexistent',
      databaseUrl: 'postgres://modeldock:s3cret-Passw0rd@127.0.0.1:1/modeldock',
    }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    expect((error as Error).message).toContain('127.0.0.1:1/modeldock');
    expect((error as Error).message).not.toContain('s3cret-Passw0rd');
    expect(existsSync('/nonexistent')).toBe(false);
  });
});
