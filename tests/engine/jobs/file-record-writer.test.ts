/**
 * The file record writer on its own, over a memory store and the fake clock: which writes share a
 * store call, in what order patches land, when deferred writes are stored, and where a failure goes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FilePatch, FileRecord, FileUpdate, JobRecord } from '@modeldock/engine';
import { FileRecordWriter } from '@modeldock/engine/internal/jobs/file-record-writer';
import type { FileRecordWriterOptions } from '@modeldock/engine/internal/jobs/file-record-writer';
import { MemoryJobStore } from '../../support/memory-job-store';
import { FakeClock, settle } from './helpers/fake-clock';

const DEFER_MS = 100;

/** A memory store with `updateFiles` that writes down each call and can hold or fail it. */
class BatchingStore extends MemoryJobStore {
  readonly batches: FileUpdate[][] = [];
  readonly batchTimes: Date[] = [];
  /** The next calls wait for these to be opened, first come first served. */
  private readonly holds: Array<Promise<void>> = [];
  failWith: Error | null = null;

  /** Holds the next updateFiles call until the returned function is called. */
  holdNext(): () => void {
    let open!: () => void;
    this.holds.push(new Promise<void>((resolve) => (open = resolve)));
    return open;
  }

  override async updateFiles(updates: FileUpdate[], now: Date): Promise<void> {
    this.batches.push(structuredClone(updates));
    this.batchTimes.push(now);
    const hold = this.holds.shift();
    if (hold) await hold;
    if (this.failWith) throw this.failWith;
    for (const { fileId, patch } of updates) await this.updateFile(fileId, patch, now);
  }
}

let clock: FakeClock;
let store: BatchingStore;
let job: JobRecord;
let writer: FileRecordWriter | null;
const stored: number[] = [];
const failures: unknown[] = [];

function fileId(index: number): string {
  return job.files[index]!.id;
}

function newWriter(options: Partial<FileRecordWriterOptions> = {}): FileRecordWriter {
  writer = new FileRecordWriter({
    store,
    clock,
    now: () => new Date(clock.now()),
    deferMs: DEFER_MS,
    onDeferredStored: () => stored.push(clock.now()),
    onDeferredFailed: (error) => failures.push(error),
    ...options,
  });
  return writer;
}

async function storedFile(index: number): Promise<FileRecord> {
  return (await store.getJob(job.id))!.files[index]!;
}

/** The file indexes and patches of a store call, for readable expectations. */
function described(updates: FileUpdate[]): Array<[number, FilePatch]> {
  return updates.map(({ fileId: id, patch }) => [
    job.files.findIndex((file) => file.id === id),
    patch,
  ]);
}

