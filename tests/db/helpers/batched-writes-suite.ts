/**
 * The SQL store's batched writes, run per driver: `updateFiles` (a few multi-row UPDATEs standing
 * for many `updateFile` calls), `updateJobWithoutFiles` (the guarded job update without reading the
 * files back) and the local file index's `recordMany`. Each is held to the one-at-a-time call it
 * replaces, on the same inputs.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { ModeldockDatabase } from '@modeldock/db';
import {
  clearAllTables,
  indexedFileDetails,
  setIndexedFileDetails,
  storedFileColumns,
} from '@modeldock/db/testing';
import type { IndexedFileDetails } from '@modeldock/db/testing';
import type { FilePatch, FileUpdate, IndexedFile, JobRecord, JobStore } from '@modeldock/engine';
import { newFile } from '../../support/factories';

const NOW = new Date('2030-03-04T05:06:07.089Z');
const LATER = new Date('2030-03-04T06:00:00.000Z');
const FIVE_GIB = 5 * 1024 ** 3;

async function createJob(store: JobStore, prefix: string, count: number): Promise<JobRecord> {
  return store.createJob(
    {
      source: `bundle:${prefix}`,
      kind: 'huggingface',
      priority: 0,
      files: Array.from({ length: count }, (_, index) => newFile(`${prefix}/${index}.json`)),
    },
    NOW,
  );
}

/** Every field set, so that patches clearing them have something to clear. */
const FILLED: FilePatch = {
  status: 'running',
  bytesDone: 400,
  bytesTotal: 1_000,
  sha256: 'c'.repeat(64),
  expectedSha256: 'd'.repeat(64),
  validator: { etag: '"v1"', lastModified: 'Wed, 01 Jan 2030 00:00:00 GMT' },
  segments: [
    { start: 0, end: 500, done: 200 },
    { start: 500, end: 1_000, done: 200 },
  ],
  format: 'safetensors',
  error: { code: 'NETWORK_ERROR', message: 'Connection reset', at: 1 },
  url: 'https://cdn.example/first',
  revision: 'abc123',
};

/**
 * Patches by file index, in the order they are made: several field sets, a file patched several
 * times (a later value wins, `undefined` leaves a field alone), nulls for jsonb, text and bigint
 * columns, byte counts beyond 2^32, and text a statement must not mangle.
 */
const PATCHES: Array<[number, FilePatch]> = [
  [
    0,
    { status: 'completed', bytesDone: 1_000, sha256: 'a'.repeat(64), segments: null, error: null },
  ],
  [1, { bytesDone: 6_000_000_000, bytesTotal: FIVE_GIB + 123, validator: null }],
  [2, { status: 'queued' }],
  [0, { format: 'gguf', sha256: undefined }],
  [3, { validator: { etag: null, lastModified: 'it\'s "quoted" — ünïcödé \\ back\\slash' } }],
  [
    4,
    {
      error: {
        code: 'HASH_MISMATCH',
        message: 'Expected a…, got b… {"json": [1]}',
        causes: ['x', 'y'],
        at: 2,
      },
    },
  ],
  [1, { status: 'failed', bytesDone: 0 }],
  [5, { sha256: null, expectedSha256: null, format: null, revision: null, bytesTotal: null }],
  [2, { status: 'running', url: 'https://cdn.example/second?a=1&b=%22' }],
  [6, {}],
  [7, { bytesDone: undefined, status: undefined }],
];

function onFiles(job: JobRecord, patches: Array<[number, FilePatch]>): FileUpdate[] {
  return patches.map(([index, patch]) => ({ fileId: job.files[index]!.id, patch }));
}

/** A file as the store reads it, without what tells two jobs' files apart. */
function comparable(job: JobRecord | null): unknown[] {
  return job!.files.map(
    ({ id: _id, jobId: _jobId, relativePath: _path, name: _name, ...rest }) => rest,
  );
}

function entry(
  relativePath: string,
  sha256: string,
  extra: Partial<IndexedFile> = {},
): Omit<IndexedFile, 'indexedAt'> {
  return {
    relativePath,
    sha256,
    size: 1_000,
    mtimeMs: 1_700_000_000_123.5,
    sourceKind: 'huggingface',
    ...extra,
  };
}

const DETAILS: IndexedFileDetails = {
  sourceModelId: 'org/model',
  sourceVersionId: 'rev-1',
  metadata: { trainedWords: ['a', 'b'] },
  previewPath: 'loras/a.preview.png',
  updateStatus: 'current',
  latestVersionId: 'rev-1',
  checkedAt: new Date('2030-01-01T00:00:00.000Z'),
};

