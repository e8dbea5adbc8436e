/**
 * The LocalFileIndex contract on the in-memory index the engine tests use, on the SQL store over a
 * real PGlite, and on PostgreSQL when TEST_DATABASE_URL names a server.
 */
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe } from 'vitest';
import { openDatabase } from '@modeldock/db';
import type { ModeldockDatabase } from '@modeldock/db';
import { clearAllTables, createScratchPostgresDatabase } from '@modeldock/db/testing';
import type { ScratchPostgresDatabase } from '@modeldock/db/testing';
import { describeWithPostgres } from '../helpers/postgres-tier';
import { makeTempDataDir, removeTempDataDir } from '../helpers/temp-data-dir';
import { describeFileIndexContract } from '../../engine/library/helpers/file-index-contract';
import { MemoryFileIndex } from '../../engine/library/helpers/memory-file-index';

describeFileIndexContract('in memory', async () => new MemoryFileIndex());

describe('on PGlite', () => {
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

  describeFileIndexContract('SQL store on PGlite', async () => {
    await clearAllTables(database!);
    return database!.fileIndex;
  });
});

describeWithPostgres('on PostgreSQL', (adminUrl) => {
  let scratch: ScratchPostgresDatabase | undefined;
  let database: ModeldockDatabase | undefined;

  beforeAll(async () => {
    scratch = await createScratchPostgresDatabase(adminUrl);
    database = await openDatabase({ dataDir: tmpdir(), databaseUrl: scratch.url });
  });

  afterAll(async () => {
    await database?.close();
    await scratch?.drop();
  });

  describeFileIndexContract('SQL store on PostgreSQL', async () => {
    await clearAllTables(database!);
    return database!.fileIndex;
  });
});
