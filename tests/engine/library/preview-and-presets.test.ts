/**
 * `preview` and the preset views of the download manager against the fake Hugging Face hub and
 * Civitai: what a download would fetch, the state of each destination, a matching file elsewhere on
 * disk, typed refusals — all without writing anything; then a preset shown missing → partial →
 * present around a real `downloadPreset` through the byte layer.
 */
import { mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createHubResolvers,
  createUndiciHttpClient,
  ModeldockError,
  transferFile,
} from '@modeldock/engine';
import { indexModelsFolder } from './helpers/index-models-folder';
import type { UndiciHttpClient } from '@modeldock/engine';
import { startFakeCdn } from '../../support/fake-cdn';
import type { FakeCdn } from '../../support/fake-cdn';
import { startFakeCivitai } from '../../support/fake-civitai';
import type { FakeCivitai } from '../../support/fake-civitai';
import { startFakeHuggingFace } from '../../support/fake-huggingface';
import type { FakeHuggingFace } from '../../support/fake-huggingface';
import { seedCivitai } from '../../sources/helpers/civitai-fixtures';
import { seedHub } from '../../sources/helpers/hf-fixtures';
import { createManagerFixture } from './helpers/manager-fixture';
import type { ManagerFixture } from './helpers/manager-fixture';

let cdn: FakeCdn;
let hub: FakeHuggingFace;
let civitai: FakeCivitai;
let http: UndiciHttpClient;
let fixture: ManagerFixture | null = null;

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

afterEach(async () => {
  await fixture?.dispose();
  fixture = null;
});

async function managerWithHubs(): Promise<ManagerFixture> {
  fixture = await createManagerFixture({
    http,
    transferFile,
    config: {
      allowPrivateHosts: true,
      idleTimeoutMs: 5_000,
      maxAttempts: 2,
      retryBaseDelayMs: 10,
      retryMaxDelayMs: 50,
    },
    extra: {
      resolvers: createHubResolvers({
        huggingFaceEndpoint: hub.url,
        civitaiEndpoint: civitai.url,
        retry: { attempts: 1 },
      }),
    },
  });
  return fixture;
}

const AE_LINK = () => `${hub.url}/black-forest-labs/FLUX.1-schnell/blob/main/ae.safetensors`;
const aeFile = () => hub.repo('black-forest-labs/FLUX.1-schnell').file('ae.safetensors');

async function expectNothingWritten(f: ManagerFixture): Promise<void> {
  expect((await f.harness.manager.listJobs({})).items).toEqual([]);
  expect(f.harness.events).toEqual([]);
}

