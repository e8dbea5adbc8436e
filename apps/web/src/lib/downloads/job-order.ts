/** The order jobs are shown in: what is moving first, then the queue in the order it will run. */
import type { Job, JobStatus } from '../api/types';
import { isActive, isFinished } from './job-status';

const ACTIVE_RANK: Partial<Record<JobStatus, number>> = {
  running: 0,
  verifying: 0,
  queued: 1,
  paused: 2,
};

/** The engine runs higher priority first, then earlier `queueOrder` ("move to top" lowers it). */
function byRunOrder(a: Job, b: Job): number {
  return (
    b.priority - a.priority || a.queueOrder - b.queueOrder || a.createdAt.localeCompare(b.createdAt)
  );
}

export function sortActive(jobs: Job[]): Job[] {
  return jobs
    .filter(isActive)
    .sort(
      (a, b) => (ACTIVE_RANK[a.status] ?? 9) - (ACTIVE_RANK[b.status] ?? 9) || byRunOrder(a, b),
    );
}

/** Most recently finished first. */
export function sortFinished(jobs: Job[]): Job[] {
  const finishedAt = (job: Job) => job.finishedAt ?? job.updatedAt;
  return jobs.filter(isFinished).sort((a, b) => finishedAt(b).localeCompare(finishedAt(a)));
}

/** 1-based position of each queued job in the order the engine will start them. */
export function queuePositions(jobs: Job[]): Map<string, number> {
  const queued = jobs.filter((job) => job.status === 'queued').sort(byRunOrder);
  return new Map(queued.map((job, index) => [job.id, index + 1]));
}
