import { describe, expect, it } from 'vitest';
import type { Job, JobEvent } from '../../apps/web/src/lib/api/types';
import { JobListMerge } from '../../apps/web/src/lib/downloads/job-list-merge';
import { jobSummary } from '../support/factories';

function job(id: string, updatedAt: string, overrides: Partial<Job> = {}): Job {
  return jobSummary({
    id,
    status: 'running',
    source: `https://origin.test/${id}.bin`,
    queueOrder: 1,
    bytesTotal: 100,
    updatedAt,
    ...overrides,
  });
}

function event(subject: Job, type: JobEvent['type'] = 'progress'): JobEvent {
  return { id: '1', jobId: subject.id, type, job: subject };
}

function removal(jobId: string): JobEvent {
  return { id: '2', jobId, type: 'removed', job: null };
}

const T1 = '2025-01-01T00:00:01.000Z';
const T2 = '2025-01-01T00:00:02.000Z';
const T3 = '2025-01-01T00:00:03.000Z';

describe('JobListMerge', () => {
  it('keeps the newer state when an older one arrives late on another channel', () => {
    const jobs = new Map<string, Job>();
    const merge = new JobListMerge(jobs);
    merge.receive(event(job('a', T2, { status: 'paused' }), 'status'));
    merge.upsert(job('a', T1, { status: 'running', bytesDone: 40 }));
    expect(jobs.get('a')?.status).toBe('paused');
  });

  it('takes progress that carries the same updatedAt', () => {
    const jobs = new Map<string, Job>();
    const merge = new JobListMerge(jobs);
    merge.receive(event(job('a', T1, { bytesDone: 10 })));
    merge.receive(event(job('a', T1, { bytesDone: 20 })));
    expect(jobs.get('a')?.bytesDone).toBe(20);
  });

  it('never brings back a removed job', () => {
    const jobs = new Map<string, Job>();
    const merge = new JobListMerge(jobs);
    merge.upsert(job('a', T1, { status: 'completed' }));
    merge.receive(removal('a'));
    merge.upsert(job('a', T1, { status: 'completed' }));
    merge.beginSnapshot();
    merge.applySnapshot([job('a', T1, { status: 'completed' })]);
    expect(jobs.has('a')).toBe(false);
  });

  it('drops jobs a snapshot no longer lists', () => {
    const jobs = new Map<string, Job>();
    const merge = new JobListMerge(jobs);
    merge.upsert(job('gone', T1));
    merge.upsert(job('kept', T1));
    merge.beginSnapshot();
    merge.applySnapshot([job('kept', T2)]);
    expect([...jobs.keys()]).toEqual(['kept']);
  });

  it('replays events that raced the snapshot over it', () => {
    const jobs = new Map<string, Job>();
    const merge = new JobListMerge(jobs);
    merge.beginSnapshot();
    // Arrive while the list request is in flight: a new job, and a status change newer than the list.
    merge.receive(event(job('new', T2), 'created'));
    merge.receive(event(job('a', T3, { status: 'completed', bytesDone: 100 }), 'status'));
    merge.applySnapshot([job('a', T2, { status: 'running', bytesDone: 60 })]);
    expect(jobs.get('a')?.status).toBe('completed');
    expect(jobs.has('new')).toBe(true);
  });

  it('lets the snapshot win over a raced event that is older', () => {
    const jobs = new Map<string, Job>();
    const merge = new JobListMerge(jobs);
    merge.beginSnapshot();
    merge.receive(event(job('a', T1, { status: 'running' }), 'status'));
    merge.applySnapshot([job('a', T2, { status: 'cancelled' })]);
    expect(jobs.get('a')?.status).toBe('cancelled');
  });

  it('stops keeping events once a snapshot is applied or abandoned', () => {
    const jobs = new Map<string, Job>();
    const merge = new JobListMerge(jobs);
    merge.beginSnapshot();
    merge.receive(event(job('a', T1)));
    merge.abandonSnapshot();
    merge.receive(event(job('b', T1)));
    merge.beginSnapshot();
    merge.applySnapshot([]);
    // Neither event is replayed: the empty snapshot is the truth.
    expect(jobs.size).toBe(0);
  });
});