describe('preview', () => {
  it('shows a Hugging Face file: destination, size, hash, access, credential; nothing on disk yet', async () => {
    const f = await managerWithHubs();
    const preview = await f.harness.manager.preview({ url: AE_LINK() });
    expect(preview).toEqual({
      kind: 'huggingface',
      source: 'hf://black-forest-labs/FLUX.1-schnell@main/ae.safetensors',
      bytesTotal: aeFile().size,
      warnings: [],
      listing: null,
      choiceRequired: null,
      accessProblem: null,
      files: [
        {
          name: 'ae.safetensors',
          relativePath: 'vae/ae.safetensors',
          bytesTotal: aeFile().size,
          estimatedBytes: aeFile().size,
          expectedSha256: aeFile().sha256,
          access: 'ok',
          credential: 'huggingface',
          onDisk: 'missing',
          existingMatch: null,
          placement: {
            modelClass: 'vae',
            basis: 'header',
            evidence: 'tensor names only encoder.*/decoder.*: a VAE',
            needsFolder: false,
          },
        },
      ],
    });
    await expectNothingWritten(f);
    expect(await readdir(f.modelsRoot)).toEqual([]);
  });

  it('names a file elsewhere under the models folder with the expected SHA-256', async () => {
    const f = await managerWithHubs();
    await f.write('checkpoints/my-autoencoder.safetensors', aeFile().bytes);
    await indexModelsFolder(f.library);
    const [file] = (await f.harness.manager.preview({ url: AE_LINK() })).files;
    expect(file).toMatchObject({
      onDisk: 'missing',
      existingMatch: { relativePath: 'checkpoints/my-autoencoder.safetensors' },
    });
  });

  it('tells the destination apart: partial download, the expected file, another file, a folder', async () => {
    const f = await managerWithHubs();
    const state = async () =>
      (await f.harness.manager.preview({ url: AE_LINK() })).files[0]!.onDisk;

    await f.write('vae/.ae.safetensors.0190abcd.modeldock-part', aeFile().bytes.subarray(0, 100));
    expect(await state()).toBe('partial');

    await f.write('vae/ae.safetensors', aeFile().bytes);
    expect(await state()).toBe('present');
    await indexModelsFolder(f.library);
    expect((await f.harness.manager.preview({ url: AE_LINK() })).files[0]).toMatchObject({
      onDisk: 'present',
      existingMatch: null,
    });

    const sameSizeOtherBytes = Buffer.from(aeFile().bytes);
    sameSizeOtherBytes[100] = (sameSizeOtherBytes[100]! + 1) % 256;
    await f.write('vae/ae.safetensors', sameSizeOtherBytes);
    await indexModelsFolder(f.library);
    expect(await state()).toBe('conflict');

    await f.write('vae/ae.safetensors', 'a different size');
    expect(await state()).toBe('conflict');

    await mkdir(f.absolute('elsewhere-folder/ae.safetensors'), { recursive: true });
    expect(
      (await f.harness.manager.preview({ url: AE_LINK(), folder: 'elsewhere-folder' })).files[0]!
        .onDisk,
    ).toBe('conflict');
  });

  it('asks a direct link itself: an unreachable one is reported beside the file, its secret never shown', async () => {
    const f = await managerWithHubs();
    const sha256 = 'a'.repeat(64);
    const preview = await f.harness.manager.preview({
      url: 'https://cdn.example/loras/style.safetensors?token=hf_SECRETsecretSECRET',
      folder: 'loras',
      sha256,
    });
    expect(preview.kind).toBe('direct');
    expect(preview.source).not.toContain('hf_SECRETsecretSECRET');
    expect(preview.bytesTotal).toBeNull();
    expect(preview.accessProblem).not.toBeNull();
    expect(JSON.stringify(preview)).not.toContain('hf_SECRETsecretSECRET');
    expect(preview.files[0]).toMatchObject({
      relativePath: 'loras/style.safetensors',
      access: 'denied',
      bytesTotal: null,
      estimatedBytes: null,
      expectedSha256: sha256,
      credential: null,
    });
  });

  it('previews a Civitai model page with its estimated size and pickle warnings', async () => {
    const f = await managerWithHubs();
    const preview = await f.harness.manager.preview({ url: `${civitai.url}/models/900` });
    expect(preview.kind).toBe('civitai');
    expect(preview.files[0]).toMatchObject({
      relativePath: 'upscale_models/4x_upscaler.pth',
      credential: 'civitai',
      access: 'ok',
      expectedSha256: civitai.fileSha256(9011),
    });
    expect(preview.warnings.join('\n')).toMatch(/pickle/);
  });

  it('refuses with typed errors that say what to do, and writes nothing', async () => {
    const f = await managerWithHubs();
    const codeAndMessage = async (promise: Promise<unknown>) => {
      const error = await promise.then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(ModeldockError);
      return { code: (error as ModeldockError).code, message: (error as ModeldockError).message };
    };
    const gated = await codeAndMessage(
      f.harness.manager.preview({
        url: `${hub.url}/black-forest-labs/FLUX.1-dev/blob/main/flux1-dev.safetensors`,
      }),
    );
    expect(gated.code).toBe('GATED_REPO');
    expect(gated.message).toContain(`${hub.url}/black-forest-labs/FLUX.1-dev`);
    const login = await codeAndMessage(
      f.harness.manager.preview({ url: `${civitai.url}/models/100` }),
    );
    expect(login).toMatchObject({ code: 'AUTH_REQUIRED' });
    expect(login.message).toContain('add one in Settings');
    expect((await codeAndMessage(f.harness.manager.preview({ url: 'just some words' }))).code).toBe(
      'UNRECOGNISED_INPUT',
    );
    expect(
      (await codeAndMessage(f.harness.manager.preview({ url: AE_LINK(), folder: '../outside' })))
        .code,
    ).toBe('PATH_OUTSIDE_ROOT');
    expect((await codeAndMessage(f.harness.manager.preview({ url: '' }))).code).toBe('INVALID_URL');
    const outside = await mkdtemp(path.join(tmpdir(), 'modeldock-outside-'));
    try {
      await symlink(outside, f.absolute('escape'));
      expect(
        (await codeAndMessage(f.harness.manager.preview({ url: AE_LINK(), folder: 'escape' })))
          .code,
      ).toBe('PATH_OUTSIDE_ROOT');
      await rm(f.absolute('escape'));
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
    await expectNothingWritten(f);
    expect(await readdir(f.modelsRoot)).toEqual([]);
  });
});

describe('presets', () => {
  it('shows z-image-turbo missing, then partial, then present after downloadPreset fetched what was missing', async () => {
    const f = await managerWithHubs();
    const view = async () =>
      (await f.harness.manager.presets()).find((preset) => preset.id === 'z-image-turbo')!;

    const missing = await view();
    expect(missing).toMatchObject({ name: 'Z-Image Turbo (GGUF Q8_0)', status: 'missing' });
    expect(missing.description).toMatch(/ComfyUI/);
    expect(missing.files).toEqual([
      {
        name: 'z_image_turbo-Q8_0.gguf',
        relativePath: 'diffusion_models/z_image_turbo-Q8_0.gguf',
        source: 'hf://leejet/Z-Image-Turbo-GGUF@main/z_image_turbo-Q8_0.gguf',
        status: 'missing',
        bytesOnDisk: null,
        bytesTotal: null,
      },
      {
        name: 'ae.safetensors',
        relativePath: 'vae/ae.safetensors',
        source: 'hf://black-forest-labs/FLUX.1-schnell@main/ae.safetensors',
        status: 'missing',
        bytesOnDisk: null,
        bytesTotal: null,
      },
      {
        name: 'Qwen3-4B-Instruct-2507-Q8_0.gguf',
        relativePath: 'text_encoders/Qwen3-4B-Instruct-2507-Q8_0.gguf',
        source: 'hf://unsloth/Qwen3-4B-Instruct-2507-GGUF@main/Qwen3-4B-Instruct-2507-Q8_0.gguf',
        status: 'missing',
        bytesOnDisk: null,
        bytesTotal: null,
      },
    ]);

    await f.write('vae/ae.safetensors', aeFile().bytes);
    await f.write(
      'diffusion_models/.z_image_turbo-Q8_0.gguf.0190abcd.modeldock-part',
      Buffer.alloc(10),
    );
    const partial = await view();
    expect(partial.status).toBe('partial');
    expect(partial.files.map((file) => [file.status, file.bytesOnDisk, file.bytesTotal])).toEqual([
      ['partial', 10, null],
      ['present', aeFile().size, aeFile().size],
      ['missing', null, null],
    ]);

    const result = await f.harness.manager.downloadPreset('Z-Image-Turbo');
    expect(result).toEqual({ jobId: result.jobId, attached: false });
    const job = await f.harness.waitForStatus(result.jobId, 'completed', 30_000);
    expect(job.kind).toBe('bundle');
    expect(job.files.map((file) => [file.relativePath, file.status])).toEqual([
      ['diffusion_models/z_image_turbo-Q8_0.gguf', 'completed'],
      ['vae/ae.safetensors', 'present'],
      ['text_encoders/Qwen3-4B-Instruct-2507-Q8_0.gguf', 'completed'],
    ]);
    expect((await view()).status).toBe('present');

    const again = await f.harness.manager.downloadPreset('z-image-turbo', { priority: 3 });
    expect(again).toMatchObject({ attached: false });
    const present = await f.harness.prepared(again.jobId);
    expect(present.status).toBe('completed');
    expect(present.files.every((file) => file.status === 'present')).toBe(true);
  });

  it('refuses an unknown preset with INVALID_INPUT naming the known ones', async () => {
    const f = await managerWithHubs();
    const error = await f.harness.manager.downloadPreset('nope').catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'INVALID_INPUT' });
    expect((error as ModeldockError).message).toContain('z-image-turbo');
    await expectNothingWritten(f);
  });
});
