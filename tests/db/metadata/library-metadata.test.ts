/**
 * The metadata domain on the library, through durable refresh tasks on a real PGlite database:
 * "Fix all" over a folder from other tools (complete metadata, previews, Lora-Manager sidecars that
 * keep a user's notes, header counts back to zero), hostile inputs as per-item errors while the task
 * goes on, a refused key named without its value, Civitai's 429 shown as waiting, resume from the
 * checkpoint, sidecars read after a scan with no request, update checks and `update`, thumbnails,
 * and Settings → Metadata.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createLibraryMetadata,
  createModelLibrary,
  createMetadataHubs,
  createUndiciHttpClient,
  LORA_MANAGER_REQUIRED_KEYS,
  resolveEngineConfig,
} from '@modeldock/engine';
import type { HttpClient, HttpRequest, LibraryEntry, LibraryMetadata, ModelLibrary, Task } from '@modeldock/engine';
import { startFakeCivitai } from '../../support/fake-civitai';
import type { FakeCivitai } from '../../support/fake-civitai';
import { startFakeHuggingFace } from '../../support/fake-huggingface';
import type { FakeHuggingFace } from '../../support/fake-huggingface';
import { putStandardImages, startFakeImageHost } from '../../support/fake-image-host';
import type { FakeImageHost } from '../../support/fake-image-host';
import { createModelLibraryFixture, sharedDatabase } from '../helpers/model-library-fixture';
import type { ModelLibraryFixture } from '../helpers/model-library-fixture';
import { silentLogger, steppingClock, testHttpClient } from '../../engine/metadata/helpers/metadata-context';

const shared = sharedDatabase();
const permissive = testHttpClient();
const guarded = createUndiciHttpClient(resolveEngineConfig({ allowPrivateHosts: false }));
let civitai: FakeCivitai;
let hf: FakeHuggingFace;
let images: FakeImageHost;
let urls: Awaited<ReturnType<typeof putStandardImages>>;
let f: ModelLibraryFixture;
let metadata: LibraryMetadata;
/** The library as the server wires it: entries described, sidecars read after a scan. */
let library: ModelLibrary;
let tasksSeen: Task[];
let changed: (string[] | null)[];
/** Answers the hubs' requests whose URL matches, instead of the fake hub (garbage, 5xx). */
let faults: { match: RegExp; status: number; body: string }[];

const bytes = {
  neon: 'neon lora bytes',
  big: 'old checkpoint bytes',
  mystery: 'nobody knows these bytes',
  html: 'lora whose image is an html page',
  huge: 'lora whose image is 21 MB',
  private: 'lora whose image is on a private address',
  garbage: 'lora whose model listing is garbage',
  encoder: 'hf text encoder bytes',
};

function faultyClient(inner: HttpClient): HttpClient {
  return {
    async request(input: HttpRequest) {
      const fault = faults.find((candidate) => candidate.match.test(input.url));
      if (!fault) return inner.request(input);
      const body = Buffer.from(fault.body);
      return { status: fault.status, headers: { 'content-type': 'application/json', 'content-length': String(body.length) }, body: (async function* () { yield body; })(), dump: async () => undefined };
    },
  };
}

/** Previews go through the guarded client, except to the fake image host on 127.0.0.1. */
const previewClient: HttpClient = {
  request: (input) => (input.url.startsWith(images.url) ? permissive.request(input) : guarded.request(input)),
};

