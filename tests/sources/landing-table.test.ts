/**
 * Issue 13's "done when", in one place: every download it names is made with no folder given, and
 * lands where ComfyUI (or the named custom node) reads it. The table below is the closing note's.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  createDownloadManager,
  createHubResolvers,
  createNodeFileSystem,
  createSystemClock,
  createUndiciHttpClient,
} from '@modeldock/engine';
import type { DownloadManager, JobStatus, JobSummary, UndiciHttpClient } from '@modeldock/engine';
import { MemoryJobStore } from '../support/memory-job-store';
import { startFakeCdn } from '../support/fake-cdn';
import type { FakeCdn } from '../support/fake-cdn';
import { startFakeCivitai } from '../support/fake-civitai';
import type { FakeCivitai } from '../support/fake-civitai';
import { startFakeHuggingFace } from '../support/fake-huggingface';
import type { FakeHuggingFace } from '../support/fake-huggingface';
import { startFileOrigin } from '../support/file-origin';
import type { FileOrigin } from '../support/file-origin';
import { TENSORS, safetensorsFile } from '../support/model-bytes';
import { APPROVED_TOKEN, bytesFor, seedHub, typedModelFile } from './helpers/hf-fixtures';
import { CIVITAI_KEY, seedCivitai } from './helpers/civitai-fixtures';

let cdn: FakeCdn;
let hub: FakeHuggingFace;
let civitai: FakeCivitai;
let origin: FileOrigin;
let client: UndiciHttpClient;
let modelsRoot: string;
let manager: DownloadManager;

beforeAll(async () => {
  cdn = await startFakeCdn();
  hub = await startFakeHuggingFace({ cdn });
  civitai = await startFakeCivitai({ storage: cdn });
  seedHub(hub);
  seedCivitai(civitai);
  hub.addRepo({
    id: 'Comfy-Org/Qwen-Image_ComfyUI',
    files: [
      {
        path: 'split_files/text_encoders/qwen_2.5_vl_7b_fp8_scaled.safetensors',
        content: typedModelFile('clipL', 'qwen-vl', 1800),
      },
      { path: 'README.md', content: '# Qwen-Image\n' },
    ],
  });
  civitai.addModel({
    id: 1300,
    name: 'Face Detector',
    type: 'Detection',
    versions: [
      {
        id: 1301,
        files: [
          { id: 13011, name: 'face_yolov8m.pt', format: 'PickleTensor', content: bytesFor('yolo') },
        ],
      },
    ],
  });
  origin = await startFileOrigin();
  origin.addFile('4711', {
    bytes: safetensorsFile({ tensors: [...TENSORS.fluxVae], totalSize: 4096 }),
  });
  client = createUndiciHttpClient({
    connectionsPerHost: 4,
    idleTimeoutMs: 5_000,
    allowPrivateHosts: true,
  });
});

afterAll(async () => {
  await client.close();
  await origin.close();
  await hub.close();
  await civitai.close();
  await cdn.close();
});

beforeEach(async () => {
  modelsRoot = await mkdtemp(path.join(os.tmpdir(), 'modeldock-landing-'));
  const keys: Record<string, string> = { huggingface: APPROVED_TOKEN, civitai: CIVITAI_KEY };
  manager = createDownloadManager({
    store: new MemoryJobStore(),
    http: client,
    fs: { ...createNodeFileSystem(), symlink: (target, linkPath) => symlink(target, linkPath) },
    clock: createSystemClock(),
    logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    modelsRoot,
    workerId: 'landing-table',
    config: {
      allowPrivateHosts: true,
      idleTimeoutMs: 5_000,
      maxAttempts: 2,
      retryBaseDelayMs: 10,
      retryMaxDelayMs: 50,
      syncIntervalMs: 20,
    },
    credentials: async (kind) => (kind ? (keys[kind] ?? null) : null),
    resolvers: createHubResolvers({
      huggingFaceEndpoint: hub.url,
      civitaiEndpoint: civitai.url,
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
    }),
    recoverAllLeasesAtStart: true,
  });
  await manager.start();
});

afterEach(async () => {
  await manager.stop();
  await rm(modelsRoot, { recursive: true, force: true });
});

async function finished(jobId: string): Promise<JobSummary> {
  const deadline = Date.now() + 30_000;
  const done: JobStatus[] = ['completed', 'failed', 'cancelled'];
  for (;;) {
    const job = await manager.getJob(jobId);
    if (done.includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) =>
      path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'),
    )
    .sort();
}

/** What the user pastes (no folder, no file name) → every file it leaves under the models root. */
const LANDING_TABLE: Array<[string, () => string, string[]]> = [
  [
    'the z-image-turbo preset',
    () => 'preset:z-image-turbo',
    [
      'diffusion_models/z_image_turbo-Q8_0.gguf',
      'text_encoders/Qwen3-4B-Instruct-2507-Q8_0.gguf',
      'vae/ae.safetensors',
    ],
  ],
  [
    'the FLUX.1-schnell repository',
    () => 'black-forest-labs/FLUX.1-schnell',
    ['diffusion_models/flux1-schnell.safetensors', 'vae/ae.safetensors'],
  ],
  [
    'FLUX.1-dev (gated, with an approved token)',
    () => 'black-forest-labs/FLUX.1-dev',
    ['diffusion_models/flux1-dev.safetensors'],
  ],
  [
    'a Qwen3 GGUF text encoder',
    () => 'unsloth/Qwen3-4B-Instruct-2507-GGUF/Qwen3-4B-Instruct-2507-Q8_0.gguf',
    ['text_encoders/Qwen3-4B-Instruct-2507-Q8_0.gguf'],
  ],
  [
    'the Qwen 2.5 VL encoder from Comfy-Org',
    () => 'Comfy-Org/Qwen-Image_ComfyUI',
    ['text_encoders/qwen_2.5_vl_7b_fp8_scaled.safetensors'],
  ],
  ['a Civitai LoRA', () => `${civitai.url}/models/100`, ['loras/cool_lora.safetensors']],
  ['a Civitai VAE', () => `${civitai.url}/models/1000`, ['vae/nice_vae.safetensors']],
  ['a Civitai upscaler', () => `${civitai.url}/models/900`, ['upscale_models/4x_upscaler.pth']],
  ['a Civitai detector', () => `${civitai.url}/models/1300`, ['ultralytics/bbox/face_yolov8m.pt']],
  [
    'a direct link to an unnamed safetensors VAE',
    () => `${origin.url}/4711`,
    ['vae/4711.safetensors'],
  ],
];

describe('where each download of issue 13 lands, with no folder given', () => {
  it.each(LANDING_TABLE)('%s', async (_case, input, expected) => {
    const job = await finished((await manager.enqueue({ url: input() })).jobId);
    expect(job.status, JSON.stringify([job.error, job.files.map((file) => file.error)])).toBe(
      'completed',
    );
    expect(await filesUnder(modelsRoot)).toEqual(expected);
  });
});
