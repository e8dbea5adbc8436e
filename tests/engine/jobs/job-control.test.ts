import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ModeldockError, absoluteDestination, tempPathFor } from '@modeldock/engine';

import { MemoryJobStore } from '../../support/memory-job-store';
import { createHarness, waitUntil } from './helpers/harness';
import type { Harness } from './helpers/harness';
import type { TransferCall } from './helpers/fake-transfer';

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

/** Writes a partial temp file where the byte layer would keep it, and reports durable progress. */
async function writePartial(h: Harness, call: TransferCall, bytes: number): Promise<string> {
  const temp = tempPathFor(absoluteDestination(h.modelsRoot, call.file.relativePath), call.file.id);
  await mkdir(path.dirname(temp), { recursive: true });
  await writeFile(temp, Buffer.alloc(bytes, 1));
  await call.progress(bytes, 1000);
  return temp;
}

async function startOne(h: Harness, name = 'model.safetensors'): Promise<{ jobId: string; call: TransferCall }> {
  const { jobId } = await h.manager.enqueue({ url: `https://cdn.example/${name}`, folder: 'checkpoints' });
  const call = await h.transfer.call(h.transfer.calls.length);
  return { jobId, call };
}

describe('pause and resume', () => {
  it('pause stops the transfer at once, keeps the partial and its durable offset; resume continues from it', async () => {
    harness = await createHarness();
    const { jobId, call } = await startOne(harness);
    const temp = await writePartial(harness, call, 400);

    const paused = await harness.manager.pause(jobId);
    expect(call.signal.aborted).toBe(true);
    expect(call.signal.reason).toBe('paused');
    expect(paused).toMatchObject({ status: 'paused', bytesDone: 400, speedBps: 0 });
    expect(paused.files[0]!.status).toBe('queued');
    expect(await exists(temp)).toBe(true);
    const record = await harness.store.getJob(jobId);
    expect(record!.leaseOwner).toBeNull();

    expect((await harness.manager.pause(jobId)).status).toBe('paused');
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(harness.transfer.calls).toHaveLength(1);

    expect((await harness.manager.resume(jobId)).status).toBe('queued');
    const resumed = await harness.transfer.call(1);
    expect(resumed.file).toMatchObject({ id: call.file.id, bytesDone: 400, bytesTotal: 1000 });
    await resumed.complete('done');
    await harness.waitForStatus(jobId, 'completed');
  });

  it('pauses a queued job so it is not started until resumed', async () => {
    harness = await createHarness({ start: false });
    const { jobId } = await harness.manager.enqueue({ url: 'https://cdn.example/a.bin', folder: 'checkpoints' });
    await harness.manager.pause(jobId);
    await harness.manager.start();
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(harness.transfer.calls).toHaveLength(0);
    await harness.manager.resume(jobId);
    await harness.transfer.call(0);
  });

  it('records each status change as a stored event and logs it with structured fields', async () => {
    harness = await createHarness();
    const { jobId, call } = await startOne(harness);
    await call.progress(10, 1000);
    await harness.manager.pause(jobId);
    await harness.manager.resume(jobId);
    await (await harness.transfer.call(1)).complete('x');
    await harness.waitForStatus(jobId, 'completed');
    const statuses = harness.store
      .storedEvents()
      .filter((event) => event.jobId === jobId)
      .map((event) => `${event.type}:${event.job?.status}`);
    // Created running: its first step (resolving the link) starts at once; then its files are known.
    expect(statuses).toEqual([
      'created:running',
      'status:running',
      'status:paused',
      'status:queued',
      'status:running',
      'status:completed',
    ]);
    const pausedLine = harness.logger.lines.find((line) => line.fields.status === 'paused');
    expect(pausedLine?.fields).toMatchObject({ jobId, status: 'paused', previousStatus: 'running', action: 'pause' });
  });
});

