import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LORA_MANAGER_REQUIRED_KEYS, mergeMetadata, readCivitaiVersion, readSidecars, sdVersionOf, writeSidecars, fromCivitai, readCivitaiModel } from '@modeldock/engine';
import type { SidecarContent } from '@modeldock/engine';
import { nodeFileSystemForTests } from '../../support/node-fs-for-tests';

const fs = nodeFileSystemForTests();
const ENDPOINT = 'https://civitai.example';
const NOW = new Date('2026-12-07T12:00:00.000Z');
const SHA = 'ab'.repeat(32);
let root: string;

const versionRaw = {
  id: 11,
  modelId: 1,
  name: 'v2.0',
  baseModel: 'Illustrious',
  trainedWords: ['glowing eyes', 'neon'],
  model: { name: 'Neon Style', type: 'LORA', nsfw: false },
  files: [{ id: 5, name: 'neon.safetensors', primary: true, hashes: { SHA256: SHA.toUpperCase() } }],
  images: [{ url: 'https://img.example/1.png', nsfwLevel: 1, type: 'image' }],
};
const modelRaw = { id: 1, name: 'Neon Style', type: 'LORA', description: '<p>Neon <script>x()</script></p>', tags: ['style'], creator: { username: 'artist' }, modelVersions: [versionRaw] };

function content(overrides: Partial<SidecarContent> = {}): SidecarContent {
  const version = readCivitaiVersion(versionRaw)!;
  return {
    metadata: mergeMetadata([fromCivitai(ENDPOINT, version, readCivitaiModel(modelRaw))], NOW),
    civitaiVersion: version,
    civitaiMode: null,
    previewPath: path.join(root, 'loras', 'neon.preview.png'),
    previewNsfwLevel: 1,
    now: NOW,
    ...overrides,
  };
}

async function write(a1111 = false, overrides: Partial<SidecarContent> = {}) {
  return writeSidecars({ fs, modelsRoot: root, relativePath: 'loras/neon.safetensors', sizeBytes: 1234, mtimeMs: 1_700_000_000_500, sha256: SHA, content: content(overrides), a1111 });
}

