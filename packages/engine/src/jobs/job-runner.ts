/**
 * Runs one claimed job in this process: checks disk space, hands each file to the byte layer (small
 * files several at once, large ones alone), records durable progress and file statuses as they
 * happen, and ends the job completed, failed, or stopped for the reason it was asked to stop.
 *
 * The job's own status is only written while this worker holds the lease (ownerId-guarded), so a
 * pause or cancel decided elsewhere always wins; file progress is written unguarded because the
 * bytes it records are fsynced and true whoever owns the job.
 */
import { isModeldockError, ModeldockError, toJobError } from '../errors';
import type { JobError } from '../errors';
import type {
  FileRecord,
  JobPhase,
  JobRecord,
  JobStatus,
  LiveProgress,
  StalledState,
} from '../job-model';
import { prepareJob } from './job-preparation';
import type { PreparedJob } from './job-preparation';
import type { FilePatch, JobPatch } from '../ports';
import type { BandwidthLimiter } from '../transfer/bandwidth';
import type {
  FileTransferCallbacks,
  FileTransferContext,
  FileTransferResult,
} from '../transfer/file-transfer-api';
import { reserveDiskSpace } from './disk-reservation';
import { FileRecordWriter } from './file-record-writer';
import { planFileBatches } from './file-run-plan';
import { runWithConcurrency } from '../run-with-concurrency';
import { describeError } from '../errors';
import { logJobError, logJobStatus } from './job-log';
import { keepLease } from './lease-keeper';
import { libraryContextOf } from './manager-context';
import type { JobRun, ManagerContext, StopReason } from './manager-context';
import { forgetLocalFiles, recordLocalFile } from '../library/record-local-file';
import type { CompletedLocalFile } from '../library/record-local-file';
import { recordLocalFiles } from './local-index-batch';
import { discardUnfinishedFiles, removeCompletedFile } from './partial-files';
import { JobProgress } from './progress-events';
import { linkHfCacheFile, linkHfCacheTwin } from '../sources/huggingface/hf-cache-layout';
import { hfCacheTwinsOf, isDone } from './hf-cache-twins';
import { createTokenBucketLimiter } from '../transfer/token-bucket-limiter';
import { ConfinedDirectories } from '../transfer/confined-directories';

interface FileFailure {
  file: FileRecord;
  jobError: JobError;
}

/** Codes after which the file's partial bytes were discarded by the byte layer. */
const DISCARDED_BYTES_CODES = new Set(['HASH_MISMATCH', 'UPSTREAM_CHANGED']);

/** The byte layer deletes the partial for bad bytes (a hash mismatch, a changed upstream, a bad format). */
function bytesWereDiscarded(error: unknown, jobError: JobError): boolean {
  if (DISCARDED_BYTES_CODES.has(jobError.code)) return true;
  return isModeldockError(error) && error.details?.discardPartial === true;
}

/** Failures after which the job's other files would fail the same way: stop them at once. */
const JOB_WIDE_FAILURE_CODES = new Set(['DISK_FULL']);

/** A stored limit the limiter cannot take (written by hand, or by an older version) means no limit. */
function usableRate(bytesPerSecond: number | null): number | null {
  return bytesPerSecond !== null && Number.isFinite(bytesPerSecond) && bytesPerSecond > 0
    ? bytesPerSecond
    : null;
}

export function startJobRun(
  ctx: ManagerContext,
  claimed: JobRecord,
  options: { preparesOnly?: boolean } = {},
): JobRun {
  return new JobRunner(ctx, claimed, options.preparesOnly === true);
}

class JobRunner implements JobRun {
  readonly jobId: string;
  readonly settled: Promise<void>;
  lostToStatus: JobStatus | null | undefined = undefined;
  diskReserved = false;

