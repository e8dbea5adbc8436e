/**
 * What a user can do to a job: pause, resume, cancel, retry, reprioritise, move to the top, limit
 * its bandwidth, clear finished jobs. A job running in this process is stopped first and its run
 * awaited (so its durable offsets are recorded and nothing writes behind our back); a job running
 * elsewhere is changed in the store, and its worker notices at the next lease renewal.
 */
import { ModeldockError } from '../errors';
import { FINISHED_STATUSES, toJobSummary } from '../job-model';
import type { FileRecord, JobRecord, JobSummary } from '../job-model';
import type { JobPatch } from '../ports';
import type { StoredEventType } from './job-events';
import { logJobStatus } from './job-log';
import { allowedActions, checkTransition } from '../job-transitions';
import type { JobAction } from '../job-transitions';
import type { JobRun, ManagerContext, StopReason } from './manager-context';
import { discardUnfinishedFiles, removePartialFiles } from './partial-files';
import { validateBandwidthLimit, validatePriority } from './enqueue-request';
import { describeRollback, removeFilesTheJobCompleted } from './job-rollback';

const MAX_JOB_ID_LENGTH = 100;
/** A job whose lease holder keeps changing under a status change is retried this often, then refused. */
const MAX_STATUS_CHANGE_ATTEMPTS = 3;

export class JobControl {
  constructor(private readonly ctx: ManagerContext) {}

  async getJob(jobId: string): Promise<JobSummary> {
    return this.summarise(await this.load(jobId));
  }

  summarise(job: JobRecord): JobSummary {
    return toJobSummary(
      job,
      this.ctx.runs.get(job.id)?.live(),
      { now: this.ctx.now().getTime(), leaseMs: this.ctx.config.leaseMs, workerId: this.ctx.workerId },
      this.ctx.presence ?? undefined,
    );
  }

  async pause(jobId: string): Promise<JobSummary> {
    return this.changeStatus(
      jobId,
      'pause',
      'paused',
      async () => ({ status: 'paused', stalled: null, speedBps: 0, releaseLease: true }),
      async (paused) => ({ ...paused, files: await this.requeueInterruptedFiles(paused.files) }),
    );
  }

  async resume(jobId: string): Promise<JobSummary> {
    const summary = await this.changeStatus(jobId, 'resume', null, async () => ({
      status: 'queued',
      stalled: null,
      error: null,
      releaseLease: true,
    }));
    this.ctx.wakeScheduler();
    return summary;
  }

  async cancel(jobId: string): Promise<JobSummary> {
    return this.changeStatus(
      jobId,
      'cancel',
      'cancelled',
      async () => ({ status: 'cancelled', finishedAt: this.ctx.now(), stalled: null, speedBps: 0, releaseLease: true }),
      // Stopped (or never run here): remove what it wrote so far. A worker elsewhere that has not yet
      // noticed removes its own temp files once it sees the job cancelled.
      async (cancelled) => ({ ...cancelled, files: await discardUnfinishedFiles(this.ctx, cancelled.files) }),
    );
  }

  async retry(jobId: string): Promise<JobSummary> {
    const summary = await this.changeStatus(jobId, 'retry', null, async (job) => {
      for (const file of job.files) {
        if (file.status === 'failed' || file.status === 'cancelled') {
          await this.ctx.store.updateFile(file.id, { status: 'queued', error: null }, this.ctx.now());
        }
      }
      return { status: 'queued', error: null, stalled: null, finishedAt: null, attempts: 0, releaseLease: true };
    });
    this.ctx.wakeScheduler();
    return summary;
  }

  async setPriority(jobId: string, priority: number): Promise<JobSummary> {
    const value = validatePriority(priority);
    const summary = await this.changeSettings(jobId, 'setPriority', async () => ({ priority: value }));
    this.ctx.wakeScheduler();
    return summary;
  }

  async moveToTop(jobId: string): Promise<JobSummary> {
    const summary = await this.changeSettings(jobId, 'moveToTop', async () => ({
      queueOrder: (await this.ctx.store.minQueueOrder()) - 1,
    }));
    this.ctx.wakeScheduler();
    return summary;
  }

  async setJobBandwidthLimit(jobId: string, bytesPerSecond: number | null): Promise<JobSummary> {
    const limit = validateBandwidthLimit(bytesPerSecond);
    const summary = await this.changeSettings(jobId, 'setBandwidthLimit', async () => ({ bandwidthLimitBps: limit }));
    this.ctx.runs.get(jobId)?.setBandwidthLimit(limit);
    return summary;
  }

