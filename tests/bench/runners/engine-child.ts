/**
 * The modeldock engine alone, in a process of its own so its CPU and memory are measured without
 * the bench: the real `createDownloadManager` with the real ports (undici HTTP client, Node file
 * system, system clock) and the in-memory JobStore, the Hugging Face resolver pointed at the bench
 * origin. Bundled by engine-runner.ts and started with the same Node flags as `pnpm start`.
 *
 * Protocol (IPC): ← run {request} · (warm-up download) → ready · ← go · → done {measurement} · exit.
 * The clock runs from enqueue to the job's completed event (every file verified and at its final
 * path); CPU is the process's (all threads) over the same span; peak RSS is the process's lifetime peak.
 */
import {
  createDownloadManager,
  createHubResolvers,
  createNodeFileSystem,
  createSystemClock,
  createUndiciHttpClient,
  resolveEngineConfig,
} from '@modeldock/engine';
import type {
  DownloadManager,
  EngineConfig,
  EnqueueRequest,
  JobEvent,
  Logger,
} from '@modeldock/engine';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { MemoryJobStore } from '../../support/memory-job-store';
import { threadCpuSince, threadCpuSnapshot } from '../measure/thread-cpu';
import type { ThreadCpu } from '../measure/thread-cpu';

export interface EngineRunRequest {
  modelsRoot: string;
  enqueue: EnqueueRequest;
  /** Downloaded (and its files deleted) before `ready`, so the measured run finds the code warm. */
  warmup: EnqueueRequest;
  config: Partial<EngineConfig>;
  huggingFaceEndpoint: string;
}

export type EngineChildMessage =
  | { type: 'ready' }
  | {
      type: 'done';
      wallSeconds: number;
      cpuSeconds: number;
      peakRssBytes: number;
      threads: ThreadCpu[];
      /** From the job's first 'verifying' event to completed: the work left after the last byte arrived. */
      verifyingSeconds: number | null;
      /** process.memoryUsage() at completion: where the resident memory is. */
      memory: NodeJS.MemoryUsage;
    }
  | { type: 'failed'; message: string };

export type EngineParentMessage = { type: 'run'; request: EngineRunRequest } | { type: 'go' };

const FINISHED = new Set(['completed', 'failed', 'cancelled']);

/** Silent, but keeps the last problems so a failed run can say why. */
function quietLogger(problems: string[]): Logger {
  const keep = (fields: Record<string, unknown>, message: string) => {
    problems.push(`${message} ${JSON.stringify(fields)}`);
    if (problems.length > 10) problems.shift();
  };
  return { debug: () => undefined, info: () => undefined, warn: keep, error: keep };
}

function send(message: EngineChildMessage): void {
  process.send!(message);
}

function nextGo(): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (message: EngineParentMessage) => {
      if (message.type !== 'go') return;
      process.off('message', onMessage);
      resolve();
    };
    process.on('message', onMessage);
  });
}

/** Downloads once and waits for the job to finish; throws when it does not complete. */
async function downloadOnce(manager: DownloadManager, request: EnqueueRequest): Promise<void> {
  let jobId: string | null = null;
  const seen: JobEvent[] = [];
  let wake: () => void = () => undefined;
  const unsubscribe = manager.subscribe((event) => {
    seen.push(event);
    wake();
  });
  try {
    jobId = (await manager.enqueue(request)).jobId;
    for (;;) {
      const end = seen.find(
        (event) => event.jobId === jobId && event.job !== null && FINISHED.has(event.job.status),
      );
      if (end) {
        if (end.job?.status !== 'completed')
          throw new Error(`warm-up job ${end.job?.status}: ${end.job?.error?.message ?? ''}`);
        return;
      }
      seen.length = 0;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    unsubscribe();
  }
}

async function run(request: EngineRunRequest): Promise<void> {
  const problems: string[] = [];
  const config = resolveEngineConfig({ ...request.config, allowPrivateHosts: true });
  const http = createUndiciHttpClient(config);
  const manager = createDownloadManager({
    store: new MemoryJobStore(),
    http,
    fs: createNodeFileSystem(),
    clock: createSystemClock(),
    logger: quietLogger(problems),
    modelsRoot: request.modelsRoot,
    workerId: `bench-engine-${process.pid}`,
    config,
    resolvers: createHubResolvers({ huggingFaceEndpoint: request.huggingFaceEndpoint }),
    recoverAllLeasesAtStart: true,
  });
  await manager.start();
  await downloadOnce(manager, request.warmup);
  await manager.clearFinished();
  await rm(path.join(request.modelsRoot, request.warmup.folder ?? ''), {
    recursive: true,
    force: true,
  });
  const go = nextGo();
  send({ type: 'ready' });
  await go;

  let jobId: string | null = null;
  const early: JobEvent[] = [];
  let finish: (event: JobEvent) => void = () => undefined;
  const finished = new Promise<JobEvent>((resolve) => (finish = resolve));
  let verifyingAt: number | null = null;
  const noteVerifying = (event: JobEvent) => {
    if (verifyingAt === null && event.jobId === jobId && event.job?.status === 'verifying')
      verifyingAt = performance.now();
  };
  const isEnd = (event: JobEvent) =>
    event.jobId === jobId && event.job !== null && FINISHED.has(event.job.status);
  const unsubscribe = manager.subscribe((event) => {
    if (jobId === null) early.push(event);
    else {
      noteVerifying(event);
      if (isEnd(event)) finish(event);
    }
  });

  const threadsBefore = threadCpuSnapshot();
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  const enqueued = await manager.enqueue(request.enqueue);
  jobId = enqueued.jobId;
  early.forEach(noteVerifying);
  const endedEarly = early.find(isEnd);
  const end = endedEarly ?? (await finished);
  const endedAt = performance.now();
  const wallSeconds = (endedAt - startedAt) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const threads = threadCpuSince(threadsBefore);
  unsubscribe();

  if (end.job?.status !== 'completed') {
    const error = end.job?.error;
    send({
      type: 'failed',
      message: `job ${end.job?.status}: ${error?.code ?? ''} ${error?.message ?? ''}\n${problems.join('\n')}`,
    });
  } else {
    send({
      type: 'done',
      wallSeconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      threads,
      verifyingSeconds: verifyingAt === null ? null : (endedAt - verifyingAt) / 1000,
      memory: process.memoryUsage(),
    });
  }
  await manager.stop();
  await http.close();
}

process.once('message', (message: EngineParentMessage) => {
  if (message.type !== 'run') return;
  run(message.request).then(
    () => process.disconnect(),
    (error: unknown) => {
      send({ type: 'failed', message: String((error as Error)?.stack ?? error) });
      process.disconnect();
    },
  );
});