  private job: JobRecord;
  private readonly controller = new AbortController();
  /** Stops the job's other files when one failure ends the job (rollback, disk full). */
  private readonly halt = new AbortController();
  private stopReason: StopReason | null = null;
  private readonly jobLimiter: BandwidthLimiter;
  private readonly progress: JobProgress;
  private readonly warnings: Set<string>;
  private readonly verifyingFileIds = new Set<string>();
  private fileSlotById = new Map<string, number>();
  /** Folders of this run's files already checked inside the models root. */
  private readonly confinedDirectories: ConfinedDirectories;
  /** Writes started from synchronous callbacks, chained so they land in order. */
  private background: Promise<void> = Promise.resolve();
  /** File records, stored in batches (a bundle's completions without waiting). */
  private readonly fileRecords: FileRecordWriter;
  /** Completed small files of a bundle not yet in the local file index (recorded a batch at a time). */
  private unindexedFiles: CompletedLocalFile[] = [];
  /** The index batch being recorded, off the files' path (never rejects). */
  private indexing: Promise<void> = Promise.resolve();
  private lastHeartbeatAt: number;
  /** When the first step's phase was last stored (hashing progress is stored at most once per interval). */
  private lastPhaseAt = 0;
  /** The first record that could not be stored; the job fails with it. */
  private bookkeepingFailure: { error: unknown } | null = null;

  constructor(
    private readonly ctx: ManagerContext,
    claimed: JobRecord,
    public preparesOnly: boolean,
  ) {
    this.jobId = claimed.id;
    this.job = claimed;
    this.jobLimiter = createTokenBucketLimiter(usableRate(claimed.bandwidthLimitBps), ctx.clock);
    this.progress = new JobProgress(
      () => this.job,
      ctx.events,
      ctx.clock,
      ctx.config.progressIntervalMs,
    );
    this.warnings = new Set(claimed.warnings);
    this.lastHeartbeatAt = ctx.clock.now();
    this.confinedDirectories = new ConfinedDirectories(ctx.clock);
    this.fileRecords = new FileRecordWriter({
      store: ctx.store,
      clock: ctx.clock,
      now: () => ctx.now(),
      deferMs: ctx.config.progressIntervalMs,
      // Completed files enter the local file index once their records are stored.
      onDeferredStored: () => this.indexCompletedFiles(),
      onDeferredFailed: (error) => this.haltOnBookkeepingFailure(error),
    });
    this.settled = this.run();
  }

  stop(reason: StopReason): void {
    if (this.controller.signal.aborted) return;
    this.stopReason = reason;
    this.controller.abort(reason);
  }

  live(): LiveProgress {
    return this.progress.live();
  }

  setBandwidthLimit(bytesPerSecond: number | null): void {
    this.jobLimiter.setRate(usableRate(bytesPerSecond));
    this.job = { ...this.job, bandwidthLimitBps: bytesPerSecond };
  }

  private get stopped(): boolean {
    return this.controller.signal.aborted;
  }

  private async run(): Promise<void> {
    const lease = keepLease({
      store: this.ctx.store,
      clock: this.ctx.clock,
      logger: this.ctx.logger,
      jobId: this.jobId,
      workerId: this.ctx.workerId,
      leaseMs: this.ctx.config.leaseMs,
      onLost: (status) => this.loseLease(status),
      onRenewed: () => this.refreshSettings(),
    });
    try {
      await this.execute();
    } catch (error) {
      await this.failUnexpectedly(error);
    } finally {
      lease.stop();
      this.progress.close();
      await this.background;
      await this.storeDeferredRecords().catch((error: unknown) => {
        this.ctx.logger.warn(
          { jobId: this.jobId, message: describeError(error) },
          'could not record completed files',
        );
      });
      this.fileRecords.close();
    }
  }

  private async execute(): Promise<void> {
    // A job enqueued here: its first step runs at once, and the download too when a slot is free.
    if (this.preparesOnly) {
      if (!(await this.prepare())) return;
      return this.download();
    }
    const started = await this.updateJobGuarded({
      startedAt: this.job.startedAt ?? this.ctx.now(),
      stalled: null,
      error: null,
      finishedAt: null,
      speedBps: 0,
    });
    if (!started) {
      await this.noteLostLease();
      return this.finishStopped();
    }
    await this.ctx.events.record('status', this.job);
    logJobStatus(this.ctx.logger, this.job, 'job running', {
      workerId: this.ctx.workerId,
      files: this.job.files.length,
    });
    if (this.stopped) return this.finishStopped();
    if (this.job.phase && !(await this.prepare())) return;
    return this.download();
  }

