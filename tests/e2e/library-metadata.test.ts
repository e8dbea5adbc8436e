/**
 * Metadata, previews and updates end to end on the built server, against the fake Civitai, Hugging
 * Face and image host: a folder of files from "other tools" shows what their sidecars say at once
 * (no request), one "Fix all" gives complete metadata, previews and the sidecars Lora-Manager and
 * Civitai Helper read (a user's notes kept), a hostile image is an item error while the task goes
 * on, thumbnails are served with safe headers, and an update is found and downloaded by one call.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LORA_MANAGER_REQUIRED_KEYS } from '@modeldock/engine';
import { startFakeCdn } from '../support/fake-cdn';
import type { FakeCdn } from '../support/fake-cdn';
import { startFakeCivitai } from '../support/fake-civitai';
import type { FakeCivitai } from '../support/fake-civitai';
import { putStandardImages, startFakeImageHost } from '../support/fake-image-host';
import type { FakeImageHost } from '../support/fake-image-host';
import { createServerFolders, startServerProcess } from '../support/server-process';
import type { ServerProcess } from '../support/server-process';
import { safetensorsBytes } from '../browser/safetensors-bytes';
import { connectHttp, failureOf, waitFor, waitForStatus } from './api-client';
import type { Api } from './api-client';

const NEON = 'neon lora from another machine';
const BIG = 'big checkpoint v16 bytes';
const HTML = 'lora whose only image is a login page';
const HELPER = 'lora Civitai Helper already described';
const MYSTERY = 'bytes nobody has heard of';

describe('metadata, previews and updates on the built server', () => {
  let folders: Awaited<ReturnType<typeof createServerFolders>>;
  let cdn: FakeCdn;
  let civitai: FakeCivitai;
  let images: FakeImageHost;
  let server: ServerProcess;
  let api: Api;

  const write = async (relativePath: string, content: string) => {
    const target = path.join(folders.modelsDir, ...relativePath.split('/'));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  };
  const entryAt = async (relativePath: string) => {
    const { items } = await api.library.list.query({ search: path.posix.basename(relativePath), limit: 50 });
    const found = items.find((item) => item.relativePath === relativePath);
    if (!found) throw new Error(`no entry for ${relativePath}`);
    return found;
  };
  const finished = async (taskId: string) =>
    waitFor(async () => {
      const task = await api.tasks.get.query({ taskId });
      return task.status === 'completed' || task.status === 'failed' ? task : undefined;
    }, `task ${taskId}`, 120_000);

  beforeAll(async () => {
    cdn = await startFakeCdn();
    civitai = await startFakeCivitai({ storage: cdn });
    images = await startFakeImageHost();
    const urls = await putStandardImages(images);
    civitai.addModel({
      id: 1,
      name: 'Neon Nights',
      type: 'LORA',
      description: '<p>Glow <script>alert("x")</script><img src=x onerror=alert(1)></p>',
      tags: ['style', 'neon'],
      creator: 'artist',
      versions: [{ id: 10, name: 'v2', baseModel: 'SDXL 1.0', trainedWords: ['neon nights', 'glow'], images: [{ url: urls.webp, nsfwLevel: 8 }, { url: urls.png, nsfwLevel: 1 }], files: [{ id: 100, name: 'neon_v2.safetensors', content: NEON }] }],
    });
    civitai.addModel({
      id: 2,
      name: 'Big Checkpoint',
      type: 'Checkpoint',
      description: '<p>Photoreal</p>',
      tags: ['photo'],
      creator: 'maker',
      versions: [{ id: 21, name: 'v16', baseModel: 'SDXL 1.0', publishedAt: '2026-06-01T00:00:00Z', images: [{ url: urls.jpeg }], files: [{ id: 211, name: 'big_v16.safetensors', content: BIG }] }],
    });
    civitai.addModel({
      id: 3,
      name: 'Login Page Lora',
      type: 'LORA',
      tags: ['x'],
      creator: 'c',
      description: '<p>x</p>',
      versions: [{ id: 31, name: 'v1', baseModel: 'SD 1.5', trainedWords: ['login'], images: [{ url: urls.html }], files: [{ id: 311, name: 'login.safetensors', content: HTML }] }],
    });
    folders = await createServerFolders();
    await write('loras/neon.safetensors', NEON);
    await write('loras/neon.metadata.json', JSON.stringify({ notes: 'use at 0.7 with the night preset', favorite: true }));
    await write('checkpoints/big.safetensors', BIG);
    await write('loras/login.safetensors', HTML);
    await write('loras/helper.safetensors', HELPER);
    await write(
      'loras/helper.civitai.info',
      JSON.stringify({ id: 41, modelId: 4, name: 'v3', baseModel: 'Pony', trainedWords: ['helper word'], model: { name: 'Helper Described', type: 'LORA' }, files: [], images: [{ url: urls.jpeg, nsfwLevel: 1, type: 'image' }] }),
    );
    await write('loras/mystery.safetensors', MYSTERY);
    civitai.addModel({
      id: 4,
      name: 'Helper Described',
      type: 'LORA',
      description: '<p>Known to Civitai Helper</p>',
      tags: ['helper'],
      creator: 'helper-author',
      versions: [{ id: 41, name: 'v3', baseModel: 'Pony', trainedWords: ['helper word'], images: [{ url: urls.jpeg }], files: [{ id: 411, name: 'helper.safetensors', content: HELPER }] }],
    });
    server = await startServerProcess({ folders, env: { MODELDOCK_CIVITAI_ENDPOINT: civitai.url } });
    api = connectHttp(server.url);
  }, 180_000);

  afterAll(async () => {
    await server?.stop('SIGTERM');
    await civitai?.close();
    await images?.close();
    await cdn?.close();
    await folders?.remove();
  });

  it('shows what sidecars other tools wrote as soon as the files are scanned, with no request', async () => {
    const helper = await waitFor(async () => {
      const entry = await entryAt('loras/helper.safetensors').catch(() => undefined);
      return entry?.metadata ? entry : undefined;
    }, 'the sidecar read after the first scan', 60_000);
    expect(helper.metadata).toMatchObject({ name: 'Helper Described', versionName: 'v3', baseModel: 'Pony', trainedWords: ['helper word'] });
    expect(civitai.lookupRequests()).toHaveLength(0);
    const stats = await api.library.stats.query();
    expect(stats.metadata).toMatchObject({ entries: 5, complete: 0 });
  });

  it('"Fix all" gives complete metadata, previews and sidecars; a user\'s notes survive; a hostile image is an item error', async () => {
    const { taskId } = await api.library.refresh.mutate({ scope: 'incomplete', kind: 'full' });
    const task = await finished(taskId);
    expect(task).toMatchObject({ kind: 'full', status: 'completed' });
    expect(task.done).toBe(task.total);
    expect(task.errors).toContainEqual(expect.objectContaining({ target: 'loras/login.safetensors', code: 'NOT_AN_IMAGE' }));

    const neon = await entryAt('loras/neon.safetensors');
    expect(neon.metadata).toMatchObject({ name: 'Neon Nights', versionName: 'v2', type: 'LORA', baseModel: 'SDXL 1.0', trainedWords: ['neon nights', 'glow'], tags: ['style', 'neon'], creator: 'artist', completeness: 'complete', missing: [] });
    expect(neon.metadata!.description).not.toMatch(/<script|onerror/i);
    expect(neon.metadata!.sourceUrl).toBe(`${civitai.url}/models/1?modelVersionId=10`);
    expect(neon.preview).toEqual({ url: expect.stringMatching(new RegExp(`^/thumbnails/${neon.id}\\?v=\\d+$`)) });
    expect((await entryAt('loras/mystery.safetensors')).metadata).toMatchObject({ completeness: 'minimal', missing: expect.arrayContaining(['not found on Civitai by its SHA-256']) });

    const sidecar = JSON.parse(await readFile(path.join(folders.modelsDir, 'loras/neon.metadata.json'), 'utf8')) as Record<string, unknown>;
    for (const key of LORA_MANAGER_REQUIRED_KEYS) expect(sidecar).toHaveProperty(key);
    expect(sidecar).toMatchObject({ notes: 'use at 0.7 with the night preset', favorite: true, model_name: 'Neon Nights' });
    expect(JSON.parse(await readFile(path.join(folders.modelsDir, 'loras/neon.civitai.info'), 'utf8'))).toMatchObject({ id: 10, modelId: 1 });
    expect(await readdir(path.join(folders.modelsDir, 'loras'))).toContain('neon.preview.png');

    const stats = await api.library.stats.query();
    expect(stats.metadata).toMatchObject({ entries: 5, partial: 0 });
    // Only the image that is a login page and the model nobody knows are left without a picture.
    expect(stats.metadata!.noPreview).toBe(2);
    expect((await api.library.list.query({ flag: 'no_preview' })).items.map((item) => item.name).sort()).toEqual(['login.safetensors', 'mystery.safetensors']);
  });

  it('serves thumbnails with cache headers and safe content types, and a placeholder where there is none', async () => {
    const neon = await entryAt('loras/neon.safetensors');
    const image = await fetch(new URL(neon.preview!.url, server.url));
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/webp');
    expect(image.headers.get('x-content-type-options')).toBe('nosniff');
    expect(image.headers.get('cache-control')).toMatch(/max-age=31536000/);
    expect(Buffer.from(await image.arrayBuffer()).subarray(8, 12).toString('latin1')).toBe('WEBP');

    const mystery = await entryAt('loras/mystery.safetensors');
    const placeholder = await fetch(new URL(`/thumbnails/${mystery.id}`, server.url));
    expect(placeholder.status).toBe(200);
    expect(placeholder.headers.get('content-type')).toBe('image/svg+xml');
    expect(placeholder.headers.get('x-content-type-options')).toBe('nosniff');
    expect(placeholder.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(await placeholder.text()).toMatch(/^<svg[^>]*>.*LORA.*<\/svg>$/s);
    expect((await fetch(new URL('/thumbnails/no-such-entry', server.url))).status).toBe(404);
    expect((await fetch(new URL('/thumbnails/..%2F..%2Fsecret.key', server.url))).status).toBe(404);
  });

  it('finds an update on Civitai and downloads it next to the old file with one call', async () => {
    const big = await entryAt('checkpoints/big.safetensors');
    expect(big.update).toMatchObject({ status: 'current', latest: null });
    const v17 = safetensorsBytes(64 * 1024, 17);
    civitai.addVersion(2, { id: 22, name: 'v17', baseModel: 'SDXL 1.0', publishedAt: '2026-11-01T00:00:00Z', files: [{ id: 221, name: 'big_v17.safetensors', content: v17 }] });
    const { taskId } = await api.library.checkUpdates.mutate({ scope: 'all' });
    expect(await finished(taskId)).toMatchObject({ kind: 'update-check', status: 'completed' });
    const updated = await entryAt('checkpoints/big.safetensors');
    expect(updated.update).toMatchObject({ status: 'update_available', latest: { id: '22', name: 'v17', publishedAt: '2026-11-01T00:00:00Z' } });
    expect((await api.library.list.query({ flag: 'update_available' })).items.map((item) => item.id)).toEqual([big.id]);

    const { jobId } = await api.library.update.mutate({ id: big.id });
    await waitForStatus(api, jobId, 'completed');
    expect((await readFile(path.join(folders.modelsDir, 'checkpoints/big_v17.safetensors'))).equals(v17)).toBe(true);
    expect(await readFile(path.join(folders.modelsDir, 'checkpoints/big.safetensors'), 'utf8')).toBe(BIG);
  });

  it('refuses bad requests with a clear 4xx', async () => {
    expect(await failureOf(api.library.refresh.mutate({ kind: 'everything' as 'full' }))).toMatchObject({ httpStatus: 400 });
    expect(await failureOf(api.library.refresh.mutate({ ids: ['a'], scope: 'all', kind: 'full' }))).toMatchObject({ httpStatus: 400, modeldockCode: 'INVALID_INPUT' });
    expect(await failureOf(api.library.update.mutate({ id: 'no-such-entry' }))).toMatchObject({ httpStatus: 404, modeldockCode: 'MODEL_NOT_FOUND' });
    const mystery = await entryAt('loras/mystery.safetensors');
    expect(await failureOf(api.library.update.mutate({ id: mystery.id }))).toMatchObject({ httpStatus: 409, modeldockCode: 'INVALID_STATE' });
    expect(await failureOf(api.settings.metadata.set.mutate({ maxNsfwLevel: 3 }))).toMatchObject({ httpStatus: 400 });
    expect(await api.settings.metadata.set.mutate({ writeA1111: true })).toEqual({ writeSidecars: true, writeA1111: true, maxNsfwLevel: 2 });
  });
});
