/**
 * A bundle of many small files through the real byte layer against a local origin, and what its
 * run leaves in the store and the local file index now that file records are written in batches
 * and a small file's completion is deferred: every file recorded completed with its SHA-256 and
 * indexed, whichever store; and a file renamed into place whose completion never reached the store
 * (the process died, or the store failed) adopted by the next run rather than refused as
 * DESTINATION_EXISTS, because its bytes were recorded durable before the rename.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '@modeldock/db';
import type { ModeldockDatabase } from '@modeldock/db';
import { clearAllTables } from '@modeldock/db/testing';
import {
  createDownloadManager,
  createNodeFileSystem,
  createSystemClock,
  createUndiciHttpClient,
  relativeDestination,
  transferFile,
} from '@modeldock/engine';
import type {
  DownloadManager,
  EngineConfig,
  FileUpdate,
  IndexedFile,
  JobPatch,
  JobRecord,
  JobStore,
  LocalFileIndex,
  SourceResolver,
  UndiciHttpClient,
} from '@modeldock/engine';
import { deterministicBytes, startFaultOrigin } from '../../support/fault-origin';
import type { FaultOrigin, OriginFile } from '../../support/fault-origin';
import { MemoryJobStore } from '../../support/memory-job-store';
import { makeTempDataDir, removeTempDataDir } from '../helpers/temp-data-dir';
import { MemoryFileIndex } from '../../engine/library/helpers/memory-file-index';
import { waitUntil } from '../../engine/jobs/helpers/harness';
import { RecordingLogger } from '../../engine/jobs/helpers/recording-logger';

const CONFIG: Partial<EngineConfig> = {
  allowPrivateHosts: true,
  idleTimeoutMs: 5_000,
  maxAttempts: 3,
  retryBaseDelayMs: 10,
  retryMaxDelayMs: 50,
  syncIntervalMs: 20,
  leaseMs: 10_000,
  progressIntervalMs: 100,
};

/** Completions wait for the end of the run (or 256 of them): the widest window a crash can hit. */
const LONG_DEFER: Partial<EngineConfig> = { ...CONFIG, progressIntervalMs: 60_000 };

const ADOPTED = 'the file was already renamed into place before a restart; verified it';

/** A memory store with the SQL store's batch methods, counting how each kind of write is used. */
class BatchingStore extends MemoryJobStore {
  readonly batches: FileUpdate[][] = [];
  singleFileWrites = 0;
  jobWritesWithFiles = 0;
  jobWritesWithoutFiles = 0;
  /** When set, a batch holding a completion fails with it. */
  failCompletionsWith: Error | null = null;

  override async updateFile(...args: Parameters<MemoryJobStore['updateFile']>): Promise<void> {
    this.singleFileWrites++;
    return super.updateFile(...args);
  }

  override async updateFiles(updates: FileUpdate[], now: Date): Promise<void> {
    this.batches.push(updates);
    if (this.failCompletionsWith && updates.some((update) => update.patch.status === 'completed'))
      throw this.failCompletionsWith;
    for (const { fileId, patch } of updates) await super.updateFile(fileId, patch, now);
  }

  override async updateJob(
    ...args: Parameters<MemoryJobStore['updateJob']>
  ): Promise<JobRecord | null> {
    this.jobWritesWithFiles++;
    return super.updateJob(...args);
  }

  override async updateJobWithoutFiles(
    jobId: string,
    patch: JobPatch,
    now: Date,
    ownerId?: string,
  ): Promise<Omit<JobRecord, 'files'> | null> {
    this.jobWritesWithoutFiles++;
    const updated = await super.updateJob(jobId, patch, now, ownerId);
    if (!updated) return null;
    const { files: _files, ...job } = updated;
    return job;
  }

  /** Batches holding at least one completion. */
  completionBatches(): number {
    return this.batches.filter((batch) =>
      batch.some((update) => update.patch.status === 'completed'),
    ).length;
  }
}

/** The memory index with recordMany, counting its calls apart from record's. */
class BatchingFileIndex extends MemoryFileIndex {
  recordManyCalls = 0;
  singleRecords = 0;

  override async record(file: Omit<IndexedFile, 'indexedAt'>, now: Date): Promise<void> {
    this.singleRecords++;
    return super.record(file, now);
  }

  override async recordMany(files: Omit<IndexedFile, 'indexedAt'>[], now: Date): Promise<void> {
    this.recordManyCalls++;
    for (const file of files) await super.record(file, now);
  }
}

/**
 * The store as a process sees it until it dies: from the first batch holding a completion on, no
 * call returns and nothing more is written, as if the process had stopped right there.
 */
