/**
 * The server's look at jobs other processes run (PostgreSQL shared by several servers): a progress
 * event when durable bytes move, and when the job's worker stops answering, so a dead worker's job
 * never keeps showing its last speed until the lease lapses.
 */
import { describe, expect, it } from 'vitest';
import type { DownloadManager, JobEvent, JobSummary } from '@modeldock/engine';
import { remoteProgressTask } from '../../apps/server/src/events/remote-job-progress';
import { jobSummary } from '../support/factories';

function runningJob(overrides: Partial<JobSummary> = {}): JobSummary {
  return jobSummary({
    status: 'running',
    source: 'https://cdn.example/a.safetensors',
    queueOrder: 1,
    bytesDone: 100,
    bytesTotal: 1000,
    speedBps: 5_000,
    etaSeconds: 180,
    currentFileIndex: 0,
    createdAt: '2030-01-01T00:00:00.000Z',
    updatedAt: '2030-01-01T00:00:00.000Z',
    ...overrides,
  });
}

function lookWith(jobs: () => JobSummary[]) {
  const published: JobEvent[] = [];
  const task = remoteProgressTask({
    manager: {
      listJobs: async () => ({ items: jobs(), nextCursor: null }),
    } as unknown as DownloadManager,
    clock: { now: () => 1_000_000, sleep: async () => undefined },
    intervalMs: 1_000,
    hasSubscribers: () => true,
    lastLocalProgressAt: () => undefined,
    currentStoredId: async () => 7n,
    publish: (event) => published.push(event),
  });
  return {
    published,
    look: () => task.run(new AbortController().signal, { report: () => undefined }),
  };
}

describe('progress of jobs other processes run', () => {
  it('publishes when the bytes move and when the worker stops answering, and not otherwise', async () => {
    let current = runningJob();
    const { published, look } = lookWith(() => [current]);
    await look();
    expect(published).toHaveLength(1);
    await look();
    expect(published).toHaveLength(1);

    current = runningJob({
      speedBps: 0,
      etaSeconds: null,
      stalled: {
        code: 'WORKER_NOT_RESPONDING',
        reason:
          'The worker running this download stopped responding; another one resumes it in 9 s',
        nextAttemptAt: '2030-01-01T00:00:30.000Z',
        attempt: 1,
      },
    });
    await look();
    expect(published).toHaveLength(2);
    expect(published[1]).toMatchObject({
      type: 'progress',
      jobId: 'job-1',
      job: { speedBps: 0, stalled: { code: 'WORKER_NOT_RESPONDING' } },
    });
    await look();
    expect(published).toHaveLength(2);

    current = runningJob({ bytesDone: 400 });
    await look();
    expect(published).toHaveLength(3);
  });
});
