/** The notification store's contract on memory, embedded PGlite and, with TEST_DATABASE_URL, PostgreSQL with two connections. */
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe } from 'vitest';
import { openDatabase } from '@modeldock/db';
import type { ModeldockDatabase } from '@modeldock/db';
import { clearAllTables, createScratchPostgresDatabase } from '@modeldock/db/testing';
import type { ScratchPostgresDatabase } from '@modeldock/db/testing';
import { MemoryNotificationStore } from '../support/memory-notification-store';
import { describeNotificationStore } from './helpers/notification-store-suite';
import { describeWithPostgres } from './helpers/postgres-tier';
import { makeTempDataDir, removeTempDataDir } from './helpers/temp-data-dir';

describeNotificationStore('memory', async () => {
  const store = new MemoryNotificationStore();
  return { a: store, b: store };
});

describe('PGlite', () => {
  let dataDir: string | undefined;
  let database: ModeldockDatabase | undefined;
  beforeAll(async () => {
    dataDir = await makeTempDataDir();
    database = await openDatabase({ dataDir });
  });
  afterAll(async () => {
    await database?.close();
    await removeTempDataDir(dataDir);
  });
  describeNotificationStore('PGlite', async () => {
    await clearAllTables(database!);
    return { a: database!.notifications, b: database!.notifications };
  });
});

describeWithPostgres('PostgreSQL, two processes’ connections', (adminUrl) => {
  let scratch: ScratchPostgresDatabase | undefined;
  let first: ModeldockDatabase | undefined;
  let second: ModeldockDatabase | undefined;
  beforeAll(async () => {
    scratch = await createScratchPostgresDatabase(adminUrl);
    first = await openDatabase({ dataDir: tmpdir(), databaseUrl: scratch.url });
    second = await openDatabase({ dataDir: tmpdir(), databaseUrl: scratch.url });
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await scratch?.drop();
  });
  describeNotificationStore('PostgreSQL', async () => {
    await clearAllTables(first!);
    return { a: first!.notifications, b: second!.notifications };
  });
});
