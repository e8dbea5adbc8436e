/**
 * Jobs for a node, through two download managers sharing one store (two processes): a job enqueued
 * with `node` runs only on the manager of that name, shows "waiting for <node>" while that node is
 * not alive, and is carried out once it starts; a bad node name is refused before anything is made.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ModeldockError } from '@modeldock/engine';
import { createHarness, waitUntil } from '../jobs/helpers/harness';
import type { Harness } from '../jobs/helpers/harness';

let harness: Harness;
afterEach(async () => {
  await harness?.dispose();
});

describe('jobs for a node', () => {
  it('run only on the worker of that name, and say they wait for it while it is down', async () => {
    const alive = new Set(['gpu-a']);
    harness = await createHarness({
      workerId: 'gpu-a:1:x',
      extra: { nodeName: 'gpu-a', presence: { isAlive: (node) => alive.has(node) } },
    });
    const { jobId } = await harness.manager.enqueue({
      url: 'https://cdn.example/for-b.gguf',
      folder: 'diffusion_models',
      node: 'gpu-b',
    });
    const { jobId: anyJob } = await harness.manager.enqueue({
      url: 'https://cdn.example/for-any.gguf',
      folder: 'diffusion_models',
    });

    // A takes the job for any node and leaves B's, however many times it looks for work.
    const first = await harness.transfer.call(0);
    expect(first.file.name).toBe('for-any.gguf');
    await first.complete('x');
    await harness.waitForStatus(anyJob, 'completed');
    await new Promise((resolve) => setTimeout(resolve, 3 * 200));
    expect(harness.transfer.calls).toHaveLength(1);
    const waiting = await harness.manager.getJob(jobId);
    expect(waiting).toMatchObject({ status: 'queued', node: 'gpu-b', waitingFor: 'gpu-b' });
    expect(harness.events.filter((event) => event.jobId === jobId).at(-1)?.job).toMatchObject({
      waitingFor: 'gpu-b',
    });

    // B starts: it is alive, so the job is plainly queued, and B downloads it.
    alive.add('gpu-b');
    expect(await harness.manager.getJob(jobId)).toMatchObject({
      status: 'queued',
      waitingFor: null,
    });
    const b = await harness.another({ workerId: 'gpu-b:1:y', extra: { nodeName: 'gpu-b' } });
    const call = await b.transfer.call(0);
    expect(call.file.name).toBe('for-b.gguf');
    await call.complete('y');
    await b.waitForStatus(jobId, 'completed');
    expect(harness.transfer.calls).toHaveLength(1);
  });

  it('a job for this very node runs here and never shows as waiting', async () => {
    harness = await createHarness({ workerId: 'gpu-a:1:x', extra: { nodeName: 'gpu-a' } });
    const { jobId } = await harness.manager.enqueue({
      url: 'https://cdn.example/here.gguf',
      folder: 'diffusion_models',
      node: 'gpu-a',
    });
    const call = await harness.transfer.call(0);
    await call.complete('x');
    const done = await harness.waitForStatus(jobId, 'completed');
    expect(done).toMatchObject({ node: 'gpu-a', waitingFor: null });
  });

  it('refuses a node name that is not a worker name, creating nothing', async () => {
    harness = await createHarness({ extra: { nodeName: 'gpu-a' } });
    for (const node of ['gpu a', '../etc', '-dash', 'x'.repeat(64)]) {
      const refusal = await harness.manager
        .enqueue({ url: 'https://cdn.example/a.gguf', folder: 'checkpoints', node })
        .catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(ModeldockError);
      expect((refusal as ModeldockError).code).toBe('INVALID_INPUT');
    }
    expect((await harness.manager.listJobs({})).items).toEqual([]);
  });

  it('without a node name the worker is named after the host part of its id', async () => {
    harness = await createHarness({ workerId: 'box-7:42:abcd' });
    const { jobId } = await harness.manager.enqueue({
      url: 'https://cdn.example/b.gguf',
      folder: 'diffusion_models',
      node: 'box-7',
    });
    await (await harness.transfer.call(0)).complete('x');
    await waitUntil(
      async () => (await harness.store.getJob(jobId))?.status === 'completed',
      'the job to complete',
    );
  });
});