  private async download(): Promise<void> {
    try {
      await reserveDiskSpace(this.ctx, this.job, () => {
        this.diskReserved = true;
      });
    } catch (error) {
      return this.finishFailed([], error);
    }
    const failures = await this.transferPendingFiles();
    if (this.stopped) return this.finishStopped();
    if (failures.length > 0) return this.finishFailed(failures);
    return this.finishCompleted();
  }

  // ---------------------------------------------------------------------------------------------
  // First step: resolving the request, checking what is already on disk
  // ---------------------------------------------------------------------------------------------

  /** Runs the job's first step; true when the job goes on to download its files in this run. */
  private async prepare(): Promise<boolean> {
    let prepared: PreparedJob | null;
    try {
      prepared = await prepareJob(this.ctx, this.job, {
        signal: this.controller.signal,
        onPhase: (phase) => this.recordPhase(phase),
        next: () => this.statusAfterPreparation(),
      });
    } catch (error) {
      if (this.stopped) await this.finishStopped();
      else await this.finishFailed([], error);
      return false;
    }
    if (!prepared) {
      await this.noteLostLease();
      await this.finishStopped();
      return false;
    }
    this.job = prepared.job;
    for (const warning of prepared.job.warnings) this.warnings.add(warning);
    await this.ctx.events.record('status', this.job);
    const details = { files: this.job.files.length, reused: prepared.reused };
    if (prepared.allDone) {
      const message = prepared.allPresent
        ? 'already present, nothing to download'
        : 'completed from files already on disk';
      logJobStatus(this.ctx.logger, this.job, message, details);
      return false;
    }
    if (this.preparesOnly) {
      logJobStatus(this.ctx.logger, this.job, 'job queued', details);
      this.ctx.wakeScheduler();
      return false;
    }
    logJobStatus(this.ctx.logger, this.job, 'job running', {
      ...details,
      workerId: this.ctx.workerId,
    });
    if (this.stopped) {
      await this.finishStopped();
      return false;
    }
    return true;
  }

  /**
   * After the first step of a job enqueued here: it goes on downloading in this run when a download
   * slot is free (decided synchronously, so the scheduler counts it at once), else waits its turn.
   */
  private statusAfterPreparation(): 'running' | 'queued' {
    if (!this.preparesOnly) return 'running';
    const forHere = this.job.node === null || this.job.node === this.ctx.nodeName;
    if (forHere && !this.stopped && this.ctx.hasFreeDownloadSlot()) {
      this.preparesOnly = false;
      return 'running';
    }
    return 'queued';
  }

  /** A new step is stored and announced at once; hashing progress at most once per progress interval. */
  private async recordPhase(phase: JobPhase): Promise<void> {
    this.controller.signal.throwIfAborted();
    const previous = this.job.phase;
    const now = this.ctx.clock.now();
    const newStep = !previous || previous.step !== phase.step;
    // Resolving has no progress of its own: only its start is news (and the job is created with it).
    if (!newStep && phase.step === 'resolving') return;
    if (!newStep && now - this.lastPhaseAt < this.ctx.config.progressIntervalMs) return;
    this.lastPhaseAt = now;
    if (!(await this.updateJobGuarded({ phase }))) {
      await this.noteLostLease();
      this.controller.signal.throwIfAborted();
      return;
    }
    if (newStep) await this.ctx.events.record('updated', this.job);
    else this.ctx.events.publishProgress(this.job, this.progress.live());
  }

  // ---------------------------------------------------------------------------------------------
  // Files
  // ---------------------------------------------------------------------------------------------

  private get mustStopStarting(): boolean {
    return this.controller.signal.aborted || this.halt.signal.aborted;
  }

