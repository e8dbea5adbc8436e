/**
 * A job's `actions` (sent with every job by the API) say exactly what the engine's control
 * functions accept: for every status, an action in the list is carried out, and one outside it is
 * refused (INVALID_STATE) or a harmless repeat that changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB_ACTIONS, JOB_STATUSES, ModeldockError } from '@modeldock/engine';
import type { DownloadManager, JobAction, JobStatus } from '@modeldock/engine';
import { createHarness } from './helpers/harness';
import type { Harness } from './helpers/harness';
import { newFile } from '../../support/factories';

let harness: Harness;
beforeAll(async () => {
  harness = await createHarness({ start: false });
});
afterAll(async () => {
  await harness?.dispose();
});

const CONTROL: Record<JobAction, (manager: DownloadManager, jobId: string) => Promise<unknown>> = {
  pause: (manager, jobId) => manager.pause(jobId),
  resume: (manager, jobId) => manager.resume(jobId),
  cancel: (manager, jobId) => manager.cancel(jobId),
  retry: (manager, jobId) => manager.retry(jobId),
  setPriority: (manager, jobId) => manager.setPriority(jobId, 3),
  moveToTop: (manager, jobId) => manager.moveToTop(jobId),
  setBandwidthLimit: (manager, jobId) => manager.setJobBandwidthLimit(jobId, 1_000_000),
  rollback: (manager, jobId) => manager.rollback(jobId),
  remove: (manager, jobId) => manager.removeJob(jobId),
};

let created = 0;
async function jobIn(status: JobStatus, fileCount: number): Promise<string> {
  created++;
  const job = await harness.store.createJob(
    {
      source: `https://cdn.example/job-${created}`,
      kind: 'url',
      priority: 0,
      status,
      files: Array.from({ length: fileCount }, (_, index) =>
        newFile(`job-${created}/file-${index}.gguf`, { bytesTotal: 10 }),
      ),
    },
    new Date(),
  );
  return job.id;
}

/** 'accepted' when the call changed the job (or removed it), otherwise how it declined. */
async function outcomeOf(
  action: JobAction,
  jobId: string,
): Promise<'accepted' | 'refused' | 'repeat'> {
  const before = JSON.stringify(await harness.store.getJob(jobId));
  try {
    await CONTROL[action](harness.manager, jobId);
  } catch (error) {
    if (error instanceof ModeldockError && error.code === 'INVALID_STATE') return 'refused';
    throw error;
  }
  return JSON.stringify(await harness.store.getJob(jobId)) === before ? 'repeat' : 'accepted';
}

describe("a job's actions", () => {
  for (const fileCount of [1, 2]) {
    for (const status of JOB_STATUSES) {
      it(`match what the control functions accept for a ${status} job of ${fileCount} file(s)`, async () => {
        const listed = (await harness.manager.getJob(await jobIn(status, fileCount))).actions;
        for (const action of JOB_ACTIONS) {
          const outcome = await outcomeOf(action, await jobIn(status, fileCount));
          // A rollback with nothing completed to remove is accepted and has nothing to change.
          const accepted =
            outcome === 'accepted' || (action === 'rollback' && outcome === 'repeat');
          expect({ action, accepted }).toEqual({ action, accepted: listed.includes(action) });
        }
      });
    }
  }

  it('let a verifying job be paused, and a finished one be removed but not paused', async () => {
    expect((await harness.manager.getJob(await jobIn('verifying', 1))).actions).toContain('pause');
    const failed = (await harness.manager.getJob(await jobIn('failed', 2))).actions;
    expect(failed).toEqual(['cancel', 'retry', 'rollback', 'remove']);
  });
});
