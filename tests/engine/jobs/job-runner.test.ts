import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ModeldockError, relativeDestination } from '@modeldock/engine';
import type { FileSystem, ResolvedSource, SourceResolver } from '@modeldock/engine';
import { SMALL_FILE_PARALLELISM } from '@modeldock/engine/internal/jobs/file-run-plan';
import { nodeFileSystemForTests } from '../../support/node-fs-for-tests';
import { createHarness, waitUntil } from './helpers/harness';
import type { Harness } from './helpers/harness';

let harness: Harness;
afterEach(async () => {
  await harness?.dispose();
});

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** A source of several files (a model unit such as z-image-turbo's three files). */
function bundle(names: string[], bytesTotal: number | null = 10): SourceResolver {
  return {
    kind: 'bundle',
    accepts: (input) => input.startsWith('bundle:'),
    async resolve(request): Promise<ResolvedSource> {
      return {
        kind: 'bundle',
        source: request.url,
        warnings: ['resolver says hello'],
        files: names.map((name) => ({
          url: `https://cdn.example/${name}`,
          name,
          relativePath: relativeDestination(request.folder ?? '', name),
          bytesTotal,
          expectedSha256: null,
          credential: null,
          revision: null,
          access: 'ok',
        })),
      };
    },
  };
}

function withFreeBytes(free: () => number): FileSystem {
  return { ...nodeFileSystemForTests(), freeBytes: async () => free() };
}

describe('running one file', () => {
  it('goes running → verifying → completed, recording hash, format, warnings and a structured log', async () => {
    harness = await createHarness();
    const { jobId } = await harness.manager.enqueue({ url: 'https://cdn.example/old.ckpt', folder: 'checkpoints' });
    const call = await harness.transfer.call(0);
    expect(call.file.status).toBe('running');
    expect(call.context.modelsRoot).toBe(harness.modelsRoot);
    await call.progress(4, 4);
    call.callbacks.onVerifying(2, 4);
    await harness.waitForStatus(jobId, 'verifying');
    await call.complete('data', { format: 'pickle', warnings: ['Pickle files can run code when loaded'] });
    const job = await harness.waitForStatus(jobId, 'completed');
    expect(job).toMatchObject({ bytesDone: 4, bytesTotal: 4, speedBps: 0, error: null });
    expect(job.warnings).toEqual(['Pickle files can run code when loaded']);
    expect(job.files[0]).toMatchObject({ status: 'completed', format: 'pickle' });
    expect(job.files[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    const statuses = harness.store.storedEvents().map((event) => event.job?.status);
    // Created running (its first step starts at once), running again once its file is known.
    expect(statuses).toEqual(['running', 'running', 'verifying', 'completed']);
    const done = harness.logger.find('job completed');
    expect(done?.fields).toMatchObject({ jobId, status: 'completed', kind: 'direct', files: 1 });
  });

  it('shows why it waits while the byte layer retries, and clears it when bytes flow again', async () => {
    harness = await createHarness();
    const { jobId } = await harness.manager.enqueue({ url: 'https://cdn.example/a.bin', folder: 'checkpoints' });
    const call = await harness.transfer.call(0);
    const stalled = { reason: 'Connection reset by peer', code: 'NETWORK_ERROR', nextAttemptAt: new Date().toISOString(), attempt: 2 };
    call.callbacks.onStalled(stalled);
    await waitUntil(async () => (await harness.manager.getJob(jobId)).stalled !== null, 'stalled to show');
    expect((await harness.manager.getJob(jobId)).stalled).toEqual(stalled);
    expect(harness.events.some((event) => event.type === 'updated' && event.job?.stalled?.code === 'NETWORK_ERROR')).toBe(true);
    expect(harness.logger.find('job stalled, retrying')?.fields).toMatchObject({ jobId, code: 'NETWORK_ERROR', attempt: 2 });
    call.callbacks.onStalled(null);
    await waitUntil(async () => (await harness.manager.getJob(jobId)).stalled === null, 'stalled to clear');
  });

  it('fails with the full error (code, message, redacted causes, HTTP status) on the job and the file', async () => {
    harness = await createHarness();
    const { jobId } = await harness.manager.enqueue({ url: 'https://cdn.example/a.bin', folder: 'checkpoints' });
    const call = await harness.transfer.call(0);
    const cause = new Error('GET https://cdn.example/a.bin?token=hunter2secret failed');
    call.fail(new ModeldockError('REMOTE_NOT_FOUND', 'The file does not exist (HTTP 404)', { cause, httpStatus: 404 }));
    const job = await harness.waitForStatus(jobId, 'failed');
    expect(job.error).toMatchObject({ code: 'REMOTE_NOT_FOUND', message: 'The file does not exist (HTTP 404)', httpStatus: 404 });
    expect(job.error!.causes![0]).toContain('token=[redacted]');
    expect(job.files[0]!.error?.code).toBe('REMOTE_NOT_FOUND');
    expect(job.finishedAt).not.toBeNull();
    const line = harness.logger.find('job failed');
    expect(line).toMatchObject({ level: 'error', fields: { jobId, status: 'failed', code: 'REMOTE_NOT_FOUND' } });
    expect(harness.logger.text()).not.toContain('hunter2secret');
  });

  it('forgets the durable offset when the byte layer discarded bad bytes', async () => {
    harness = await createHarness();
    const { jobId } = await harness.manager.enqueue({ url: 'https://cdn.example/a.bin', folder: 'checkpoints' });
    const call = await harness.transfer.call(0);
    await call.progress(500, 1000);
    call.fail(new ModeldockError('HASH_MISMATCH', 'SHA-256 differs from the published one'));
    const job = await harness.waitForStatus(jobId, 'failed');
    expect(job.files[0]).toMatchObject({ status: 'failed', bytesDone: 0 });

    const second = await harness.manager.enqueue({ url: 'https://cdn.example/b.safetensors', folder: 'checkpoints' });
    const secondCall = await harness.transfer.call(1);
    await secondCall.progress(500, 1000);
    secondCall.fail(new ModeldockError('INVALID_FORMAT', 'Not a safetensors file', { details: { discardPartial: true } }));
    const secondJob = await harness.waitForStatus(second.jobId, 'failed');
    expect(secondJob.files[0]).toMatchObject({ status: 'failed', bytesDone: 0 });
  });

  it('records a failure of its own store as the job error', async () => {
    harness = await createHarness();
    const original = harness.store.updateFile.bind(harness.store);
    let failNext = true;
    harness.store.updateFile = async (fileId, patch, now) => {
      if (patch.status === 'completed' && failNext) {
        failNext = false;
        throw new Error('database went away');
      }
      return original(fileId, patch, now);
    };
    const { jobId } = await harness.manager.enqueue({ url: 'https://cdn.example/a.bin', folder: 'checkpoints' });
    await (await harness.transfer.call(0)).complete('x');
    const job = await harness.waitForStatus(jobId, 'failed');
    expect(job.error).toMatchObject({ code: 'INTERNAL', message: 'database went away' });
  });
});

describe('running one file: unusual endings', () => {
  it('a job claimed back in verifying is running again once its file transfers again', async () => {
    harness = await createHarness({ start: false });
    const { jobId } = await harness.manager.enqueue({ url: 'https://cdn.example/a.bin', folder: 'checkpoints' });
    harness.store.patchDirectly(jobId, { status: 'verifying', leaseOwner: 'dead', leaseExpiresAt: new Date(0) });
    await harness.manager.start();
    const call = await harness.transfer.call(0);
    expect((await harness.manager.getJob(jobId)).status).toBe('running');
    await call.complete('x');
    await harness.waitForStatus(jobId, 'completed');
  });

  it('never overwrites the status when the lease was taken before the job could be marked completed', async () => {
    harness = await createHarness({ config: { leaseMs: 60_000 } });
    const { jobId } = await harness.manager.enqueue({ url: 'https://cdn.example/a.bin', folder: 'checkpoints' });
    const call = await harness.transfer.call(0);
    harness.store.patchDirectly(jobId, { leaseOwner: 'worker-z' });
    await call.complete('x');
    await waitUntil(() => harness.logger.find('job lease lost') !== undefined, 'the loss to be noticed');
    expect(await harness.store.getJob(jobId)).toMatchObject({ status: 'running', leaseOwner: 'worker-z' });
  });

  it('never overwrites the status when the lease was taken before the job could be marked failed', async () => {
    harness = await createHarness({ config: { leaseMs: 60_000 } });
    const { jobId } = await harness.manager.enqueue({ url: 'https://cdn.example/a.bin', folder: 'checkpoints' });
    const call = await harness.transfer.call(0);
    harness.store.patchDirectly(jobId, { status: 'paused', leaseOwner: null });
    call.fail(new ModeldockError('FORBIDDEN', 'Forbidden'));
    await waitUntil(() => harness.logger.find('job lease lost') !== undefined, 'the loss to be noticed');
    expect((await harness.store.getJob(jobId))!.status).toBe('paused');
  });

  it('fails the job with the error when its own bookkeeping breaks unexpectedly', async () => {
    harness = await createHarness();
    const append = harness.store.appendEvent.bind(harness.store);
    harness.store.appendEvent = async (jobId, type, job, now) => {
      if (type === 'status' && job?.status === 'running') throw new Error('event table is full');
      return append(jobId, type, job, now);
    };
    const { jobId } = await harness.manager.enqueue({ url: 'https://cdn.example/a.bin', folder: 'checkpoints' });
    const job = await harness.waitForStatus(jobId, 'failed');
    expect(job.error).toMatchObject({ code: 'INTERNAL', message: 'event table is full' });
    expect(harness.logger.find('job run failed unexpectedly')).toBeDefined();
  });
});

describe('running a bundle', () => {
  it('stops the files in flight before failing the job when its bookkeeping breaks', async () => {
    harness = await createHarness({ extra: { resolvers: [bundle(['a.bin', 'b.bin', 'c.bin'])] } });
    const updateFile = harness.store.updateFile.bind(harness.store);
    harness.store.updateFile = async (fileId, patch, now) => {
      if (patch.status === 'completed' || patch.status === 'failed') throw new Error('disk of the database is full');
      return updateFile(fileId, patch, now);
    };
    const { jobId } = await harness.manager.enqueue({ url: 'bundle:x' });
    const [first, second, third] = await Promise.all([0, 1, 2].map((n) => harness.transfer.call(n)));
    // The first file's bytes are done, but neither its completion nor its failure can be recorded.
    await first!.complete('a');
    const job = await harness.waitForStatus(jobId, 'failed');
    expect(job.error).toMatchObject({ code: 'INTERNAL', message: 'disk of the database is full' });
    expect(harness.transfer.calls).toHaveLength(3);
    expect([second!, third!].every((call) => call.signal.aborted)).toBe(true);
    expect(job.files.map((file) => file.status)).toEqual(['queued', 'queued', 'queued']);
  });

  it('runs small files several at once and large ones alone', async () => {
    harness = await createHarness({
      config: { segmentThresholdBytes: 100 },
      extra: {
        resolvers: [bundle(Array.from({ length: SMALL_FILE_PARALLELISM + 4 }, (_, index) => `small-${index}.json`), 10)],
      },
    });
    const { jobId } = await harness.manager.enqueue({ url: 'bundle:x', folder: 'unit' });
    await waitUntil(() => harness.transfer.pending().length === SMALL_FILE_PARALLELISM, 'a batch of small files in flight');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(harness.transfer.pending()).toHaveLength(SMALL_FILE_PARALLELISM);
    harness.transfer.autoComplete = (call) => call.complete('0123456789');
    for (const call of harness.transfer.pending()) await call.complete('0123456789');
    const job = await harness.waitForStatus(jobId, 'completed');
    expect(job.files.every((file) => file.status === 'completed')).toBe(true);
    expect(job.warnings).toEqual(['resolver says hello']);
  });

  it('writes each small file of a bundle once, when it is done, but a large file as it starts too', async () => {
    harness = await createHarness({ config: { segmentThresholdBytes: 100 }, extra: { resolvers: [bundle(['one.json', 'two.json'], 10)] } });
    const statuses: string[] = [];
    const updateFile = harness.store.updateFile.bind(harness.store);
    harness.store.updateFile = async (fileId, patch, now) => {
      if (patch.status) statuses.push(patch.status);
      return updateFile(fileId, patch, now);
    };
    const { jobId } = await harness.manager.enqueue({ url: 'bundle:x' });
    const first = await harness.transfer.call(0);
    await harness.transfer.call(1);
    // The run's own copy (what events and the byte layer see) says running.
    expect(first.file.status).toBe('running');
    for (const call of harness.transfer.calls) await call.complete('0123456789');
    await harness.waitForStatus(jobId, 'completed');
    expect(statuses).toEqual(['completed', 'completed']);

    statuses.length = 0;
    // A file of unknown size runs alone, and its start is recorded.
    const large = await harness.manager.enqueue({ url: 'https://cdn.example/large.safetensors', folder: 'checkpoints' });
    const call = await harness.transfer.call(2);
    await call.complete('x'.repeat(200));
    await harness.waitForStatus(large.jobId, 'completed');
    expect(statuses).toEqual(['running', 'completed']);
  });

  it('runs large files one at a time', async () => {
    harness = await createHarness({
      config: { segmentThresholdBytes: 100 },
      extra: { resolvers: [bundle(['big-1.safetensors', 'big-2.safetensors'], 1000)] },
    });
    const { jobId } = await harness.manager.enqueue({ url: 'bundle:x' });
    const first = await harness.transfer.call(0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(harness.transfer.calls).toHaveLength(1);
    expect((await harness.manager.getJob(jobId)).currentFileIndex).toBe(0);
    await first.complete('x');
    const second = await harness.transfer.call(1);
    expect(second.file.name).toBe('big-2.safetensors');
    await second.complete('y');
    await harness.waitForStatus(jobId, 'completed');
  });

  it('keeps the completed files when one fails (onFileFailure keep) and says how many failed', async () => {
    harness = await createHarness({ extra: { resolvers: [bundle(['a.bin', 'b.bin', 'c.bin'])] } });
    const { jobId } = await harness.manager.enqueue({ url: 'bundle:x', folder: 'unit' });
    harness.transfer.autoComplete = (call) =>
      call.file.name === 'b.bin' ? call.fail(new ModeldockError('FORBIDDEN', 'Access denied (HTTP 403)')) : call.complete(call.file.name);
    const job = await harness.waitForStatus(jobId, 'failed');
    expect(job.files.map((file) => file.status)).toEqual(['completed', 'failed', 'completed']);
    expect(job.error).toMatchObject({ code: 'FORBIDDEN', message: '1 of 3 files failed; b.bin: Access denied (HTTP 403)' });
    expect(await readFile(path.join(harness.modelsRoot, 'unit', 'a.bin'), 'utf8')).toBe('a.bin');
    expect(await readFile(path.join(harness.modelsRoot, 'unit', 'c.bin'), 'utf8')).toBe('c.bin');
  });

  it('rolls the whole bundle back when set to (onFileFailure rollback), stopping the files in flight', async () => {
    harness = await createHarness({ extra: { resolvers: [bundle(['a.bin', 'b.bin', 'c.bin'])] } });
    const { jobId } = await harness.manager.enqueue({ url: 'bundle:x', folder: 'unit', onFileFailure: 'rollback' });
    const [a, b, c] = [await harness.transfer.call(0), await harness.transfer.call(1), await harness.transfer.call(2)];
    await a!.complete('a');
    expect(await exists(path.join(harness.modelsRoot, 'unit', 'a.bin'))).toBe(true);
    b!.fail(new ModeldockError('REMOTE_NOT_FOUND', 'Not found (HTTP 404)'));
    const job = await harness.waitForStatus(jobId, 'failed');
    expect(c!.signal.aborted).toBe(true);
    expect(await exists(path.join(harness.modelsRoot, 'unit', 'a.bin'))).toBe(false);
    expect(job.files.map((file) => file.status)).toEqual(['failed', 'failed', 'queued']);
    expect(job.files[0]!.error?.message).toMatch(/Removed because b.bin failed/);
    expect(harness.logger.find('bundle rolled back')).toBeDefined();
  });
});

describe('disk space', () => {
  it('refuses to start a job the disk cannot hold, in human units, without touching the network', async () => {
    harness = await createHarness({
      fs: withFreeBytes(() => 3_100_000_000),
      extra: { resolvers: [bundle(['huge.safetensors'], 12_400_000_000)] },
    });
    const { jobId } = await harness.manager.enqueue({ url: 'bundle:x' });
    const job = await harness.waitForStatus(jobId, 'failed');
    expect(job.error?.code).toBe('DISK_FULL');
    expect(job.error?.message).toMatch(/^Not enough disk space: 12\.4 GB needed, 3\.1 GB free/);
    expect(harness.transfer.calls).toHaveLength(0);
  });

  it('counts what running jobs and queued jobs ahead still need', async () => {
    harness = await createHarness({
      fs: withFreeBytes(() => 1_500),
      config: { maxConcurrentJobs: 2, diskReserveBytes: 0 },
      extra: { resolvers: [bundle(['a.bin'], 1_000)] },
    });
    const first = await harness.manager.enqueue({ url: 'bundle:x', folder: 'one' });
    await harness.transfer.call(0);
    const second = await harness.manager.enqueue({ url: 'bundle:x', folder: 'two' });
    const failed = await harness.waitForStatus(second.jobId, 'failed');
    expect(failed.error?.message).toMatch(/2\.0 kB needed, 1\.5 kB free \(1\.0 kB for this download and 1\.0 kB for 1 other\)/);
    expect((await harness.manager.getJob(first.jobId)).status).toBe('running');
  });

  it('keeps the free-space reserve: a job that would eat into it does not start', async () => {
    harness = await createHarness({
      fs: withFreeBytes(() => 1_500),
      config: { diskReserveBytes: 1_000 },
      extra: { resolvers: [bundle(['a.bin'], 1_000)] },
    });
    const { jobId } = await harness.manager.enqueue({ url: 'bundle:x', folder: 'one' });
    const failed = await harness.waitForStatus(jobId, 'failed');
    expect(failed.error?.code).toBe('DISK_FULL');
    expect(failed.error?.message).toMatch(
      /^Not enough disk space: 1\.0 kB needed, 1\.5 kB free, of which 1\.0 kB stays free for the system\./,
    );
    expect(harness.transfer.calls).toHaveLength(0);
  });

  it('does not retry a disk full during the write, and keeps the partial for later', async () => {
    harness = await createHarness();
    const { jobId } = await harness.manager.enqueue({ url: 'https://cdn.example/a.bin', folder: 'checkpoints' });
    const call = await harness.transfer.call(0);
    await call.progress(100, 1000);
    call.fail(new ModeldockError('DISK_FULL', 'Not enough disk space: 900 B needed, 0 B free'));
    const job = await harness.waitForStatus(jobId, 'failed');
    expect(job.files[0]).toMatchObject({ bytesDone: 100 });
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(harness.transfer.calls).toHaveLength(1);
  });
});
