/**
 * A folder of models "from other tools" described in one refresh: Civitai files by hash (one with a
 * Civitai Helper sidecar already, one whose model was archived, one Civitai does not know), a
 * Hugging Face file, and a hostile sidecar, all against the fake hubs and image host.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryMetadataStore, LORA_MANAGER_REQUIRED_KEYS, refreshMetadata } from '@modeldock/engine';
import type { MetadataRefreshContext, MetadataTarget, RefreshItemError } from '@modeldock/engine';
import { sha256Hex } from '../../support/fake-cdn';
import { startFakeCivitai } from '../../support/fake-civitai';
import type { FakeCivitai } from '../../support/fake-civitai';
import { startFakeHuggingFace } from '../../support/fake-huggingface';
import type { FakeHuggingFace } from '../../support/fake-huggingface';
import { putStandardImages, startFakeImageHost } from '../../support/fake-image-host';
import type { FakeImageHost } from '../../support/fake-image-host';
import { nodeFileSystemForTests } from '../../support/node-fs-for-tests';
import { hubsFor, silentLogger, steppingClock, testHttpClient } from './helpers/metadata-context';

const fs = nodeFileSystemForTests();
const http = testHttpClient();
let civitai: FakeCivitai;
let hf: FakeHuggingFace;
let images: FakeImageHost;
let root: string;

const NEON = 'neon lora bytes';
const OLD_CKPT = 'old checkpoint bytes';
const ARCHIVED = 'archived lora bytes';
const UNKNOWN = 'nobody knows these bytes';
const HF_FILE = 'hf text encoder bytes';

beforeAll(async () => {
  civitai = await startFakeCivitai();
  hf = await startFakeHuggingFace();
  images = await startFakeImageHost();
  const urls = await putStandardImages(images);
  civitai.addModel({
    id: 1,
    name: 'Neon Style',
    type: 'LORA',
    description: '<p>Neon glow <script>alert(1)</script></p>',
    tags: ['style', 'neon'],
    creator: 'artist',
    versions: [{ id: 11, name: 'v1', baseModel: 'SDXL 1.0', trainedWords: ['neon glow'], images: [{ url: urls.webp, nsfwLevel: 8 }, { url: urls.png, nsfwLevel: 1 }], files: [{ id: 111, name: 'neon.safetensors', content: NEON }] }],
  });
  civitai.addModel({
    id: 2,
    name: 'Big Checkpoint',
    type: 'Checkpoint',
    description: '<p>Photoreal</p>',
    tags: ['photo'],
    creator: 'maker',
    versions: [
      { id: 22, name: 'v17', baseModel: 'SDXL 1.0', publishedAt: '2026-11-01T00:00:00Z', images: [{ url: urls.jpeg }], files: [{ id: 222, name: 'big_v17.safetensors', content: 'new checkpoint bytes' }] },
      { id: 21, name: 'v16', baseModel: 'SDXL 1.0', publishedAt: '2026-06-01T00:00:00Z', images: [{ url: urls.html }], files: [{ id: 221, name: 'big_v16.safetensors', content: OLD_CKPT }] },
    ],
  });
  civitai.addModel({
    id: 3,
    name: 'Gone Lora',
    type: 'LORA',
    mode: 'Archived',
    description: '<p>old</p>',
    tags: ['old'],
    creator: 'someone',
    versions: [{ id: 31, name: 'v1', baseModel: 'SD 1.5', trainedWords: ['gone'], files: [{ id: 311, name: 'gone.safetensors', content: ARCHIVED }] }],
  });
  hf.addRepo({ id: 'acme/encoder', files: [{ path: 'encoder.safetensors', content: HF_FILE }], info: { pipelineTag: 'feature-extraction', tags: ['t5'], baseModel: 'google/t5-v1_1-xxl' } });
});

afterAll(async () => {
  await Promise.all([civitai.close(), hf.close(), images.close(), http.close()]);
});

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'modeldock-refresh-'));
  for (const folder of ['loras', 'checkpoints', 'text_encoders']) await mkdir(path.join(root, folder));
  civitai.requests.length = 0;
  return () => rm(root, { recursive: true, force: true });
});

async function place(relativePath: string, content: string, source: MetadataTarget['source'] = { kind: 'disk' }): Promise<MetadataTarget> {
  await writeFile(path.join(root, relativePath), content);
  return { id: `e-${relativePath.replace(/\W/g, '-')}`, relativePath, sizeBytes: content.length, sha256: sha256Hex(Buffer.from(content)), source };
}

function context(store = createMemoryMetadataStore(), settings = { writeSidecars: true, writeA1111: false, maxNsfwLevel: 2 }): MetadataRefreshContext & { store: ReturnType<typeof createMemoryMetadataStore> } {
  return {
    fs,
    http,
    clock: steppingClock(),
    logger: silentLogger,
    hubs: hubsFor({ civitai: civitai.url, huggingFace: hf.url }, {}, steppingClock(), http),
    store,
    modelsRoot: root,
    thumbnailsDir: path.join(root, '.data', 'thumbnails'),
    maxRedirects: 5,
    settings: async () => settings,
  };
}

describe('one full refresh of a folder from other tools', () => {
  it('gives complete metadata, previews, sidecars and update badges, asking Civitai in batches', async () => {
    const targets = [
      await place('loras/neon.safetensors', NEON),
      await place('checkpoints/big.safetensors', OLD_CKPT),
      await place('loras/gone.safetensors', ARCHIVED),
      await place('loras/mystery.safetensors', UNKNOWN),
      await place('text_encoders/encoder.safetensors', HF_FILE, { kind: 'huggingface', repo: 'acme/encoder', revision: hf.repo('acme/encoder').head(), path: 'encoder.safetensors' }),
    ];
    const ctx = context();
    const errors: RefreshItemError[] = [];
    const done: string[] = [];
    await refreshMetadata(ctx, targets, { kind: 'full', onItemError: (error) => errors.push(error), onItemDone: (target) => done.push(target.id) });
    expect(done.sort()).toEqual(targets.map((target) => target.id).sort());
    const rows = new Map(ctx.store.all().map((row) => [row.entryId, row]));
    const neon = rows.get(targets[0]!.id)!;
    expect(neon.metadata).toMatchObject({ name: 'Neon Style', versionName: 'v1', type: 'LORA', baseModel: 'SDXL 1.0', trainedWords: ['neon glow'], tags: ['style', 'neon'], creator: 'artist', completeness: 'complete', missing: [] });
    expect(neon.metadata!.description).not.toContain('script');
    expect(neon.civitai).toMatchObject({ modelId: 1, versionId: 11, fileId: 111, mode: null });
    expect(neon.update?.status).toBe('current');
    // The first image is X-rated: the PG one is the preview.
    expect(neon.preview).toMatchObject({ kind: 'image', besideModel: 'loras/neon.preview.png' });
    const sidecar = JSON.parse(await readFile(path.join(root, 'loras/neon.metadata.json'), 'utf8')) as Record<string, unknown>;
    for (const key of LORA_MANAGER_REQUIRED_KEYS) expect(sidecar).toHaveProperty(key);
    expect(sidecar.preview_url).toBe(path.join(root, 'loras/neon.preview.png'));
    expect(JSON.parse(await readFile(path.join(root, 'loras/neon.civitai.info'), 'utf8'))).toMatchObject({ id: 11, modelId: 1 });

    const big = rows.get(targets[1]!.id)!;
    expect(big.update).toMatchObject({ status: 'update_available', latest: { id: '22', name: 'v17' } });
    // Its image is an HTML page: a placeholder, and the reason.
    expect(big.preview?.kind).toBe('placeholder');
    expect(errors).toContainEqual(expect.objectContaining({ target: 'checkpoints/big.safetensors', code: 'NOT_AN_IMAGE' }));

    expect(rows.get(targets[2]!.id)!.update).toMatchObject({ status: 'archived', latest: null });

    const mystery = rows.get(targets[3]!.id)!;
    expect(mystery.metadata).toMatchObject({ name: 'mystery', type: 'LORA', completeness: 'minimal' });
    expect(mystery.metadata!.missing).toContain('not found on Civitai by its SHA-256');
    expect(mystery.civitaiNotFoundAt).not.toBeNull();
    expect(mystery.preview?.kind).toBe('placeholder');

    const encoder = rows.get(targets[4]!.id)!;
    expect(encoder.metadata).toMatchObject({ name: 'encoder', baseModel: 'google/t5-v1_1-xxl', creator: 'acme', type: 'TextEncoder' });
    expect(encoder.update?.status).toBe('current');

    // One POST for every hash, one listing for every model; the archived version lists no files, so
    // the hashes its answer could not be matched to are asked one by one.
    const unmatched = [sha256Hex(Buffer.from(ARCHIVED)), sha256Hex(Buffer.from(UNKNOWN))].sort();
    const lookups = civitai.lookupRequests().map((request) => `${request.method} ${request.url.split('?')[0]}`);
    expect(lookups[0]).toBe('POST /api/v1/model-versions/by-hash');
    expect(lookups.slice(1, 3).sort()).toEqual(unmatched.map((hash) => `GET /api/v1/model-versions/by-hash/${hash}`));
    expect(lookups.slice(3)).toEqual(['GET /api/v1/models']);
  });

  it('does not ask again about a file Civitai does not know, unless asked to', async () => {
    const target = await place('loras/mystery.safetensors', UNKNOWN);
    const ctx = context();
    await refreshMetadata(ctx, [target], { kind: 'metadata' });
    civitai.requests.length = 0;
    await refreshMetadata(ctx, [target], { kind: 'metadata' });
    expect(civitai.lookupRequests()).toEqual([]);
    expect(ctx.store.all()[0]!.metadata!.missing).toContain('not found on Civitai by its SHA-256');
    await refreshMetadata(ctx, [target], { kind: 'metadata', recheckNotFound: true });
    expect(civitai.lookupRequests()).toHaveLength(1);
  });

  it("keeps a user's notes in .metadata.json across a refresh", async () => {
    const target = await place('loras/neon.safetensors', NEON);
    await writeFile(path.join(root, 'loras/neon.metadata.json'), JSON.stringify({ notes: 'use at 0.6', favorite: true }));
    await refreshMetadata(context(), [target], { kind: 'metadata' });
    const sidecar = JSON.parse(await readFile(path.join(root, 'loras/neon.metadata.json'), 'utf8')) as Record<string, unknown>;
    expect(sidecar).toMatchObject({ notes: 'use at 0.6', favorite: true, model_name: 'Neon Style' });
  });

  it('a model Civitai Helper described needs no lookup by hash; a hostile sidecar is an item error and the rest goes on', async () => {
    const neon = await place('loras/neon.safetensors', NEON);
    const other = await place('loras/other.safetensors', OLD_CKPT);
    const version = await (await fetch(`${civitai.url}/api/v1/model-versions/11`)).json();
    await writeFile(path.join(root, 'loras/neon.civitai.info'), JSON.stringify(version));
    await writeFile(path.join(root, 'loras/other.metadata.json'), '{ broken');
    civitai.requests.length = 0;
    const errors: RefreshItemError[] = [];
    const ctx = context();
    await refreshMetadata(ctx, [neon, other], { kind: 'metadata', onItemError: (error) => errors.push(error) });
    const posted = civitai.requests.filter((request) => request.method === 'POST');
    expect(posted).toHaveLength(1);
    expect(errors.filter((error) => error.code === 'INVALID_SIDECAR').map((error) => error.target)).toEqual(['loras/other.metadata.json', 'loras/other.metadata.json']);
    expect(ctx.store.all().map((row) => row.metadata?.name).sort()).toEqual(['Big Checkpoint', 'Neon Style']);
  });

  it('sidecars off: nothing is written beside the models', async () => {
    const target = await place('loras/neon.safetensors', NEON);
    await refreshMetadata(context(createMemoryMetadataStore(), { writeSidecars: false, writeA1111: false, maxNsfwLevel: 2 }), [target], { kind: 'full' });
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(path.join(root, 'loras'))).toEqual(['neon.safetensors']);
  });

  it('update checks use what is stored: one model listing, no version lookups', async () => {
    const target = await place('checkpoints/big.safetensors', OLD_CKPT);
    const ctx = context();
    await refreshMetadata(ctx, [target], { kind: 'metadata' });
    civitai.requests.length = 0;
    civitai.addVersion(2, { id: 23, name: 'v18', baseModel: 'SDXL 1.0', publishedAt: '2026-12-01T00:00:00Z', files: [{ id: 223, name: 'big_v18.safetensors', content: 'v18 bytes' }] });
    await refreshMetadata(ctx, [target], { kind: 'update-check' });
    expect(civitai.lookupRequests().map((request) => request.url.split('?')[0])).toEqual(['/api/v1/models/2']);
    expect(ctx.store.all()[0]!.update).toMatchObject({ status: 'update_available', latest: { id: '23', name: 'v18' } });
  });
});
