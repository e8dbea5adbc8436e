/**
 * Job retention (on the memory store, PGlite and PostgreSQL) and the maintenance stores (PGlite, and
 * PostgreSQL with two connections, as two processes), through the suites in helpers/upkeep-suite.ts.
 */
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe } from 'vitest';
import { openDatabase } from '@modeldock/db';
import type { ModeldockDatabase } from '@modeldock/db';
import { clearAllTables, createScratchPostgresDatabase } from '@modeldock/db/testing';
import type { ScratchPostgresDatabase } from '@modeldock/db/testing';
import { MemoryJobStore } from '../support/memory-job-store';
import { MemorySettingsStore } from '../support/memory-upkeep-stores';
import { describeWithPostgres } from './helpers/postgres-tier';
import { makeTempDataDir, removeTempDataDir } from './helpers/temp-data-dir';
import { describeJobRetention, describeMaintenanceStores } from './helpers/upkeep-suite';

async function addEntry(database: ModeldockDatabase, id: string): Promise<void> {
  await database.library.upsertScanned(
    [{ relativePath: `loras/${id}.safetensors`, sizeBytes: 1, mtimeMs: 1, inode: null, sha256: id.padEnd(64, '0').slice(0, 64).replace(/[^0-9a-f]/g, 'a'), error: null, source: null }],
    new Date(),
  );
  const row = (await database.library.page(null, 100)).find((item) => item.relativePath === `loras/${id}.safetensors`)!;
  // The failure rows reference library entries by id: give the test's ids real entries.
  idsOf.set(id, row.id);
}
const idsOf = new Map<string, string>();

describe('memory', () => {
  describeJobRetention('MemoryJobStore', async () => ({ jobs: new MemoryJobStore(), settings: new MemorySettingsStore() }));
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
  describeJobRetention('PGlite', async () => {
    await clearAllTables(database!);
    return { jobs: database!.jobs, settings: database!.settings };
  });
  describeMaintenanceStores('PGlite', async () => {
    await clearAllTables(database!);
    return { a: database!.maintenanceRuns, b: database!.maintenanceRuns, failures: failuresByTestId(database!), addEntry: (id) => addEntry(database!, id) };
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
  describeJobRetention('PostgreSQL', async () => {
    await clearAllTables(first!);
    return { jobs: first!.jobs, settings: first!.settings };
  });
  describeMaintenanceStores('PostgreSQL', async () => {
    await clearAllTables(first!);
    return { a: first!.maintenanceRuns, b: second!.maintenanceRuns, failures: failuresByTestId(first!), addEntry: (id) => addEntry(first!, id) };
  });
});

/** The failure store, addressed by the test's own entry names. */
function failuresByTestId(database: ModeldockDatabase) {
  const store = database.refreshFailures;
  const real = (id: string) => idsOf.get(id) ?? id;
  const back = (id: string) => [...idsOf].find(([, value]) => value === id)?.[0] ?? id;
  return {
    get: async (ids: string[]) => new Map([...(await store.get(ids.map(real)))].map(([id, failure]) => [back(id), failure])),
    record: (failures: Array<{ entryId: string; code: string }>, now: Date) => store.record(failures.map((failure) => ({ ...failure, entryId: real(failure.entryId) })), now),
    clear: (ids: string[]) => store.clear(ids.map(real)),
  };
}