const NO_DETAILS: IndexedFileDetails = {
  sourceModelId: null,
  sourceVersionId: null,
  metadata: null,
  previewPath: null,
  updateStatus: 'unknown',
  latestVersionId: null,
  checkedAt: null,
};

export function describeBatchedWrites(getDatabase: () => ModeldockDatabase): void {
  describe('batched writes', () => {
    let database: ModeldockDatabase;
    let store: JobStore;
    beforeEach(async () => {
      database = getDatabase();
      await clearAllTables(database);
      store = database.jobs;
    });

    describe('updateFiles', () => {
      it('leaves every file column for column as updateFile applied to each patch in turn does', async () => {
        const batched = await createJob(store, 'batched', 8);
        const oneByOne = await createJob(store, 'one-by-one', 8);
        for (const job of [batched, oneByOne]) {
          for (const file of job.files) await store.updateFile(file.id, FILLED, NOW);
        }

        await store.updateFiles!(onFiles(batched, PATCHES), LATER);
        for (const { fileId, patch } of onFiles(oneByOne, PATCHES))
          await store.updateFile(fileId, patch, LATER);

        expect(comparable(await store.getJob(batched.id))).toEqual(
          comparable(await store.getJob(oneByOne.id)),
        );
        for (let index = 0; index < 8; index++) {
          const [a, b] = await Promise.all([
            storedFileColumns(database, batched.files[index]!.id),
            storedFileColumns(database, oneByOne.files[index]!.id),
          ]);
          expect({ index, ...a }).toEqual({ index, ...b });
        }
        // What the comparison holds, spelled out.
        expect(await storedFileColumns(database, batched.files[1]!.id)).toMatchObject({
          status: 'failed',
          bytesDone: '0',
          bytesTotal: String(FIVE_GIB + 123),
          validator: null,
          updatedAt: String(LATER.getTime()),
        });
        expect(await storedFileColumns(database, batched.files[0]!.id)).toMatchObject({
          status: 'completed',
          sha256: 'a'.repeat(64),
          format: 'gguf',
          segments: null,
          error: null,
        });
        expect(await storedFileColumns(database, batched.files[5]!.id)).toMatchObject({
          sha256: null,
          expectedSha256: null,
          format: null,
          revision: null,
          bytesTotal: null,
          bytesDone: '400',
        });
        const job = await store.getJob(batched.id);
        expect(job!.files[3]!.validator).toEqual({
          etag: null,
          lastModified: 'it\'s "quoted" — ünïcödé \\ back\\slash',
        });
        expect(job!.files[4]!.error).toEqual(PATCHES[5]![1].error);
        expect(job!.files[7]).toMatchObject({ status: 'running', bytesDone: 400 });
      });

      it('keeps byte counts beyond 2^32 exact', async () => {
        const job = await createJob(store, 'big', 2);
        await store.updateFiles!(
          [
            {
              fileId: job.files[0]!.id,
              patch: { bytesDone: 2 ** 32 + 1, bytesTotal: 2 ** 53 - 1 },
            },
            { fileId: job.files[1]!.id, patch: { bytesDone: 4_500_000_001 } },
          ],
          NOW,
        );
        const files = (await store.getJob(job.id))!.files;
        expect(files[0]).toMatchObject({ bytesDone: 2 ** 32 + 1, bytesTotal: 2 ** 53 - 1 });
        expect(files[1]).toMatchObject({ bytesDone: 4_500_000_001, bytesTotal: 1_000 });
      });

      it('updates more files than one statement holds', async () => {
        const job = await createJob(store, 'many', 2_100);
        const updates: FileUpdate[] = job.files.map((file, index) => ({
          fileId: file.id,
          patch: {
            status: 'completed',
            bytesDone: index,
            sha256: index.toString(16).padStart(64, '0'),
          },
        }));
        updates.push({ fileId: job.files[2_099]!.id, patch: { status: 'failed' } });
        await store.updateFiles!(updates, NOW);
        const files = (await store.getJob(job.id))!.files;
        expect(files).toHaveLength(2_100);
        for (const [index, file] of files.entries()) {
          expect(file).toMatchObject({
            status: index === 2_099 ? 'failed' : 'completed',
            bytesDone: index,
            sha256: index.toString(16).padStart(64, '0'),
          });
        }
      });

      it('writes all or nothing: a failing statement leaves every file as it was', async () => {
        const job = await createJob(store, 'atomic', 1_002);
        const updates: FileUpdate[] = job.files.map((file, index) => ({
          fileId: file.id,
          patch: { status: 'completed', bytesDone: index },
        }));
        // The second statement (rows beyond the first thousand) holds a byte count no bigint takes.
        updates[1_001] = {
          fileId: job.files[1_001]!.id,
          patch: { status: 'completed', bytesDone: 0.5 },
        };
        await expect(store.updateFiles!(updates, NOW)).rejects.toMatchObject({
          code: 'DATABASE_UNAVAILABLE',
        });
        const files = (await store.getJob(job.id))!.files;
        expect(files.filter((file) => file.status !== 'queued' || file.bytesDone !== 0)).toEqual(
          [],
        );
        // updateFile refuses it as well.
        await expect(
          store.updateFile(job.files[0]!.id, { bytesDone: 0.5 }, NOW),
        ).rejects.toMatchObject({
          code: 'DATABASE_UNAVAILABLE',
        });
      });

      it('ignores unknown files, and an empty list writes nothing', async () => {
        const job = await createJob(store, 'unknown', 1);
        await store.updateFiles!([], NOW);
        await store.updateFiles!(
          [
            { fileId: 'no-such-file', patch: { status: 'completed' } },
            { fileId: job.files[0]!.id, patch: { status: 'completed' } },
          ],
          LATER,
        );
        expect((await store.getJob(job.id))!.files[0]!.status).toBe('completed');
        expect(await storedFileColumns(database, 'no-such-file')).toBeNull();
      });
    });

    describe('updateJobWithoutFiles', () => {
      it('applies the patch as updateJob does and gives the job back without reading its files', async () => {
        const job = await createJob(store, 'job', 3);
        await store.claimNextJob('worker-a', 60_000, NOW);
        const error = {
          code: 'FORBIDDEN' as const,
          message: 'Access denied (HTTP 403)',
          httpStatus: 403,
        };
        const updated = await store.updateJobWithoutFiles!(
          job.id,
          {
            status: 'failed',
            error,
            speedBps: 12.5,
            warnings: ['pickle'],
            finishedAt: LATER,
            releaseLease: true,
          },
          LATER,
          'worker-a',
        );
        const { files, ...stored } = (await store.getJob(job.id))!;
        expect(files).toHaveLength(3);
        expect(updated).toEqual(stored);
        expect(updated).not.toHaveProperty('files');
        expect(updated).toMatchObject({
          status: 'failed',
          error,
          speedBps: 12.5,
          warnings: ['pickle'],
          finishedAt: LATER,
          updatedAt: LATER,
          leaseOwner: null,
          leaseExpiresAt: null,
        });
      });

      it('with an ownerId, only the worker holding the lease can write', async () => {
        const job = await createJob(store, 'guarded', 1);
        await store.claimNextJob('worker-a', 60_000, NOW);
        expect(
          await store.updateJobWithoutFiles!(job.id, { speedBps: 10 }, NOW, 'worker-b'),
        ).toBeNull();
        expect((await store.getJob(job.id))!.speedBps).toBe(0);
        expect(
          await store.updateJobWithoutFiles!(job.id, { speedBps: 20 }, NOW, 'worker-a'),
        ).toMatchObject({
          speedBps: 20,
          leaseOwner: 'worker-a',
        });

        // Paused by the user: the old worker's late write must not bring it back.
        await store.updateJob(job.id, { status: 'paused', releaseLease: true }, LATER);
        expect(
          await store.updateJobWithoutFiles!(job.id, { status: 'completed' }, LATER, 'worker-a'),
        ).toBeNull();
        expect(await store.getJob(job.id)).toMatchObject({ status: 'paused', speedBps: 20 });
        // Without an ownerId anyone writes; an unknown job is null either way.
        expect(await store.updateJobWithoutFiles!(job.id, { priority: 4 }, LATER)).toMatchObject({
          priority: 4,
        });
        expect(
          await store.updateJobWithoutFiles!('no-such-job', { priority: 1 }, LATER),
        ).toBeNull();
        expect(
          await store.updateJobWithoutFiles!('no-such-job', { priority: 1 }, LATER, 'worker-a'),
        ).toBeNull();
      });
    });

    describe('fileIndex.recordMany', () => {
      it('records each file as record does', async () => {
        const { fileIndex } = database;
        const files = [
          entry('loras/a.safetensors', 'a'.repeat(64), { size: 6_938_078_334 }),
          entry('vae/b.safetensors', 'b'.repeat(64), { sourceKind: null }),
          entry('checkpoints/c.gguf', 'a'.repeat(64), { mtimeMs: 2 }),
        ];
        await fileIndex.recordMany!(files, NOW);
        for (const file of files)
          expect(await fileIndex.get(file.relativePath)).toEqual({ ...file, indexedAt: NOW });
        expect(
          (await fileIndex.findBySha256('a'.repeat(64))).map((file) => file.relativePath),
        ).toEqual(['checkpoints/c.gguf', 'loras/a.safetensors']);
        await fileIndex.recordMany!([], LATER);
        expect(await fileIndex.list(null, 10)).toHaveLength(3);
      });

      it('keeps the last entry of a path given twice', async () => {
        const { fileIndex } = database;
        await fileIndex.recordMany!(
          [
            entry('a.gguf', 'a'.repeat(64), { size: 1 }),
            entry('b.gguf', 'b'.repeat(64)),
            entry('a.gguf', 'c'.repeat(64), { size: 3, sourceKind: 'civitai' }),
          ],
          NOW,
        );
        expect(await fileIndex.get('a.gguf')).toMatchObject({
          sha256: 'c'.repeat(64),
          size: 3,
          sourceKind: 'civitai',
        });
        expect(await fileIndex.findBySha256('a'.repeat(64))).toEqual([]);
        expect((await fileIndex.list(null, 10)).map((file) => file.relativePath)).toEqual([
          'a.gguf',
          'b.gguf',
        ]);
      });

      it('replaces what it knew: keeps the details of a file whose hash is the same, drops them once it changed, as record does', async () => {
        const { fileIndex } = database;
        const paths = ['many/same.gguf', 'many/changed.gguf', 'one/same.gguf', 'one/changed.gguf'];
        for (const path of paths) {
          await fileIndex.record(entry(path, 'a'.repeat(64)), NOW);
          await setIndexedFileDetails(database, path, DETAILS);
        }
        await fileIndex.recordMany!(
          [
            entry('many/same.gguf', 'a'.repeat(64), { size: 5, mtimeMs: 9 }),
            entry('many/changed.gguf', 'b'.repeat(64), { size: 5, mtimeMs: 9 }),
          ],
          LATER,
        );
        await fileIndex.record(
          entry('one/same.gguf', 'a'.repeat(64), { size: 5, mtimeMs: 9 }),
          LATER,
        );
        await fileIndex.record(
          entry('one/changed.gguf', 'b'.repeat(64), { size: 5, mtimeMs: 9 }),
          LATER,
        );

        expect(await indexedFileDetails(database, 'many/same.gguf')).toEqual(DETAILS);
        expect(await indexedFileDetails(database, 'many/changed.gguf')).toEqual(NO_DETAILS);
        expect(await indexedFileDetails(database, 'one/same.gguf')).toEqual(DETAILS);
        expect(await indexedFileDetails(database, 'one/changed.gguf')).toEqual(NO_DETAILS);
        for (const kind of ['same', 'changed']) {
          const { relativePath: _many, ...many } = (await fileIndex.get(`many/${kind}.gguf`))!;
          const { relativePath: _one, ...one } = (await fileIndex.get(`one/${kind}.gguf`))!;
          expect(many).toEqual(one);
          expect(many).toMatchObject({ size: 5, mtimeMs: 9, indexedAt: LATER });
        }
      });

      it('records more paths than one statement holds', async () => {
        const { fileIndex } = database;
        const files = Array.from({ length: 2_500 }, (_, index) =>
          entry(
            `bulk/${String(index).padStart(5, '0')}.json`,
            index.toString(16).padStart(64, '0'),
          ),
        );
        await fileIndex.recordMany!(files, NOW);
        const listed: IndexedFile[] = [];
        for (let after: string | null = null; ;) {
          const page = await fileIndex.list(after, 1_000);
          if (page.length === 0) break;
          listed.push(...page);
          after = page.at(-1)!.relativePath;
        }
        expect(listed).toEqual(files.map((file) => ({ ...file, indexedAt: NOW })));
      });

      it('refuses a bad entry with INVALID_INPUT before recording any', async () => {
        const { fileIndex } = database;
        await expect(
          fileIndex.recordMany!(
            [entry('good.gguf', 'a'.repeat(64)), entry('bad.gguf', 'NOT-A-HASH')],
            NOW,
          ),
        ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
        expect(await fileIndex.get('good.gguf')).toBeNull();
      });
    });
  });
}