describe('cancel', () => {
  it('stops the transfer, removes the partial file and resets the offset', async () => {
    harness = await createHarness();
    const { jobId, call } = await startOne(harness);
    const temp = await writePartial(harness, call, 300);
    const cancelled = await harness.manager.cancel(jobId);
    expect(call.signal.reason).toBe('cancelled');
    expect(cancelled).toMatchObject({ status: 'cancelled', bytesDone: 0 });
    expect(cancelled.files[0]!.status).toBe('cancelled');
    expect(cancelled.finishedAt).not.toBeNull();
    expect(await exists(temp)).toBe(false);
    expect((await harness.manager.cancel(jobId)).status).toBe('cancelled');
  });

  it('removes the temp files of a job no worker runs (paused)', async () => {
    harness = await createHarness();
    const { jobId, call } = await startOne(harness);
    const temp = await writePartial(harness, call, 300);
    await harness.manager.pause(jobId);
    expect(await exists(temp)).toBe(true);
    await harness.manager.cancel(jobId);
    expect(await exists(temp)).toBe(false);
  });

  it('cancels a failed job too, removing the partial file it still held', async () => {
    harness = await createHarness();
    const { jobId, call } = await startOne(harness);
    const temp = await writePartial(harness, call, 300);
    call.fail(new ModeldockError('DISK_FULL', 'Not enough disk space: 900 B needed, 0 B free'));
    const failed = await harness.waitForStatus(jobId, 'failed');
    expect(failed.files[0]).toMatchObject({ bytesDone: 300 });
    expect(await exists(temp)).toBe(true);
    const cancelled = await harness.manager.cancel(jobId);
    expect(cancelled).toMatchObject({ status: 'cancelled', bytesDone: 0 });
    expect(await exists(temp)).toBe(false);
  });

  it('retry puts a cancelled job back in the queue and it starts from zero', async () => {
    harness = await createHarness();
    const { jobId, call } = await startOne(harness);
    await writePartial(harness, call, 300);
    await harness.manager.cancel(jobId);
    const retried = await harness.manager.retry(jobId);
    expect(retried).toMatchObject({ status: 'queued', error: null, finishedAt: null });
    const again = await harness.transfer.call(1);
    expect(again.file).toMatchObject({ bytesDone: 0, status: 'running' });
  });
});

