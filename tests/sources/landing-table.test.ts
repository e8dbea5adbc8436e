/**
 * Issue 13's "done when", in one place: every download it names is made with no folder given, and
 * lands where ComfyUI (or the named custom node) reads it. The table below is the closing note's.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createUndiciHttpClient } from '@modeldock/engine';
import type { DownloadManager, UndiciHttpClient } from '@modeldock/engine';
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
import { filesUnder, jobEnd, startSourcesManager } from './helpers/download-harness';

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
  manager = await startSourcesManager({
    http: client,
    modelsRoot,
    huggingFaceEndpoint: hub.url,
    civitaiEndpoint: civitai.url,
    keys: { huggingface: APPROVED_TOKEN, civitai: CIVITAI_KEY },
    workerId: 'landing-table',
  });
});

afterEach(async () => {
  await manager.stop();
  await rm(modelsRoot, { recursive: true, force: true });
});

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
    const job = await jobEnd(manager, (await manager.enqueue({ url: input() })).jobId, 30_000);
    expect(job.status, JSON.stringify([job.error, job.files.map((file) => file.error)])).toBe(
      'completed',
    );
    expect(await filesUnder(modelsRoot)).toEqual(expected);
  });
});
