/**
 * What happens before a manager takes work: jobs left running by a worker that died carry on by
 * themselves (released at once when no other process can hold them, else claimed once their lease
 * expires), temp files no job owns are removed, and jobs stuck without progress are requeued.
 */
import { describeError } from '../errors';
import { logJobStatus } from './job-log';
import type { ManagerContext } from './manager-context';
import { removeOrphanTempFiles } from './orphan-temp-files';
import { requeueStaleJobs } from './stale-jobs';

export interface RecoveryOptions {
  /** True when this process is the only one using the store (embedded PGlite). */
  recoverAllLeases: boolean;
}

export interface RecoveryReport {
  requeued: number;
  orphanTempFilesRemoved: number;
  staleRequeued: number;
}

export async function recoverAtStartup(ctx: ManagerContext, options: RecoveryOptions): Promise<RecoveryReport> {
  const requeued = await requeueInterruptedJobs(ctx, options.recoverAllLeases);
  let orphanTempFilesRemoved = 0;
  try {
    orphanTempFilesRemoved = await removeOrphanTempFiles(ctx);
  } catch (error) {
    // Leftover temp files waste space but harm nothing: never let them stop the queue.
    ctx.logger.warn({ message: describeError(error) }, 'could not clean up orphan temp files');
  }
  const staleRequeued = await requeueStaleJobs(ctx);
  return { requeued, orphanTempFilesRemoved, staleRequeued };
}

/**
 * Running jobs whose worker cannot be alive go back to the queue with their lease released: all of
 * them when no other process shares the store, else those held under this worker's own id (a
 * previous run of this same worker).
 */
async function requeueInterruptedJobs(ctx: ManagerContext, recoverAllLeases: boolean): Promise<number> {
  let requeued = 0;
  for (const job of await ctx.store.listActiveJobs()) {
    if (job.status !== 'running' && job.status !== 'verifying') continue;
    if (!recoverAllLeases && job.leaseOwner !== ctx.workerId) continue;
    const updated = await ctx.store.updateJob(
      job.id,
      { status: 'queued', stalled: null, speedBps: 0, releaseLease: true },
      ctx.now(),
    );
    if (!updated) continue;
    for (const file of updated.files) {
      if (file.status === 'running' || file.status === 'verifying') {
        await ctx.store.updateFile(file.id, { status: 'queued' }, ctx.now());
      }
    }
    requeued++;
    logJobStatus(ctx.logger, updated, 'interrupted job returned to the queue', { previousOwner: job.leaseOwner });
    await ctx.events.record('status', { ...updated, files: updated.files.map(requeueFile) });
  }
  return requeued;
}

function requeueFile<T extends { status: string }>(file: T): T {
  return file.status === 'running' || file.status === 'verifying' ? { ...file, status: 'queued' } : file;
}
