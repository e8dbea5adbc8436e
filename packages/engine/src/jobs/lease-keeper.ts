/**
 * Keeps this worker's lease on a running job alive (renewed every leaseMs/3). When the store says
 * the lease is gone (the job was paused or cancelled by another process, or another worker took it)
 * or it cannot be renewed before it expires, `onLost` fires so the transfer stops writing at once.
 */
import type { JobStatus } from '../job-model';
import type { Clock, JobStore, Logger } from '../ports';
import { describeError } from '../errors';

export interface LeaseKeeperOptions {
  store: JobStore;
  clock: Clock;
  logger: Logger;
  jobId: string;
  workerId: string;
  leaseMs: number;
  /** The status another process gave the job, or null when unknown (deleted, or the store unreachable). */
  onLost(status: JobStatus | null): void;
  /** After each successful renewal (used to pick up settings changed by another process). */
  onRenewed?(): Promise<void>;
}

export interface LeaseKeeper {
  stop(): void;
  readonly done: Promise<void>;
}

export function keepLease(options: LeaseKeeperOptions): LeaseKeeper {
  const controller = new AbortController();
  const done = renewUntilStopped(options, controller.signal);
  return { stop: () => controller.abort(), done };
}

async function renewUntilStopped(options: LeaseKeeperOptions, signal: AbortSignal): Promise<void> {
  const { store, clock, logger, jobId, workerId, leaseMs } = options;
  const intervalMs = Math.max(1, Math.floor(leaseMs / 3));
  let heldUntil = clock.now() + leaseMs;
  for (;;) {
    try {
      await clock.sleep(intervalMs, signal);
    } catch {
      return;
    }
    if (signal.aborted) return;
    const now = clock.now();
    let outcome;
    try {
      outcome = await store.renewLease(jobId, workerId, leaseMs, new Date(now));
    } catch (error) {
      if (signal.aborted) return;
      logger.warn({ jobId, code: 'LEASE_LOST', message: describeError(error) }, 'could not renew the job lease');
      // Past expiry another worker may already be writing the same file: stop rather than race it.
      if (clock.now() >= heldUntil) {
        options.onLost(null);
        return;
      }
      continue;
    }
    if (signal.aborted) return;
    if (outcome.kind === 'lost') {
      options.onLost(outcome.status);
      return;
    }
    heldUntil = now + leaseMs;
    if (options.onRenewed) {
      await options.onRenewed().catch((error: unknown) => {
        logger.warn({ jobId, message: describeError(error) }, 'could not refresh the job settings');
      });
    }
  }
}