function dyingAtFirstCompletion(inner: BatchingStore): { store: JobStore; died: () => boolean } {
  let dead = false;
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (
          property === 'updateFiles' &&
          (args[0] as FileUpdate[]).some((update) => update.patch.status === 'completed')
        )
          dead = true;
        if (dead) return new Promise(() => undefined);
        return (value as (...callArgs: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, died: () => dead };
}

let origin: FaultOrigin;
let http: UndiciHttpClient;
let root: string;
let modelsRoot: string;
const running: DownloadManager[] = [];

beforeEach(async () => {
  origin = await startFaultOrigin();
  http = createUndiciHttpClient({
    connectionsPerHost: 8,
    idleTimeoutMs: 5_000,
    allowPrivateHosts: true,
  });
  root = await mkdtemp(path.join(tmpdir(), 'modeldock-bundle-records-'));
  modelsRoot = path.join(root, 'models');
});

afterEach(async () => {
  for (const manager of running.splice(0)) await manager.stop();
  await http.close();
  await origin.close();
  await rm(root, { recursive: true, force: true });
});

/** `count` small files on the origin, a few KB each, all different. */
function serveSmallFiles(count: number): OriginFile[] {
  return Array.from({ length: count }, (_, index) =>
    origin.setFile(
      `/bundle/${String(index).padStart(4, '0')}.json`,
      deterministicBytes(1_000 + index * 13, index + 1),
    ),
  );
}

function bundleOf(files: OriginFile[]): SourceResolver {
  return {
    kind: 'bundle',
    accepts: (input) => input.startsWith('bundle:'),
    async resolve(request) {
      return {
        kind: 'bundle',
        source: request.url,
        files: files.map((file) => ({
          url: file.url,
          name: path.posix.basename(file.path),
          relativePath: relativeDestination(request.folder ?? '', path.posix.basename(file.path)),
          bytesTotal: file.bytes.length,
          expectedSha256: file.sha256,
          credential: null,
          revision: null,
          access: 'ok' as const,
        })),
      };
    },
  };
}

interface Started {
  manager: DownloadManager;
  logger: RecordingLogger;
}

/** A manager over the real byte layer, as a (re)started process would run it. */
async function startManager(
  store: JobStore,
  fileIndex: LocalFileIndex,
  files: OriginFile[],
  config: Partial<EngineConfig> = CONFIG,
  keep = true,
): Promise<Started> {
  const logger = new RecordingLogger();
  const manager = createDownloadManager({
    store,
    http,
    fs: createNodeFileSystem(),
    clock: createSystemClock(),
    logger,
    modelsRoot,
    workerId: 'worker-a',
    config,
    transferFile,
    resolvers: [bundleOf(files)],
    fileIndex,
    // One process on this store: what it held when it stopped is its own to resume.
    recoverAllLeasesAtStart: true,
  });
  await manager.start();
  if (keep) running.push(manager);
  return { manager, logger };
}

async function finished(store: JobStore, jobId: string, timeoutMs = 30_000): Promise<JobRecord> {
  let job: JobRecord | null = null;
  await waitUntil(
    async () => {
      job = await store.getJob(jobId);
      return job !== null && ['completed', 'failed', 'cancelled'].includes(job.status);
    },
    () => `job ${jobId} to finish (last seen ${job?.status})`,
    timeoutMs,
  );
  return job!;
}

/** Every file recorded completed with its SHA-256, indexed with it, and whole on disk. */
async function expectEveryFileDone(
  store: JobStore,
  fileIndex: LocalFileIndex,
  jobId: string,
  files: OriginFile[],
): Promise<void> {
  const job = (await store.getJob(jobId))!;
  expect(job.status, JSON.stringify(job.error)).toBe('completed');
  expect(job.files).toHaveLength(files.length);
  const wrong = job.files.filter((file, index) => {
    const served = files[index]!;
    return (
      file.status !== 'completed' ||
      file.sha256 !== served.sha256 ||
      file.bytesDone !== served.bytes.length ||
      file.bytesTotal !== served.bytes.length
    );
  });
  expect(wrong).toEqual([]);
  const indexed = await fileIndex.list(null, 1_000);
  expect(indexed.map((file) => [file.relativePath, file.sha256, file.size])).toEqual(
    job.files.map((file, index) => [
      file.relativePath,
      files[index]!.sha256,
      files[index]!.bytes.length,
    ]),
  );
  for (const file of [job.files[0]!, job.files.at(-1)!]) {
    const served = files[file.index]!;
    expect((await readFile(path.join(modelsRoot, file.relativePath))).equals(served.bytes)).toBe(
      true,
    );
  }
  expect(
    (await readdir(path.join(modelsRoot, 'unit'))).filter((name) =>
      name.endsWith('.modeldock-part'),
    ),
  ).toEqual([]);
}

describe('a bundle of many small files', () => {
  it('on a store and an index with batch writes: every file completed, hashed and indexed, in batched writes only', async () => {
    const store = new BatchingStore();
    const fileIndex = new BatchingFileIndex();
    const files = serveSmallFiles(300);
    const { manager } = await startManager(store, fileIndex, files, LONG_DEFER);
    const { jobId } = await manager.enqueue({ url: 'bundle:many', folder: 'unit' });
    await finished(store, jobId);
    await expectEveryFileDone(store, fileIndex, jobId, files);
    // Never a write per file: the 300 completions went in two batches (256 of them, then the rest).
    expect(store.singleFileWrites).toBe(0);
    expect(store.completionBatches()).toBe(2);
    expect(store.jobWritesWithFiles).toBe(0);
    expect(store.jobWritesWithoutFiles).toBeGreaterThan(0);
    expect(fileIndex.singleRecords).toBe(0);
    // Entered into the index a batch at a time, as their records were stored.
    expect(fileIndex.recordManyCalls).toBeGreaterThanOrEqual(1);
    expect(fileIndex.recordManyCalls).toBeLessThanOrEqual(2);
  });

  it('on the plain memory store and index: the same', async () => {
    const store = new MemoryJobStore();
    const fileIndex = new MemoryFileIndex();
    const files = serveSmallFiles(300);
    const { manager } = await startManager(store, fileIndex, files);
    const { jobId } = await manager.enqueue({ url: 'bundle:many', folder: 'unit' });
    await finished(store, jobId);
    await expectEveryFileDone(store, fileIndex, jobId, files);
  });

  describe('on the SQL store over PGlite', () => {
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

    it('every file completed, hashed and indexed', async () => {
      await clearAllTables(database!);
      const files = serveSmallFiles(300);
      const { manager } = await startManager(database!.jobs, database!.fileIndex, files);
      const { jobId } = await manager.enqueue({ url: 'bundle:many', folder: 'unit' });
      await finished(database!.jobs, jobId);
      await expectEveryFileDone(database!.jobs, database!.fileIndex, jobId, files);
    });
  });
});

describe('a small file renamed into place whose completion was never stored', () => {
  /** What the store holds of a file whose completion was lost: queued, with every byte durable. */
  async function expectDurableButNotCompleted(
    store: JobStore,
    jobId: string,
    files: OriginFile[],
  ): Promise<void> {
    const job = (await store.getJob(jobId))!;
    expect(job.files.map((file) => [file.status, file.bytesDone, file.sha256])).toEqual(
      files.map((file) => ['queued', file.bytes.length, null]),
    );
    for (const file of job.files) {
      expect(
        (await readFile(path.join(modelsRoot, file.relativePath))).equals(files[file.index]!.bytes),
      ).toBe(true);
    }
  }

  it('is adopted by the next run when the process stopped before the completions were stored', async () => {
    const inner = new BatchingStore();
    const files = serveSmallFiles(24);
    const dying = dyingAtFirstCompletion(inner);
    // Not kept for stopping: this process is dead, its calls never return.
    const first = await startManager(dying.store, new MemoryFileIndex(), files, LONG_DEFER, false);
    const { jobId } = await first.manager.enqueue({ url: 'bundle:crash', folder: 'unit' });
    await waitUntil(dying.died, 'the process to die storing the completions', 30_000);
    // Still held by the dead worker, every file verified or being verified.
    expect(await inner.getJob(jobId)).toMatchObject({
      status: 'verifying',
      leaseOwner: 'worker-a',
    });
    await expectDurableButNotCompleted(inner, jobId, files);

    const requestsBefore = origin.requests.length;
    const fileIndex = new MemoryFileIndex();
    const restarted = await startManager(inner, fileIndex, files);
    await finished(inner, jobId);
    await expectEveryFileDone(inner, fileIndex, jobId, files);
    // Verified where they lay: not one byte fetched again, not one refused.
    expect(origin.requests.length).toBe(requestsBefore);
    expect(restarted.logger.lines.filter((line) => line.message === ADOPTED)).toHaveLength(
      files.length,
    );
    expect(restarted.logger.text()).not.toContain('DESTINATION_EXISTS');
  });

  it('is adopted on retry when storing the completions failed', async () => {
    const store = new BatchingStore();
    store.failCompletionsWith = new Error('database went away');
    const files = serveSmallFiles(24);
    const fileIndex = new MemoryFileIndex();
    const { manager, logger } = await startManager(store, fileIndex, files, LONG_DEFER);
    const { jobId } = await manager.enqueue({ url: 'bundle:failing', folder: 'unit' });
    const failed = await finished(store, jobId);
    expect(failed).toMatchObject({
      status: 'failed',
      error: { code: 'INTERNAL', message: 'database went away' },
    });
    await expectDurableButNotCompleted(store, jobId, files);

    store.failCompletionsWith = null;
    const requestsBefore = origin.requests.length;
    await manager.retry(jobId);
    await finished(store, jobId);
    await expectEveryFileDone(store, fileIndex, jobId, files);
    expect(origin.requests.length).toBe(requestsBefore);
    expect(logger.lines.filter((line) => line.message === ADOPTED)).toHaveLength(files.length);
  });
});
