/**
 * Before a job starts, the disk must hold what it still needs plus what the jobs already running
 * (here or in another process) and the queued jobs ahead of it still need; otherwise it fails at
 * once with DISK_FULL instead of filling the disk half-way. Sizes not yet known count as 0.
 *
 * Checks in this process take turns, and a local job counts for others only once it has passed its
 * own check: two jobs claimed together must not each fail because of the other.
 */
import { ModeldockError } from '../errors';
import type { JobRecord } from '../job-model';
import type { ManagerContext } from './manager-context';
import { formatBytes } from './human-bytes';
import { hfCacheTwinsOf } from './hf-cache-twins';

/** Bytes a job still has to write (files not complete, with a known size; a twin is a link, no bytes). */
export function remainingBytes(job: JobRecord): number {
  let remaining = 0;
  const twins = hfCacheTwinsOf(job.files);
  for (const file of job.files) {
    if (file.status === 'completed' || file.status === 'present' || file.bytesTotal === null || twins.has(file.id)) continue;
    remaining += Math.max(0, file.bytesTotal - file.bytesDone);
  }
  return remaining;
}

/** Queued jobs that would be claimed before `job`: higher priority, or same priority and earlier. */
function runsBefore(other: JobRecord, job: JobRecord): boolean {
  if (other.priority !== job.priority) return other.priority > job.priority;
  return other.queueOrder < job.queueOrder;
}

/** Runs the check for `job` after any other check of this manager; `onReserved` marks it as counted. */
export function reserveDiskSpace(ctx: ManagerContext, job: JobRecord, onReserved: () => void): Promise<void> {
  return ctx.diskChecks.run(async () => {
    await assertDiskSpaceFor(ctx, job);
    onReserved();
  });
}

function countsAgainst(ctx: ManagerContext, other: JobRecord, job: JobRecord): boolean {
  if (other.status === 'queued') return runsBefore(other, job);
  if (other.status !== 'running' && other.status !== 'verifying') return false;
  const localRun = ctx.runs.get(other.id);
  return localRun ? localRun.diskReserved : true;
}

export async function assertDiskSpaceFor(ctx: ManagerContext, job: JobRecord): Promise<void> {
  const own = remainingBytes(job);
  if (own === 0) return;
  let others = 0;
  let otherJobs = 0;
  for (const other of await ctx.store.listActiveJobs()) {
    if (other.id === job.id) continue;
    const counts = countsAgainst(ctx, other, job);
    if (!counts) continue;
    const need = remainingBytes(other);
    if (need > 0) {
      others += need;
      otherJobs++;
    }
  }
  const free = await ctx.fs.freeBytes(ctx.modelsRoot);
  const needed = own + others;
  const reserve = ctx.config.diskReserveBytes;
  if (needed + reserve <= free) return;
  const shared =
    otherJobs > 0
      ? ` (${formatBytes(own)} for this download and ${formatBytes(others)} for ${otherJobs} other${otherJobs === 1 ? '' : 's'})`
      : '';
  const kept = reserve > 0 ? `, of which ${formatBytes(Math.min(reserve, free))} stays free for the system` : '';
  throw new ModeldockError(
    'DISK_FULL',
    `Not enough disk space: ${formatBytes(needed)} needed, ${formatBytes(free)} free${kept}${shared}. Free up space or pause other downloads, then retry.`,
    { details: { neededBytes: needed, freeBytes: free, reserveBytes: reserve } },
  );
}
