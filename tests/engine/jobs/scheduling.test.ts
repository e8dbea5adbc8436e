import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from './helpers/fake-clock';
import { createHarness, waitUntil } from './helpers/harness';
import type { Harness } from './helpers/harness';

let harness: Harness;
afterEach(async () => {
  await harness?.dispose();
});

async function enqueueNamed(h: Harness, name: string, priority = 0): Promise<string> {
  return (await h.manager.enqueue({ url: `https://cdn.example/${name}`, folder: 'checkpoints', priority })).jobId;
}

/** Completes transfers one by one and returns the order in which files were started. */
async function runOrder(h: Harness, count: number): Promise<string[]> {
  const order: string[] = [];
  for (let index = 0; index < count; index++) {
    const call = await h.transfer.call(index);
    order.push(call.file.name);
    await call.complete('x');
  }
  return order;
}

describe('scheduling', () => {
  it('runs higher priority first, then first in, first out', async () => {
    harness = await createHarness({ start: false, config: { maxConcurrentJobs: 1 } });
    await enqueueNamed(harness, 'a');
    await enqueueNamed(harness, 'b');
    await enqueueNamed(harness, 'urgent', 5);
    await enqueueNamed(harness, 'c');
    await harness.manager.start();
    expect(await runOrder(harness, 4)).toEqual(['urgent', 'a', 'b', 'c']);
  });

  it('never runs more jobs at once than maxConcurrentJobs, and starts the next when one finishes', async () => {
    harness = await createHarness({ start: false, config: { maxConcurrentJobs: 2 } });
    for (const name of ['a', 'b', 'c']) await enqueueNamed(harness, name);
    await harness.manager.start();
    const first = await harness.transfer.call(0);
    await harness.transfer.call(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(harness.transfer.calls).toHaveLength(2);
    const running = harness.store.storedEvents().filter((event) => event.job?.status === 'running');
    expect(new Set(running.map((event) => event.jobId)).size).toBe(2);
    await first.complete('x');
    const third = await harness.transfer.call(2);
    expect(third.file.name).toBe('c');
  });

  it('moves a job to the top of its priority and lets a priority change reorder the queue', async () => {
    harness = await createHarness({ start: false, config: { maxConcurrentJobs: 1 } });
    const a = await enqueueNamed(harness, 'a');
    await enqueueNamed(harness, 'b');
    const c = await enqueueNamed(harness, 'c');
    const d = await enqueueNamed(harness, 'd');
    const moved = await harness.manager.moveToTop(c);
    expect(moved.queueOrder).toBeLessThan((await harness.manager.getJob(a)).queueOrder);
    const raised = await harness.manager.setPriority(d, 3);
    expect(raised.priority).toBe(3);
    await harness.manager.start();
    expect(await runOrder(harness, 4)).toEqual(['d', 'c', 'a', 'b']);
    expect(harness.store.storedEvents().filter((event) => event.type === 'updated')).toHaveLength(2);
  });

  it('refuses a negative priority and changes to finished jobs', async () => {
    harness = await createHarness({ start: false });
    const jobId = await enqueueNamed(harness, 'a');
    await expect(harness.manager.setPriority(jobId, -1)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await harness.manager.cancel(jobId);
    await expect(harness.manager.setPriority(jobId, 1)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(harness.manager.moveToTop(jobId)).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });

  it('starts a job as soon as it is enqueued, without waiting for a timer', async () => {
    const clock = new FakeClock();
    harness = await createHarness({ clock });
    await enqueueNamed(harness, 'now');
    const call = await harness.transfer.call(0);
    expect(call.file.name).toBe('now');
  });

  it('picks up work enqueued by another process on its slow timer', async () => {
    const clock = new FakeClock();
    harness = await createHarness({ clock });
    await harness.store.createJob(
      {
        source: 'https://cdn.example/elsewhere.bin',
        kind: 'direct',
        priority: 0,
        files: [
          {
            url: 'https://cdn.example/elsewhere.bin',
            name: 'elsewhere.bin',
            relativePath: 'elsewhere.bin',
            bytesTotal: null,
            expectedSha256: null,
            credential: null,
            revision: null,
          },
        ],
      },
      new Date(clock.now()),
    );
    await clock.advance(50);
    expect(harness.transfer.calls).toHaveLength(0);
    await clock.advance(2_000);
    await waitUntil(() => harness.transfer.calls.length === 1, 'the job from elsewhere to start');
  });

  it('lists jobs newest first with a cursor, overlaying live progress, and validates the query', async () => {
    harness = await createHarness({ config: { maxConcurrentJobs: 1 } });
    const ids = [];
    for (const name of ['a', 'b', 'c']) ids.push(await enqueueNamed(harness, name));
    for (const id of ids) await harness.prepared(id);
    const call = await harness.transfer.call(0);
    call.callbacks.onBytesReceived(7);
    const first = await harness.manager.listJobs({ limit: 2 });
    expect(first.items.map((job) => job.id)).toEqual([ids[2], ids[1]]);
    expect(first.nextCursor).not.toBeNull();
    const second = await harness.manager.listJobs({ limit: 2, cursor: first.nextCursor });
    expect(second.items.map((job) => job.id)).toEqual([ids[0]]);
    // The job moving (whichever finished its first step first) shows its live bytes.
    const moving = [...first.items, ...second.items].find((job) => job.id === call.file.jobId);
    expect(moving!.bytesDone).toBe(7);
    const queued = await harness.manager.listJobs({ status: ['queued'] });
    expect(queued.items).toHaveLength(2);
    await expect(harness.manager.listJobs({ limit: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(harness.manager.listJobs({ status: ['bogus' as 'queued'] })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });

  it('logs a store failure while claiming and tries again on the next tick', async () => {
    const clock = new FakeClock();
    harness = await createHarness({ clock, start: false });
    const claim = harness.store.claimNextJob.bind(harness.store);
    let failures = 1;
    harness.store.claimNextJob = async (...args) => {
      if (failures-- > 0) throw new Error('database is restarting');
      return claim(...args);
    };
    await enqueueNamed(harness, 'a');
    await harness.manager.start();
    await clock.advance(10);
    expect(harness.logger.find('could not claim the next job')?.fields).toMatchObject({ message: 'database is restarting' });
    expect(harness.transfer.calls).toHaveLength(0);
    await clock.advance(2_000);
    await harness.transfer.call(0);
  });

  it('gives a job claimed during shutdown straight back to the queue', async () => {
    harness = await createHarness({ start: false });
    const claim = harness.store.claimNextJob.bind(harness.store);
    let releaseClaim!: () => void;
    const claimMayFinish = new Promise<void>((resolve) => {
      releaseClaim = resolve;
    });
    let claimStarted = false;
    harness.store.claimNextJob = async (...args) => {
      claimStarted = true;
      await claimMayFinish;
      return claim(...args);
    };
    const jobId = await enqueueNamed(harness, 'a');
    await harness.manager.start();
    await waitUntil(() => claimStarted, 'a claim to start');
    const stopping = harness.manager.stop();
    releaseClaim();
    await stopping;
    expect(harness.transfer.calls).toHaveLength(0);
    expect(await harness.store.getJob(jobId)).toMatchObject({ status: 'queued', leaseOwner: null });
  });
});
