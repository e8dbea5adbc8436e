/**
 * From paste to verified file: the download manager with the real byte layer and undici client,
 * resolving through the hub resolvers against the fake Hub, Civitai and CDN. Checks the contract
 * between resolution and transfer: pinned URLs, hashes, Bearer only to the hub's own origin, a
 * re-resolved signed URL after it expired, and the HF cache layout after completion.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createUndiciHttpClient } from '@modeldock/engine';
import type { DownloadManager, JobSummary, Logger, UndiciHttpClient } from '@modeldock/engine';
import { MemoryJobStore } from '../support/memory-job-store';
import { startFakeCdn } from '../support/fake-cdn';
import type { FakeCdn } from '../support/fake-cdn';
import { startFakeCivitai } from '../support/fake-civitai';
import type { FakeCivitai } from '../support/fake-civitai';
import { startFakeHuggingFace } from '../support/fake-huggingface';
import type { FakeHuggingFace } from '../support/fake-huggingface';
import { APPROVED_TOKEN, seedHub } from './helpers/hf-fixtures';
import { CIVITAI_KEY, seedCivitai } from './helpers/civitai-fixtures';
import { jobEnd, startSourcesManager } from './helpers/download-harness';

let cdn: FakeCdn;
let hub: FakeHuggingFace;
let civitai: FakeCivitai;
let http: UndiciHttpClient;
let modelsRoot: string;
let manager: DownloadManager;
let store: MemoryJobStore;
const logged: string[] = [];

const logger: Logger = {
  debug: (fields, message) => logged.push(JSON.stringify({ fields, message })),
  info: (fields, message) => logged.push(JSON.stringify({ fields, message })),
  warn: (fields, message) => logged.push(JSON.stringify({ fields, message })),
  error: (fields, message) => logged.push(JSON.stringify({ fields, message })),
};

beforeAll(async () => {
  cdn = await startFakeCdn();
  hub = await startFakeHuggingFace({ cdn });
  civitai = await startFakeCivitai({ storage: cdn });
  seedHub(hub);
  seedCivitai(civitai);
  http = createUndiciHttpClient({
    connectionsPerHost: 4,
    idleTimeoutMs: 5_000,
    allowPrivateHosts: true,
  });
});

afterAll(async () => {
  await http.close();
  await hub.close();
  await civitai.close();
  await cdn.close();
});

beforeEach(async () => {
  modelsRoot = await mkdtemp(path.join(os.tmpdir(), 'modeldock-hub-downloads-'));
  store = new MemoryJobStore();
  manager = await startSourcesManager({
    http,
    store,
    logger,
    modelsRoot,
    huggingFaceEndpoint: hub.url,
    civitaiEndpoint: civitai.url,
    keys: { huggingface: APPROVED_TOKEN, civitai: CIVITAI_KEY },
    maxAttempts: 3,
  });
});

afterEach(async () => {
  await manager.stop();
  await rm(modelsRoot, { recursive: true, force: true });
});

function finished(jobId: string, timeoutMs = 20_000): Promise<JobSummary> {
  return jobEnd(manager, jobId, timeoutMs);
}

function expectNoSecretAnywhere(): void {
  for (const request of [...hub.requests, ...civitai.requests, ...cdn.requests]) {
    expect(request.url).not.toContain(APPROVED_TOKEN);
    expect(request.url).not.toContain(CIVITAI_KEY);
  }
  for (const request of cdn.requests) expect(request.headers.authorization).toBeUndefined();
  const text = logged.join('\n');
  expect(text).not.toContain(APPROVED_TOKEN);
  expect(text).not.toContain(CIVITAI_KEY);
}

describe('Hugging Face downloads', () => {
  it('a gated file: resolved with the token, bytes from the CDN without it, verified against the LFS sha256', async () => {
    const { jobId } = await manager.enqueue({
      url: `${hub.url}/black-forest-labs/FLUX.1-dev/blob/main/flux1-dev.safetensors`,
      folder: 'diffusion_models',
    });
    const job = await finished(jobId);
    expect(job.status, JSON.stringify([job.error, job.files.map((file) => file.error)])).toBe(
      'completed',
    );
    const expected = hub.repo('black-forest-labs/FLUX.1-dev').file('flux1-dev.safetensors');
    expect(job.files[0]!.sha256).toBe(expected.sha256);
    expect(await readFile(path.join(modelsRoot, 'diffusion_models/flux1-dev.safetensors'))).toEqual(
      expected.bytes,
    );
    expect(job.source).toBe('hf://black-forest-labs/FLUX.1-dev@main/flux1-dev.safetensors');
    expectNoSecretAnywhere();
  });

  it('the z-image-turbo preset: one bundle job, three files through the CDN', async () => {
    const cdnBefore = cdn.requests.length;
    const { jobId } = await manager.enqueue({ url: 'preset:z-image-turbo' });
    const job = await finished(jobId);
    expect(job.status, JSON.stringify([job.error, job.files.map((file) => file.error)])).toBe(
      'completed',
    );
    expect(job.kind).toBe('bundle');
    expect(
      job.files.map((file) => [
        file.relativePath,
        file.status,
        file.sha256 === file.expectedSha256,
      ]),
    ).toEqual([
      ['diffusion_models/z_image_turbo-Q8_0.gguf', 'completed', true],
      ['vae/ae.safetensors', 'completed', true],
      ['text_encoders/Qwen3-4B-Instruct-2507-Q8_0.gguf', 'completed', true],
    ]);
    expect(cdn.requests.length).toBeGreaterThan(cdnBefore);
    expectNoSecretAnywhere();
  });

  it('the HF cache layout: blobs downloaded, snapshot links and refs/main made after completion', async () => {
    const { jobId } = await manager.enqueue({
      url: 'black-forest-labs/FLUX.1-schnell',
      include: ['vae/*'],
      layout: 'hf-cache',
    });
    const job = await finished(jobId);
    expect(job.status, JSON.stringify([job.error, job.files.map((file) => file.error)])).toBe(
      'completed',
    );
    const repo = hub.repo('black-forest-labs/FLUX.1-schnell');
    const repoDir = path.join(
      modelsRoot,
      'huggingface/hub/models--black-forest-labs--FLUX.1-schnell',
    );
    expect(await readFile(path.join(repoDir, 'refs/main'), 'utf8')).toBe(repo.head());
    const weights = repo.file('vae/diffusion_pytorch_model.safetensors');
    expect(
      await readlink(
        path.join(repoDir, 'snapshots', repo.head(), 'vae/diffusion_pytorch_model.safetensors'),
      ),
    ).toBe(`../../../blobs/${weights.sha256}`);
    expect(
      await readFile(
        path.join(repoDir, 'snapshots', repo.head(), 'vae/diffusion_pytorch_model.safetensors'),
      ),
    ).toEqual(weights.bytes);
  });
});

describe('Civitai downloads', () => {
  it('a login-only LoRA with the key: the key to Civitai only, the file from storage, verified', async () => {
    const { jobId } = await manager.enqueue({ url: `${civitai.url}/models/100` });
    const job = await finished(jobId);
    expect(job.status, JSON.stringify([job.error, job.files.map((file) => file.error)])).toBe(
      'completed',
    );
    expect(job.files[0]!.sha256).toBe(civitai.fileSha256(1011));
    expect(await readFile(path.join(modelsRoot, 'loras/cool_lora.safetensors'))).toEqual(
      civitai.fileBytes(1011),
    );
    const downloads = civitai.requests.filter((request) =>
      request.url.startsWith('/api/download/models/101'),
    );
    expect(downloads.length).toBeGreaterThanOrEqual(2);
    for (const request of downloads)
      expect(request.headers.authorization).toBe(`Bearer ${CIVITAI_KEY}`);
    expectNoSecretAnywhere();
  });

  it('an expired signed URL is asked for again through the download link, then the file completes', async () => {
    const before = civitai.requests.length;
    cdn.expireOnNextRequest();
    const { jobId } = await manager.enqueue({ url: 'civitai:1000' });
    const job = await finished(jobId);
    expect(job.status, JSON.stringify([job.error, job.files.map((file) => file.error)])).toBe(
      'completed',
    );
    expect(job.files[0]!.sha256).toBe(civitai.fileSha256(10011));
    const expiredAnswers = cdn.requests.filter((request) =>
      request.url.includes('civitai%2F1001%2F'),
    );
    expect(expiredAnswers.length).toBeGreaterThanOrEqual(2);
    // Resolution's check, the first transfer attempt, and the one after the 403 from storage.
    expect(
      civitai.requests
        .slice(before)
        .filter((request) => request.url.startsWith('/api/download/models/1001')).length,
    ).toBeGreaterThanOrEqual(3);
    expectNoSecretAnywhere();
  });

  it("refusals in the first step change nothing: one failed job carrying the resolver's code and message", async () => {
    const { jobId } = await manager.enqueue({ url: 'civitai:200' });
    const job = await finished(jobId);
    expect(job.status).toBe('failed');
    expect(job.error?.code).toBe('EARLY_ACCESS');
    expect(job.error?.message).toMatch(/early access/i);
    // Nothing fetched, nothing written, nothing left queued.
    expect(job.files).toEqual([]);
    expect(job.bytesDone).toBe(0);
    expect((await manager.listJobs({})).items.map((item) => [item.id, item.status])).toEqual([
      [jobId, 'failed'],
    ]);
    expect(await readdir(modelsRoot, { recursive: true })).toEqual([]);
  });
});
