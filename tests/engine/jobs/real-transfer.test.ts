/**
 * The job layer over the real byte layer and the real undici client, against a local origin on
 * 127.0.0.1: what a user sees end to end, minus the server.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createNodeFileSystem,
  createSystemClock,
  createUndiciHttpClient,
  transferFile,
} from '@modeldock/engine';
import type { EngineConfig } from '@modeldock/engine';
import type { UndiciHttpClient } from '@modeldock/engine';
import { deterministicBytes, sha256Hex, startFaultOrigin } from '../../support/fault-origin';
import type { FaultOrigin } from '../../support/fault-origin';
import { createHarness, waitUntil } from './helpers/harness';
import type { Harness, HarnessOptions } from './helpers/harness';

const CONFIG: Partial<EngineConfig> = {
  allowPrivateHosts: true,
  idleTimeoutMs: 2_000,
  maxAttempts: 3,
  retryBaseDelayMs: 10,
  retryMaxDelayMs: 50,
  syncIntervalMs: 20,
  connectionsPerFile: 2,
};

let origin: FaultOrigin;
let http: UndiciHttpClient;
let harness: Harness;

beforeEach(async () => {
  origin = await startFaultOrigin();
  http = createUndiciHttpClient({
    connectionsPerHost: 8,
    idleTimeoutMs: 2_000,
    allowPrivateHosts: true,
  });
});

afterEach(async () => {
  await harness?.dispose();
  await http.close();
  await origin.close();
});

function realHarness(options: HarnessOptions = {}): Promise<Harness> {
  return createHarness({
    http,
    fs: createNodeFileSystem(),
    clock: createSystemClock(),
    transferFile,
    ...options,
    config: { ...CONFIG, ...options.config },
  });
}

async function filesIn(folder: string): Promise<string[]> {
  return (await readdir(folder).catch(() => [] as string[])).sort();
}

async function durableBytes(h: Harness, jobId: string): Promise<number> {
  return (await h.store.getJob(jobId))!.files[0]?.bytesDone ?? 0;
}

describe('with the real byte layer', () => {
  it('downloads a file: completed, bytes identical, hash recorded, no temp file left', async () => {
    const file = origin.setFile('/models/tiny.bin', deterministicBytes(300_000, 7));
    harness = await realHarness();
    const { jobId } = await harness.manager.enqueue({
      url: file.url,
      folder: 'checkpoints',
      sha256: file.sha256,
    });
    const job = await harness.waitForStatus(jobId, 'completed', 20_000);
    expect(job).toMatchObject({ bytesDone: 300_000, bytesTotal: 300_000 });
    expect(job.files[0]!.sha256).toBe(file.sha256);
    const written = await readFile(path.join(harness.modelsRoot, 'checkpoints', 'tiny.bin'));
    expect(sha256Hex(written)).toBe(file.sha256);
    expect(await filesIn(path.join(harness.modelsRoot, 'checkpoints'))).toEqual(['tiny.bin']);
  });

  it('cancel stops the transfer and removes the partial file', async () => {
    const file = origin.setFile('/models/slow.bin', deterministicBytes(2_000_000, 3));
    origin.setThrottle(100_000);
    harness = await realHarness();
    const { jobId } = await harness.manager.enqueue({ url: file.url, folder: 'loras' });
    await waitUntil(
      async () => (await durableBytes(harness, jobId)) > 0,
      'some bytes to be durable',
      20_000,
    );
    const cancelled = await harness.manager.cancel(jobId);
    expect(cancelled.status).toBe('cancelled');
    expect(await filesIn(path.join(harness.modelsRoot, 'loras'))).toEqual([]);
  });

  it('pause keeps the durable bytes and resume continues from them with a Range request', async () => {
    const file = origin.setFile('/models/resume.bin', deterministicBytes(1_500_000, 5));
    origin.setThrottle(150_000);
    harness = await realHarness();
    const { jobId } = await harness.manager.enqueue({ url: file.url, folder: 'checkpoints' });
    await waitUntil(
      async () => (await durableBytes(harness, jobId)) > 100_000,
      'bytes to be durable',
      20_000,
    );
    const paused = await harness.manager.pause(jobId);
    const offset = await durableBytes(harness, jobId);
    expect(paused.status).toBe('paused');
    expect(offset).toBeGreaterThan(0);
    const requestsBefore = origin.requestsTo('/models/resume.bin').length;

    origin.setThrottle(null);
    await harness.manager.resume(jobId);
    const done = await harness.waitForStatus(jobId, 'completed', 20_000);
    expect(done.files[0]!.sha256).toBe(file.sha256);
    const resumedRequest = origin.requestsTo('/models/resume.bin')[requestsBefore]!;
    expect(resumedRequest.headers.range).toBe(`bytes=${offset}-`);
    expect(resumedRequest.headers['if-range']).toBe(file.etag);
    expect(sha256Hex(await readFile(path.join(harness.modelsRoot, 'checkpoints', 'resume.bin')))).toBe(
      file.sha256,
    );
  });

  it('after stop(), a new manager on the same store resumes the job from its durable offset', async () => {
    const file = origin.setFile('/models/restart.bin', deterministicBytes(1_500_000, 9));
    origin.setThrottle(150_000);
    harness = await realHarness();
    const { jobId } = await harness.manager.enqueue({ url: file.url, folder: 'checkpoints' });
    await waitUntil(
      async () => (await durableBytes(harness, jobId)) > 100_000,
      'bytes to be durable',
      20_000,
    );
    await harness.manager.stop();
    const offset = await durableBytes(harness, jobId);
    expect((await harness.store.getJob(jobId))!.status).toBe('queued');

    origin.setThrottle(null);
    const requestsBefore = origin.requestsTo('/models/restart.bin').length;
    const restarted = await harness.another({
      http,
      fs: createNodeFileSystem(),
      clock: createSystemClock(),
      transferFile,
      config: CONFIG,
    });
    const done = await restarted.waitForStatus(jobId, 'completed', 20_000);
    expect(done.files[0]!.sha256).toBe(file.sha256);
    expect(origin.requestsTo('/models/restart.bin')[requestsBefore]!.headers.range).toBe(
      `bytes=${offset}-`,
    );
  });

  it('on a slow link (50 KB/s) reports progress at least once a second, with a speed that never drops to 0 while bytes flow', async () => {
    // Smaller than one single-stream slab (512 KiB): before, nothing was reported until the end.
    const file = origin.setFile('/models/trickle.bin', deterministicBytes(260_000, 11));
    origin.setThrottle(50_000);
    harness = await realHarness({ config: { connectionsPerFile: 1 } });
    const progress: { at: number; bytes: number; speed: number }[] = [];
    harness.manager.subscribe((event) => {
      if (event.type !== 'progress' || event.job === null) return;
      progress.push({ at: Date.now(), bytes: event.job.bytesDone, speed: event.job.speedBps ?? 0 });
    });
    const { jobId } = await harness.manager.enqueue({ url: file.url, folder: 'checkpoints', sha256: file.sha256 });
    await harness.waitForStatus(jobId, 'completed', 30_000);
    origin.setThrottle(null);

    const moving = progress.filter((sample) => sample.bytes > 0 && sample.bytes < 260_000);
    // About five seconds of transfer: an event at least every second, each with bytes counted.
    expect(moving.length).toBeGreaterThanOrEqual(4);
    const gaps = moving.slice(1).map((sample, index) => sample.at - moving[index]!.at);
    expect(Math.max(...gaps)).toBeLessThan(1_500);
    expect(moving.every((sample) => sample.speed > 0)).toBe(true);
  });
});
