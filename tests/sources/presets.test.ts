import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PRESETS, createHuggingFaceResolver, createPresetResolver, findPreset, presetStatus } from '@modeldock/engine';
import type { SourceResolver } from '@modeldock/engine';
import { startFakeHuggingFace } from '../support/fake-huggingface';
import type { FakeHuggingFace } from '../support/fake-huggingface';
import { nodeFileSystemForTests } from '../support/node-fs-for-tests';
import { createResolveContext, rejectionOf } from './helpers/resolve-context';
import type { TestResolveContext } from './helpers/resolve-context';
import { APPROVED_TOKEN, bytesFor, seedHub } from './helpers/hf-fixtures';

let hub: FakeHuggingFace;
let presets: SourceResolver;
let context: TestResolveContext;

beforeAll(async () => {
  hub = await startFakeHuggingFace();
  seedHub(hub);
  presets = createPresetResolver(createHuggingFaceResolver({ endpoint: hub.url, retry: { attempts: 1 } }));
});

afterAll(async () => {
  await hub.close();
});

beforeEach(async () => {
  context = await createResolveContext();
});

afterEach(async () => {
  await context.cleanup();
});

describe('the z-image-turbo preset', () => {
  it('is data: three files from three repositories, each with its ComfyUI folder', () => {
    const preset = findPreset('Z-Image-Turbo')!;
    expect(preset.files.map((file) => `${file.repoId}/${file.path} → ${file.folder}`)).toEqual([
      'leejet/Z-Image-Turbo-GGUF/z_image_turbo-Q8_0.gguf → diffusion_models',
      'black-forest-labs/FLUX.1-schnell/ae.safetensors → vae',
      'unsloth/Qwen3-4B-Instruct-2507-GGUF/Qwen3-4B-Instruct-2507-Q8_0.gguf → text_encoders',
    ]);
    expect(PRESETS.map((item) => item.id)).toContain('z-image-turbo');
  });

  it('resolves to one bundle job with every file pinned to its commit and hash', async () => {
    expect(presets.accepts('preset:z-image-turbo')).toBe(true);
    expect(presets.accepts('leejet/Z-Image-Turbo-GGUF')).toBe(false);
    context.keys.set('huggingface', APPROVED_TOKEN);
    const result = await presets.resolve({ url: 'preset:z-image-turbo' }, context);
    expect(result.kind).toBe('bundle');
    expect(result.source).toBe('preset:z-image-turbo');
    expect(result.files.map((file) => file.relativePath)).toEqual([
      'diffusion_models/z_image_turbo-Q8_0.gguf',
      'vae/ae.safetensors',
      'text_encoders/Qwen3-4B-Instruct-2507-Q8_0.gguf',
    ]);
    const ae = result.files[1]!;
    const repo = hub.repo('black-forest-labs/FLUX.1-schnell');
    expect(ae.revision).toBe(repo.head());
    expect(ae.url).toBe(`${hub.url}/black-forest-labs/FLUX.1-schnell/resolve/${repo.head()}/ae.safetensors`);
    expect(ae.expectedSha256).toBe(repo.file('ae.safetensors').sha256);
    expect(ae.bytesTotal).toBe(3072);
    for (const file of result.files) {
      expect(file.credential).toBe('huggingface');
      expect(file.access).toBe('ok');
    }
  });

  it('refuses fields a preset decides itself, and unknown presets list the known ones', async () => {
    expect((await rejectionOf(presets.resolve({ url: 'preset:z-image-turbo', folder: 'x' }, context))).code).toBe('INVALID_INPUT');
    expect((await rejectionOf(presets.resolve({ url: 'preset:z-image-turbo', layout: 'hf-cache' }, context))).code).toBe('INVALID_INPUT');
    const unknown = await rejectionOf(presets.resolve({ url: 'preset:nope' }, context));
    expect(unknown.code).toBe('UNRECOGNISED_INPUT');
    expect(unknown.message).toContain('preset:z-image-turbo');
  });

  it('passes on a refusal from the Hub for one of its files', async () => {
    const gated = createPresetResolver(createHuggingFaceResolver({ endpoint: hub.url, retry: { attempts: 1 } }), [
      { id: 'gated-one', title: 'Gated', description: '', files: [{ role: 'model', repoId: 'black-forest-labs/FLUX.1-dev', path: 'flux1-dev.safetensors', folder: 'diffusion_models' }] },
    ]);
    expect((await rejectionOf(gated.resolve({ url: 'preset:gated-one' }, context))).code).toBe('GATED_REPO');
  });
});

describe('presetStatus: what is on disk, without the network', () => {
  it('reports each file present, partly present (a partial download beside it) or missing', async () => {
    const fs = nodeFileSystemForTests();
    const root = context.modelsRoot;
    const empty = await presetStatus('z-image-turbo', fs, root);
    expect(empty.state).toBe('missing');
    expect(empty.files.map((file) => file.state)).toEqual(['missing', 'missing', 'missing']);

    await mkdir(path.join(root, 'vae'), { recursive: true });
    await writeFile(path.join(root, 'vae/ae.safetensors'), bytesFor('ae', 300));
    await mkdir(path.join(root, 'diffusion_models'), { recursive: true });
    await writeFile(path.join(root, 'diffusion_models/.z_image_turbo-Q8_0.gguf.f1.modeldock-part'), bytesFor('part', 120));
    await writeFile(path.join(root, 'diffusion_models/.z_image_turbo-Q8_0.gguf.f2.modeldock-part'), bytesFor('part2', 80));
    await writeFile(path.join(root, 'diffusion_models/.other.gguf.f3.modeldock-part'), bytesFor('other', 999));

    const status = await presetStatus(findPreset('z-image-turbo')!, fs, root);
    expect(status.state).toBe('partial');
    expect(status.files).toEqual([
      expect.objectContaining({ relativePath: 'diffusion_models/z_image_turbo-Q8_0.gguf', state: 'partial', exists: false, size: 120 }),
      expect.objectContaining({ relativePath: 'vae/ae.safetensors', state: 'present', exists: true, size: 300, role: 'VAE' }),
      expect.objectContaining({ relativePath: 'text_encoders/Qwen3-4B-Instruct-2507-Q8_0.gguf', state: 'missing', exists: false, size: null }),
    ]);
  });

  it('uses known sizes: a final file of another size is only partly present', async () => {
    const fs = nodeFileSystemForTests();
    const preset = { id: 'sized', title: 'Sized', description: '', files: [{ role: 'vae', repoId: 'a/b', path: 'v.safetensors', folder: 'vae', bytes: 10 }] };
    await mkdir(path.join(context.modelsRoot, 'vae'), { recursive: true });
    await writeFile(path.join(context.modelsRoot, 'vae/v.safetensors'), Buffer.alloc(7));
    expect((await presetStatus(preset, fs, context.modelsRoot)).files[0]).toMatchObject({ state: 'partial', exists: true, size: 7, expectedBytes: 10 });
    await writeFile(path.join(context.modelsRoot, 'vae/v.safetensors'), Buffer.alloc(10));
    expect((await presetStatus(preset, fs, context.modelsRoot)).state).toBe('present');
    expect((await rejectionOf(presetStatus('no-such-preset', fs, context.modelsRoot))).code).toBe('INVALID_INPUT');
  });
});
