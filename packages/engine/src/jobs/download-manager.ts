/**
 * `createDownloadManager`: wires the job layer together behind the `DownloadManager` contract.
 * It receives every port (store, HTTP, file system, clock, logger) so the same code runs in the
 * server, a CLI or a test with fakes.
 */
import path from 'node:path';
import { resolveEngineConfig } from '../config';
import type { EngineConfig } from '../config';
import type { NodePresence } from '../job-model';
import { validateNodeName } from '../workers/node-name';
import { ModeldockError, toModeldockError } from '../errors';
import type {
  Clock,
  CredentialProvider,
  FileSystem,
  HttpClient,
  JobStore,
  LocalFileIndex,
  Logger,
} from '../ports';
import { createTaskRunner } from '../tasks/task-runner';
import type { SourceResolver } from '../sources/source-resolver';
import type { TransferFile } from '../transfer/file-transfer-api';
import { createTokenBucketLimiter } from '../transfer/token-bucket-limiter';
import { transferFile as byteLayerTransferFile } from '../transfer/transfer-file';
import { DestinationLocks } from './destination-locks';
import type {
  BandwidthLimits,
  DownloadManager,
  EnqueueRequest,
  ListQuery,
} from './download-manager-api';
import { previewDownload } from './download-preview';
import { enqueueJob } from './enqueue-job';
import { validateBandwidthLimit } from './enqueue-request';
import { JobControl } from './job-control';
import { JobEventHub } from './job-events';
import { JobScheduler } from './job-scheduler';
import type { JobRun, ManagerContext } from './manager-context';
import { presetDownloadRequest, presetViews } from './preset-downloads';
import { SecretUrlVault } from './secret-url-vault';
import { SerialQueue } from './serial-queue';
import { recoverAtStartup } from './startup-recovery';
import { JOB_STATUSES } from '../job-model';

export interface DownloadManagerOptions {
  store: JobStore;
  http: HttpClient;
  fs: FileSystem;
  clock: Clock;
  logger: Logger;
  /** Folder every download lands in (created at start if missing). */
  modelsRoot: string;
  /** Identifies this process in leases; stable across restarts of the same worker if possible. */
  workerId: string;
  /**
   * This worker's name (MODELDOCK_NODE_NAME): it runs jobs for any node and jobs enqueued with this
   * `node`. Default: the workerId's host part.
   */
  nodeName?: string;
  /** Which workers are running (their heartbeats), so a job for a node that is down says so. */
  presence?: NodePresence;
  config?: Partial<EngineConfig>;
  credentials?: CredentialProvider;
  /** Hugging Face, Civitai…; the first that accepts an input resolves it, direct links otherwise. */
  resolvers?: SourceResolver[];
  /** The byte layer: moves one file's bytes, durable and verified (default: transfer/transfer-file). */
  transferFile?: TransferFile;
  /** Release every running job's lease at start: true when no other process shares the store. */
  recoverAllLeasesAtStart?: boolean;
  /**
   * What is known about the files under the models root: completed files are recorded in it, and it
   * finds files already on disk by SHA-256 (previews, `reuseExisting`, present-file checks).
   */
  fileIndex?: LocalFileIndex;
}

const DEFAULT_LIST_LIMIT = 100;
const MAX_LIST_LIMIT = 500;

