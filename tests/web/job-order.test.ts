import { describe, expect, it } from 'vitest';
import type { Job } from '../../apps/web/src/lib/api/types';
import {
  queuePositions,
  sortActive,
  sortFinished,
} from '../../apps/web/src/lib/downloads/job-order';
import { jobSummary } from '../support/factories';

function job(id: string, overrides: Partial<Job>): Job {
  return jobSummary({ id, source: id, ...overrides });
}

describe('job order', () => {
  const jobs = [
    job('paused', { status: 'paused', queueOrder: 1 }),
    job('low', { queueOrder: 2 }),
    job('high', { priority: 5, queueOrder: 9 }),
    job('moved-to-top', { queueOrder: -1 }),
    job('running', { status: 'running', queueOrder: 20 }),
    job('done-early', { status: 'completed', finishedAt: '2025-01-01T01:00:00.000Z' }),
    job('done-late', { status: 'failed', finishedAt: '2025-01-01T02:00:00.000Z' }),
  ];

  it('shows running jobs first, then the queue in run order, then paused jobs', () => {
    expect(sortActive(jobs).map((item) => item.id)).toEqual([
      'running',
      'high',
      'moved-to-top',
      'low',
      'paused',
    ]);
  });

  it('numbers queued jobs in the order they will start', () => {
    expect([...queuePositions(jobs)]).toEqual([
      ['high', 1],
      ['moved-to-top', 2],
      ['low', 3],
    ]);
  });

  it('lists finished jobs most recent first', () => {
    expect(sortFinished(jobs).map((item) => item.id)).toEqual(['done-late', 'done-early']);
  });
});
