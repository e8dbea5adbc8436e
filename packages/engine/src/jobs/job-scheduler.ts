/**
 * Decides when jobs start in this process: at most `maxConcurrentJobs` at once, each claimed from
 * the store (highest priority first, then first in), woken by enqueue, resume and finished runs,
 * and by a slow timer for work that appears without a wake-up here (another process enqueued, a
 * dead worker's lease expired) and for the stale-job sweep.
 */
import type { JobRecord } from '../job-model';
import { describeError, logJobStatus } from './job-log';
import { startJobRun } from './job-runner';
import type { ManagerContext } from './manager-context';
import { requeueStaleJobs } from './stale-jobs';

/** How often to look for work nobody woke us for. */
const MAX_POLL_INTERVAL_MS = 2_000;
/** How often to look for stale jobs, at most. */
const MAX_STALE_SWEEP_INTERVAL_MS = 60_000;

export class JobScheduler {
  private started = false;
  private stopping = false;
  private pumping: Promise<void> | null = null;
  private wakeAgain = false;
  private readonly pollTimer = new AbortController();
  private pollLoop: Promise<void> | null = null;
  private lastStaleSweepAt: number;

  constructor(private readonly ctx: ManagerContext) {
    this.lastStaleSweepAt = ctx.clock.now();
  }

  start(): void {
    if (this.started || this.stopping) return;
    this.started = true;
    this.pollLoop = this.pollUntilStopped();
    this.wake();
  }

  wake(): void {
    if (!this.started || this.stopping) return;
    if (this.pumping) {
      this.wakeAgain = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = null;
    });
  }

  /** No new claims from now on; resolves once any claim in flight is settled. */
  async stopClaiming(): Promise<void> {
    this.stopping = true;
    this.pollTimer.abort();
    await this.pumping;
    await this.pollLoop;
  }

  private async pump(): Promise<void> {
    do {
      this.wakeAgain = false;
      try {
        while (!this.stopping && this.ctx.runs.size < this.ctx.config.maxConcurrentJobs) {
          const claimed = await this.ctx.store.claimNextJob(this.ctx.workerId, this.ctx.config.leaseMs, this.ctx.now());
          if (!claimed) break;
          if (this.stopping) {
            await this.giveBack(claimed);
            break;
          }
          this.launch(claimed);
        }
      } catch (error) {
        this.ctx.logger.error({ message: describeError(error) }, 'could not claim the next job');
        return;
      }
    } while (this.wakeAgain && !this.stopping);
  }

  private launch(claimed: JobRecord): void {
    // A run that ignored its abort may still be registered under this id; it no longer owns the job.
    this.ctx.runs.get(claimed.id)?.stop('lease-lost');
    const run = startJobRun(this.ctx, claimed);
    this.ctx.runs.set(claimed.id, run);
    void run.settled.finally(() => {
      if (this.ctx.runs.get(claimed.id) === run) this.ctx.runs.delete(claimed.id);
      this.wake();
    });
  }

  /** A job claimed while shutting down goes straight back, untouched. */
  private async giveBack(claimed: JobRecord): Promise<void> {
    const status = claimed.status === 'verifying' ? 'verifying' : 'queued';
    await this.ctx.store.updateJob(claimed.id, { status, releaseLease: true }, this.ctx.now(), this.ctx.workerId);
    logJobStatus(this.ctx.logger, { ...claimed, status }, 'job returned to the queue for shutdown');
  }

  private async pollUntilStopped(): Promise<void> {
    const pollMs = Math.max(1, Math.min(MAX_POLL_INTERVAL_MS, Math.floor(this.ctx.config.leaseMs / 3)));
    const sweepMs = Math.min(MAX_STALE_SWEEP_INTERVAL_MS, Math.max(pollMs, Math.floor(this.ctx.config.staleAfterMs / 4)));
    for (;;) {
      try {
        await this.ctx.clock.sleep(pollMs, this.pollTimer.signal);
      } catch {
        return;
      }
      if (this.stopping) return;
      if (this.ctx.clock.now() - this.lastStaleSweepAt >= sweepMs) {
        this.lastStaleSweepAt = this.ctx.clock.now();
        try {
          await requeueStaleJobs(this.ctx);
        } catch (error) {
          this.ctx.logger.warn({ message: describeError(error) }, 'stale job sweep failed');
        }
      }
      this.wake();
    }
  }
}