beforeAll(async () => {
  // Opening PGlite takes seconds on a busy machine: once here, not inside the first test's hook.
  await shared.open();
  civitai = await startFakeCivitai({ refuseUnknownKeys: true });
  hf = await startFakeHuggingFace();
  images = await startFakeImageHost();
  urls = await putStandardImages(images);
  const lora = (id: number, name: string, content: string, image: string) =>
    civitai.addModel({
      id,
      name,
      type: 'LORA',
      description: `<p>${name} <script>alert(1)</script></p>`,
      tags: ['style'],
      creator: 'artist',
      versions: [{ id: id * 10, name: 'v1', baseModel: 'SDXL 1.0', trainedWords: [`${name.toLowerCase()} style`, 'glow'], images: [{ url: image, nsfwLevel: 1 }], files: [{ id: id * 100, name: `${id}.safetensors`, content }] }],
    });
  lora(1, 'Neon', bytes.neon, urls.png);
  lora(3, 'Htmlimage', bytes.html, urls.html);
  lora(4, 'Huge', bytes.huge, urls.oversized);
  lora(5, 'Private', bytes.private, 'http://169.254.169.254/latest/preview.png');
  lora(6, 'Garbage', bytes.garbage, urls.png);
  civitai.addModel({
    id: 2,
    name: 'Big Checkpoint',
    type: 'Checkpoint',
    description: '<p>Photoreal</p>',
    tags: ['photo'],
    creator: 'maker',
    versions: [{ id: 21, name: 'v16', baseModel: 'SDXL 1.0', publishedAt: '2026-06-01T00:00:00Z', trainedWords: ['photo'], images: [{ url: urls.jpeg }], files: [{ id: 211, name: 'big_v16.safetensors', content: bytes.big }] }],
  });
  hf.addRepo({ id: 'acme/encoder', files: [{ path: 'encoder.safetensors', content: bytes.encoder }], info: { pipelineTag: 'feature-extraction', tags: ['t5'], baseModel: 'google/t5-v1_1-xxl' } });
}, 180_000);

afterAll(async () => {
  await Promise.all([civitai.close(), hf.close(), images.close(), permissive.close(), guarded.close()]);
  await shared.close();
});

beforeEach(async () => {
  f = await createModelLibraryFixture(shared);
  faults = [];
  tasksSeen = [];
  changed = [];
  civitai.requests.length = 0;
  metadata = startMetadata();
  f.tasks.subscribe((task) => tasksSeen.push(task));
  library = createModelLibrary({
    store: f.db.library,
    tasks: f.tasks,
    jobs: { listActiveJobs: async () => [], listJobs: async () => ({ items: [], nextCursor: null }) },
    enqueue: async () => ({ jobId: 'unused', attached: false }),
    isDownloading: () => false,
    fs: f.fs,
    clock: f.clock,
    logger: silentLogger,
    modelsRoot: f.modelsRoot,
    dataDir: path.join(f.root, 'data'),
    settings: { scanIntervalMs: null },
    describe: (items) => metadata.describe(items),
    afterScan: () => metadata.afterScan(),
    afterDelete: (ids) => metadata.afterDelete(ids),
  });
});

afterEach(async () => {
  await f.library.stop();
  await f.cleanup();
});

function startMetadata(keys: { civitai?: string } = {}): LibraryMetadata {
  const hubClock = steppingClock();
  return createLibraryMetadata({
    library: f.db.library,
    store: f.db.metadata,
    tasks: f.tasks,
    settings: f.db.settings,
    enqueue: async (request) => {
      f.enqueued.push(request);
      return { jobId: `job-${f.enqueued.length}`, attached: false };
    },
    fs: f.fs,
    http: previewClient,
    clock: f.clock,
    logger: silentLogger,
    hubs: createMetadataHubs({
      http: faultyClient(permissive),
      clock: hubClock,
      logger: silentLogger,
      credentials: async (kind) => (kind === 'civitai' ? (keys.civitai ?? null) : null),
      civitaiEndpoint: civitai.url,
      huggingFaceEndpoint: hf.url,
      random: () => 0.5,
      requestsPerSecond: 1000,
    }),
    modelsRoot: f.modelsRoot,
    thumbnailsDir: path.join(f.root, 'data', 'thumbnails'),
    maxRedirects: 5,
    onChanged: (ids) => changed.push(ids),
  });
}

async function scan(): Promise<void> {
  await library.scan();
  await f.tasks.drain();
}

async function entries(): Promise<Map<string, LibraryEntry>> {
  const { items } = await library.list({ limit: 500 });
  return new Map(items.map((entry) => [entry.relativePath, entry]));
}

async function runTask(start: Promise<{ taskId: string }>): Promise<Task> {
  const { taskId } = await start;
  await f.tasks.drain();
  return f.tasks.get(taskId);
}

