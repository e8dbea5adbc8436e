/**
 * Every file where ComfyUI looks for it (issue 13): the download manager with the real byte layer
 * against the fake Hub and a plain origin. Headers are read by Range before the download decides
 * the folder; documentation stays behind; a direct link is asked before anything is queued.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createUndiciHttpClient } from '@modeldock/engine';
import type { DownloadManager, JobSummary, UndiciHttpClient } from '@modeldock/engine';
import { closeServer, listen } from '../support/fake-cdn';
import { startFakeHuggingFace } from '../support/fake-huggingface';
import type { FakeHuggingFace } from '../support/fake-huggingface';
import { startFileOrigin } from '../support/file-origin';
import type { FileOrigin } from '../support/file-origin';
import { TENSORS, safetensorsFile } from '../support/model-bytes';
import { seedHub } from './helpers/hf-fixtures';
import { filesUnder, jobEnd, startSourcesManager } from './helpers/download-harness';

let hub: FakeHuggingFace;
let origin: FileOrigin;
let htmlServer: http.Server;
let htmlUrl: string;
let client: UndiciHttpClient;
let modelsRoot: string;
let manager: DownloadManager;

beforeAll(async () => {
  hub = await startFakeHuggingFace();
  seedHub(hub);
  origin = await startFileOrigin();
  origin.addFile('4711', {
    bytes: safetensorsFile({ tensors: [...TENSORS.fluxVae], totalSize: 4096 }),
  });
  origin.addFile('ae.safetensors', {
    bytes: safetensorsFile({ tensors: [...TENSORS.fluxVae], totalSize: 4096 }),
  });
  htmlServer = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><title>Sign in</title><form>password</form>');
  });
  htmlUrl = await listen(htmlServer);
  client = createUndiciHttpClient({
    connectionsPerHost: 4,
    idleTimeoutMs: 5_000,
    allowPrivateHosts: true,
  });
});

afterAll(async () => {
  await client.close();
  await hub.close();
  await origin.close();
  await closeServer(htmlServer);
});

beforeEach(async () => {
  modelsRoot = await mkdtemp(path.join(os.tmpdir(), 'modeldock-placement-'));
  manager = await startSourcesManager({
    http: client,
    modelsRoot,
    huggingFaceEndpoint: hub.url,
    workerId: 'placement-test',
  });
});

afterEach(async () => {
  await manager.stop();
  await rm(modelsRoot, { recursive: true, force: true });
});

function finished(jobId: string): Promise<JobSummary> {
  return jobEnd(manager, jobId);
}

/** Enqueues (the call answers before resolving) and returns the job once its first step has failed it. */
async function failedJob(request: Parameters<typeof manager.enqueue>[0]): Promise<JobSummary> {
  const { jobId } = await manager.enqueue(request);
  const job = await finished(jobId);
  expect(job.status, JSON.stringify(job.error)).toBe('failed');
  // Failed in its first step: no file was recorded, so no byte was fetched.
  expect(job.files).toEqual([]);
  expect(job.bytesDone).toBe(0);
  return job;
}

