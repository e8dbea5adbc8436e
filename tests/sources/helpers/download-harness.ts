/**
 * The download manager the sources tests drive: the real byte layer, the engine's own file system,
 * an in-memory store, and the hub resolvers pointed at the fakes. Plus the two waits every such test
 * needs: a job's end, and the files it left under the models root.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import {
  createDownloadManager,
  createHubResolvers,
  createNodeFileSystem,
  createSystemClock,
} from '@modeldock/engine';
import type {
  DownloadManager,
  JobStatus,
  JobSummary,
  Logger,
  UndiciHttpClient,
} from '@modeldock/engine';
import { MemoryJobStore } from '../../support/memory-job-store';

const SILENT: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export interface SourcesManagerOptions {
  http: UndiciHttpClient;
  modelsRoot: string;
  huggingFaceEndpoint: string;
  civitaiEndpoint?: string;
  /** Keys by platform (`huggingface`, `civitai`); none by default. */
  keys?: Record<string, string>;
  store?: MemoryJobStore;
  logger?: Logger;
  workerId?: string;
  maxAttempts?: number;
}

export async function startSourcesManager(
  options: SourcesManagerOptions,
): Promise<DownloadManager> {
  const keys = options.keys ?? {};
  const manager = createDownloadManager({
    store: options.store ?? new MemoryJobStore(),
    http: options.http,
    fs: createNodeFileSystem(),
    clock: createSystemClock(),
    logger: options.logger ?? SILENT,
    modelsRoot: options.modelsRoot,
    workerId: options.workerId ?? 'sources-test',
    config: {
      allowPrivateHosts: true,
      idleTimeoutMs: 5_000,
      maxAttempts: options.maxAttempts ?? 2,
      retryBaseDelayMs: 10,
      retryMaxDelayMs: 50,
      syncIntervalMs: 20,
    },
    credentials: async (kind) => (kind ? (keys[kind] ?? null) : null),
    resolvers: createHubResolvers({
      huggingFaceEndpoint: options.huggingFaceEndpoint,
      ...(options.civitaiEndpoint ? { civitaiEndpoint: options.civitaiEndpoint } : {}),
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
    }),
    recoverAllLeasesAtStart: true,
  });
  await manager.start();
  return manager;
}

/** The job once it has ended (completed, failed or cancelled). */
export async function jobEnd(
  manager: DownloadManager,
  jobId: string,
  timeoutMs = 20_000,
): Promise<JobSummary> {
  const deadline = Date.now() + timeoutMs;
  const ended: JobStatus[] = ['completed', 'failed', 'cancelled'];
  for (;;) {
    const job = await manager.getJob(jobId);
    if (ended.includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every regular file under `root`, relative and with `/`, sorted. */
export async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) =>
      path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'),
    )
    .sort();
}
