import { describe, expect, it } from 'vitest';
import type { Job } from '../../apps/web/src/lib/api/types';
import {
  queuePositions,
  sortActive,
  sortFinished,
} from '../../apps/web/src/lib/downloads/job-order';

function job(id: string, overrides: Partial<Job>): Job {
  return {
    id,
    status: 'queued',
    source: id,
    kind: 'direct',
    priority: 0,
    queueOrder: 0,
    files: [],
    bytesDone: 0,
    bytesTotal: null,
    speedBps: 0,
    etaSeconds: null,
    error: null,
    stalled: null,
    bandwidthLimitBps: null,
    warnings: [],
    currentFileIndex: null,
    node: null,
    waitingFor: null,
    phase: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: null,
    ...overrides,
  };
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