async function json(relative: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path.join(root, relative), 'utf8')) as Record<string, unknown>;
}

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'modeldock-sidecars-'));
  await mkdir(path.join(root, 'loras'));
  await writeFile(path.join(root, 'loras', 'neon.safetensors'), 'weights');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('sidecars written', () => {
  it('.metadata.json has every key Lora-Manager requires, with the right types', async () => {
    const result = await write();
    expect(result.errors).toEqual([]);
    expect(result.written).toEqual(['loras/neon.civitai.info', 'loras/neon.metadata.json']);
    const written = await json('loras/neon.metadata.json');
    for (const key of LORA_MANAGER_REQUIRED_KEYS) expect(written).toHaveProperty(key);
    expect(written).toMatchObject({
      file_name: 'neon',
      model_name: 'Neon Style',
      file_path: path.join(root, 'loras', 'neon.safetensors').replace(/\\/g, '/'),
      size: 1234,
      modified: 1_700_000_000,
      sha256: SHA,
      base_model: 'Illustrious',
      preview_url: path.join(root, 'loras', 'neon.preview.png'),
      from_civitai: true,
      tags: ['style'],
      notes: '',
    });
    expect(typeof written.size).toBe('number');
    expect(written.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((written.civitai as { trainedWords: string[] }).trainedWords).toEqual(['glowing eyes', 'neon']);
    expect(String(written.modelDescription)).not.toContain('script');
    // Lora-Manager writes indent 2, Civitai Helper indent 4.
    expect(await readFile(path.join(root, 'loras/neon.metadata.json'), 'utf8')).toMatch(/^\{\n  "/);
    expect(await readFile(path.join(root, 'loras/neon.civitai.info'), 'utf8')).toMatch(/^\{\n    "/);
  });

  it('.civitai.info is the version JSON verbatim, with model name and type Civitai Helper reads', async () => {
    await write();
    const info = await json('loras/neon.civitai.info');
    expect(info).toEqual(versionRaw);
    const fromModelEndpoint = readCivitaiVersion({ ...versionRaw, model: undefined })!;
    await write(false, { civitaiVersion: fromModelEndpoint });
    expect((await json('loras/neon.civitai.info')).model).toMatchObject({ name: 'Neon Style', type: 'LORA' });
  });

  it("keeps a user's notes, favourite, tags and keys of other tools in .metadata.json across a refresh", async () => {
    await writeFile(
      path.join(root, 'loras/neon.metadata.json'),
      JSON.stringify({ notes: 'works best at 0.7', favorite: true, tags: ['mine'], usage_tips: '{"strength":0.7}', other_tool_key: { a: 1 }, model_name: 'old name' }),
    );
    await write();
    const written = await json('loras/neon.metadata.json');
    expect(written).toMatchObject({ notes: 'works best at 0.7', favorite: true, tags: ['mine'], usage_tips: '{"strength":0.7}', other_tool_key: { a: 1 }, model_name: 'Neon Style' });
  });

  it('leaves an unreadable .metadata.json alone with an INVALID_SIDECAR error, and writes the others', async () => {
    await writeFile(path.join(root, 'loras/neon.metadata.json'), '{"notes": "half a file');
    const result = await write();
    expect(result.errors).toEqual([expect.objectContaining({ target: 'loras/neon.metadata.json', code: 'INVALID_SIDECAR' })]);
    expect(result.written).toEqual(['loras/neon.civitai.info']);
    expect(await readFile(path.join(root, 'loras/neon.metadata.json'), 'utf8')).toBe('{"notes": "half a file');
  });

  it("writes A1111's .json when asked, keeping its notes and preferred weight, and leaves another tool's .json alone", async () => {
    await writeFile(path.join(root, 'loras/neon.json'), JSON.stringify({ notes: 'mine', 'preferred weight': 0.8 }));
    expect((await write(true)).written).toContain('loras/neon.json');
    expect(await json('loras/neon.json')).toEqual({
      notes: 'mine',
      'preferred weight': 0.8,
      description: 'Neon',
      'sd version': 'SDXL',
      'activation text': 'glowing eyes, neon',
      sha256: SHA,
      modelId: 1,
    });
    await writeFile(path.join(root, 'loras/neon.json'), JSON.stringify({ architecture: 'something else' }));
    const result = await write(true);
    expect(result.errors).toEqual([expect.objectContaining({ target: 'loras/neon.json', code: 'INVALID_SIDECAR' })]);
    expect(await json('loras/neon.json')).toEqual({ architecture: 'something else' });
  });

  it('never writes through a folder link that leaves the models root, and leaves no temp file', async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), 'modeldock-outside-'));
    try {
      await symlink(outside, path.join(root, 'linked'));
      await writeFile(path.join(outside, 'x.safetensors'), 'weights');
      const result = await writeSidecars({ fs, modelsRoot: root, relativePath: 'linked/x.safetensors', sizeBytes: 7, mtimeMs: 0, sha256: SHA, content: content(), a1111: true });
      expect(result.written).toEqual([]);
      expect(result.errors.map((error) => error.code)).toEqual(['PATH_OUTSIDE_ROOT', 'PATH_OUTSIDE_ROOT', 'PATH_OUTSIDE_ROOT']);
      expect(await readdir(outside)).toEqual(['x.safetensors']);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
    expect((await readdir(path.join(root, 'loras'))).filter((name) => name.includes('modeldock-tmp'))).toEqual([]);
  });

  it('maps base models to A1111 sd versions', () => {
    expect(['SD 1.5', 'SD 2.1', 'SDXL 1.0', 'Pony', 'Illustrious', 'Flux.1 D', null].map(sdVersionOf)).toEqual(['SD1', 'SD2', 'SDXL', 'SDXL', 'SDXL', 'Other', 'Other']);
  });
});

describe('sidecars read', () => {
  it('a model described by Civitai Helper, Lora-Manager and A1111 gets complete metadata with no network call', async () => {
    await write(true);
    await writeFile(path.join(root, 'loras/neon.preview.png'), 'png bytes');
    const reading = await readSidecars({ fs, modelsRoot: root, relativePath: 'loras/neon.safetensors', civitaiEndpoint: ENDPOINT });
    expect(reading.errors).toEqual([]);
    expect(reading.civitaiVersion?.id).toBe(11);
    expect(reading.previewPath).toBe('loras/neon.preview.png');
    expect(reading.present.sort()).toEqual(['loras/neon.civitai.info', 'loras/neon.json', 'loras/neon.metadata.json', 'loras/neon.preview.png']);
    const metadata = mergeMetadata(reading.contributions, NOW);
    expect(metadata).toMatchObject({ name: 'Neon Style', versionName: 'v2.0', type: 'LORA', baseModel: 'Illustrious', trainedWords: ['glowing eyes', 'neon'], tags: ['style'], sources: ['sidecar'] });
  });

  it('hostile sidecars are item errors with codes, the rest still counts', async () => {
    await writeFile(path.join(root, 'loras/neon.civitai.info'), 'not json at all');
    await writeFile(path.join(root, 'loras/neon.metadata.json'), Buffer.alloc(9 * 1024 * 1024, 0x20));
    await writeFile(path.join(root, 'loras/neon.json'), JSON.stringify({ 'activation text': 42, 'sd version': ['SDXL'], description: { html: true } }));
    const reading = await readSidecars({ fs, modelsRoot: root, relativePath: 'loras/neon.safetensors', civitaiEndpoint: ENDPOINT });
    expect(reading.errors.map((error) => [error.target, error.code])).toEqual([
      ['loras/neon.civitai.info', 'INVALID_SIDECAR'],
      ['loras/neon.metadata.json', 'INVALID_SIDECAR'],
    ]);
    expect(reading.errors[1]!.message).toMatch(/larger than 8 MB/);
    // Wrong types are simply unknown.
    expect(reading.contributions).toEqual([{ source: 'sidecar', fields: {} }]);
  });

  it('a .civitai.info that is JSON but no version, an array, or a folder, is an item error', async () => {
    await writeFile(path.join(root, 'loras/neon.civitai.info'), JSON.stringify({ id: 'eleven' }));
    await writeFile(path.join(root, 'loras/neon.metadata.json'), '[1,2]');
    await mkdir(path.join(root, 'loras/neon.json'));
    const reading = await readSidecars({ fs, modelsRoot: root, relativePath: 'loras/neon.safetensors', civitaiEndpoint: ENDPOINT });
    expect(reading.errors.map((error) => error.code)).toEqual(['INVALID_SIDECAR', 'INVALID_SIDECAR', 'INVALID_SIDECAR']);
  });

  it('does not read a sidecar that is a link out of the models root', async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), 'modeldock-outside-'));
    try {
      await writeFile(path.join(outside, 'secret.json'), JSON.stringify({ id: 1, name: 'secret' }));
      await symlink(path.join(outside, 'secret.json'), path.join(root, 'loras/neon.civitai.info'));
      const reading = await readSidecars({ fs, modelsRoot: root, relativePath: 'loras/neon.safetensors', civitaiEndpoint: ENDPOINT });
      expect(reading.errors.map((error) => error.code)).toEqual(['PATH_OUTSIDE_ROOT']);
      expect(reading.civitaiVersion).toBeNull();
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