  private async transferPendingFiles(): Promise<FileFailure[]> {
    const failures: FileFailure[] = [];
    const isBundle = this.job.files.length > 1;
    const twins = hfCacheTwinsOf(this.job.files);
    const transferred = this.job.files.filter((file) => !twins.has(file.id));
    for (const batch of planFileBatches(transferred, this.ctx.config.segmentThresholdBytes)) {
      if (this.mustStopStarting) break;
      await runWithConcurrency(
        batch.files,
        batch.parallel,
        async (file) => {
          let failure: FileFailure | null;
          try {
            failure = await this.transferOne(file, batch.parallel === 1);
          } catch (error) {
            this.haltOnBookkeepingFailure(error);
            return;
          }
          if (!failure) return;
          failures.push(failure);
          const endsJob =
            JOB_WIDE_FAILURE_CODES.has(failure.jobError.code) ||
            (isBundle && this.job.onFileFailure === 'rollback');
          if (endsJob) this.halt.abort('halted');
        },
        () => this.mustStopStarting,
      );
    }
    if (this.bookkeepingFailure) throw this.bookkeepingFailure.error;
    for (const [twinId, blob] of twins) {
      if (this.mustStopStarting) break;
      const failure = await this.linkTwin(twinId, blob.id);
      if (failure) failures.push(failure);
    }
    return failures;
  }

  /** A second path of a blob this job downloaded: linked to it, not downloaded (hf-cache-twins.ts). */
  private async linkTwin(twinId: string, blobId: string): Promise<FileFailure | null> {
    const twin = this.fileById(twinId);
    if (isDone(twin)) return null;
    const blob = this.fileById(blobId);
    if (!isDone(blob)) {
      return this.recordFileFailure(
        twinId,
        new ModeldockError('IO_ERROR', `${twin.name} has the same bytes as ${blob.relativePath}, which did not download, so it was not linked`),
      );
    }
    try {
      const bytes = await this.ctx.cacheLinks.run(() => linkHfCacheTwin(this.ctx.fs, this.ctx.modelsRoot, twin));
      const result = { sha256: blob.sha256 ?? twin.expectedSha256!, bytesTotal: bytes, format: blob.format ?? 'other', validator: null, warnings: [] };
      await this.recordFileCompleted(twinId, result, true);
      return null;
    } catch (error) {
      return this.recordFileFailure(twinId, error);
    }
  }

  /**
   * Our own bookkeeping broke (a record could not be stored): stop the sibling files before the job
   * is failed, so none keeps writing after the run is over.
   */
  private haltOnBookkeepingFailure(error: unknown): void {
    this.bookkeepingFailure ??= { error };
    this.halt.abort('halted');
  }

  /** Where each file sits in the mirror's file list: a bundle of thousands is not searched per write. */
  private indexOfFile(fileId: string): number {
    const files = this.job.files;
    const known = this.fileSlotById.get(fileId);
    if (known !== undefined && files[known]?.id === fileId) return known;
    this.fileSlotById = new Map(files.map((file, index) => [file.id, index]));
    const index = this.fileSlotById.get(fileId);
    if (index === undefined)
      throw new ModeldockError('INTERNAL', `File ${fileId} is not part of job ${this.jobId}`);
    return index;
  }

  private fileById(fileId: string): FileRecord {
    return this.job.files[this.indexOfFile(fileId)]!;
  }

  /** Our copy of the job changes one file in place; snapshots for events are taken when they are sent. */
  private patchFileMirror(fileId: string, patch: Partial<FileRecord>): void {
    const index = this.indexOfFile(fileId);
    this.job.files[index] = { ...this.job.files[index]!, ...patch };
  }

  private async writeFile(fileId: string, patch: FilePatch): Promise<void> {
    await this.fileRecords.write(fileId, patch);
    this.patchFileMirror(fileId, patch as Partial<FileRecord>);
  }

  /** Everything deferred (completed files' records, their index entries) stored now. */
  private async storeDeferredRecords(): Promise<void> {
    await this.fileRecords.flush();
    // Usually a no-op (onDeferredStored ran before flush returned); it picks up files whose deferred
    // records failed to be stored, at a later flush: they are on disk all the same.
    this.indexCompletedFiles();
    await this.indexing;
  }

