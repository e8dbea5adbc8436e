/**
 * One download manager over a memory store, a temp models folder and a fake (or real) byte layer,
 * with every event and log line recorded. `dispose` stops the manager and removes the folder.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ModeldockError, createDownloadManager } from '@modeldock/engine';
import type {
  Clock,
  DownloadManager,
  DownloadManagerOptions,
  EngineConfig,
  EnqueueRequest,
  FileSystem,
  HttpClient,
  JobEvent,
  JobRecord,
  JobStatus,
  JobSummary,
  TransferFile,
} from '@modeldock/engine';
import { MemoryJobStore } from '../../../support/memory-job-store';
import { nodeFileSystemForTests } from '../../../support/node-fs-for-tests';
import { systemClock } from './fake-clock';
import { FakeTransfer } from './fake-transfer';
import { RecordingLogger } from './recording-logger';

/** Short timings so a test never waits long, even on a busy two-core machine. */
export const FAST_CONFIG: Partial<EngineConfig> = {
  leaseMs: 600,
  syncIntervalMs: 50,
  progressIntervalMs: 100,
  staleAfterMs: 60_000,
  maxConcurrentJobs: 2,
};

export const unusedHttp: HttpClient = {
  request: async () => {
    throw new Error('no HTTP in this test');
  },
};

export interface HarnessOptions {
  config?: Partial<EngineConfig>;
  clock?: Clock;
  store?: MemoryJobStore;
  fs?: FileSystem;
  transferFile?: TransferFile;
  http?: HttpClient;
  workerId?: string;
  modelsRoot?: string;
  recoverAllLeasesAtStart?: boolean;
  extra?: Partial<DownloadManagerOptions>;
  start?: boolean;
}

export interface Harness {
  root: string;
  modelsRoot: string;
  store: MemoryJobStore;
  clock: Clock;
  logger: RecordingLogger;
  transfer: FakeTransfer;
  manager: DownloadManager;
  events: JobEvent[];
  /** Waits until the job reaches `status` (real time, polling the store). */
  waitForStatus(jobId: string, status: JobStatus, timeoutMs?: number): Promise<JobSummary>;
  /**
   * Waits until the job's first step (resolving, checking existing files) has run; throws the
   * job's error as a ModeldockError when that step failed it, as `enqueue` itself once did.
   */
  prepared(jobId: string, timeoutMs?: number): Promise<JobSummary>;
  /** `enqueue`, then `prepared`: the request's outcome once its first step has run. */
  enqueuePrepared(
    request: EnqueueRequest,
  ): Promise<{ jobId: string; attached: boolean; job: JobSummary }>;
  /** A second manager on the same store and folder, as another process or a restart would be. */
  another(options?: HarnessOptions): Promise<Harness>;
  dispose(): Promise<void>;
}

export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string | (() => string),
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`Timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const root = options.modelsRoot
    ? path.dirname(options.modelsRoot)
    : await mkdtemp(path.join(tmpdir(), 'modeldock-jobs-'));
  const modelsRoot = options.modelsRoot ?? path.join(root, 'models');
  await mkdir(modelsRoot, { recursive: true });
  const store = options.store ?? new MemoryJobStore();
  const clock = options.clock ?? systemClock;
  const logger = new RecordingLogger();
  const transfer = new FakeTransfer();
  const manager = createDownloadManager({
    store,
    http: options.http ?? unusedHttp,
    fs: options.fs ?? nodeFileSystemForTests(),
    clock,
    logger,
    modelsRoot,
    workerId: options.workerId ?? 'worker-a',
    config: { ...FAST_CONFIG, ...options.config },
    transferFile: options.transferFile ?? transfer.transferFile,
    recoverAllLeasesAtStart: options.recoverAllLeasesAtStart,
    ...options.extra,
  });
  const events: JobEvent[] = [];
  manager.subscribe((event) => events.push(event));
  if (options.start !== false) await manager.start();
  const others: Harness[] = [];

  const harness: Harness = {
    root,
    modelsRoot,
    store,
    clock,
    logger,
    transfer,
    manager,
    events,
    async waitForStatus(jobId, status, timeoutMs = 5_000) {
      let last: JobStatus | undefined;
      await waitUntil(
        async () => {
          const job = await store.getJob(jobId);
          last = job?.status;
          if (job && last !== status && ['completed', 'failed', 'cancelled'].includes(job.status)) {
            throw new Error(
              `job ${jobId} ended ${job.status} while waiting for ${status}: ${JSON.stringify(job.error)}`,
            );
          }
          return last === status;
        },
        () => `job ${jobId} to be ${status} (last seen ${last})`,
        timeoutMs,
      );
      return manager.getJob(jobId);
    },
    async prepared(jobId, timeoutMs = 5_000) {
      let job: JobRecord | null = null;
      await waitUntil(
        async () => {
          job = await store.getJob(jobId);
          return (
            job !== null && (!job.phase || job.status === 'failed' || job.status === 'cancelled')
          );
        },
        () =>
          `job ${jobId} to finish its first step (now ${JSON.stringify((job as JobRecord | null)?.phase)})`,
        timeoutMs,
      );
      const done = job as unknown as JobRecord;
      if (done.status === 'failed' && done.phase && done.error) {
        throw new ModeldockError(done.error.code, done.error.message);
      }
      return manager.getJob(jobId);
    },
    async enqueuePrepared(request) {
      const result = await manager.enqueue(request);
      return { ...result, job: await harness.prepared(result.jobId) };
    },
    async another(extra = {}) {
      const other = await createHarness({
        store,
        modelsRoot,
        clock,
        config: options.config,
        workerId: 'worker-b',
        ...extra,
      });
      others.push(other);
      return other;
    },
    async dispose() {
      for (const other of others) await other.manager.stop();
      await manager.stop();
      if (!options.modelsRoot) await rm(root, { recursive: true, force: true });
    },
  };
  return harness;
}