describe('where downloads land', () => {
  it('FLUX.1-schnell: ae in vae/, the transformer in diffusion_models/, README and images left behind', async () => {
    const { jobId } = await manager.enqueue({ url: 'black-forest-labs/FLUX.1-schnell' });
    const job = await finished(jobId);
    expect(job.status).toBe('completed');
    expect(await filesUnder(modelsRoot)).toEqual([
      'diffusion_models/flux1-schnell.safetensors',
      'vae/ae.safetensors',
    ]);
  });

  it('a GGUF text encoder goes to text_encoders/ (its architecture says qwen3); a repository of quantisations asks which', async () => {
    const { jobId } = await manager.enqueue({
      url: 'unsloth/Qwen3-4B-Instruct-2507-GGUF/Qwen3-4B-Instruct-2507-Q8_0.gguf',
    });
    expect((await finished(jobId)).status).toBe('completed');
    expect(await filesUnder(modelsRoot)).toEqual([
      'text_encoders/Qwen3-4B-Instruct-2507-Q8_0.gguf',
    ]);
    const ambiguous = (await failedJob({ url: 'unsloth/Qwen3-4B-Instruct-2507-GGUF' })).error!;
    expect(ambiguous.code).toBe('AMBIGUOUS_INPUT');
    expect(ambiguous.message).toContain('Qwen3-4B-Instruct-2507-Q4_K_M.gguf');
    expect(await filesUnder(modelsRoot)).toEqual([
      'text_encoders/Qwen3-4B-Instruct-2507-Q8_0.gguf',
    ]);
    const preview = await manager.preview({ url: 'unsloth/Qwen3-4B-Instruct-2507-GGUF' });
    expect(preview.files).toEqual([]);
    expect(preview.choiceRequired).toContain('GGUF');
    // The picker says which quantisation is already on disk (the one just downloaded).
    expect(
      preview.listing!.map((file) => [file.group, file.selected, file.relativePath, file.onDisk]),
    ).toEqual([
      ['Q4_K_M', false, 'text_encoders/Qwen3-4B-Instruct-2507-Q4_K_M.gguf', 'missing'],
      ['Q8_0', false, 'text_encoders/Qwen3-4B-Instruct-2507-Q8_0.gguf', 'present'],
    ]);
  });

  it('a direct link to an unnamed safetensors VAE lands in vae/ with the extension its bytes say', async () => {
    const preview = await manager.preview({ url: `${origin.url}/4711` });
    expect(preview.accessProblem).toBeNull();
    expect(preview.files[0]).toMatchObject({
      relativePath: 'vae/4711.safetensors',
      bytesTotal: 4096,
      access: 'ok',
      placement: { modelClass: 'vae', basis: 'header' },
    });
    const { jobId } = await manager.enqueue({ url: `${origin.url}/4711` });
    expect((await finished(jobId)).status).toBe('completed');
    expect(await filesUnder(modelsRoot)).toEqual(['vae/4711.safetensors']);
  });

  it('the preview warns before the download when the folder the user chose disagrees with the bytes', async () => {
    const wrong = await manager.preview({ url: `${origin.url}/ae.safetensors`, folder: 'loras' });
    expect(wrong.files[0]).toMatchObject({
      relativePath: 'loras/ae.safetensors',
      placement: { basis: 'user', needsFolder: false },
    });
    expect(wrong.files[0]!.placement?.mismatch).toMatch(
      /^Its bytes say it is a vae .*ComfyUI reads from vae\/, not loras\//,
    );
    const right = await manager.preview({ url: `${origin.url}/ae.safetensors`, folder: 'vae' });
    expect(right.files[0]!.placement?.mismatch).toBeUndefined();
    expect(await filesUnder(modelsRoot)).toEqual([]);
  });

  it('a direct link whose type nothing tells is refused without a folder, never put in the models root', async () => {
    origin.addFile('weights.bin', { size: 2048 });
    const refusedJob = await failedJob({ url: `${origin.url}/weights.bin` });
    expect(refusedJob.error!.code).toBe('FOLDER_REQUIRED');
    expect(refusedJob.error!.message).toMatch(/Choose a folder for weights\.bin/);
    // The one failed job carries the error; nothing is left queued and nothing was written.
    expect((await manager.listJobs({})).items.map((job) => [job.id, job.status])).toEqual([
      [refusedJob.id, 'failed'],
    ]);
    expect(await filesUnder(modelsRoot)).toEqual([]);
    const { jobId } = await manager.enqueue({
      url: `${origin.url}/weights.bin`,
      folder: 'upscale_models',
    });
    expect((await finished(jobId)).status).toBe('completed');
    expect(await filesUnder(modelsRoot)).toEqual(['upscale_models/weights.bin']);
  });

  it('a VAE saved in loras/ because the user said so lands there, and the job says its bytes disagree', async () => {
    const { jobId } = await manager.enqueue({
      url: `${origin.url}/ae.safetensors`,
      folder: 'loras',
    });
    const job = await finished(jobId);
    expect(job.status).toBe('completed');
    expect(await filesUnder(modelsRoot)).toEqual(['loras/ae.safetensors']);
    expect(job.warnings).toEqual([
      expect.stringMatching(
        /^loras\/ae\.safetensors: its bytes say it is a vae .*ComfyUI reads from vae\//,
      ),
    ]);
    // Where the bytes and the folder agree, nothing is said.
    const agreeing = await finished(
      (await manager.enqueue({ url: `${origin.url}/ae.safetensors`, folder: 'vae/extra' })).jobId,
    );
    expect(agreeing.warnings).toEqual([]);
  });

  it('a direct 404 or an HTML page is reported in the preview, before anything is queued', async () => {
    const missing = await manager.preview({ url: `${origin.url}/missing.safetensors` });
    expect(missing.accessProblem).toMatchObject({ code: 'REMOTE_NOT_FOUND' });
    expect(missing.files[0]!.access).toBe('denied');
    const page = await manager.preview({ url: `${htmlUrl}/model.safetensors` });
    expect(page.accessProblem).toMatchObject({ code: 'NOT_A_MODEL' });
    expect(page.accessProblem!.message).toMatch(/web page/);
    expect((await manager.listJobs({})).items).toEqual([]);
  });

  it('a file nothing places asks for a folder in the preview, and a repository pick without one is refused', async () => {
    const preview = await manager.preview({ url: 'someone/pickles' });
    expect(preview.files[0]!.placement).toMatchObject({ needsFolder: true });
    const refusedJob = await failedJob({ url: 'someone/pickles' });
    expect(refusedJob.error!.code).toBe('FOLDER_REQUIRED');
    expect((await manager.listJobs({})).items.map((job) => [job.id, job.status])).toEqual([
      [refusedJob.id, 'failed'],
    ]);
    expect(await filesUnder(modelsRoot)).toEqual([]);
    const { jobId } = await manager.enqueue({
      url: 'someone/pickles',
      files: [{ path: 'pytorch_model.bin', folder: 'clip' }],
    });
    expect((await finished(jobId)).status).toBe('completed');
    expect(await filesUnder(modelsRoot)).toEqual(['text_encoders/pytorch_model.bin']);
  });
});