  /** Starts recording the completed files not yet in the local file index, after those before them. */
  private indexCompletedFiles(): void {
    const files = this.unindexedFiles;
    this.unindexedFiles = [];
    const library = libraryContextOf(this.ctx);
    if (!library || files.length === 0) return;
    // recordLocalFiles logs its own failures.
    this.indexing = this.indexing.then(() => recordLocalFiles(library, files));
  }

  /**
   * Returns the failure, or null when the file completed or the job was told to stop.
   * `persistPassingStates` false (the small files of a bundle, over in milliseconds): 'running' and
   * 'verifying' are kept in our copy, which events and summaries show, but not written, and the
   * completion is written with the next batch of records instead of one write each, so a thousand
   * files cost a few hundred writes rather than three thousand. A file the process dies on is
   * 'queued' in the store, which is what recovery would make it anyway (a renamed one is adopted:
   * its last durable write recorded every byte).
   */
  private async transferOne(
    planned: FileRecord,
    persistPassingStates = true,
  ): Promise<FileFailure | null> {
    const signal = AbortSignal.any([this.controller.signal, this.halt.signal]);
    const url = this.ctx.secretUrls.urlToFetch(planned.id, planned.url);
    if (url === null) {
      return this.recordFileFailure(
        planned.id,
        new ModeldockError(
          'SIGNED_URL_EXPIRED',
          `The link for ${planned.name} carried a token or signature, which modeldock never stores, and it was lost when the server restarted. Paste the link again to download it.`,
        ),
      );
    }
    await this.setFileRunning(planned.id, persistPassingStates);
    const file = this.fileById(planned.id);
    this.progress.startFile(file);
    const context: FileTransferContext = {
      http: this.ctx.http,
      fs: this.ctx.fs,
      clock: this.ctx.clock,
      logger: this.ctx.logger,
      config: this.ctx.config,
      credentials: this.ctx.credentials,
      modelsRoot: this.ctx.modelsRoot,
      limiters: [this.ctx.globalLimiter, this.jobLimiter],
      signal,
      confinedDirectories: this.confinedDirectories,
    };
    try {
      const result = await this.ctx.transferFile(
        { ...file, url },
        context,
        this.callbacksFor(file.id, persistPassingStates),
      );
      await this.recordFileCompleted(file.id, result, persistPassingStates);
      return await this.linkIntoHfCache(file.id);
    } catch (error) {
      // Aborted on purpose (pause, cancel, shutdown, lost lease, a sibling's failure): not a failure.
      if (signal.aborted) return null;
      return this.recordFileFailure(file.id, error);
    }
  }

  private async setFileRunning(fileId: string, persist: boolean): Promise<void> {
    if (persist) await this.writeFile(fileId, { status: 'running', error: null });
    else this.patchFileMirror(fileId, { status: 'running', error: null });
    // A job claimed back in 'verifying' that has bytes to move again is running.
    if (this.job.status === 'verifying') {
      const updated = await this.updateJobGuarded({ status: 'running' });
      if (updated) await this.ctx.events.record('status', this.job, this.progress.live());
      else await this.noteLostLease();
    }
    this.progress.changed();
  }

  private callbacksFor(fileId: string, persistPassingStates: boolean): FileTransferCallbacks {
    return {
      onBytesReceived: (bytesReceived) => this.progress.received(fileId, bytesReceived),
      onDurable: async (durable) => {
        await this.writeFile(fileId, {
          bytesDone: durable.bytesDone,
          segments: durable.segments,
          validator: durable.validator,
          bytesTotal: durable.bytesTotal,
        });
        await this.heartbeat();
      },
      onVerifying: () => {
        if (!this.verifyingFileIds.has(fileId)) {
          this.verifyingFileIds.add(fileId);
          this.inBackground(() => this.enterVerifying(fileId, persistPassingStates));
        }
        this.progress.changed();
        this.inBackground(() => this.heartbeat());
      },
      onStalled: (state) => this.inBackground(() => this.recordStalled(state)),
    };
  }

