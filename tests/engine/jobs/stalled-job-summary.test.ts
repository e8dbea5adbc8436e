/**
 * While a running job waits to retry (stalled), no byte moves: its summary shows speed 0 and no ETA,
 * even though the sliding-window average of the seconds before the stall is still above zero.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { toJobSummary } from '@modeldock/engine';
import type { JobRecord, StalledState } from '@modeldock/engine';
import { FakeClock } from './helpers/fake-clock';
import { createHarness, waitUntil } from './helpers/harness';
import type { Harness } from './helpers/harness';

let harness: Harness;
afterEach(async () => {
  await harness?.dispose();
});

const STALLED: StalledState = {
  reason: 'The server sent bytes from 90 when asked for bytes from 100; restarting the file',
  code: 'BAD_CONTENT_RANGE',
  nextAttemptAt: new Date(0).toISOString(),
  attempt: 2,
};

describe('a stalled job', () => {
  it('shows speed 0 and no ETA until bytes flow again', async () => {
    const clock = new FakeClock();
    harness = await createHarness({ clock });
    const { jobId } = await harness.manager.enqueue({ url: 'https://cdn.example/model.bin', folder: 'checkpoints' });
    const call = await harness.transfer.call(0);
    await clock.advance(1_000);
    await call.progress(2_000_000, 10_000_000);
    const moving = await harness.manager.getJob(jobId);
    expect(moving.speedBps).toBeGreaterThan(0);
    expect(moving.etaSeconds).toBeGreaterThan(0);

    call.callbacks.onStalled(STALLED);
    await waitUntil(async () => (await harness.manager.getJob(jobId)).stalled !== null, 'stalled');
    const stalled = await harness.manager.getJob(jobId);
    expect(stalled).toMatchObject({ status: 'running', speedBps: 0, etaSeconds: null });
    const published = harness.events.filter((event) => event.job?.stalled?.code === STALLED.code);
    expect(published.length).toBeGreaterThan(0);
    for (const event of published)
      expect(event.job).toMatchObject({ speedBps: 0, etaSeconds: null });

    call.callbacks.onStalled(null);
    await waitUntil(
      async () => (await harness.manager.getJob(jobId)).stalled === null,
      'unstalled',
    );
    await clock.advance(500);
    call.callbacks.onBytesReceived(3_000_000);
    expect((await harness.manager.getJob(jobId)).speedBps).toBeGreaterThan(0);
  });

  it('is not moving in toJobSummary, whatever the live speed says', () => {
    const at = new Date(0);
    const job: JobRecord = {
      id: 'j1',
      status: 'running',
      source: 'https://cdn.example/model.bin',
      kind: 'direct',
      priority: 0,
      queueOrder: 1,
      files: [
        {
          id: 'f1',
          jobId: 'j1',
          index: 0,
          url: 'https://cdn.example/model.bin',
          name: 'model.bin',
          relativePath: 'model.bin',
          bytesDone: 100,
          bytesTotal: 1_000,
          expectedSha256: null,
          sha256: null,
          status: 'running',
          validator: null,
          segments: null,
          credential: null,
          format: null,
          revision: null,
          error: null,
        },
      ],
      error: null,
      stalled: STALLED,
      bandwidthLimitBps: null,
      speedBps: 50,
      attempts: 1,
      onFileFailure: 'keep',
      warnings: [],
      node: null,
      leaseOwner: 'w',
      leaseExpiresAt: at,
      createdAt: at,
      updatedAt: at,
      startedAt: at,
      finishedAt: null,
    };
    const live = { bytesByFileId: new Map([['f1', 400]]), speedBps: 100 };
    expect(toJobSummary(job, live)).toMatchObject({
      bytesDone: 400,
      speedBps: 0,
      etaSeconds: null,
    });
    expect(toJobSummary({ ...job, stalled: null }, live)).toMatchObject({
      speedBps: 100,
      etaSeconds: 6,
    });
  });
});