describe('"Fix all" over a folder from other tools', () => {
  it('gives complete metadata, previews and sidecars that keep what the user wrote; the counts go to zero', async () => {
    await f.write('loras/neon.safetensors', bytes.neon);
    await f.write('checkpoints/big.safetensors', bytes.big);
    await f.write('loras/neon.metadata.json', JSON.stringify({ notes: 'my favourite, use at 0.7', from_other_tool: { keep: true } }));
    await scan();
    // The scan read the sidecar (no request): the entry is described, minimally.
    expect(civitai.requests).toHaveLength(0);
    const before = await metadata.summary();
    expect(before).toMatchObject({ entries: 2, complete: 0, noPreview: 2 });

    const task = await runTask(metadata.refresh({ scope: 'incomplete', kind: 'full' }));
    expect(task).toMatchObject({ kind: 'full', status: 'completed', done: 2, total: 2, errorCount: 0 });
    // One POST for both hashes, one model listing.
    expect(civitai.lookupRequests().map((request) => `${request.method} ${request.url.split('?')[0]}`)).toEqual(['POST /api/v1/model-versions/by-hash', 'GET /api/v1/models']);

    const after = await entries();
    const neon = after.get('loras/neon.safetensors')!;
    expect(neon.metadata).toMatchObject({ name: 'Neon', versionName: 'v1', type: 'LORA', baseModel: 'SDXL 1.0', trainedWords: ['neon style', 'glow'], creator: 'artist', completeness: 'complete', missing: [] });
    expect(neon.metadata!.description).not.toMatch(/<script/i);
    expect(neon.preview?.url).toMatch(new RegExp(`^/thumbnails/${neon.id}\\?v=\\d+$`));
    expect(after.get('checkpoints/big.safetensors')!.metadata).toMatchObject({ name: 'Big Checkpoint', completeness: 'complete' });

    const sidecar = JSON.parse(await readFile(f.absolute('loras/neon.metadata.json'), 'utf8')) as Record<string, unknown>;
    for (const key of LORA_MANAGER_REQUIRED_KEYS) expect(sidecar).toHaveProperty(key);
    expect(sidecar).toMatchObject({ notes: 'my favourite, use at 0.7', from_other_tool: { keep: true }, model_name: 'Neon', base_model: 'SDXL 1.0' });
    expect(JSON.parse(await readFile(f.absolute('loras/neon.civitai.info'), 'utf8'))).toMatchObject({ id: 10, modelId: 1 });
    await expect(readFile(f.absolute('loras/neon.preview.png'))).resolves.toBeInstanceOf(Buffer);

    expect(await metadata.summary()).toMatchObject({ entries: 2, complete: 2, partial: 0, minimal: 0, noPreview: 0 });
    expect(changed.flat()).toEqual(expect.arrayContaining([neon.id]));
    // Nothing incomplete is left: a second "Fix all" has nothing to do and asks nobody.
    civitai.requests.length = 0;
    expect(await runTask(metadata.refresh({ scope: 'incomplete', kind: 'full' }))).toMatchObject({ status: 'completed', total: 0 });
    expect(civitai.requests).toHaveLength(0);
  });

  it('keeps a model Civitai does not know minimal with the reason, and does not ask about it again', async () => {
    await f.write('loras/mystery.safetensors', bytes.mystery);
    await scan();
    await runTask(metadata.refresh({ scope: 'incomplete', kind: 'metadata' }));
    const mystery = (await entries()).get('loras/mystery.safetensors')!;
    expect(mystery.metadata).toMatchObject({ completeness: 'minimal', missing: expect.arrayContaining(['not found on Civitai by its SHA-256']) });
    civitai.requests.length = 0;
    await runTask(metadata.refresh({ scope: 'incomplete', kind: 'metadata' }));
    expect(civitai.lookupRequests()).toHaveLength(0);
    // Asked about explicitly, it is asked again.
    await runTask(metadata.refresh({ ids: [mystery.id], kind: 'metadata' }));
    expect(civitai.lookupRequests().length).toBeGreaterThan(0);
  });
});