/** Whether the promise settled within the turns `settle` lets run. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await settle();
  return settled;
}

beforeEach(async () => {
  clock = new FakeClock(Date.parse('2030-01-01T00:00:00.000Z'));
  store = new BatchingStore();
  stored.length = 0;
  failures.length = 0;
  writer = null;
  job = await store.createJob(
    {
      source: 'bundle:x',
      kind: 'direct',
      priority: 0,
      files: Array.from({ length: 300 }, (_, index) => ({
        url: `https://cdn.example/${index}.json`,
        name: `${index}.json`,
        relativePath: `unit/${index}.json`,
        bytesTotal: 10,
        expectedSha256: null,
        credential: null,
        revision: null,
      })),
    },
    new Date(clock.now()),
  );
});

afterEach(() => {
  writer?.close();
});

describe('write', () => {
  it('stores the writes of one turn in one call, in order, and resolves them once it is stored', async () => {
    const records = newWriter();
    const open = store.holdNext();
    const written = Promise.all([
      records.write(fileId(0), { bytesDone: 4 }),
      records.write(fileId(1), { status: 'running' }),
      records.write(fileId(0), { bytesDone: 10, bytesTotal: 10 }),
    ]);
    await settle();
    expect(store.batches.map(described)).toEqual([
      [
        [0, { bytesDone: 4 }],
        [1, { status: 'running' }],
        [0, { bytesDone: 10, bytesTotal: 10 }],
      ],
    ]);
    expect(store.batchTimes).toEqual([new Date(clock.now())]);
    expect(await isSettled(written)).toBe(false);
    open();
    await written;
    expect(await storedFile(0)).toMatchObject({ bytesDone: 10, bytesTotal: 10, status: 'queued' });
    expect(await storedFile(1)).toMatchObject({ status: 'running', bytesDone: 0 });
    expect(stored).toEqual([]);
  });

  it('gathers the writes made while a call is storing into the next one', async () => {
    const records = newWriter();
    const openFirst = store.holdNext();
    const first = records.write(fileId(0), { bytesDone: 1 });
    await settle();
    expect(store.batches).toHaveLength(1);
    // Three writes in three later turns, all while the first call is stored.
    const later: Array<Promise<void>> = [];
    for (const index of [1, 2, 3]) {
      later.push(records.write(fileId(index), { bytesDone: index }));
      await settle();
    }
    expect(store.batches).toHaveLength(1);
    expect(await isSettled(Promise.all(later))).toBe(false);
    openFirst();
    await Promise.all([first, ...later]);
    expect(store.batches.map(described)).toEqual([
      [[0, { bytesDone: 1 }]],
      [
        [1, { bytesDone: 1 }],
        [2, { bytesDone: 2 }],
        [3, { bytesDone: 3 }],
      ],
    ]);
  });

  it('rejects the writes of a call that failed, and stores the next call as usual', async () => {
    const records = newWriter();
    store.failWith = new Error('database went away');
    const failed = [
      records.write(fileId(0), { bytesDone: 1 }),
      records.write(fileId(1), { bytesDone: 1 }),
    ];
    for (const write of failed) await expect(write).rejects.toThrow('database went away');
    // Nothing deferred was in it: no one else is told, and flush has nothing to report.
    expect(failures).toEqual([]);
    await expect(records.flush()).resolves.toBeUndefined();

    store.failWith = null;
    await records.write(fileId(0), { bytesDone: 2 });
    expect(await storedFile(0)).toMatchObject({ bytesDone: 2 });
    expect(await storedFile(1)).toMatchObject({ bytesDone: 0 });
  });
});

describe('defer', () => {
  it('stores deferred writes together once deferMs has passed since the first', async () => {
    const records = newWriter();
    records.defer(fileId(0), { status: 'completed', bytesDone: 10 });
    await clock.advance(60);
    records.defer(fileId(1), { status: 'completed', bytesDone: 10 });
    await clock.advance(DEFER_MS - 60 - 1);
    expect(store.batches).toEqual([]);
    expect((await storedFile(0)).status).toBe('queued');

    await clock.advance(1);
    expect(store.batches.map(described)).toEqual([
      [
        [0, { status: 'completed', bytesDone: 10 }],
        [1, { status: 'completed', bytesDone: 10 }],
      ],
    ]);
    expect((await storedFile(0)).status).toBe('completed');
    expect((await storedFile(1)).status).toBe('completed');
    expect(stored).toEqual([clock.now()]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('stores them at once when 256 are waiting, and starts a new wait for the next', async () => {
    const records = newWriter();
    for (let index = 0; index < 255; index++) records.defer(fileId(index), { status: 'completed' });
    await settle();
    expect(store.batches).toEqual([]);
    expect(clock.pendingTimers()).toBe(1);

    records.defer(fileId(255), { status: 'completed' });
    await settle();
    expect(store.batches).toHaveLength(1);
    expect(store.batches[0]!.map((update) => update.fileId)).toEqual(
      job.files.slice(0, 256).map((file) => file.id),
    );
    expect(clock.pendingTimers()).toBe(0);
    expect(stored).toHaveLength(1);

    records.defer(fileId(256), { status: 'completed' });
    await settle();
    expect(store.batches).toHaveLength(1);
    await clock.advance(DEFER_MS);
    expect(store.batches.map(described)[1]).toEqual([[256, { status: 'completed' }]]);
  });

  it('a write of a file with a deferred patch stores the deferred patches first, so the write lands last', async () => {
    const records = newWriter();
    records.defer(fileId(0), { status: 'completed', bytesDone: 10, sha256: 'a'.repeat(64) });
    records.defer(fileId(1), { status: 'completed', bytesDone: 10 });
    await records.write(fileId(0), { status: 'failed', bytesDone: 0 });
    expect(store.batches.map(described)).toEqual([
      [
        [0, { status: 'completed', bytesDone: 10, sha256: 'a'.repeat(64) }],
        [1, { status: 'completed', bytesDone: 10 }],
        [0, { status: 'failed', bytesDone: 0 }],
      ],
    ]);
    expect(await storedFile(0)).toMatchObject({
      status: 'failed',
      bytesDone: 0,
      sha256: 'a'.repeat(64),
    });
    expect(await storedFile(1)).toMatchObject({ status: 'completed' });
    expect(stored).toHaveLength(1);
    // The deferred ones are gone: the timer finds nothing left to store.
    await clock.advance(DEFER_MS * 2);
    expect(store.batches).toHaveLength(1);
  });

  it('a write of another file leaves the deferred patches waiting for their time', async () => {
    const records = newWriter();
    records.defer(fileId(0), { status: 'completed' });
    await records.write(fileId(1), { bytesDone: 5 });
    expect(store.batches.map(described)).toEqual([[[1, { bytesDone: 5 }]]]);
    await clock.advance(DEFER_MS);
    expect(store.batches.map(described)[1]).toEqual([[0, { status: 'completed' }]]);
  });

  it('a failed call holding deferred writes is told to onDeferredFailed, and thrown by the next flush once', async () => {
    const records = newWriter();
    const error = new Error('disk of the database is full');
    store.failWith = error;
    records.defer(fileId(0), { status: 'completed' });
    await clock.advance(DEFER_MS);
    expect(store.batches).toHaveLength(1);
    expect(failures).toEqual([error]);
    expect(stored).toEqual([]);
    await expect(records.flush()).rejects.toBe(error);
    await expect(records.flush()).resolves.toBeUndefined();
    expect((await storedFile(0)).status).toBe('queued');
  });

  it('a write sharing a call with deferred writes fails with them, and the failure is reported once', async () => {
    const records = newWriter();
    const error = new Error('connection reset');
    store.failWith = error;
    records.defer(fileId(0), { status: 'completed' });
    const write = records.write(fileId(0), { status: 'failed' });
    await expect(write).rejects.toBe(error);
    expect(store.batches).toHaveLength(1);
    expect(failures).toEqual([error]);
    await expect(records.flush()).rejects.toBe(error);
  });
});

describe('flush', () => {
  it('stores what is deferred now, without waiting for the timer, and waits for it', async () => {
    const records = newWriter();
    records.defer(fileId(0), { status: 'completed', bytesDone: 10 });
    records.defer(fileId(1), { status: 'completed', bytesDone: 10 });
    await records.flush();
    expect(store.batches.map(described)).toEqual([
      [
        [0, { status: 'completed', bytesDone: 10 }],
        [1, { status: 'completed', bytesDone: 10 }],
      ],
    ]);
    expect((await storedFile(1)).status).toBe('completed');
    expect(stored).toHaveLength(1);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('waits for the call being stored, and stores nothing when nothing is waiting', async () => {
    const records = newWriter();
    await records.flush();
    expect(store.batches).toEqual([]);

    const open = store.holdNext();
    const write = records.write(fileId(0), { bytesDone: 3 });
    await settle();
    const flushed = records.flush();
    expect(await isSettled(flushed)).toBe(false);
    open();
    await flushed;
    await write;
    expect(store.batches).toHaveLength(1);
  });

  it('stores deferred writes after the call being stored, never beside it', async () => {
    const records = newWriter();
    const open = store.holdNext();
    const write = records.write(fileId(0), { bytesDone: 10 });
    await settle();
    records.defer(fileId(0), { status: 'completed' });
    const flushed = records.flush();
    await settle();
    expect(store.batches).toHaveLength(1);
    open();
    await Promise.all([write, flushed]);
    expect(store.batches.map(described)).toEqual([
      [[0, { bytesDone: 10 }]],
      [[0, { status: 'completed' }]],
    ]);
    expect(await storedFile(0)).toMatchObject({ bytesDone: 10, status: 'completed' });
  });
});

describe('close', () => {
  it('stops the timer: what is deferred stays unwritten until a flush', async () => {
    const records = newWriter();
    records.defer(fileId(0), { status: 'completed' });
    records.close();
    expect(clock.pendingTimers()).toBe(0);
    await clock.advance(DEFER_MS * 10);
    expect(store.batches).toEqual([]);
    await records.flush();
    expect(store.batches.map(described)).toEqual([[[0, { status: 'completed' }]]]);
  });
});
