/**
 * The JobStore contract, its batched writes, API keys and settings on PostgreSQL, in a scratch
 * database created for this file and dropped after it.
 */
import { tmpdir } from 'node:os';
import { afterAll, beforeAll } from 'vitest';
import { openDatabase } from '@modeldock/db';
import type { ModeldockDatabase } from '@modeldock/db';
import { clearAllTables, createScratchPostgresDatabase } from '@modeldock/db/testing';
import type { ScratchPostgresDatabase } from '@modeldock/db/testing';
import { describeJobStoreContract } from '../support/job-store-contract';
import { describeBatchedWrites } from './helpers/batched-writes-suite';
import { describeApiKeyAndSettingsStores } from './helpers/key-and-settings-suite';
import { describeWithPostgres } from './helpers/postgres-tier';

describeWithPostgres('SQL store on PostgreSQL', (adminUrl) => {
  let scratch: ScratchPostgresDatabase | undefined;
  let database: ModeldockDatabase | undefined;

  beforeAll(async () => {
    scratch = await createScratchPostgresDatabase(adminUrl);
    // The data directory is never touched when a database URL is given.
    database = await openDatabase({ dataDir: tmpdir(), databaseUrl: scratch.url });
  });

  afterAll(async () => {
    await database?.close();
    await scratch?.drop();
  });

  describeJobStoreContract('SQL store on PostgreSQL', async () => {
    await clearAllTables(database!);
    return { store: database!.jobs, close: async () => undefined };
  });

  describeBatchedWrites(() => database!);
  describeApiKeyAndSettingsStores(() => database!);
});