describe('hostile inputs', () => {
  it('records each as an item error with a code, and the task goes on to the end', async () => {
    for (const [name, content] of Object.entries(bytes)) if (name !== 'encoder' && name !== 'mystery') await f.write(`loras/${name}.safetensors`, content);
    await f.write('loras/neon.civitai.info', '{ this is not json');
    await f.write('text_encoders/models--acme--encoder/snapshots/abc/encoder.safetensors', bytes.encoder);
    faults = [
      { match: /\/api\/v1\/models\?ids=/, status: 200, body: '<html>not json' },
      { match: /\/api\/models\/acme\/encoder/, status: 503, body: '{"error":"overloaded"}' },
    ];
    await scan();
    const task = await runTask(metadata.refresh({ scope: 'all', kind: 'full' }));
    expect(task.status).toBe('completed');
    expect(task.done).toBe(task.total);
    const codes = task.errors.map((error) => `${error.target}: ${error.code}`);
    expect(codes).toEqual(
      expect.arrayContaining([
        'loras/html.safetensors: NOT_AN_IMAGE',
        'loras/huge.safetensors: NOT_AN_IMAGE',
        'loras/private.safetensors: PRIVATE_ADDRESS',
        expect.stringMatching(/^loras\/neon\.civitai\.info: /),
        expect.stringMatching(/^text_encoders\/models--acme--encoder\/snapshots\/abc\/encoder\.safetensors: (SERVER_ERROR|HTTP_ERROR)/),
      ]),
    );
    const after = await entries();
    // The model listing was garbage: the versions still describe the models, partially.
    expect(after.get('loras/garbage.safetensors')!.metadata).toMatchObject({ name: 'Garbage', baseModel: 'SDXL 1.0' });
    expect(after.get('loras/html.safetensors')!.preview).not.toBeNull();
    expect(await metadata.thumbnail(after.get('loras/html.safetensors')!.id)).toMatchObject({ kind: 'file', contentType: 'image/svg+xml' });
    // No sidecar is half-written: every .metadata.json beside the models parses.
    for (const name of ['neon', 'html', 'huge', 'private', 'garbage']) JSON.parse(await readFile(f.absolute(`loras/${name}.metadata.json`), 'utf8'));
  });

  it('names a refused Civitai key with what to do, never its value, and goes on without it', async () => {
    metadata = startMetadata({ civitai: 'refused-key-0123456789abcdef' });
    await f.write('loras/neon.safetensors', bytes.neon);
    await scan();
    const task = await runTask(metadata.refresh({ scope: 'all', kind: 'metadata' }));
    expect(task.status).toBe('completed');
    expect(task.errors).toContainEqual({ target: 'civitai', code: 'INVALID_TOKEN', message: expect.stringMatching(/Settings/) });
    // Public metadata was read without the key.
    expect((await entries()).get('loras/neon.safetensors')!.metadata).toMatchObject({ name: 'Neon', completeness: 'complete' });
    expect(JSON.stringify(task)).not.toContain('refused-key-0123456789abcdef');
    expect(JSON.stringify(await f.tasks.list())).not.toContain('refused-key-0123456789abcdef');
  });
});

