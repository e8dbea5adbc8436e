/**
 * The metadata store on every tier: the engine's memory store, packages/db on embedded PGlite and,
 * with TEST_DATABASE_URL, on PostgreSQL. On the SQL tiers also: a record goes with its library entry,
 * a put for an entry no longer in the library is skipped, and the Library header's counts.
 */
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryMetadataStore } from '@modeldock/engine';
import type { ScannedFile } from '@modeldock/engine';
import { openDatabase } from '@modeldock/db';
import type { ModeldockDatabase } from '@modeldock/db';
import { clearAllTables, createScratchPostgresDatabase } from '@modeldock/db/testing';
import type { ScratchPostgresDatabase } from '@modeldock/db/testing';
import { describeMetadataStoreContract, fullRecord, minimalRecord } from './helpers/metadata-store-suite';
import { describeWithPostgres } from './helpers/postgres-tier';
import { makeTempDataDir, removeTempDataDir } from './helpers/temp-data-dir';

const ENTRIES = 12;
const now = new Date('2026-01-01T00:00:00.000Z');

function scanned(index: number): ScannedFile {
  return { relativePath: `loras/model-${String(index).padStart(2, '0')}.safetensors`, sizeBytes: 10 + index, mtimeMs: 1, inode: null, sha256: index.toString(16).padStart(64, '0'), error: null, source: null };
}

/** Library entries to hang metadata on; their ids in path order. */
async function libraryEntries(database: ModeldockDatabase): Promise<string[]> {
  await clearAllTables(database);
  await database.library.upsertScanned(Array.from({ length: ENTRIES }, (_, index) => scanned(index)), now);
  return (await database.library.page(null, 100)).map((row) => row.id);
}

describeMetadataStoreContract('memory', async () => ({
  store: createMemoryMetadataStore(),
  entryIds: Array.from({ length: ENTRIES }, (_, index) => `entry-${index}`),
}));

function describeSqlOnly(name: string, database: () => ModeldockDatabase): void {
  describe(`${name}: metadata beside the library`, () => {
    it('goes with its entry when the entry is removed, and a put for a removed entry is skipped', async () => {
      const db = database();
      const [a, b] = await libraryEntries(db);
      await db.metadata.put([fullRecord(a!), fullRecord(b!)]);
      await db.library.remove([a!]);
      expect([...(await db.metadata.get([a!, b!])).keys()]).toEqual([b]);
      await db.metadata.put([fullRecord(a!)]);
      expect((await db.metadata.get([a!])).size).toBe(0);
    });

    it('counts present entries by completeness, preview and update (undescribed ones count as minimal)', async () => {
      const db = database();
      const ids = await libraryEntries(db);
      await db.metadata.put([
        fullRecord(ids[0]!),
        fullRecord(ids[1]!, { update: null }),
        minimalRecord(ids[2]!),
        fullRecord(ids[3]!, { metadata: { ...fullRecord(ids[3]!).metadata!, completeness: 'partial' }, preview: null }),
        fullRecord(ids[4]!, { metadata: null }),
      ]);
      await db.library.markMissing([ids[5]!], now);
      expect(await db.metadata.summary()).toEqual({
        entries: ENTRIES - 1,
        complete: 2,
        partial: 1,
        minimal: ENTRIES - 1 - 3,
        undescribed: ENTRIES - 1 - 4,
        noPreview: ENTRIES - 1 - 3,
        updateAvailable: 3,
      });
    });

    it('filters the library list by update available, incomplete and no preview', async () => {
      const db = database();
      const ids = await libraryEntries(db);
      await db.metadata.put([fullRecord(ids[0]!), fullRecord(ids[1]!, { update: null }), minimalRecord(ids[2]!)]);
      const list = async (flag: 'update_available' | 'incomplete' | 'no_preview') =>
        (await db.library.list({ statuses: ['present'], folder: null, source: null, format: null, flag, search: null, sort: 'name', order: 'asc', limit: 100, cursor: null })).items.map((row) => row.id);
      expect(await list('update_available')).toEqual([ids[0]]);
      expect(await list('incomplete')).toEqual(ids.slice(2));
      expect(await list('no_preview')).toEqual(ids.slice(2));
    });
  });
}

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
  describeMetadataStoreContract('PGlite', async () => ({ store: database!.metadata, entryIds: await libraryEntries(database!) }));
  describeSqlOnly('PGlite', () => database!);
});

describeWithPostgres('PostgreSQL', (adminUrl) => {
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
  describeMetadataStoreContract('PostgreSQL', async () => ({ store: database!.metadata, entryIds: await libraryEntries(database!) }));
  describeSqlOnly('PostgreSQL', () => database!);
});
