import { mkdir, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { absoluteDestination, tempPathFor } from '@modeldock/engine';
import type { FileSystem, JobRecord, NewJob } from '@modeldock/engine';
import { nodeFileSystemForTests } from '../../support/node-fs-for-tests';
import { MemoryJobStore } from '../../support/memory-job-store';
import { newFile, newJob as makeNewJob } from '../../support/factories';
import { FakeClock } from './helpers/fake-clock';
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

function newJob(name: string): NewJob {
  const url = `https://cdn.example/${name}`;
  return makeNewJob({ source: url, files: [newFile(name, { url })] });
}

/** A job another worker was running when it died: status running, its lease, 300 durable bytes. */
async function leftRunningBy(store: MemoryJobStore, owner: string, leaseExpiresAt: Date, now: Date): Promise<JobRecord> {
  const job = await store.createJob(newJob('interrupted.bin'), now);
  await store.updateFile(job.files[0]!.id, { status: 'running', bytesDone: 300 }, now);
  store.patchDirectly(job.id, { status: 'running', leaseOwner: owner, leaseExpiresAt, updatedAt: now, startedAt: now });
  return (await store.getJob(job.id))!;
}

async function writeTemp(modelsRoot: string, relativePath: string, fileId: string, ageMs = 60_000): Promise<string> {
  const temp = tempPathFor(absoluteDestination(modelsRoot, relativePath), fileId);
  await mkdir(path.dirname(temp), { recursive: true });
  await writeFile(temp, 'partial');
  const past = new Date(Date.now() - ageMs);
  await utimes(temp, past, past);
  return temp;
}

async function runningCall(h: Harness, name = 'a.bin'): Promise<{ jobId: string; call: TransferCall }> {
  const { jobId } = await h.manager.enqueue({ url: `https://cdn.example/${name}`, folder: 'checkpoints' });
  const call = await h.transfer.call(h.transfer.calls.length);
  return { jobId, call };
}

describe('a lost lease stops writing at once', () => {
  it('when another process cancelled the job: abort, then remove the temp file it may have outlived', async () => {
    harness = await createHarness();
    const { jobId, call } = await runningCall(harness);
    await call.progress(300, 1000);
    const temp = await writeTemp(harness.modelsRoot, call.file.relativePath, call.file.id, 0);
    harness.store.patchDirectly(jobId, { status: 'cancelled', leaseOwner: null, leaseExpiresAt: null });
    await waitUntil(() => call.signal.aborted, 'the transfer to be aborted');
    expect(call.signal.reason).toBe('lease-lost');
    await waitUntil(async () => !(await exists(temp)), 'the temp file to be removed');
    await waitUntil(async () => (await harness.store.getJob(jobId))!.files[0]!.status === 'cancelled', 'the file to be cancelled');
    expect((await harness.store.getJob(jobId))!.files[0]!.bytesDone).toBe(0);
    expect(harness.logger.find('job lease lost')?.fields).toMatchObject({ jobId, code: 'LEASE_LOST', status: 'cancelled' });
  });

  it('when another process paused it: the pause wins and the partial stays', async () => {
    harness = await createHarness();
    const other = await harness.another({ start: false });
    const { jobId, call } = await runningCall(harness);
    await call.progress(300, 1000);
    const temp = await writeTemp(harness.modelsRoot, call.file.relativePath, call.file.id, 0);
    const paused = await other.manager.pause(jobId);
    expect(paused.status).toBe('paused');
    await waitUntil(() => call.signal.aborted, 'the transfer to be aborted');
    await waitUntil(async () => (await harness.store.getJob(jobId))!.files[0]!.status === 'queued', 'the file to wait again');
    const job = (await harness.store.getJob(jobId))!;
    expect(job).toMatchObject({ status: 'paused', leaseOwner: null });
    expect(job.files[0]!.bytesDone).toBe(300);
    expect(await exists(temp)).toBe(true);
  });

  it('when another worker took the job: nothing of it is touched', async () => {
    harness = await createHarness();
    const { jobId, call } = await runningCall(harness);
    harness.store.patchDirectly(jobId, { leaseOwner: 'worker-z' });
    await waitUntil(() => call.signal.aborted, 'the transfer to be aborted');
    await waitUntil(() => harness.logger.find('job lease lost') !== undefined, 'the loss to be logged');
    expect((await harness.store.getJob(jobId))!).toMatchObject({ status: 'running', leaseOwner: 'worker-z' });
  });

  it('when the store cannot renew it before it expires', async () => {
    harness = await createHarness();
    const { call } = await runningCall(harness);
    harness.store.renewLease = async () => {
      throw new Error('connection to the database lost');
    };
    await waitUntil(() => call.signal.aborted, 'the transfer to be aborted');
    expect(harness.logger.lines.some((line) => line.message === 'could not renew the job lease')).toBe(true);
  });

  it('keeps renewing when re-reading the job settings fails', async () => {
    harness = await createHarness();
    const { jobId, call } = await runningCall(harness);
    const getJob = harness.store.getJob.bind(harness.store);
    harness.store.getJob = async (id) => {
      if (id === jobId && !call.signal.aborted) throw new Error('read timed out');
      return getJob(id);
    };
    await waitUntil(() => harness.logger.find('could not refresh the job settings') !== undefined, 'the failed refresh');
    expect(call.signal.aborted).toBe(false);
    harness.store.getJob = getJob;
  });

  it('when a progress write finds the job no longer ours, before the next renewal', async () => {
    harness = await createHarness({ config: { leaseMs: 60_000 } });
    const { jobId, call } = await runningCall(harness);
    harness.store.patchDirectly(jobId, { leaseOwner: 'worker-z' });
    await new Promise((resolve) => setTimeout(resolve, 60));
    await call.progress(10, 1000);
    await waitUntil(() => call.signal.aborted, 'the transfer to be aborted');
  });
});

describe('startup recovery', () => {
  it('with recoverAllLeasesAtStart, resumes a job a dead worker left running at once, from its durable offset', async () => {
    const store = new MemoryJobStore();
    const now = new Date();
    const job = await leftRunningBy(store, 'dead-worker', new Date(now.getTime() + 3_600_000), now);
    harness = await createHarness({ store, recoverAllLeasesAtStart: true });
    const call = await harness.transfer.call(0);
    expect(call.file).toMatchObject({ id: job.files[0]!.id, bytesDone: 300 });
    expect(harness.logger.find('interrupted job returned to the queue')?.fields).toMatchObject({
      jobId: job.id,
      previousOwner: 'dead-worker',
    });
  });

  it('without it, waits for the dead worker lease to expire, then claims the job', async () => {
    const clock = new FakeClock();
    const store = new MemoryJobStore();
    const now = new Date(clock.now());
    await leftRunningBy(store, 'other-process', new Date(clock.now() + 10_000), now);
    harness = await createHarness({ store, clock });
    await clock.advance(5_000);
    expect(harness.transfer.calls).toHaveLength(0);
    await clock.advance(7_000);
    const call = await harness.transfer.call(0);
    expect(call.file.bytesDone).toBe(300);
  });

  it('shows a job whose worker missed two lease renewals as not responding, speed 0, and resumes it within a second of the lease lapsing', async () => {
    const clock = new FakeClock();
    const store = new MemoryJobStore();
    const start = clock.now();
    // The other worker renewed its 30 s lease 1.9 s before this process starts, then died: the
    // lease lapses at 28.1 s, just after this process's 2 s poll at 28 s.
    const lapse = start + 28_100;
    const job = await leftRunningBy(store, 'other-process', new Date(lapse), new Date(start));
    store.patchDirectly(job.id, { speedBps: 5_000_000 });
    harness = await createHarness({ store, clock, config: { leaseMs: 30_000 } });

    // One renewal missed (last at -1.9 s, due every 10 s): still shown as running at its speed.
    await clock.advance(9_000);
    expect(await harness.manager.getJob(job.id)).toMatchObject({ stalled: null, speedBps: 5_000_000 });

    // Two missed (20.9 s since the last): not responding, speed 0, resumed when the lease lapses.
    await clock.advance(10_000);
    const waiting = await harness.manager.getJob(job.id);
    expect(waiting.status).toBe('running');
    expect(waiting.speedBps).toBe(0);
    expect(waiting.etaSeconds).toBeNull();
    expect(waiting.stalled).toMatchObject({
      code: 'WORKER_NOT_RESPONDING',
      nextAttemptAt: new Date(lapse).toISOString(),
      reason: expect.stringMatching(/stopped responding; another one resumes it in 10 s/),
    });
    const listed = await harness.manager.listJobs({ limit: 10, cursor: null });
    expect(listed.items[0]!.stalled?.code).toBe('WORKER_NOT_RESPONDING');
    expect(harness.transfer.calls).toHaveLength(0);

    // Taken over within a second of the lapse (a 2 s poll alone would wait until 30 s).
    await clock.advance(lapse + 900 - clock.now());
    const call = await harness.transfer.call(0);
    expect(call.file.bytesDone).toBe(300);
    // Now this process runs it: its own run speaks for it, not the lease.
    expect((await harness.manager.getJob(job.id)).stalled).toBeNull();
  });

  it('releases at once the jobs held under its own worker id by a previous run of itself', async () => {
    const store = new MemoryJobStore();
    const now = new Date();
    await leftRunningBy(store, 'worker-a', new Date(now.getTime() + 3_600_000), now);
    harness = await createHarness({ store });
    await harness.transfer.call(0);
  });

  it('removes temp files no job may resume, and keeps those of active and failed jobs', async () => {
    harness = await createHarness({ start: false });
    const { store, modelsRoot } = harness;
    const active = await store.createJob(newJob('active.bin'), new Date());
    store.patchDirectly(active.id, { status: 'paused' });
    const failed = await store.createJob({ ...newJob('failed.bin') }, new Date());
    store.patchDirectly(failed.id, { status: 'failed' });
    const keptActive = await writeTemp(modelsRoot, 'active.bin', active.files[0]!.id);
    const keptFailed = await writeTemp(modelsRoot, 'failed.bin', failed.files[0]!.id);
    const orphan = await writeTemp(modelsRoot, 'loras/deep/gone.bin', 'no-such-file-id');
    const fresh = await writeTemp(modelsRoot, 'fresh.bin', 'just-created-elsewhere', -60_000);
    const model = path.join(modelsRoot, 'loras', 'model.safetensors');
    await writeFile(model, 'a real model');

    await harness.manager.start();
    expect(await exists(orphan)).toBe(false);
    expect(await exists(keptActive)).toBe(true);
    expect(await exists(keptFailed)).toBe(true);
    expect(await exists(fresh)).toBe(true);
    expect(await exists(model)).toBe(true);
    expect(harness.logger.find('download manager started')?.fields).toMatchObject({ orphanTempFilesRemoved: 1 });
  });
});

describe('file system trouble during cleanup', () => {
  it('is logged and never stops the start, nor a cancel', async () => {
    const base = nodeFileSystemForTests();
    const fs: FileSystem = {
      ...base,
      readdir: async (folder) => {
        if (folder.endsWith('locked')) throw Object.assign(new Error('permission denied'), { code: 'EACCES' });
        return base.readdir(folder);
      },
      unlink: async (file) => {
        if (file.includes('stuck')) throw Object.assign(new Error('operation not permitted'), { code: 'EPERM' });
        return base.unlink(file);
      },
    };
    harness = await createHarness({ fs, start: false });
    await mkdir(path.join(harness.modelsRoot, 'locked'));
    const stuckOrphan = await writeTemp(harness.modelsRoot, 'stuck.bin', 'gone-file-id');
    await harness.manager.start();
    expect(await exists(stuckOrphan)).toBe(true);
    expect(harness.logger.find('could not list a folder')).toBeDefined();
    expect(harness.logger.find('could not remove an orphan temp file')).toBeDefined();

    const { jobId } = await harness.manager.enqueue({ url: 'https://cdn.example/stuck.bin', folder: 'checkpoints' });
    const call = await harness.transfer.call(0);
    await writeTemp(harness.modelsRoot, 'stuck.bin', call.file.id, 0);
    expect((await harness.manager.cancel(jobId)).status).toBe('cancelled');
    expect(harness.logger.find('could not remove a file')).toBeDefined();
  });
});

describe('stale jobs', () => {
  it('a running job with no progress for staleAfterMs is requeued and retried', async () => {
    const store = new MemoryJobStore();
    const longAgo = new Date(Date.now() - 120_000);
    const job = await leftRunningBy(store, 'hung-worker', new Date(Date.now() + 3_600_000), longAgo);
    harness = await createHarness({ store, config: { staleAfterMs: 60_000 } });
    const call = await harness.transfer.call(0);
    expect(call.file.id).toBe(job.files[0]!.id);
    expect((await store.getJob(job.id))!.attempts).toBe(1);
    expect(harness.logger.find('stale job requeued')?.fields).toMatchObject({
      jobId: job.id,
      code: 'STALE',
      previousOwner: 'hung-worker',
    });
  });

  it('fails with STALE once it has been stuck maxAttempts times', async () => {
    const store = new MemoryJobStore();
    const longAgo = new Date(Date.now() - 120_000);
    const job = await leftRunningBy(store, 'hung-worker', new Date(Date.now() + 3_600_000), longAgo);
    store.patchDirectly(job.id, { attempts: 2, updatedAt: longAgo });
    harness = await createHarness({ store, config: { staleAfterMs: 60_000, maxAttempts: 3 } });
    const failed = await harness.waitForStatus(job.id, 'failed');
    expect(failed.error).toMatchObject({ code: 'STALE' });
    expect(failed.error!.message).toMatch(/Use Retry/);
    expect(harness.transfer.calls).toHaveLength(0);
    // Nothing moves any more: no file of the failed job may still say it is downloading.
    expect(failed.files[0]).toMatchObject({ status: 'queued', bytesDone: 300 });
    expect(failed.currentFileIndex).toBeNull();
  });

  it('requeued as stale, its interrupted files wait in the queue too, in the store and in the event', async () => {
    const store = new MemoryJobStore();
    const longAgo = new Date(Date.now() - 120_000);
    const job = await leftRunningBy(store, 'hung-worker', new Date(Date.now() + 3_600_000), longAgo);
    harness = await createHarness({ store, config: { staleAfterMs: 60_000 }, start: false });
    // Nothing claims it here: what stale detection itself recorded is what is looked at.
    harness.store.claimNextJob = async () => null;
    await harness.manager.start();
    const requeued = await harness.manager.getJob(job.id);
    expect(requeued.status).toBe('queued');
    expect(requeued.files[0]).toMatchObject({ status: 'queued', bytesDone: 300 });
    expect(requeued.currentFileIndex).toBeNull();
    const event = harness.events.find((candidate) => candidate.jobId === job.id && candidate.type === 'status');
    expect(event?.job?.files[0]?.status).toBe('queued');
  });

  it('is detected on the slow timer for a job of this process that stopped making progress', async () => {
    const clock = new FakeClock();
    harness = await createHarness({ clock, config: { staleAfterMs: 8_000, leaseMs: 3_000 } });
    const { jobId, call } = await runningCall(harness);
    // Stale after 8 s; the retry (equally silent) would only be stale again after 16 s.
    await clock.advance(12_000);
    expect(call.signal.aborted).toBe(true);
    const again = await harness.transfer.call(1);
    expect(again.file.id).toBe(call.file.id);
    expect((await harness.store.getJob(jobId))!.attempts).toBe(1);
  });
});

describe('graceful stop', () => {
  it('records durable offsets, returns running jobs to the queue, and a restart resumes them before newer jobs', async () => {
    harness = await createHarness({ config: { maxConcurrentJobs: 1 } });
    const { jobId, call } = await runningCall(harness, 'first.bin');
    await call.progress(600, 1000);
    await harness.manager.stop();
    expect(call.signal.reason).toBe('shutdown');
    const stored = (await harness.store.getJob(jobId))!;
    expect(stored).toMatchObject({ status: 'queued', leaseOwner: null, leaseExpiresAt: null });
    expect(stored.files[0]).toMatchObject({ status: 'queued', bytesDone: 600 });
    expect(harness.logger.find('job returned to the queue for shutdown')?.fields).toMatchObject({ jobId });

    await harness.manager.enqueue({ url: 'https://cdn.example/newer.bin', folder: 'checkpoints' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(harness.transfer.calls).toHaveLength(1);

    const restarted = await harness.another({ config: { maxConcurrentJobs: 1 } });
    const resumed = await restarted.transfer.call(0);
    expect(resumed.file).toMatchObject({ id: call.file.id, bytesDone: 600 });
  });

  it('is safe to call before start and more than once', async () => {
    harness = await createHarness({ start: false });
    await harness.manager.stop();
    await harness.manager.stop();
  });
});
