/**
 * Scheduled recovery (the `recovery` refresh task) on a real PGlite database and fake hubs: incomplete
 * entries in priority order (recent first, then most missing fields); a model that failed the same way
 * three times is skipped by scheduled (low-priority) runs and included when the user asks; a success
 * clears its count.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLibraryMetadata, createMetadataHubs, prioritiseRecovery, RECENT_MS, SKIP_AFTER_FAILURES, SKIPPED_CODE } from '@modeldock/engine';
import type { HttpClient, LibraryMetadata, LibraryRow, RecoveryCandidate, StoredModelMetadata, Task } from '@modeldock/engine';
import { startFakeCivitai } from '../../support/fake-civitai';
import type { FakeCivitai } from '../../support/fake-civitai';
import { makeImage, putStandardImages, startFakeImageHost } from '../../support/fake-image-host';
import type { FakeImageHost } from '../../support/fake-image-host';
import { createModelLibraryFixture, sharedDatabase } from '../helpers/model-library-fixture';
import type { ModelLibraryFixture } from '../helpers/model-library-fixture';
import { silentLogger, steppingClock, testHttpClient } from '../../engine/metadata/helpers/metadata-context';

const shared = sharedDatabase();
const http = testHttpClient();
let civitai: FakeCivitai;
let images: FakeImageHost;
let f: ModelLibraryFixture;
let metadata: LibraryMetadata;

const bytes = { neon: 'neon lora bytes for recovery', html: 'lora whose image is a login page' };

beforeAll(async () => {
  await shared.open();
  civitai = await startFakeCivitai();
  images = await startFakeImageHost();
  const urls = await putStandardImages(images);
  const lora = (id: number, name: string, content: string, image: string) =>
    civitai.addModel({
      id,
      name,
      type: 'LORA',
      description: `<p>${name}</p>`,
      tags: ['style'],
      creator: 'artist',
      versions: [{ id: id * 10, name: 'v1', baseModel: 'SDXL 1.0', trainedWords: ['glow'], images: [{ url: image, nsfwLevel: 1 }], files: [{ id: id * 100, name: `${id}.safetensors`, content }] }],
    });
  lora(1, 'Neon', bytes.neon, urls.png);
  lora(3, 'Htmlimage', bytes.html, urls.html);
}, 180_000);

afterAll(async () => {
  await Promise.all([civitai.close(), images.close(), http.close()]);
  await shared.close();
});

beforeEach(async () => {
  f = await createModelLibraryFixture(shared);
  const client: HttpClient = http;
  metadata = createLibraryMetadata({
    library: f.db.library,
    store: f.db.metadata,
    tasks: f.tasks,
    settings: f.db.settings,
    enqueue: async () => ({ jobId: 'unused', attached: false }),
    fs: f.fs,
    http: client,
    clock: f.clock,
    logger: silentLogger,
    hubs: createMetadataHubs({
      http: client,
      clock: steppingClock(),
      logger: silentLogger,
      credentials: async () => null,
      civitaiEndpoint: civitai.url,
      random: () => 0.5,
      requestsPerSecond: 1000,
    }),
    modelsRoot: f.modelsRoot,
    thumbnailsDir: path.join(f.root, 'data', 'thumbnails'),
    maxRedirects: 5,
    failures: f.db.refreshFailures,
    onChanged: () => undefined,
  });
});

afterEach(async () => {
  await f.library.stop();
  await f.cleanup();
});

async function recover(priority: 'low' | 'normal'): Promise<Task> {
  const { taskId } = await metadata.recover({ priority });
  await f.tasks.drain();
  return f.tasks.get(taskId);
}

describe('scheduled recovery', () => {
  it('skips a model after three failures the same way, until the user asks; a success clears the count', async () => {
    await f.write('loras/neon.safetensors', bytes.neon);
    await f.write('loras/html.safetensors', bytes.html);
    await f.library.scan();
    await f.tasks.drain();
    const htmlId = (await f.db.library.page(null, 10)).find((row) => row.relativePath === 'loras/html.safetensors')!.id;

    const first = await recover('low');
    expect(first.status).toBe('completed');
    expect(first.total).toBe(2);
    expect(first.errors.map((error) => `${error.target}: ${error.code}`)).toContain('loras/html.safetensors: NOT_AN_IMAGE');
    expect((await f.db.refreshFailures.get([htmlId])).get(htmlId)).toEqual({ code: 'NOT_AN_IMAGE', count: 1 });

    // Neon is complete now; the login-page preview keeps failing the same way.
    for (let run = 2; run <= SKIP_AFTER_FAILURES; run++) expect((await recover('low')).total).toBe(1);
    expect((await f.db.refreshFailures.get([htmlId])).get(htmlId)).toEqual({ code: 'NOT_AN_IMAGE', count: SKIP_AFTER_FAILURES });

    const skipping = await recover('low');
    expect(skipping.total).toBe(0);
    expect(skipping.errors).toEqual([
      { target: 'loras/html.safetensors', code: SKIPPED_CODE, message: expect.stringMatching(/failed 3 times in a row \(NOT_AN_IMAGE\)/) },
    ]);

    // The user asks: the model is included (and fails once more, as it would).
    const asked = await recover('normal');
    expect(asked.total).toBe(1);
    expect((await f.db.refreshFailures.get([htmlId])).get(htmlId)?.count).toBe(SKIP_AFTER_FAILURES + 1);

    // The image is fixed upstream: the next run the user asks for succeeds and the count is gone.
    images.put('login.png', { bytes: await makeImage('png'), contentType: 'image/png' });
    const fixed = await recover('normal');
    expect(fixed.errorCount).toBe(0);
    expect((await f.db.refreshFailures.get([htmlId])).size).toBe(0);
  });
});

describe('prioritiseRecovery', () => {
  const now = Date.parse('2030-05-06T00:00:00Z');
  const row = (relativePath: string, addedAgoMs: number): LibraryRow => ({
    id: relativePath,
    relativePath,
    folder: 'loras',
    name: relativePath,
    format: 'safetensors',
    sizeBytes: 1,
    mtimeMs: null,
    inode: null,
    sha256: 'a'.repeat(64),
    status: 'present',
    source: null,
    jobId: null,
    error: null,
    addedAt: new Date(now - addedAgoMs),
    updatedAt: new Date(now),
  });
  const described = (missing: string[], image: boolean) =>
    ({ metadata: { missing }, preview: image ? { kind: 'image' } : null }) as unknown as StoredModelMetadata;

  it('puts recent models first (newest first), then the ones missing most fields, then path order', () => {
    const old = RECENT_MS + 1;
    const candidates: RecoveryCandidate[] = [
      { row: row('old-one-missing', old), stored: described(['tags'], true) },
      { row: row('old-undescribed', old), stored: undefined },
      { row: row('recent-older', 2 * 3_600_000), stored: described([], false) },
      { row: row('old-three-missing', old), stored: described(['tags', 'creator'], false) },
      { row: row('recent-newest', 60_000), stored: described([], false) },
      { row: row('old-a-one-missing', old), stored: described(['tags'], true) },
    ];
    expect(prioritiseRecovery(candidates, now).map((candidate) => candidate.row.relativePath)).toEqual([
      'recent-newest',
      'recent-older',
      'old-undescribed',
      'old-three-missing',
      'old-a-one-missing',
      'old-one-missing',
    ]);
  });
});