  /**
   * Deletes the files a failed or cancelled bundle completed, and says so on the job (each removed
   * file is marked cancelled, so a retry downloads it again). A job with one file has nothing to roll
   * back that Clear finished would not remove.
   */
  async rollback(jobId: string): Promise<JobSummary> {
    const job = await this.load(jobId);
    checkTransition('rollback', job.status);
    if (job.files.length < 2) {
      throw new ModeldockError(
        'INVALID_STATE',
        'Rollback removes the files a download of several files completed; this download has a single file (use Clear finished to remove it and its partial file).',
      );
    }
    const outcome = await removeFilesTheJobCompleted(this.ctx, job);
    if (outcome.removed.length === 0 && outcome.kept.length === 0) return this.summarise(job);
    for (const file of outcome.removed) {
      await this.ctx.store.updateFile(
        file.id,
        {
          status: 'cancelled',
          bytesDone: 0,
          sha256: null,
          segments: null,
          validator: null,
          error: { code: 'CANCELLED', message: 'Removed by a rollback of this download', at: this.ctx.clock.now() },
        },
        this.ctx.now(),
      );
    }
    const warnings = [...job.warnings, ...describeRollback(outcome)];
    const updated = await this.ctx.store.updateJob(jobId, { warnings }, this.ctx.now());
    if (!updated) throw new ModeldockError('JOB_NOT_FOUND', `No download with id ${jobId}: it was removed meanwhile`);
    await this.publish('updated', updated);
    logJobStatus(this.ctx.logger, updated, 'job rolled back', {
      removed: outcome.removed.map((file) => file.relativePath),
      kept: outcome.kept.map(({ file }) => file.relativePath),
    });
    return this.summarise(updated);
  }

  /**
   * Removes finished jobs and the partial files of those that did not complete; completed files stay.
   * Each job is removed only if it is still finished (a Retry may land meanwhile), and its partial
   * files only once it is gone: a crash in between leaves orphans, which the next start collects.
   */
  async clearFinished(): Promise<number> {
    const jobIds = await this.ctx.store.listFinishedJobIds();
    const removed = await this.removeFinished(jobIds, () => true);
    if (jobIds.length > 0) this.ctx.logger.info({ removed }, 'finished jobs cleared');
    return removed;
  }

  /**
   * Retention: removes completed and cancelled jobs finished before `finishedBefore` (null: none)
   * and failed ones finished before `failedBefore`, as `clearFinished` does (completed files stay),
   * then the stored events of jobs that are gone ('removed' events stay until `eventsBefore`).
   */
  async clearExpired(cutoffs: { finishedBefore: Date | null; failedBefore: Date; eventsBefore: Date }): Promise<{ removed: number; eventsPruned: number }> {
    const latest = Math.max(cutoffs.finishedBefore?.getTime() ?? 0, cutoffs.failedBefore.getTime());
    const jobIds = await this.ctx.store.listFinishedJobIds(new Date(latest));
    const removed = await this.removeFinished(jobIds, (job) => {
      const finishedAt = (job.finishedAt ?? job.updatedAt).getTime();
      if (job.status === 'failed') return finishedAt < cutoffs.failedBefore.getTime();
      return cutoffs.finishedBefore !== null && finishedAt < cutoffs.finishedBefore.getTime();
    });
    const eventsPruned = await this.ctx.store.pruneJobEvents(cutoffs.eventsBefore);
    if (removed > 0 || eventsPruned > 0) this.ctx.logger.info({ removed, eventsPruned }, 'expired finished jobs cleared');
    return { removed, eventsPruned };
  }

  /**
   * Removes finished jobs and the partial files of those that did not complete; completed files stay.
   * Each job is removed only if it is still finished (a Retry may land meanwhile), and its partial
   * files only once it is gone: a crash in between leaves orphans, which the next start collects.
   */
  private async removeFinished(jobIds: string[], expired: (job: JobRecord) => boolean): Promise<number> {
    let removed = 0;
    for (const jobId of jobIds) {
      const job = await this.ctx.store.getJob(jobId);
      if (!job || !FINISHED_STATUSES.includes(job.status) || !expired(job)) continue;
      if ((await this.ctx.store.deleteJobs([jobId], [job.status])) === 0) continue;
      removed++;
      if (job.status !== 'completed') await removePartialFiles(this.ctx.fs, this.ctx.modelsRoot, job.files, this.ctx.logger);
      this.ctx.secretUrls.forget(job.files.map((file) => file.id));
      await this.ctx.events.recordRemoved(jobId);
    }
    return removed;
  }

  /**
   * Removes one finished job from the list (its completed files stay; a failed or cancelled job's
   * partial files go). INVALID_STATE while the job is still queued, running, paused or verifying.
   */
  async removeJob(jobId: string): Promise<void> {
    const job = await this.load(jobId);
    if (!allowedActions({ status: job.status, fileCount: job.files.length }).includes('remove')) {
      throw new ModeldockError(
        'INVALID_STATE',
        `This download is ${job.status}: only a completed, failed or cancelled download can be removed from the list (cancel it first)`,
      );
    }
    if ((await this.ctx.store.deleteJobs([jobId], FINISHED_STATUSES)) === 0) {
      throw new ModeldockError('INVALID_STATE', `Download ${jobId} changed while it was being removed; try again.`);
    }
    if (job.status !== 'completed') await removePartialFiles(this.ctx.fs, this.ctx.modelsRoot, job.files, this.ctx.logger);
    this.ctx.secretUrls.forget(job.files.map((file) => file.id));
    await this.ctx.events.recordRemoved(jobId);
    this.ctx.logger.info({ jobId }, 'finished job removed');
  }