describe('platform limits, progress and resume', () => {
  it('shows that it is waiting while Civitai answers 429', async () => {
    await f.write('loras/neon.safetensors', bytes.neon);
    await scan();
    civitai.rateLimitNext(2);
    const { taskId } = await metadata.refresh({ scope: 'all', kind: 'metadata' });
    // The worker writes progress on its own clock: let it tick while the task runs.
    const draining = f.tasks.drain();
    for (let i = 0; i < 200 && (await f.tasks.get(taskId)).status !== 'completed'; i++) {
      await f.clock.advance(1_000);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await draining;
    expect(tasksSeen.filter((task) => task.id === taskId).map((task) => task.current)).toContainEqual(expect.stringMatching(/^Waiting: Civitai asks to slow down \(429\); trying again in \d+ s$/));
    expect((await f.tasks.get(taskId)).status).toBe('completed');
  });

  it('resumes after the last checkpointed path', async () => {
    await f.write('loras/a.safetensors', bytes.neon);
    await f.write('loras/b.safetensors', bytes.big);
    await scan();
    const rows = await f.db.library.page(null, 10);
    const task = await f.db.refreshTasks.create({ kind: 'metadata', targets: { scope: 'library' }, priority: 'normal' }, new Date(f.clock.now()));
    // As a worker that died after the first path would have left it.
    const claimed = await f.db.refreshTasks.claimNext('dead-worker', ['metadata'], 1, new Date(f.clock.now()));
    await f.db.refreshTasks.update(task.id, 'dead-worker', { done: 1, total: 2, checkpoint: { afterPath: rows[0]!.relativePath } }, 1, new Date(f.clock.now()));
    expect(claimed?.id).toBe(task.id);
    await f.clock.advance(10);
    await f.tasks.drain();
    const resumed = await f.tasks.get(task.id);
    expect(resumed).toMatchObject({ status: 'completed', done: 2, total: 2 });
    // The scan's sidecar pass described both from disk; only the second was asked about since.
    const stored = await f.db.metadata.get(rows.map((row) => row.id));
    expect(stored.get(rows[0]!.id)!.metadata!.sources).not.toContain('civitai');
    expect(stored.get(rows[1]!.id)!.metadata!.sources).toContain('civitai');
  });
});

describe('updates', () => {
  it('finds a newer Civitai version, shows it, and downloads it beside the old file', async () => {
    await f.write('checkpoints/big.safetensors', bytes.big);
    await scan();
    await runTask(metadata.refresh({ scope: 'all', kind: 'metadata' }));
    const id = (await entries()).get('checkpoints/big.safetensors')!.id;
    expect((await entries()).get('checkpoints/big.safetensors')!.update).toMatchObject({ status: 'current', latest: null });
    await expect(metadata.update(id)).rejects.toMatchObject({ code: 'INVALID_STATE' });

    civitai.addVersion(2, { id: 22, name: 'v17', baseModel: 'SDXL 1.0', publishedAt: '2026-11-01T00:00:00Z', files: [{ id: 221, name: 'big_v17.safetensors', content: 'new checkpoint bytes' }] });
    const task = await runTask(metadata.checkUpdates({ ids: [id] }));
    expect(task).toMatchObject({ kind: 'update-check', status: 'completed', done: 1 });
    const entry = (await entries()).get('checkpoints/big.safetensors')!;
    expect(entry.update).toMatchObject({ status: 'update_available', latest: { id: '22', name: 'v17', publishedAt: '2026-11-01T00:00:00Z' } });
    const { items } = await library.list({ flag: 'update_available' });
    expect(items.map((item) => item.id)).toEqual([id]);
    expect(await metadata.update(id)).toEqual({ jobId: 'job-1' });
    expect(f.enqueued).toEqual([{ url: `${civitai.url}/models/2?modelVersionId=22`, folder: 'checkpoints' }]);
  });
});

describe('thumbnails, settings and bad requests', () => {
  it('gives a placeholder for an entry with no preview, and nothing for an unknown id', async () => {
    await f.write('loras/plain.safetensors', 'plain bytes');
    await scan();
    const id = (await entries()).get('loras/plain.safetensors')!.id;
    const thumbnail = await metadata.thumbnail(id);
    // The scan's sidecar pass gave it a placeholder (its initials and type), stored as SVG.
    expect(thumbnail).toMatchObject({ kind: 'file', contentType: 'image/svg+xml' });
    await f.db.metadata.put([{ ...(await f.db.metadata.get([id])).get(id)!, preview: null }]);
    const generated = await metadata.thumbnail(id);
    expect(generated).toMatchObject({ kind: 'placeholder', svg: expect.stringContaining('LORA') });
    expect(await metadata.thumbnail('no-such-entry')).toBeNull();
    expect(await metadata.thumbnail('../../etc/passwd')).toBeNull();

    // Deleting the model takes its thumbnail out of the data folder too.
    await f.write('loras/other.safetensors', 'other bytes');
    await scan();
    const other = (await entries()).get('loras/other.safetensors')!;
    const stored = await metadata.thumbnail(other.id);
    expect(stored).toMatchObject({ kind: 'file' });
    await library.delete([other.id]);
    await expect(readFile((stored as { path: string }).path)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('keeps Settings → Metadata, refusing values it does not know', async () => {
    expect(await metadata.getSettings()).toEqual({ writeSidecars: true, writeA1111: false, maxNsfwLevel: 2 });
    expect(await metadata.setSettings({ writeA1111: true, maxNsfwLevel: 4 })).toEqual({ writeSidecars: true, writeA1111: true, maxNsfwLevel: 4 });
    expect(await metadata.getSettings()).toEqual({ writeSidecars: true, writeA1111: true, maxNsfwLevel: 4 });
    await expect(metadata.setSettings({ maxNsfwLevel: 3 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(metadata.setSettings({ writeSidecars: 'yes' as unknown as boolean })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('refuses a refresh of nothing, of both ids and a scope, or of an unknown kind', async () => {
    await expect(metadata.refresh({ ids: [], kind: 'full' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(metadata.refresh({ ids: ['a'], scope: 'all', kind: 'full' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(metadata.refresh({ kind: 'everything' as 'full' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(metadata.update('no-such-entry')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });
});