export function createDownloadManager(options: DownloadManagerOptions): DownloadManager {
  if (!options.workerId)
    throw new ModeldockError('INTERNAL', 'createDownloadManager needs a workerId');
  const config = resolveEngineConfig(options.config);
  const nodeName = validateNodeName(
    options.nodeName ?? (options.workerId.split(':')[0] || 'local'),
    'nodeName',
  );
  const presence = options.presence ?? null;
  const events = new JobEventHub(options.store, options.clock, options.logger, presence);
  const runs = new Map<string, JobRun>();
  let scheduler: JobScheduler | null = null;
  // The manager's background work (claim polling, stale sweep): one start, one stop.
  const tasks = createTaskRunner({ clock: options.clock, logger: options.logger });

  const ctx: ManagerContext = {
    store: options.store,
    http: options.http,
    fs: options.fs,
    clock: options.clock,
    logger: options.logger,
    config,
    workerId: options.workerId,
    nodeName,
    presence,
    credentials: options.credentials ?? (async () => null),
    resolvers: options.resolvers ?? [],
    transferFile: options.transferFile ?? byteLayerTransferFile,
    fileIndex: options.fileIndex ?? null,
    events,
    secretUrls: new SecretUrlVault(),
    globalLimiter: createTokenBucketLimiter(
      validateBandwidthLimit(config.globalBandwidthLimitBps),
      options.clock,
    ),
    runs,
    diskChecks: new SerialQueue(),
    cacheLinks: new SerialQueue(),
    destinationLocks: new DestinationLocks(),
    pendingRequests: new Map(),
    modelsRoot: path.resolve(options.modelsRoot),
    wakeScheduler: () => scheduler?.wake(),
    canStartPreparation: () => scheduler?.takingWork === true,
    hasFreeDownloadSlot: () => scheduler?.hasFreeSlot() === true,
    startPreparation: (job) => {
      if (scheduler) scheduler.launchPreparation(job);
    },
    now: () => new Date(options.clock.now()),
  };
  const control = new JobControl(ctx);
  let starting: Promise<void> | null = null;
  let stopping: Promise<void> | null = null;

  async function start(): Promise<void> {
    await ctx.fs.mkdir(ctx.modelsRoot);
    ctx.modelsRoot = await ctx.fs.realpath(ctx.modelsRoot);
    await events.init();
    const report = await recoverAtStartup(ctx, {
      recoverAllLeases: options.recoverAllLeasesAtStart ?? false,
    });
    ctx.logger.info({ workerId: ctx.workerId, ...report }, 'download manager started');
    if (stopping) return;
    scheduler = new JobScheduler(ctx, tasks);
    scheduler.start();
    tasks.start();
  }

  async function stop(): Promise<void> {
    await starting?.catch(() => undefined);
    await tasks.stop();
    await scheduler?.stopClaiming();
    const active = [...runs.values()];
    for (const run of active) run.stop('shutdown');
    // A run stuck in its byte layer must not hold the process: its job keeps our lease, which
    // expires, and the next start (or another worker) carries it on.
    const timer = new AbortController();
    const allSettled = Promise.allSettled(active.map((run) => run.settled)).then(() => true);
    const settled = await Promise.race([
      allSettled,
      ctx.clock.sleep(config.leaseMs, timer.signal).then(
        () => false,
        () => false,
      ),
    ]);
    timer.abort();
    const stuck = settled
      ? []
      : active.filter((run) => runs.get(run.jobId) === run).map((run) => run.jobId);
    if (stuck.length > 0) {
      ctx.logger.error(
        { jobIds: stuck, code: 'SHUTDOWN', message: 'Some transfers did not stop in time' },
        'jobs did not stop cleanly',
      );
    }
    ctx.logger.info(
      { workerId: ctx.workerId, returnedToQueue: active.length - stuck.length },
      'download manager stopped',
    );
  }

  async function enqueue(request: EnqueueRequest) {
    try {
      return await enqueueJob(ctx, request);
    } catch (error) {
      const refused = toModeldockError(error);
      ctx.logger.info({ code: refused.code, message: refused.message }, 'download request refused');
      throw refused;
    }
  }

  return {
    start() {
      starting ??= start();
      return starting;
    },
    stop() {
      stopping ??= stop();
      return stopping;
    },
    enqueue,
    downloadPreset: async (presetId, presetOptions = {}) =>
      enqueue(presetDownloadRequest(presetId, presetOptions.priority)),
    preview: (request, previewOptions = {}) => previewDownload(ctx, request, previewOptions.signal),
    presets: () => presetViews(ctx),
    rollback: (jobId) => control.rollback(jobId),
    getJob: (jobId) => control.getJob(jobId),
    async listJobs(query: ListQuery) {
      const limit = query.limit ?? DEFAULT_LIST_LIMIT;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
        throw new ModeldockError(
          'INVALID_INPUT',
          `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}`,
        );
      }
      const unknown = query.status?.find((status) => !JOB_STATUSES.includes(status));
      if (unknown !== undefined) {
        throw new ModeldockError(
          'INVALID_INPUT',
          `"${String(unknown)}" is not a job status (use ${JOB_STATUSES.join(', ')})`,
        );
      }
      const page = await ctx.store.listJobs({
        statuses: query.status,
        limit,
        cursor: query.cursor ?? null,
      });
      return {
        items: page.items.map((job) => control.summarise(job)),
        nextCursor: page.nextCursor,
      };
    },
    pause: (jobId) => control.pause(jobId),
    resume: (jobId) => control.resume(jobId),
    cancel: (jobId) => control.cancel(jobId),
    retry: (jobId) => control.retry(jobId),
    setPriority: (jobId, priority) => control.setPriority(jobId, priority),
    moveToTop: (jobId) => control.moveToTop(jobId),
    setJobBandwidthLimit: (jobId, bytesPerSecond) =>
      control.setJobBandwidthLimit(jobId, bytesPerSecond),
    setGlobalBandwidthLimit(bytesPerSecond: number | null): BandwidthLimits {
      ctx.globalLimiter.setRate(validateBandwidthLimit(bytesPerSecond));
      ctx.logger.info(
        { globalBandwidthLimitBps: ctx.globalLimiter.rate },
        'global bandwidth limit changed',
      );
      return { globalBps: ctx.globalLimiter.rate };
    },
    getBandwidthLimits: () => ({ globalBps: ctx.globalLimiter.rate }),
    clearFinished: () => control.clearFinished(),
    clearExpired: (cutoffs) => control.clearExpired(cutoffs),
    removeJob: (jobId) => control.removeJob(jobId),
    subscribe: (listener) => events.subscribe(listener),
    eventsAfter: (lastEventId, jobId) => events.eventsAfter(lastEventId, jobId),
  };
}
