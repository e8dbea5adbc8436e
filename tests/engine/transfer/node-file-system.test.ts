/**
 * The default FileSystem port (`createNodeFileSystem`), and the Hugging Face cache layout through it
 * with nothing swapped in: the layout needs the port's optional `symlink`, which production lacked.
 */
import { lstat, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createDownloadManager,
  createHubResolvers,
  createNodeFileSystem,
  createSystemClock,
  createUndiciHttpClient,
} from '@modeldock/engine';
import type { DownloadManager, JobStatus, JobSummary, UndiciHttpClient } from '@modeldock/engine';
import { MemoryJobStore } from '../../support/memory-job-store';
import { startFakeCdn } from '../../support/fake-cdn';
import type { FakeCdn } from '../../support/fake-cdn';
import { startFakeHuggingFace } from '../../support/fake-huggingface';
import type { FakeHuggingFace } from '../../support/fake-huggingface';
import { seedHub } from '../../sources/helpers/hf-fixtures';
import { recordingLogger } from './transfer-harness';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'modeldock-node-fs-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('createNodeFileSystem', () => {
  it('creates symbolic links holding a relative target verbatim', async () => {
    const fs = createNodeFileSystem();
    await fs.mkdir(path.join(root, 'blobs'));
    await fs.mkdir(path.join(root, 'snapshots/abc'));
    await writeFile(path.join(root, 'blobs/etag1'), 'weights');
    const link = path.join(root, 'snapshots/abc/model.safetensors');
    await fs.symlink!('../../blobs/etag1', link);
    expect(await readlink(link)).toBe('../../blobs/etag1');
    expect((await fs.lstat(link))?.isSymbolicLink).toBe(true);
    expect(await readFile(link, 'utf8')).toBe('weights');
    await expect(fs.symlink!('../../blobs/etag1', link)).rejects.toMatchObject({
      code: 'EEXIST',
    });
  });
});

describe('the Hugging Face cache layout through the default file system', () => {
  let cdn: FakeCdn;
  let hub: FakeHuggingFace;
  let http: UndiciHttpClient;
  let manager: DownloadManager;

  beforeEach(async () => {
    cdn = await startFakeCdn();
    hub = await startFakeHuggingFace({ cdn });
    seedHub(hub);
    http = createUndiciHttpClient({
      connectionsPerHost: 4,
      idleTimeoutMs: 5_000,
      allowPrivateHosts: true,
    });
    manager = createDownloadManager({
      store: new MemoryJobStore(),
      http,
      fs: createNodeFileSystem(),
      clock: createSystemClock(),
      logger: recordingLogger(),
      modelsRoot: root,
      workerId: 'node-fs-test',
      config: { allowPrivateHosts: true, idleTimeoutMs: 5_000, maxAttempts: 2, syncIntervalMs: 20 },
      credentials: async () => null,
      resolvers: createHubResolvers({
        huggingFaceEndpoint: hub.url,
        retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      }),
    });
    await manager.start();
  });
  afterEach(async () => {
    await manager.stop();
    await http.close();
    await hub.close();
    await cdn.close();
  });

  async function finished(jobId: string): Promise<JobSummary> {
    const done: JobStatus[] = ['completed', 'failed', 'cancelled'];
    for (;;) {
      const job = await manager.getJob(jobId);
      if (done.includes(job.status)) return job;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('links snapshots/<commit>/<path> to ../../blobs/<etag> and writes refs/<revision>', async () => {
    const { jobId } = await manager.enqueue({
      url: 'black-forest-labs/FLUX.1-schnell/ae.safetensors',
      layout: 'hf-cache',
    });
    const job = await finished(jobId);
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    const repo = hub.repo('black-forest-labs/FLUX.1-schnell');
    const weights = repo.file('ae.safetensors');
    const repoDir = path.join(root, 'huggingface/hub/models--black-forest-labs--FLUX.1-schnell');
    const snapshot = path.join(repoDir, 'snapshots', repo.head(), 'ae.safetensors');
    expect((await lstat(snapshot)).isSymbolicLink()).toBe(true);
    expect(await readlink(snapshot)).toBe(`../../blobs/${weights.sha256}`);
    expect(await readFile(snapshot)).toEqual(weights.bytes);
    expect(await readFile(path.join(repoDir, 'refs/main'), 'utf8')).toBe(repo.head());
  });
});