describe('a job another process runs, finishing while it is paused or cancelled here', () => {
  /** This process's view of a shared store, where a test can act right after the job is read. */
  function storeSeenHere(shared: MemoryJobStore, afterRead: { next: (() => Promise<void>) | null }): MemoryJobStore {
    return new Proxy(shared, {
      get(target, property) {
        if (property === 'getJob') {
          return async (jobId: string) => {
            const job = await target.getJob(jobId);
            const act = afterRead.next;
            afterRead.next = null;
            await act?.();
            return job;
          };
        }
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  it.each(['cancel', 'pause'] as const)('%s: the completion stands, and the action is refused as for a completed job', async (action) => {
    const shared = new MemoryJobStore();
    const afterRead: { next: (() => Promise<void>) | null } = { next: null };
    harness = await createHarness({ store: storeSeenHere(shared, afterRead), start: false });
    const elsewhere = await harness.another({ store: shared });
    const { jobId } = await harness.manager.enqueue({ url: 'https://cdn.example/model.safetensors', folder: 'checkpoints' });
    const call = await elsewhere.transfer.call(0);
    await call.progress(400, 1000);

    // The click arrives here just as the worker elsewhere finishes the file and the job.
    afterRead.next = async () => {
      await call.complete(Buffer.alloc(1000, 7));
      await elsewhere.waitForStatus(jobId, 'completed');
    };
    await expect(harness.manager[action](jobId)).rejects.toMatchObject({ code: 'INVALID_STATE' });

    const stored = (await shared.getJob(jobId))!;
    expect(stored.status).toBe('completed');
    expect(stored.files[0]).toMatchObject({ status: 'completed', bytesDone: 1000 });
    expect(await readFile(path.join(harness.modelsRoot, 'checkpoints', 'model.safetensors'))).toEqual(Buffer.alloc(1000, 7));
  });
});

describe('retry of a failed job', () => {
  it('resets attempts and errors, keeps the durable offset, and runs it again', async () => {
    harness = await createHarness();
    const { jobId, call } = await startOne(harness);
    await call.progress(250, 1000);
    call.fail(new ModeldockError('CONNECTION_REFUSED', 'Connection refused', { retryable: true }));
    const failed = await harness.waitForStatus(jobId, 'failed');
    expect(failed.error).toMatchObject({ code: 'CONNECTION_REFUSED', message: 'Connection refused' });
    expect(failed.files[0]).toMatchObject({ status: 'failed', bytesDone: 250 });
    harness.store.patchDirectly(jobId, { attempts: 3 });

    const retried = await harness.manager.retry(jobId);
    expect(retried).toMatchObject({ status: 'queued', error: null });
    expect(retried.files[0]).toMatchObject({ status: 'queued', error: null, bytesDone: 250 });
    expect((await harness.store.getJob(jobId))!.attempts).toBe(0);
    const again = await harness.transfer.call(1);
    expect(again.file.bytesDone).toBe(250);
  });
});

describe('impossible transitions', () => {
  it('answer INVALID_STATE with the way out, and JOB_NOT_FOUND for an unknown id', async () => {
    harness = await createHarness();
    const { jobId, call } = await startOne(harness);
    await expect(harness.manager.retry(jobId)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(harness.manager.resume(jobId)).resolves.toMatchObject({ status: 'running' });
    await call.complete('x');
    await harness.waitForStatus(jobId, 'completed');
    const error = await harness.manager.cancel(jobId).catch((caught: unknown) => caught as ModeldockError);
    expect(error).toMatchObject({ code: 'INVALID_STATE' });
    expect((error as ModeldockError).message).toMatch(/Clear finished/);
    await expect(harness.manager.pause(jobId)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(harness.manager.resume(jobId)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(harness.manager.retry(jobId)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(harness.manager.getJob('no-such-job')).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
    await expect(harness.manager.pause('no-such-job')).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
    await expect(harness.manager.getJob('')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('bandwidth limits', () => {
  it('applies per-job and global limits to a running transfer, and changes them while it runs', async () => {
    harness = await createHarness();
    const { jobId, call } = await startOne(harness);
    const [globalLimiter, jobLimiter] = call.context.limiters;
    expect(globalLimiter!.rate).toBeNull();
    expect(jobLimiter!.rate).toBeNull();

    const limited = await harness.manager.setJobBandwidthLimit(jobId, 1_000_000);
    expect(limited.bandwidthLimitBps).toBe(1_000_000);
    expect(jobLimiter!.rate).toBe(1_000_000);
    expect(harness.manager.setGlobalBandwidthLimit(5_000_000)).toEqual({ globalBps: 5_000_000 });
    expect(globalLimiter!.rate).toBe(5_000_000);
    expect(harness.manager.getBandwidthLimits()).toEqual({ globalBps: 5_000_000 });

    await harness.manager.setJobBandwidthLimit(jobId, null);
    expect(jobLimiter!.rate).toBeNull();
    expect(harness.manager.setGlobalBandwidthLimit(null)).toEqual({ globalBps: null });
    expect(() => harness.manager.setGlobalBandwidthLimit(-5)).toThrow(ModeldockError);
    await expect(harness.manager.setJobBandwidthLimit(jobId, 1.5)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('starts a job with the limit it was enqueued with, and picks up a change made by another process', async () => {
    harness = await createHarness();
    const { jobId } = await harness.manager.enqueue({ url: 'https://cdn.example/a.bin', folder: 'checkpoints', bandwidthLimitBps: 2048 });
    const call = await harness.transfer.call(0);
    expect(call.context.limiters[1]!.rate).toBe(2048);
    harness.store.patchDirectly(jobId, { bandwidthLimitBps: 4096 });
    await waitUntil(() => call.context.limiters[1]!.rate === 4096, 'the lease renewal to pick up the new limit');
  });
});

describe('clear finished', () => {
  it('removes finished jobs and their partial files, never a completed file, and announces each removal', async () => {
    harness = await createHarness({ config: { maxConcurrentJobs: 3 } });
    const done = await startOne(harness, 'done.bin');
    await done.call.complete('complete file');
    await harness.waitForStatus(done.jobId, 'completed');

    const failed = await startOne(harness, 'failed.bin');
    const failedTemp = await writePartial(harness, failed.call, 100);
    failed.call.fail(new ModeldockError('FORBIDDEN', 'Forbidden'));
    await harness.waitForStatus(failed.jobId, 'failed');
    expect(await exists(failedTemp)).toBe(true);

    const running = await startOne(harness, 'running.bin');

    expect(await harness.manager.clearFinished()).toBe(2);
    expect(await readFile(path.join(harness.modelsRoot, 'checkpoints', 'done.bin'), 'utf8')).toBe('complete file');
    expect(await exists(failedTemp)).toBe(false);
    await expect(harness.manager.getJob(done.jobId)).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
    expect((await harness.manager.getJob(running.jobId)).status).toBe('running');
    const removals = harness.events.filter((event) => event.type === 'removed');
    expect(removals.map((event) => event.jobId).sort()).toEqual([done.jobId, failed.jobId].sort());
    expect(removals.every((event) => event.job === null && /^\d+$/.test(event.id))).toBe(true);
    expect(await harness.manager.clearFinished()).toBe(0);
  });

  it('keeps a job retried while the clearing runs, with its partial file, and does not announce it removed', async () => {
    harness = await createHarness();
    const failed = await startOne(harness, 'retried.bin');
    const temp = await writePartial(harness, failed.call, 100);
    failed.call.fail(new ModeldockError('CONNECTION_REFUSED', 'Connection refused', { retryable: true }));
    await harness.waitForStatus(failed.jobId, 'failed');

    // The user clicks Retry on the job right after Clear finished listed it as finished.
    const listFinished = harness.store.listFinishedJobIds.bind(harness.store);
    harness.store.listFinishedJobIds = async (before) => {
      const ids = await listFinished(before);
      await harness.manager.retry(failed.jobId);
      return ids;
    };
    expect(await harness.manager.clearFinished()).toBe(0);

    expect((await harness.manager.getJob(failed.jobId)).status).not.toBe('failed');
    expect(await exists(temp)).toBe(true);
    expect(harness.events.some((event) => event.type === 'removed' && event.jobId === failed.jobId)).toBe(false);
    const resumed = await harness.transfer.call(1);
    expect(resumed.file).toMatchObject({ id: failed.call.file.id, bytesDone: 100 });
  });
});

describe('remove one finished job', () => {
  it('takes a completed job off the list and keeps its file; a failed one loses its partial; an active one is refused', async () => {
    harness = await createHarness({ config: { maxConcurrentJobs: 3 } });
    const done = await startOne(harness, 'kept.bin');
    await done.call.complete('complete file');
    await harness.waitForStatus(done.jobId, 'completed');
    const failed = await startOne(harness, 'broken.bin');
    const failedTemp = await writePartial(harness, failed.call, 100);
    failed.call.fail(new ModeldockError('FORBIDDEN', 'Forbidden'));
    await harness.waitForStatus(failed.jobId, 'failed');
    const running = await startOne(harness, 'busy.bin');

    await harness.manager.removeJob(done.jobId);
    await expect(harness.manager.getJob(done.jobId)).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
    expect(await readFile(path.join(harness.modelsRoot, 'checkpoints', 'kept.bin'), 'utf8')).toBe('complete file');
    expect((await harness.manager.getJob(failed.jobId)).status).toBe('failed');

    await harness.manager.removeJob(failed.jobId);
    expect(await exists(failedTemp)).toBe(false);
    expect(harness.events.filter((event) => event.type === 'removed').map((event) => event.jobId)).toEqual([
      done.jobId,
      failed.jobId,
    ]);

    await expect(harness.manager.removeJob(running.jobId)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect((await harness.manager.getJob(running.jobId)).status).toBe('running');
    await expect(harness.manager.removeJob(done.jobId)).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
  });
});

describe('a transfer that ignores its abort', () => {
  it('does not hang a pause or the shutdown for longer than a lease', async () => {
    harness = await createHarness({ transferFile: () => new Promise(() => undefined), config: { maxConcurrentJobs: 1 } });
    const { jobId } = await harness.manager.enqueue({ url: 'https://cdn.example/stuck.bin', folder: 'checkpoints' });
    await harness.prepared(jobId);
    const paused = await harness.manager.pause(jobId);
    expect(paused.status).toBe('paused');
    expect(harness.logger.find('job run did not settle')?.fields).toMatchObject({ jobId });

    // The stuck run gave its slot back: another job can start.
    const other = await harness.manager.enqueue({ url: 'https://cdn.example/other.bin', folder: 'checkpoints' });
    await harness.prepared(other.jobId);
    await harness.waitForStatus(other.jobId, 'running');
    await harness.manager.stop();
    expect(harness.logger.find('jobs did not stop cleanly')?.fields).toMatchObject({ code: 'SHUTDOWN' });
  });
});