  private inBackground(task: () => Promise<void>): void {
    this.background = this.background.then(task).catch((error: unknown) => {
      this.ctx.logger.warn(
        { jobId: this.jobId, message: describeError(error) },
        'could not record job progress',
      );
    });
  }

  private async enterVerifying(fileId: string, persist: boolean): Promise<void> {
    if (this.stopped) return;
    if (persist) await this.writeFile(fileId, { status: 'verifying' });
    else this.patchFileMirror(fileId, { status: 'verifying' });
    const stillTransferring = this.job.files.some(
      (file) => file.status === 'queued' || file.status === 'running',
    );
    if (stillTransferring || this.job.status !== 'running') return;
    const updated = await this.updateJobGuarded({ status: 'verifying' });
    if (!updated) return this.noteLostLease();
    await this.ctx.events.record('status', this.job, this.progress.live());
    logJobStatus(this.ctx.logger, this.job, 'job verifying');
  }

  private async recordStalled(state: StalledState | null): Promise<void> {
    if (this.stopped) return;
    const updated = await this.updateJobGuarded(
      state ? { stalled: state, speedBps: 0 } : { stalled: null },
    );
    if (!updated) return this.noteLostLease();
    await this.ctx.events.record('updated', this.job, this.progress.live());
    if (state) {
      this.ctx.logger.warn(
        {
          jobId: this.jobId,
          status: this.job.status,
          code: state.code,
          message: state.reason,
          attempt: state.attempt,
          nextAttemptAt: state.nextAttemptAt,
        },
        'job stalled, retrying',
      );
    }
  }

  /** Proves the job is alive (for stale detection) and records its speed, at most once per sync interval. */
  private async heartbeat(): Promise<void> {
    const now = this.ctx.clock.now();
    if (this.stopped || now - this.lastHeartbeatAt < this.ctx.config.syncIntervalMs) return;
    this.lastHeartbeatAt = now;
    const updated = await this.updateJobGuarded({ speedBps: this.progress.speedBps() });
    if (!updated) await this.noteLostLease();
  }

  private async recordFileCompleted(
    fileId: string,
    result: FileTransferResult,
    waitForRecord: boolean,
  ): Promise<void> {
    await this.background;
    const completed: FilePatch = {
      status: 'completed',
      bytesDone: result.bytesTotal,
      bytesTotal: result.bytesTotal,
      sha256: result.sha256,
      format: result.format,
      validator: result.validator,
      segments: null,
      error: null,
    };
    if (waitForRecord) {
      await this.writeFile(fileId, completed);
    } else {
      this.fileRecords.defer(fileId, completed);
      this.patchFileMirror(fileId, completed as Partial<FileRecord>);
    }
    this.progress.forgetFile(fileId);
    for (const warning of result.warnings) this.warnings.add(warning);
    this.progress.changed();
    const file = this.fileById(fileId);
    this.ctx.logger.info(
      {
        jobId: this.jobId,
        file: file.relativePath,
        bytes: result.bytesTotal,
        format: result.format,
      },
      'file completed',
    );
    const indexed: CompletedLocalFile = {
      relativePath: file.relativePath,
      sha256: result.sha256,
      sourceKind: this.job.kind,
      origin: { url: file.url, revision: file.revision, jobId: this.jobId },
    };
    if (waitForRecord) {
      const library = libraryContextOf(this.ctx);
      if (library) await recordLocalFile(library, indexed);
    } else {
      this.unindexedFiles.push(indexed);
    }
  }

  /**
   * A Hugging Face cache blob is only found by diffusers/transformers through its snapshot link: a
   * link that cannot be made fails the file (the bytes stay, recorded complete, so a retry only links).
   */
  private async linkIntoHfCache(fileId: string): Promise<FileFailure | null> {
    try {
      const file = this.fileById(fileId);
      await this.ctx.cacheLinks.run(() =>
        linkHfCacheFile(this.job, file, { fs: this.ctx.fs, modelsRoot: this.ctx.modelsRoot }),
      );
      return null;
    } catch (error) {
      return this.recordFileFailure(fileId, error);
    }
  }