  // ---------------------------------------------------------------------------------------------

  private async load(jobId: string): Promise<JobRecord> {
    if (typeof jobId !== 'string' || jobId.length === 0 || jobId.length > MAX_JOB_ID_LENGTH) {
      throw new ModeldockError('INVALID_INPUT', 'A job id is required');
    }
    const job = await this.ctx.store.getJob(jobId);
    if (!job) {
      throw new ModeldockError('JOB_NOT_FOUND', `No download with id ${jobId}: it may have been cleared from the list`);
    }
    return job;
  }

  /**
   * Checks the transition, stops a local run when `stopWith` says so and waits for it, re-checks
   * (the run may have finished meanwhile), then writes the new status, applies `afterChange` to the
   * files and publishes the result.
   *
   * The status is written only while the job's lease holder, if any, still holds it: a worker
   * elsewhere that completes or fails the job meanwhile releases its lease, and the action is then
   * decided again against what the job became (a completion stands). Side effects on files come
   * after that write, so they never touch a job that turned out to be finished.
   */
  private async changeStatus(
    jobId: string,
    action: JobAction,
    stopWith: StopReason | null,
    buildPatch: (job: JobRecord) => Promise<JobPatch>,
    afterChange: (changed: JobRecord) => Promise<JobRecord> = async (changed) => changed,
  ): Promise<JobSummary> {
    for (let attempt = 1; ; attempt++) {
      let job = await this.load(jobId);
      if (checkTransition(action, job.status) === 'unchanged') return this.summarise(job);
      const run = this.ctx.runs.get(jobId);
      if (run && stopWith) {
        run.stop(stopWith);
        await this.settledOrTimedOut(run);
        job = await this.load(jobId);
        if (checkTransition(action, job.status) === 'unchanged') return this.summarise(job);
      }
      const previous = job.status;
      const holder = job.leaseOwner ?? undefined;
      const written = await this.ctx.store.updateJob(jobId, await buildPatch(job), this.ctx.now(), holder);
      if (!written) {
        if (attempt < MAX_STATUS_CHANGE_ATTEMPTS) continue;
        throw new ModeldockError('INVALID_STATE', `Download ${jobId} kept changing while it was being changed; try again.`);
      }
      const updated = await afterChange(written);
      await this.publish('status', updated);
      logJobStatus(this.ctx.logger, updated, `job ${updated.status}`, { previousStatus: previous, action });
      return this.summarise(updated);
    }
  }

  private async changeSettings(
    jobId: string,
    action: JobAction,
    buildPatch: (job: JobRecord) => Promise<JobPatch>,
  ): Promise<JobSummary> {
    const job = await this.load(jobId);
    checkTransition(action, job.status);
    const patch = await buildPatch(job);
    const updated = await this.ctx.store.updateJob(jobId, patch, this.ctx.now());
    if (!updated) throw new ModeldockError('JOB_NOT_FOUND', `No download with id ${jobId}: it was removed meanwhile`);
    await this.publish('updated', updated);
    logJobStatus(this.ctx.logger, updated, 'job settings changed', { action, ...patch });
    return this.summarise(updated);
  }

  /**
   * Waits for a stopped run to record its offsets, but never longer than a lease: a run stuck in
   * its byte layer must not hang the user's click, and once the lease is released below, none of
   * its status writes can land anyway.
   */
  private async settledOrTimedOut(run: JobRun): Promise<void> {
    const timer = new AbortController();
    const timedOut = this.ctx.clock.sleep(this.ctx.config.leaseMs, timer.signal).then(
      () => true,
      () => false,
    );
    const late = await Promise.race([run.settled.then(() => false), timedOut]);
    timer.abort();
    if (late) {
      // Its slot is free again: the stuck run no longer owns the job.
      if (this.ctx.runs.get(run.jobId) === run) this.ctx.runs.delete(run.jobId);
      this.ctx.logger.warn(
        { jobId: run.jobId, code: 'INTERNAL', message: 'The transfer did not stop in time; changing the job anyway' },
        'job run did not settle',
      );
    }
  }

  /** Files a run left mid-transfer wait again in the queue (the run, if any, has already settled). */
  private async requeueInterruptedFiles(files: readonly FileRecord[]): Promise<FileRecord[]> {
    const result: FileRecord[] = [];
    for (const file of files) {
      if (file.status === 'running' || file.status === 'verifying') {
        await this.ctx.store.updateFile(file.id, { status: 'queued' }, this.ctx.now());
        result.push({ ...file, status: 'queued' });
      } else {
        result.push(file);
      }
    }
    return result;
  }

  private async publish(type: StoredEventType, job: JobRecord): Promise<void> {
    await this.ctx.events.record(type, job, this.ctx.runs.get(job.id)?.live());
  }
}
