/**
 * A job that says 'running' but has recorded nothing (no progress, no retry notice, no heartbeat)
 * for `staleAfterMs` is stale: its worker hangs or is gone. It goes back to the queue to be retried
 * (its worker, if alive, sees the lease lost and stops writing); after `maxAttempts` it fails.
 * Either way its interrupted files wait in the queue again: none of them is moving any more.
 */
import { toJobError, ModeldockError } from '../errors';
import type { JobRecord } from '../job-model';
import { formatDuration } from './human-duration';
import { describeError } from '../errors';
import { logJobError } from './job-log';
import type { ManagerContext } from './manager-context';

export async function requeueStaleJobs(ctx: ManagerContext): Promise<number> {
  const now = ctx.clock.now();
  const staleBefore = now - ctx.config.staleAfterMs;
  let requeued = 0;
  for (const job of await ctx.store.listActiveJobs()) {
    if (job.status !== 'running' && job.status !== 'verifying') continue;
    if (job.updatedAt.getTime() > staleBefore) continue;
    try {
      if (await markStale(ctx, job)) requeued++;
    } catch (error) {
      ctx.logger.warn({ jobId: job.id, message: describeError(error) }, 'could not requeue a stale job');
    }
  }
  return requeued;
}

async function markStale(ctx: ManagerContext, job: JobRecord): Promise<boolean> {
  const attempts = job.attempts + 1;
  const stale = new ModeldockError(
    'STALE',
    `No progress for ${formatDuration(ctx.config.staleAfterMs)}: the download was stuck and is being retried`,
  );
  const outOfAttempts = attempts >= ctx.config.maxAttempts;
  const jobError = toJobError(
    outOfAttempts
      ? new ModeldockError('STALE', `No progress for ${formatDuration(ctx.config.staleAfterMs)}, ${attempts} times: giving up. Use Retry to try again.`)
      : stale,
    ctx.clock.now(),
  );
  // Files first: once the job is queued, a worker may claim it and mark them running again.
  for (const file of job.files) {
    if (file.status === 'running' || file.status === 'verifying') {
      await ctx.store.updateFile(file.id, { status: 'queued' }, ctx.now());
    }
  }
  const updated = await ctx.store.updateJob(
    job.id,
    outOfAttempts
      ? { status: 'failed', error: jobError, finishedAt: ctx.now(), attempts, stalled: null, speedBps: 0, releaseLease: true }
      : { status: 'queued', attempts, stalled: null, speedBps: 0, releaseLease: true },
    ctx.now(),
  );
  if (!updated) return false;
  logJobError(ctx.logger, 'warn', updated, jobError, outOfAttempts ? 'stale job failed' : 'stale job requeued', {
    attempts,
    previousOwner: job.leaseOwner,
  });
  // If this process was running it, stop writing now rather than at the next lease renewal.
  ctx.runs.get(job.id)?.stop('lease-lost');
  await ctx.events.record('status', updated);
  return true;
}