  private async recordFileFailure(fileId: string, error: unknown): Promise<FileFailure> {
    await this.background;
    const jobError = toJobError(error, this.ctx.clock.now());
    const patch: FilePatch = { status: 'failed', error: jobError };
    if (bytesWereDiscarded(error, jobError))
      Object.assign(patch, { bytesDone: 0, segments: null, validator: null });
    await this.writeFile(fileId, patch);
    this.progress.forgetFile(fileId);
    const file = this.fileById(fileId);
    logJobError(this.ctx.logger, 'warn', this.job, jobError, 'file failed', {
      file: file.relativePath,
    });
    return { file, jobError };
  }

  /** Files interrupted mid-transfer never failed: they wait in the queue with their durable offset. */
  private async requeueInterruptedFiles(): Promise<void> {
    const interrupted = this.job.files.filter(
      (file) => file.status === 'running' || file.status === 'verifying',
    );
    // One batch for them all.
    await Promise.all(interrupted.map((file) => this.writeFile(file.id, { status: 'queued' })));
    this.verifyingFileIds.clear();
  }

  // ---------------------------------------------------------------------------------------------
  // Endings
  // ---------------------------------------------------------------------------------------------

  private async finishCompleted(): Promise<void> {
    await this.background;
    this.progress.close();
    await this.storeDeferredRecords();
    const updated = await this.updateJobGuarded({
      status: 'completed',
      finishedAt: this.ctx.now(),
      error: null,
      stalled: null,
      speedBps: 0,
      attempts: 0,
      warnings: [...this.warnings],
      releaseLease: true,
    });
    if (!updated) {
      await this.noteLostLease();
      return this.finishStopped();
    }
    await this.ctx.events.record('status', this.job);
    const bytes = this.job.files.reduce(
      (total, file) => total + (file.bytesTotal ?? file.bytesDone),
      0,
    );
    logJobStatus(this.ctx.logger, this.job, 'job completed', {
      files: this.job.files.length,
      bytes,
    });
  }

  private async finishFailed(failures: FileFailure[], jobLevelError?: unknown): Promise<void> {
    await this.background;
    this.progress.close();
    await this.storeDeferredRecords();
    await this.requeueInterruptedFiles();
    const first = failures[0];
    if (first && this.job.files.length > 1 && this.job.onFileFailure === 'rollback') {
      await this.rollBackCompletedFiles(first);
    }
    const jobError = first
      ? this.describeFailures(failures)
      : toJobError(jobLevelError, this.ctx.clock.now());
    const updated = await this.updateJobGuarded({
      status: 'failed',
      error: jobError,
      finishedAt: this.ctx.now(),
      stalled: null,
      speedBps: 0,
      warnings: [...this.warnings],
      releaseLease: true,
    });
    if (!updated) {
      await this.noteLostLease();
      return this.finishStopped();
    }
    await this.ctx.events.record('status', this.job);
    logJobError(this.ctx.logger, 'error', this.job, jobError, 'job failed');
  }

  /** The job's error: the first file's error, said in the context of the bundle. */
  private describeFailures(failures: FileFailure[]): JobError {
    const first = failures[0]!;
    if (this.job.files.length === 1) return first.jobError;
    const count = `${failures.length} of ${this.job.files.length} files failed`;
    return {
      ...first.jobError,
      message: `${count}; ${first.file.name}: ${first.jobError.message}`,
    };
  }

  private async rollBackCompletedFiles(cause: FileFailure): Promise<void> {
    const library = libraryContextOf(this.ctx);
    for (const file of this.job.files) {
      if (file.status !== 'completed') continue;
      await removeCompletedFile(this.ctx.fs, this.ctx.modelsRoot, file, this.ctx.logger);
      if (library) await forgetLocalFiles(library, [file.relativePath]);
      await this.writeFile(file.id, {
        status: 'failed',
        bytesDone: 0,
        sha256: null,
        segments: null,
        validator: null,
        error: {
          code: cause.jobError.code,
          message: `Removed because ${cause.file.name} failed and this download is set to roll back as a whole`,
          at: this.ctx.clock.now(),
        },
      });
    }
    this.ctx.logger.warn(
      {
        jobId: this.jobId,
        status: this.job.status,
        code: cause.jobError.code,
        message: cause.jobError.message,
      },
      'bundle rolled back',
    );
  }

