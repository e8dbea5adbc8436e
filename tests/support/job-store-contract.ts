/**
 * The JobStore contract: what packages/engine/src/ports.ts promises, as tests any implementation
 * must pass (the SQL store on PGlite and PostgreSQL, the in-memory store of the engine tests).
 * Each test gets an empty store from the factory and closes it afterwards.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toJobSummary } from '@modeldock/engine';
import type { JobRecord, JobStore, NewJob } from '@modeldock/engine';
import { newFile, newJob } from './factories';

export interface JobStoreUnderTest {
  store: JobStore;
  close(): Promise<void>;
}

export type JobStoreFactory = () => Promise<JobStoreUnderTest>;

export interface ContractOptions {
  /** Test names to skip, each with the reason printed in the run (a known, reported difference). */
  knownDifferences?: Record<string, string>;
}

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const at = (ms: number): Date => new Date(T0 + ms);
const LEASE_MS = 1_000;

export function describeJobStoreContract(
  name: string,
  factory: JobStoreFactory,
  options: ContractOptions = {},
): void {
  describe(`JobStore contract: ${name}`, () => {
    let subject: JobStoreUnderTest;
    let store: JobStore;

    beforeEach(async () => {
      subject = await factory();
      store = subject.store;
    });

    afterEach(async () => {
      await subject?.close();
    });

    /** `it`, unless this implementation is known (and reported) to differ on this behaviour. */
    function test(title: string, body: () => Promise<void>): void {
      const reason = options.knownDifferences?.[title];
      if (reason) {
        console.log(`[${name}] skipping "${title}": ${reason}`);
        it.skip(title, body);
      } else {
        it(title, body);
      }
    }

    async function create(overrides: Partial<NewJob> = {}, now: Date = at(0)): Promise<JobRecord> {
      return store.createJob(newJob(overrides), now);
    }

    describe('createJob and getJob', () => {
      test('creates a queued job with its files in order and everything else at its default', async () => {
        const files = [
          newFile('loras/a.safetensors', {
            bytesTotal: 10,
            expectedSha256: 'a'.repeat(64),
            credential: 'civitai',
          }),
          newFile('loras/b.safetensors', { bytesTotal: null, revision: 'abc123' }),
        ];
        const job = await store.createJob(
          { source: 'civitai:1', kind: 'civitai', priority: 3, files },
          at(5),
        );

        expect(job).toMatchObject({
          status: 'queued',
          source: 'civitai:1',
          kind: 'civitai',
          priority: 3,
          error: null,
          stalled: null,
          bandwidthLimitBps: null,
          speedBps: 0,
          attempts: 0,
          onFileFailure: 'keep',
          warnings: [],
          node: null,
          leaseOwner: null,
          leaseExpiresAt: null,
          startedAt: null,
          finishedAt: null,
        });
        expect(job.createdAt).toEqual(at(5));
        expect(job.updatedAt).toEqual(at(5));
        expect(job.files).toHaveLength(2);
        expect(job.files[0]).toMatchObject({
          jobId: job.id,
          index: 0,
          url: files[0]!.url,
          name: 'a.safetensors',
          relativePath: 'loras/a.safetensors',
          bytesDone: 0,
          bytesTotal: 10,
          expectedSha256: 'a'.repeat(64),
          sha256: null,
          status: 'queued',
          validator: null,
          segments: null,
          credential: 'civitai',
          format: null,
          revision: null,
          error: null,
        });
        expect(job.files[1]).toMatchObject({
          index: 1,
          bytesTotal: null,
          revision: 'abc123',
          credential: null,
        });
        expect(job.files[0]!.id).not.toEqual(job.files[1]!.id);

        expect(await store.getJob(job.id)).toEqual(job);
      });

      test('keeps the per-job bandwidth limit and rollback choice', async () => {
        const job = await create({ bandwidthLimitBps: 5_000_000, onFileFailure: 'rollback' });
        expect(await store.getJob(job.id)).toMatchObject({
          bandwidthLimitBps: 5_000_000,
          onFileFailure: 'rollback',
        });
      });

      test('a job created completed (every file present) is finished at once', async () => {
        const job = await store.createJob(
          newJob({ status: 'completed', files: [newFile('present.gguf', { status: 'present' })] }),
          at(7),
        );
        expect(job.status).toBe('completed');
        expect(job.finishedAt).toEqual(at(7));
        expect(job.files[0]!.status).toBe('present');
        expect(await store.getJob(job.id)).toEqual(job);
      });

      test('ids are unique and URL-safe, and queueOrder follows arrival', async () => {
        const jobs = [];
        for (let i = 0; i < 5; i++) jobs.push(await create({}, at(i)));
        expect(new Set(jobs.map((job) => job.id)).size).toBe(5);
        for (const job of jobs) expect(encodeURIComponent(job.id)).toBe(job.id);
        const orders = jobs.map((job) => job.queueOrder);
        expect([...orders].sort((a, b) => a - b)).toEqual(orders);
        expect(new Set(orders).size).toBe(5);
      });

      test('getJob of an unknown id is null', async () => {
        expect(await store.getJob('no-such-job')).toBeNull();
      });

      test('returned records are copies: changing one changes nothing stored', async () => {
        const job = await create();
        job.status = 'failed';
        job.files[0]!.bytesDone = 999;
        job.warnings.push('mutated');
        expect(await store.getJob(job.id)).toMatchObject({ status: 'queued', warnings: [] });
        expect((await store.getJob(job.id))!.files[0]!.bytesDone).toBe(0);
      });
    });

    describe('listJobs', () => {
      test('pages newest first with an opaque cursor until the end', async () => {
        const created = [];
        for (let i = 0; i < 5; i++) created.push(await create({}, at(i * 1_000)));
        const newestFirst = created.map((job) => job.id).reverse();

        const seen: string[] = [];
        let cursor: string | null = null;
        const pageSizes: number[] = [];
        do {
          const page = await store.listJobs({ limit: 2, cursor });
          pageSizes.push(page.items.length);
          seen.push(...page.items.map((job) => job.id));
          cursor = page.nextCursor;
        } while (cursor);

        expect(pageSizes).toEqual([2, 2, 1]);
        expect(seen).toEqual(newestFirst);
      });

      test('a page that ends exactly at the last job has no next cursor', async () => {
        await create({}, at(0));
        await create({}, at(1));
        const page = await store.listJobs({ limit: 2 });
        expect(page.items).toHaveLength(2);
        expect(page.nextCursor).toBeNull();
        expect(await store.listJobs({ limit: 10 })).toMatchObject({ nextCursor: null });
      });

      test('jobs created in the same millisecond still come newest first', async () => {
        const a = await create({}, at(0));
        const b = await create({}, at(0));
        const c = await create({}, at(0));
        const page = await store.listJobs({ limit: 10 });
        expect(page.items.map((job) => job.id)).toEqual([c.id, b.id, a.id]);
      });

      test('a cursor keeps its place while newer jobs arrive', async () => {
        const older = [];
        for (let i = 0; i < 4; i++) older.push(await create({}, at(i * 1_000)));
        const first = await store.listJobs({ limit: 2 });
        await create({}, at(10_000));
        const second = await store.listJobs({ limit: 2, cursor: first.nextCursor });
        expect(first.items.map((job) => job.id)).toEqual([older[3]!.id, older[2]!.id]);
        expect(second.items.map((job) => job.id)).toEqual([older[1]!.id, older[0]!.id]);
        expect(second.nextCursor).toBeNull();
      });

      test('filters by status, across pages', async () => {
        const queued = [];
        for (let i = 0; i < 3; i++) queued.push(await create({}, at(i * 1_000)));
        const paused = await create({}, at(500));
        await store.updateJob(paused.id, { status: 'paused' }, at(600));

        const first = await store.listJobs({ statuses: ['queued'], limit: 2 });
        const second = await store.listJobs({
          statuses: ['queued'],
          limit: 2,
          cursor: first.nextCursor,
        });
        expect([...first.items, ...second.items].map((job) => job.id)).toEqual(
          queued.map((job) => job.id).reverse(),
        );
        expect(second.nextCursor).toBeNull();

        const onlyPaused = await store.listJobs({ statuses: ['paused', 'failed'], limit: 10 });
        expect(onlyPaused.items.map((job) => job.id)).toEqual([paused.id]);
        expect((await store.listJobs({ statuses: [], limit: 10 })).items).toHaveLength(4);
      });

      test('items carry their files', async () => {
        const job = await create({ files: [newFile('a.gguf'), newFile('b.gguf')] });
        const page = await store.listJobs({ limit: 10 });
        expect(page.items[0]!.files.map((file) => file.relativePath)).toEqual(['a.gguf', 'b.gguf']);
        expect(page.items[0]).toEqual(await store.getJob(job.id));
      });

      test('rejects a cursor it did not give out', async () => {
        await create();
        await expect(store.listJobs({ limit: 10, cursor: 'not-a-cursor' })).rejects.toMatchObject({
          code: 'INVALID_INPUT',
        });
      });
    });

    describe('claimNextJob', () => {
      test('takes the highest priority first, then the oldest arrival', async () => {
        const low1 = await create({ priority: 0 }, at(0));
        const high1 = await create({ priority: 5 }, at(1));
        const high2 = await create({ priority: 5 }, at(2));
        const low2 = await create({ priority: 0 }, at(3));

        const order = [];
        for (let i = 0; i < 4; i++)
          order.push((await store.claimNextJob(`worker-${i}`, LEASE_MS, at(10)))!.id);
        expect(order).toEqual([high1.id, high2.id, low1.id, low2.id]);
        expect(await store.claimNextJob('worker-x', LEASE_MS, at(10))).toBeNull();
      });

      test('sets the job running under the worker’s lease', async () => {
        const job = await create();
        const claimed = await store.claimNextJob('worker-a', LEASE_MS, at(100));
        expect(claimed).toMatchObject({ id: job.id, status: 'running', leaseOwner: 'worker-a' });
        expect(claimed!.leaseExpiresAt).toEqual(at(100 + LEASE_MS));
        expect(claimed!.files).toHaveLength(1);
        expect(await store.getJob(job.id)).toMatchObject({
          status: 'running',
          leaseOwner: 'worker-a',
          leaseExpiresAt: at(1_100),
        });
      });

      test('a job for a node is taken only by a worker of that name, even after its lease expired', async () => {
        const forB = await create({ node: 'gpu-b', priority: 5 });
        const forAny = await create();
        expect(forB.node).toBe('gpu-b');
        expect((await store.getJob(forAny.id))!.node).toBeNull();
        // Worker A skips B's job, higher priority though it is, and takes the one for any node.
        expect((await store.claimNextJob('worker-a', LEASE_MS, at(10), 'gpu-a'))!.id).toBe(
          forAny.id,
        );
        expect(await store.claimNextJob('worker-a', LEASE_MS, at(11), 'gpu-a')).toBeNull();
        await store.updateJob(forAny.id, { status: 'completed', releaseLease: true }, at(12));
        // A worker that gives no name takes only jobs for any node.
        expect(await store.claimNextJob('worker-x', LEASE_MS, at(12))).toBeNull();
        const taken = await store.claimNextJob('worker-b', LEASE_MS, at(20), 'gpu-b');
        expect(taken).toMatchObject({ id: forB.id, node: 'gpu-b', leaseOwner: 'worker-b' });
        // B died: its lease runs out, and still only a worker named gpu-b may carry the job on.
        expect(
          await store.claimNextJob('worker-a', LEASE_MS, at(LEASE_MS * 5), 'gpu-a'),
        ).toBeNull();
        expect(
          await store.claimNextJob('worker-b2', LEASE_MS, at(LEASE_MS * 5), 'gpu-b'),
        ).toMatchObject({
          id: forB.id,
          leaseOwner: 'worker-b2',
        });
      });

      test('never takes paused or finished jobs', async () => {
        for (const status of ['paused', 'completed', 'failed', 'cancelled'] as const) {
          const job = await create();
          await store.updateJob(job.id, { status }, at(1));
        }
        expect(await store.claimNextJob('worker-a', LEASE_MS, at(10))).toBeNull();
      });

      test('skips a job whose lease is held and takes it over once the lease expired', async () => {
        const job = await create();
        await store.claimNextJob('worker-a', LEASE_MS, at(0));
        expect(await store.claimNextJob('worker-b', LEASE_MS, at(LEASE_MS / 2))).toBeNull();

        const taken = await store.claimNextJob('worker-b', LEASE_MS, at(LEASE_MS * 2));
        expect(taken).toMatchObject({ id: job.id, status: 'running', leaseOwner: 'worker-b' });
        expect(taken!.leaseExpiresAt).toEqual(at(LEASE_MS * 3));
      });

      test('a verifying job whose worker died is claimed again and stays verifying', async () => {
        const job = await create();
        await store.claimNextJob('worker-a', LEASE_MS, at(0));
        await store.updateJob(job.id, { status: 'verifying' }, at(1), 'worker-a');

        const taken = await store.claimNextJob('worker-b', LEASE_MS, at(LEASE_MS * 5));
        expect(taken).toMatchObject({ id: job.id, status: 'verifying', leaseOwner: 'worker-b' });
      });

      test('a queueOrder below minQueueOrder moves a job to the top of its priority', async () => {
        await create({}, at(0));
        await create({}, at(1));
        const last = await create({}, at(2));
        await store.updateJob(last.id, { queueOrder: (await store.minQueueOrder()) - 1 }, at(3));
        expect((await store.claimNextJob('worker-a', LEASE_MS, at(4)))!.id).toBe(last.id);
      });

      test('concurrent claims never hand out the same job twice', async () => {
        const jobs = [];
        for (let i = 0; i < 3; i++) jobs.push(await create({}, at(i)));
        const claims = await Promise.all(
          Array.from({ length: 6 }, (_, i) => store.claimNextJob(`worker-${i}`, LEASE_MS, at(10))),
        );
        const claimed = claims.filter((job) => job !== null).map((job) => job!.id);
        expect(claimed.sort()).toEqual(jobs.map((job) => job.id).sort());
      });
    });

    describe('renewLease', () => {
      test('extends a lease the worker still holds', async () => {
        const job = await create();
        await store.claimNextJob('worker-a', LEASE_MS, at(0));
        expect(await store.renewLease(job.id, 'worker-a', LEASE_MS, at(500))).toEqual({
          kind: 'held',
        });
        expect((await store.getJob(job.id))!.leaseExpiresAt).toEqual(at(1_500));
        // The renewed lease keeps others off past the original expiry.
        expect(await store.claimNextJob('worker-b', LEASE_MS, at(1_200))).toBeNull();
      });

      test('is lost once the user paused the job', async () => {
        const job = await create();
        await store.claimNextJob('worker-a', LEASE_MS, at(0));
        await store.updateJob(job.id, { status: 'paused', releaseLease: true }, at(100));
        expect(await store.renewLease(job.id, 'worker-a', LEASE_MS, at(200))).toEqual({
          kind: 'lost',
          status: 'paused',
        });
      });

      test('is lost once the user cancelled the job', async () => {
        const job = await create();
        await store.claimNextJob('worker-a', LEASE_MS, at(0));
        await store.updateJob(
          job.id,
          { status: 'cancelled', finishedAt: at(100), releaseLease: true },
          at(100),
        );
        expect(await store.renewLease(job.id, 'worker-a', LEASE_MS, at(200))).toEqual({
          kind: 'lost',
          status: 'cancelled',
        });
      });

      test('is lost when another worker took the job over', async () => {
        const job = await create();
        await store.claimNextJob('worker-a', LEASE_MS, at(0));
        await store.claimNextJob('worker-b', LEASE_MS, at(LEASE_MS * 2));
        expect(await store.renewLease(job.id, 'worker-a', LEASE_MS, at(LEASE_MS * 2 + 1))).toEqual({
          kind: 'lost',
          status: 'running',
        });
        expect((await store.getJob(job.id))!.leaseOwner).toBe('worker-b');
      });

      test('is lost with no status when the job was removed', async () => {
        const job = await create();
        await store.claimNextJob('worker-a', LEASE_MS, at(0));
        await store.deleteJobs([job.id]);
        expect(await store.renewLease(job.id, 'worker-a', LEASE_MS, at(1))).toEqual({
          kind: 'lost',
          status: null,
        });
      });
    });

    describe('updateJob', () => {
      test('sets what the patch names, leaves the rest, and null clears', async () => {
        const job = await create({ priority: 1 });
        const error = {
          code: 'NETWORK_ERROR' as const,
          message: 'Connection reset',
          causes: ['ECONNRESET: socket hang up'],
          httpStatus: 502,
          at: T0,
        };
        const stalled = {
          reason: 'Waiting to retry',
          code: 'SERVER_ERROR',
          nextAttemptAt: at(5_000).toISOString(),
          attempt: 2,
        };
        const updated = await store.updateJob(
          job.id,
          {
            priority: 9,
            queueOrder: -4,
            error,
            stalled,
            bandwidthLimitBps: 1_000_000,
            speedBps: 1234.5,
            attempts: 2,
            warnings: ['pickle format'],
            startedAt: at(10),
            finishedAt: at(20),
          },
          at(30),
        );
        expect(updated).toMatchObject({
          status: 'queued',
          priority: 9,
          queueOrder: -4,
          error,
          stalled,
          bandwidthLimitBps: 1_000_000,
          speedBps: 1234.5,
          attempts: 2,
          warnings: ['pickle format'],
          startedAt: at(10),
          finishedAt: at(20),
          createdAt: at(0),
          updatedAt: at(30),
        });
        expect(await store.getJob(job.id)).toEqual(updated);

        const cleared = await store.updateJob(
          job.id,
          { error: null, stalled: null, bandwidthLimitBps: null, finishedAt: null },
          at(40),
        );
        expect(cleared).toMatchObject({
          error: null,
          stalled: null,
          bandwidthLimitBps: null,
          finishedAt: null,
          priority: 9,
          attempts: 2,
          startedAt: at(10),
          updatedAt: at(40),
        });
      });

      test('releaseLease clears the owner and the expiry', async () => {
        const job = await create();
        await store.claimNextJob('worker-a', LEASE_MS, at(0));
        const updated = await store.updateJob(
          job.id,
          { status: 'queued', releaseLease: true },
          at(1),
        );
        expect(updated).toMatchObject({ status: 'queued', leaseOwner: null, leaseExpiresAt: null });
      });

      test('with an ownerId, only the worker holding the lease can write', async () => {
        const job = await create();
        await store.claimNextJob('worker-a', LEASE_MS, at(0));

        expect(await store.updateJob(job.id, { speedBps: 10 }, at(1), 'worker-a')).toMatchObject({
          speedBps: 10,
        });
        expect(await store.updateJob(job.id, { speedBps: 20 }, at(2), 'worker-b')).toBeNull();
        expect((await store.getJob(job.id))!.speedBps).toBe(10);

        // The user pauses: the old worker's late write must not bring the job back to life.
        await store.updateJob(job.id, { status: 'paused', releaseLease: true }, at(3));
        expect(
          await store.updateJob(job.id, { status: 'completed' }, at(4), 'worker-a'),
        ).toBeNull();
        expect(await store.getJob(job.id)).toMatchObject({ status: 'paused', updatedAt: at(3) });
      });

      test('a worker whose job was taken over cannot write any more', async () => {
        const job = await create();
        await store.claimNextJob('worker-a', LEASE_MS, at(0));
        await store.claimNextJob('worker-b', LEASE_MS, at(LEASE_MS * 2));
        expect(
          await store.updateJob(job.id, { status: 'failed' }, at(LEASE_MS * 2 + 1), 'worker-a'),
        ).toBeNull();
        expect(
          await store.updateJob(
            job.id,
            { status: 'completed', releaseLease: true },
            at(LEASE_MS * 2 + 2),
            'worker-b',
          ),
        ).toMatchObject({
          status: 'completed',
          leaseOwner: null,
        });
      });

      test('an unknown job gives null', async () => {
        expect(await store.updateJob('no-such-job', { priority: 1 }, at(0))).toBeNull();
        expect(await store.updateJob('no-such-job', { priority: 1 }, at(0), 'worker-a')).toBeNull();
      });
    });

    describe('updateFile', () => {
      test('round-trips bytes, segments, validator, hashes, format and error', async () => {
        const job = await create({
          files: [newFile('big.safetensors', { bytesTotal: null }), newFile('other.json')],
        });
        const [file, other] = job.files;
        const fiveGiB = 5 * 1024 ** 3;
        const segments = [
          { start: 0, end: fiveGiB / 2, done: 123_456_789 },
          { start: fiveGiB / 2, end: fiveGiB, done: 0 },
        ];
        const patch = {
          status: 'running' as const,
          bytesDone: 4_500_000_000,
          bytesTotal: fiveGiB,
          sha256: 'b'.repeat(64),
          expectedSha256: 'b'.repeat(64),
          validator: { etag: '"abc"', lastModified: 'Wed, 01 Jan 2030 00:00:00 GMT' },
          segments,
          format: 'safetensors' as const,
          error: { code: 'HASH_MISMATCH' as const, message: 'Expected b…, got c…', at: T0 },
          url: 'https://cdn.example/big.safetensors',
          revision: 'deadbeef',
        };
        await store.updateFile(file!.id, patch, at(50));

        const stored = await store.getJob(job.id);
        expect(stored!.files[0]).toEqual({ ...file, ...patch });
        expect(stored!.files[1]).toEqual(other);

        await store.updateFile(
          file!.id,
          { validator: null, segments: null, error: null, format: null },
          at(60),
        );
        expect((await store.getJob(job.id))!.files[0]).toMatchObject({
          validator: null,
          segments: null,
          error: null,
          format: null,
          bytesDone: 4_500_000_000,
          status: 'running',
        });
      });

      test('an unknown file is ignored', async () => {
        await expect(
          store.updateFile('no-such-file', { bytesDone: 1 }, at(0)),
        ).resolves.toBeUndefined();
      });

      test('file progress shows wherever the job is read', async () => {
        const job = await create();
        await store.updateFile(job.files[0]!.id, { bytesDone: 77 }, at(1));
        expect((await store.getJob(job.id))!.files[0]!.bytesDone).toBe(77);
        expect((await store.listJobs({ limit: 1 })).items[0]!.files[0]!.bytesDone).toBe(77);
        expect((await store.listActiveJobs())[0]!.files[0]!.bytesDone).toBe(77);
        const claimed = await store.claimNextJob('worker-a', LEASE_MS, at(2));
        expect(claimed!.files[0]!.bytesDone).toBe(77);
      });
    });

    describe('findActiveJobByDestination', () => {
      test('finds the active job writing any of the destinations', async () => {
        const job = await create({ files: [newFile('a/one.gguf'), newFile('a/two.gguf')] });
        await create({ files: [newFile('b/other.gguf')] });
        expect((await store.findActiveJobByDestination(['x.gguf', 'a/two.gguf']))?.id).toBe(job.id);
        expect(await store.findActiveJobByDestination(['nothing/here.gguf'])).toBeNull();
        expect(await store.findActiveJobByDestination([])).toBeNull();
      });

      test('counts queued, running, paused and verifying jobs, not finished ones', async () => {
        for (const status of ['completed', 'failed', 'cancelled'] as const) {
          const job = await create({ files: [newFile(`${status}.gguf`)] });
          await store.updateJob(job.id, { status }, at(1));
          expect(await store.findActiveJobByDestination([`${status}.gguf`])).toBeNull();
        }
        for (const status of ['queued', 'running', 'paused', 'verifying'] as const) {
          const job = await create({ files: [newFile(`${status}.gguf`)] });
          await store.updateJob(job.id, { status }, at(1));
          expect((await store.findActiveJobByDestination([`${status}.gguf`]))?.id).toBe(job.id);
        }
      });

      test('returns the whole job, files included', async () => {
        const job = await create({ files: [newFile('c/one.gguf'), newFile('c/two.gguf')] });
        expect(await store.findActiveJobByDestination(['c/one.gguf'])).toEqual(job);
      });
    });

    describe('a job whose first step is still to run (findActiveJobByRequestKey, addPreparedFiles)', () => {
      const phase = { step: 'resolving' as const, detail: null, bytesDone: 0, bytesTotal: null };
      const request = { url: 'hf:org/model', folder: 'loras', include: ['*.safetensors'] };

      test('is created leased, with its phase and request and no file, and found by its request key', async () => {
        const job = await create({
          status: 'running',
          files: [],
          phase,
          request,
          requestKey: 'key-1',
          lease: { owner: 'worker-a', expiresAt: at(LEASE_MS) },
        });
        expect(job).toMatchObject({
          status: 'running',
          files: [],
          phase,
          request,
          requestKey: 'key-1',
          leaseOwner: 'worker-a',
        });
        expect(job.leaseExpiresAt?.getTime()).toBe(at(LEASE_MS).getTime());
        expect(await store.getJob(job.id)).toEqual(job);
        expect((await store.findActiveJobByRequestKey('key-1'))?.id).toBe(job.id);
        expect(await store.findActiveJobByRequestKey('key-2')).toBeNull();
        // Its live lease keeps it from other workers; a lapsed one hands it over, phase and all.
        expect(await store.claimNextJob('worker-b', LEASE_MS, at(10))).toBeNull();
        expect(await store.claimNextJob('worker-b', LEASE_MS, at(LEASE_MS + 1))).toMatchObject({
          id: job.id,
          leaseOwner: 'worker-b',
          phase,
        });
        await store.updateJob(job.id, { status: 'failed' }, at(LEASE_MS + 2));
        expect(await store.findActiveJobByRequestKey('key-1')).toBeNull();
      });

      test('addPreparedFiles stores the files and the patch at once, only for the lease holder', async () => {
        const job = await create({
          status: 'running',
          files: [],
          phase,
          request,
          lease: { owner: 'worker-a', expiresAt: at(LEASE_MS) },
        });
        const files = [
          newFile('loras/a.safetensors', {
            status: 'present',
            bytesDone: 1_000,
            sha256: 'a'.repeat(64),
          }),
          newFile('loras/b.safetensors'),
        ];
        const patch = {
          phase: null,
          request: null,
          source: 'hf://org/model@main',
          kind: 'huggingface',
          warnings: ['w'],
        };
        expect(await store.addPreparedFiles(job.id, files, patch, at(5), 'worker-b')).toBeNull();
        expect((await store.getJob(job.id))!.files).toEqual([]);
        const prepared = await store.addPreparedFiles(job.id, files, patch, at(5), 'worker-a');
        expect(prepared).toMatchObject({
          phase: null,
          request: null,
          source: 'hf://org/model@main',
          kind: 'huggingface',
          warnings: ['w'],
        });
        expect(
          prepared!.files.map((file) => [
            file.index,
            file.relativePath,
            file.status,
            file.bytesDone,
            file.sha256,
          ]),
        ).toEqual([
          [0, 'loras/a.safetensors', 'present', 1_000, 'a'.repeat(64)],
          [1, 'loras/b.safetensors', 'queued', 0, null],
        ]);
        expect(await store.getJob(job.id)).toEqual(prepared);
        expect((await store.findActiveJobByDestination(['loras/b.safetensors']))?.id).toBe(job.id);
      });
    });

    describe('deleteJobs, listFinishedJobIds, listActiveJobs, minQueueOrder', () => {
      test('deleteJobs removes jobs with their files and counts only those that existed', async () => {
        const a = await create();
        const b = await create();
        const keep = await create();
        expect(await store.deleteJobs([a.id, b.id, 'no-such-job'])).toBe(2);
        expect(await store.getJob(a.id)).toBeNull();
        expect(await store.getJob(b.id)).toBeNull();
        expect(await store.getJob(keep.id)).not.toBeNull();
        expect(await store.findActiveJobByDestination([a.files[0]!.relativePath])).toBeNull();
        await store.updateFile(a.files[0]!.id, { bytesDone: 5 }, at(1));
        expect(await store.deleteJobs([])).toBe(0);
      });

      test('deleteJobs with statuses removes only the jobs still in one of them', async () => {
        const failed = await create();
        const retried = await create();
        await store.updateJob(failed.id, { status: 'failed' }, at(1));
        await store.updateJob(retried.id, { status: 'queued' }, at(1));
        expect(
          await store.deleteJobs([failed.id, retried.id], ['completed', 'failed', 'cancelled']),
        ).toBe(1);
        expect(await store.getJob(failed.id)).toBeNull();
        expect((await store.getJob(retried.id))?.status).toBe('queued');
      });

      test('listFinishedJobIds lists completed, failed and cancelled jobs, optionally finished before a time', async () => {
        const completed = await create();
        const failed = await create();
        const cancelled = await create();
        await create();
        const paused = await create();
        await store.updateJob(
          completed.id,
          { status: 'completed', finishedAt: at(1_000) },
          at(1_000),
        );
        await store.updateJob(failed.id, { status: 'failed', finishedAt: at(2_000) }, at(2_000));
        await store.updateJob(
          cancelled.id,
          { status: 'cancelled', finishedAt: at(3_000) },
          at(3_000),
        );
        await store.updateJob(paused.id, { status: 'paused' }, at(500));

        expect((await store.listFinishedJobIds()).sort()).toEqual(
          [completed.id, failed.id, cancelled.id].sort(),
        );
        expect((await store.listFinishedJobIds(at(2_500))).sort()).toEqual(
          [completed.id, failed.id].sort(),
        );
        expect(await store.listFinishedJobIds(at(1_000))).toEqual([]);
      });

      test('listActiveJobs returns every queued, running, paused and verifying job with its files', async () => {
        const ids: Record<string, string> = {};
        for (const status of [
          'queued',
          'running',
          'paused',
          'verifying',
          'completed',
          'failed',
          'cancelled',
        ] as const) {
          const job = await create({
            files: [newFile(`${status}.gguf`), newFile(`${status}.json`)],
          });
          if (status !== 'queued') await store.updateJob(job.id, { status }, at(1));
          ids[status] = job.id;
        }
        const active = await store.listActiveJobs();
        expect(active.map((job) => job.id).sort()).toEqual(
          [ids.queued, ids.running, ids.paused, ids.verifying].sort() as string[],
        );
        for (const job of active) expect(job.files).toHaveLength(2);
      });

      test('minQueueOrder is the smallest queueOrder of any job', async () => {
        const a = await create();
        const b = await create();
        expect(await store.minQueueOrder()).toBe(Math.min(a.queueOrder, b.queueOrder));
        await store.updateJob(b.id, { queueOrder: a.queueOrder - 10 }, at(1));
        expect(await store.minQueueOrder()).toBe(a.queueOrder - 10);
      });
    });

    describe('events', () => {
      test('appendEvent gives decimal ids that only grow, and latestEventId follows', async () => {
        expect(await store.latestEventId()).toBe('0');
        const job = await create();
        const ids = [];
        for (const type of ['created', 'status', 'updated', 'removed'] as const) {
          const event = await store.appendEvent(
            job.id,
            type,
            type === 'removed' ? null : toJobSummary(job),
            at(ids.length),
          );
          expect(event).toMatchObject({ jobId: job.id, type });
          expect(event.id).toMatch(/^[0-9]+$/);
          ids.push(BigInt(event.id));
        }
        for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
        expect(await store.latestEventId()).toBe(ids[ids.length - 1]!.toString());
      });

      test('listEventsAfter returns what came after an id, oldest first, per job and limited', async () => {
        const a = await create();
        const b = await create();
        const events = [];
        for (let i = 0; i < 6; i++) {
          const job = i % 2 === 0 ? a : b;
          events.push(await store.appendEvent(job.id, 'status', toJobSummary(job), at(i)));
        }
        expect((await store.listEventsAfter('0')).map((event) => event.id)).toEqual(
          events.map((event) => event.id),
        );
        expect((await store.listEventsAfter(events[2]!.id)).map((event) => event.id)).toEqual(
          events.slice(3).map((event) => event.id),
        );
        expect((await store.listEventsAfter('0', b.id)).map((event) => event.id)).toEqual(
          [events[1], events[3], events[5]].map((event) => event!.id),
        );
        expect(
          (await store.listEventsAfter(events[1]!.id, undefined, 2)).map((event) => event.id),
        ).toEqual([events[2], events[3]].map((event) => event!.id));
        expect(await store.listEventsAfter(events[5]!.id)).toEqual([]);
      });

      test('events keep the job summary as it was, and outlive their job', async () => {
        const job = await create({ files: [newFile('kept.gguf')] });
        const summary = toJobSummary(job);
        const created = await store.appendEvent(job.id, 'created', summary, at(1));
        await store.deleteJobs([job.id]);
        const removed = await store.appendEvent(job.id, 'removed', null, at(2));

        const replay = await store.listEventsAfter('0', job.id);
        expect(replay).toEqual([
          { id: created.id, jobId: job.id, type: 'created', job: summary, createdAt: at(1) },
          { id: removed.id, jobId: job.id, type: 'removed', job: null, createdAt: at(2) },
        ]);
      });
    });
  });
}
