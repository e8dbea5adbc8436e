/**
 * Decides when jobs start in this process: at most `maxConcurrentJobs` at once, each claimed from
 * the store (highest priority first, then first in), woken by enqueue, resume and finished runs,
 * and by a slow timer for work that appears without a wake-up here (another process enqueued, a
 * dead worker's lease expired) and for the stale-job sweep.
 */
import type { JobRecord } from '../job-model';
import { describeError } from '../errors';
import { logJobStatus } from './job-log';
import { startJobRun } from './job-runner';
import type { TaskRunner } from '../tasks/task-runner';
import type { ManagerContext } from './manager-context';
import { requeueStaleJobs } from './stale-jobs';

/** How often to look for work nobody woke us for. */
const MAX_POLL_INTERVAL_MS = 2_000;
/** A lapsed lease is claimed this long after it lapses (clocks of two processes are never quite equal). */
const LEASE_LAPSE_MARGIN_MS = 50;
/** How often to look for stale jobs, at most. */
const MAX_STALE_SWEEP_INTERVAL_MS = 60_000;

export const JOB_CLAIM_POLL_TASK = 'job-claim-poll';
export const STALE_JOB_SWEEP_TASK = 'stale-job-sweep';

export class JobScheduler {
  private started = false;
  private stopping = false;
  private pumping: Promise<void> | null = null;
  private wakeAgain = false;
  /** Wakes the scheduler as the next lease held by another worker lapses. */
  private lapseTimer: AbortController | null = null;

  /** Its timers are two tasks on the manager's runner, which stops them before `stopClaiming`. */
  constructor(
    private readonly ctx: ManagerContext,
    private readonly tasks: TaskRunner,
  ) {}

  start(): void {
    if (this.started || this.stopping) return;
    this.started = true;
    const pollMs = Math.max(
      1,
      Math.min(MAX_POLL_INTERVAL_MS, Math.floor(this.ctx.config.leaseMs / 3)),
    );
    const sweepMs = Math.min(
      MAX_STALE_SWEEP_INTERVAL_MS,
      Math.max(pollMs, Math.floor(this.ctx.config.staleAfterMs / 4)),
    );
    this.tasks.register({
      name: JOB_CLAIM_POLL_TASK,
      schedule: { every: pollMs, firstAfter: pollMs },
      run: async () => {
        this.wake();
        await this.wakeWhenNextLeaseLapses();
      },
    });
    this.tasks.register({
      name: STALE_JOB_SWEEP_TASK,
      schedule: { every: sweepMs, firstAfter: sweepMs },
      failureMessage: 'stale job sweep failed',
      run: async () => {
        await requeueStaleJobs(this.ctx);
        this.wake();
      },
    });
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
    this.lapseTimer?.abort();
    this.lapseTimer = null;
    await this.tasks.remove(JOB_CLAIM_POLL_TASK);
    await this.tasks.remove(STALE_JOB_SWEEP_TASK);
    await this.pumping;
  }

  private async pump(): Promise<void> {
    do {
      this.wakeAgain = false;
      try {
        while (!this.stopping && this.downloadingRuns() < this.ctx.config.maxConcurrentJobs) {
          const claimed = await this.ctx.store.claimNextJob(
            this.ctx.workerId,
            this.ctx.config.leaseMs,
            this.ctx.now(),
            this.ctx.nodeName,
          );
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

  /**
   * A dead worker's job is resumed as soon as its lease lapses, not at the next poll: the poll
   * sees the lease (it lasts many polls) and sets a timer for the moment it ends.
   */
  private async wakeWhenNextLeaseLapses(): Promise<void> {
    if (this.stopping || this.downloadingRuns() >= this.ctx.config.maxConcurrentJobs) return;
    let nextLapse = Number.POSITIVE_INFINITY;
    for (const job of await this.ctx.store.listActiveJobs()) {
      if (job.status !== 'running' && job.status !== 'verifying') continue;
      if (job.leaseOwner === this.ctx.workerId || job.leaseExpiresAt === null) continue;
      nextLapse = Math.min(nextLapse, job.leaseExpiresAt.getTime());
    }
    this.lapseTimer?.abort();
    this.lapseTimer = null;
    if (!Number.isFinite(nextLapse) || this.stopping) return;
    const timer = new AbortController();
    this.lapseTimer = timer;
    const waitMs = Math.max(0, nextLapse - this.ctx.now().getTime()) + LEASE_LAPSE_MARGIN_MS;
    this.ctx.clock.sleep(waitMs, timer.signal).then(
      () => {
        if (this.lapseTimer !== timer) return;
        this.lapseTimer = null;
        this.wake();
      },
      () => undefined,
    );
  }

  /** True once started and until stopping: jobs may start here. */
  get takingWork(): boolean {
    return this.started && !this.stopping;
  }

  /**
   * Runs the first step of a job enqueued here (created leased to this worker) at once, outside the
   * download slots: resolving a link must not wait for other downloads to finish. The job then
   * waits its turn in the queue.
   */
  launchPreparation(job: JobRecord): void {
    if (!this.takingWork) {
      void this.giveBack(job).catch((error: unknown) =>
        this.ctx.logger.warn(
          { jobId: job.id, message: describeError(error) },
          'could not return a job to the queue',
        ),
      );
      return;
    }
    this.launch(job, { preparesOnly: true });
  }

  /** True while taking work with fewer downloads running than allowed. */
  hasFreeSlot(): boolean {
    return this.takingWork && this.downloadingRuns() < this.ctx.config.maxConcurrentJobs;
  }

  /** Runs that hold a download slot (a run doing only a job's first step does not). */
  private downloadingRuns(): number {
    let count = 0;
    for (const run of this.ctx.runs.values()) if (!run.preparesOnly) count++;
    return count;
  }

  private launch(claimed: JobRecord, options: { preparesOnly?: boolean } = {}): void {
    // A run that ignored its abort may still be registered under this id; it no longer owns the job.
    this.ctx.runs.get(claimed.id)?.stop('lease-lost');
    const run = startJobRun(this.ctx, claimed, options);
    this.ctx.runs.set(claimed.id, run);
    void run.settled.finally(() => {
      if (this.ctx.runs.get(claimed.id) === run) this.ctx.runs.delete(claimed.id);
      this.wake();
    });
  }

  /** A job claimed while shutting down goes straight back, untouched. */
  private async giveBack(claimed: JobRecord): Promise<void> {
    const status = claimed.status === 'verifying' ? 'verifying' : 'queued';
    await this.ctx.store.updateJob(
      claimed.id,
      { status, releaseLease: true },
      this.ctx.now(),
      this.ctx.workerId,
    );
    logJobStatus(this.ctx.logger, { ...claimed, status }, 'job returned to the queue for shutdown');
  }
}
