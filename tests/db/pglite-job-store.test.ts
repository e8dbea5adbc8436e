/**
 * The JobStore contract and the batched writes on the embedded database: one real PGlite per file,
 * emptied before each test.
 */
import { afterAll, beforeAll } from 'vitest';
import { openDatabase } from '@modeldock/db';
import type { ModeldockDatabase } from '@modeldock/db';
import { clearAllTables } from '@modeldock/db/testing';
import { describeJobStoreContract } from '../support/job-store-contract';
import { describeBatchedWrites } from './helpers/batched-writes-suite';
import { makeTempDataDir, removeTempDataDir } from './helpers/temp-data-dir';

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

describeJobStoreContract('SQL store on PGlite', async () => {
  await clearAllTables(database!);
  return { store: database!.jobs, close: async () => undefined };
});

describeBatchedWrites(() => database!);