  private async finishStopped(): Promise<void> {
    await this.background;
    this.progress.close();
    // File records are true whoever owns the job now: what completed stays recorded.
    await this.storeDeferredRecords();
    switch (this.stopReason) {
      case 'shutdown': {
        await this.requeueInterruptedFiles();
        const updated = await this.updateJobGuarded({
          status: 'queued',
          stalled: null,
          speedBps: 0,
          releaseLease: true,
        });
        if (updated) {
          await this.ctx.events.record('status', this.job);
          logJobStatus(this.ctx.logger, this.job, 'job returned to the queue for shutdown');
        }
        return;
      }
      case 'paused':
        // The pause itself (status, lease) is written by job control once this run has settled.
        return this.requeueInterruptedFiles();
      case 'cancelled':
        // Job control removes the partial files once this run has settled.
        return;
      default:
        return this.afterLeaseLost();
    }
  }

  private async afterLeaseLost(): Promise<void> {
    const lostTo = this.lostToStatus ?? null;
    this.ctx.logger.warn(
      {
        jobId: this.jobId,
        status: lostTo,
        code: 'LEASE_LOST',
        message: `This worker no longer holds the job (it is now ${lostTo ?? 'unknown'}); writing stopped`,
      },
      'job lease lost',
    );
    if (lostTo === 'cancelled') {
      // Cancelled by another process while we were writing: our temp files may have outlived its cleanup.
      const files = await discardUnfinishedFiles(this.ctx, this.job.files);
      this.job = { ...this.job, files };
    } else if (lostTo === 'paused' || lostTo === 'queued') {
      await this.requeueInterruptedFiles();
    }
  }

  private async failUnexpectedly(error: unknown): Promise<void> {
    const jobError = toJobError(error, this.ctx.clock.now());
    logJobError(this.ctx.logger, 'error', this.job, jobError, 'job run failed unexpectedly');
    // What can still be stored is; a deferred record's failure is the one being reported.
    await this.fileRecords.flush().catch(() => undefined);
    if (this.stopped) return;
    try {
      await this.requeueInterruptedFiles();
      const updated = await this.updateJobGuarded({
        status: 'failed',
        error: jobError,
        finishedAt: this.ctx.now(),
        stalled: null,
        speedBps: 0,
        releaseLease: true,
      });
      if (updated) await this.ctx.events.record('status', this.job);
    } catch (secondError) {
      // The store itself is failing: the lease will expire and another attempt will pick the job up.
      this.ctx.logger.error(
        { jobId: this.jobId, message: describeError(secondError) },
        'could not record the failure',
      );
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Lease and settings
  // ---------------------------------------------------------------------------------------------

  /** Applies the patch while this worker holds the lease; false when it no longer does. */
  private async updateJobGuarded(patch: JobPatch): Promise<boolean> {
    const { store } = this.ctx;
    const now = this.ctx.now();
    const workerId = this.ctx.workerId;
    // Our copy of the files is ahead of the store's: no need to read them back.
    const updated = await store.updateJobWithoutFiles(this.jobId, patch, now, workerId);
    if (updated) this.job = { ...updated, files: this.job.files };
    return updated !== null;
  }

  private loseLease(status: JobStatus | null): void {
    if (this.lostToStatus === undefined) this.lostToStatus = status;
    this.stop('lease-lost');
  }

  /** A guarded write found the job no longer ours: learn what it became, and stop writing. */
  private async noteLostLease(): Promise<void> {
    if (this.stopped && this.stopReason !== 'lease-lost') return;
    const current = await this.ctx.store.getJob(this.jobId);
    this.loseLease(current?.status ?? null);
  }

  private async refreshSettings(): Promise<void> {
    const current = await this.ctx.store.getJob(this.jobId);
    if (current && current.bandwidthLimitBps !== this.jobLimiter.rate) {
      this.setBandwidthLimit(current.bandwidthLimitBps);
    }
  }
}
