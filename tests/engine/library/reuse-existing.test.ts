/**
 * The download manager with a local file index: files it completes are recorded, a file already on
 * disk with the expected SHA-256 is placed instead of downloaded when `reuseExisting` asks for it
 * (verified, never trusted blindly), present files are checked through the index without a second
 * read, and the background indexer runs with the manager.
 */
import { readFile, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { recordLocalFile } from '@modeldock/engine';
import { indexModelsFolder } from './helpers/index-models-folder';
import type { EnqueueRequest } from '@modeldock/engine';
import { waitUntil } from '../jobs/helpers/harness';
import type { Harness } from '../jobs/helpers/harness';
import { sha256Of } from './helpers/library-fixture';
import { createManagerFixture } from './helpers/manager-fixture';
import type { ManagerFixture } from './helpers/manager-fixture';

const WEIGHTS = Buffer.from('safetensors weights '.repeat(500));
let fixture: ManagerFixture | null = null;

afterEach(async () => {
  await fixture?.dispose();
  fixture = null;
});

/**
 * What an enqueue came to once the job's first step ran (enqueue itself returns before it): every
 * file present, or some placed from a file already on disk (completed before any transfer).
 */
async function outcomeOf(
  harness: Harness,
  request: EnqueueRequest,
): Promise<{ jobId: string; attached: boolean; alreadyPresent: boolean; reused: boolean }> {
  const { jobId, attached, job } = await harness.enqueuePrepared(request);
  return {
    jobId,
    attached,
    alreadyPresent: job.files.every((file) => file.status === 'present'),
    reused: job.files.some(
      (file) => file.status === 'completed' && harness.transfer.callsFor(file.relativePath).length === 0,
    ),
  };
}

/** A fixture holding an indexed checkpoint the tests can ask to reuse. */
async function withIndexedCheckpoint(
  options: Parameters<typeof createManagerFixture>[0] = {},
): Promise<ManagerFixture> {
  fixture = await createManagerFixture({
    ...options,
    before: { 'checkpoints/original.safetensors': WEIGHTS, ...options.before },
  });
  await indexModelsFolder(fixture.library);
  fixture.fs.reads.length = 0;
  return fixture;
}

describe('reuseExisting', () => {
  it('hard-links the indexed file to the destination, verifies it and completes the job without a download', async () => {
    const f = await withIndexedCheckpoint();
    const result = await outcomeOf(f.harness, {
      url: 'https://cdn.example/other-name.safetensors',
      folder: 'diffusion_models',
      sha256: sha256Of(WEIGHTS),
      reuseExisting: true,
    });
    expect(result).toEqual({
      jobId: result.jobId,
      attached: false,
      alreadyPresent: false,
      reused: true,
    });
    const job = await f.harness.manager.getJob(result.jobId);
    expect(job).toMatchObject({
      status: 'completed',
      bytesDone: WEIGHTS.length,
      bytesTotal: WEIGHTS.length,
    });
    expect(job.finishedAt).not.toBeNull();
    expect(job.files).toEqual([
      expect.objectContaining({
        relativePath: 'diffusion_models/other-name.safetensors',
        status: 'completed',
        sha256: sha256Of(WEIGHTS),
      }),
    ]);
    expect(f.harness.transfer.calls).toHaveLength(0);
    const [original, placed] = await Promise.all([
      stat(f.absolute('checkpoints/original.safetensors')),
      stat(f.absolute('diffusion_models/other-name.safetensors')),
    ]);
    expect(placed.ino).toBe(original.ino);
    expect(f.fs.reads).toEqual([
      expect.stringMatching(
        /^diffusion_models\/\.other-name\.safetensors\.reuse-.*\.modeldock-part$/,
      ),
    ]);
    expect(await f.index.get('diffusion_models/other-name.safetensors')).toMatchObject({
      sha256: sha256Of(WEIGHTS),
      sourceKind: 'direct',
    });
    expect(f.harness.events.map((event) => [event.type, event.job?.status])).toEqual([
      ['created', 'running'],
      ['status', 'completed'],
    ]);
    expect(f.harness.logger.find('reused a file already on disk')?.fields).toMatchObject({
      from: 'checkpoints/original.safetensors',
      method: 'link',
    });
  });

  it('copies when the file system has no hard links', async () => {
    const f = await withIndexedCheckpoint({ links: false });
    const result = await outcomeOf(f.harness, {
      url: 'https://cdn.example/copy.safetensors',
      folder: 'checkpoints',
      sha256: sha256Of(WEIGHTS),
      reuseExisting: true,
    });
    expect(result.reused).toBe(true);
    expect(await readFile(f.absolute('checkpoints/copy.safetensors'))).toEqual(WEIGHTS);
    expect((await stat(f.absolute('checkpoints/copy.safetensors'))).ino).not.toBe(
      (await stat(f.absolute('checkpoints/original.safetensors'))).ino,
    );
  });

  it('downloads as usual when reuse was not asked for, or nothing on disk matches', async () => {
    const f = await withIndexedCheckpoint();
    const notAsked = await outcomeOf(f.harness, {
      url: 'https://cdn.example/a.safetensors',
      folder: 'checkpoints',
      sha256: sha256Of(WEIGHTS),
    });
    expect(notAsked).toMatchObject({ reused: false, alreadyPresent: false });
    const noMatch = await outcomeOf(f.harness, {
      url: 'https://cdn.example/b.safetensors',
      folder: 'checkpoints',
      sha256: sha256Of('other'),
      reuseExisting: true,
    });
    expect(noMatch.reused).toBe(false);
    const noHash = await outcomeOf(f.harness, {
      url: 'https://cdn.example/c.safetensors',
      folder: 'checkpoints',
      reuseExisting: true,
    });
    expect(noHash.reused).toBe(false);
    for (const { jobId } of [notAsked, noMatch, noHash]) {
      expect(['queued', 'running']).toContain((await f.harness.manager.getJob(jobId)).status);
    }
    // Two jobs run at once in the harness: the first two are being downloaded.
    await f.harness.transfer.call(1);
    expect(f.harness.transfer.calls.map((call) => call.file.relativePath).sort()).toEqual([
      'checkpoints/a.safetensors',
      'checkpoints/b.safetensors',
    ]);
    expect(await readdir(f.modelsRoot)).toEqual(['checkpoints']);
  });

  it('does not trust an index entry for a file that changed since: it downloads instead', async () => {
    const f = await withIndexedCheckpoint();
    const later = new Date(Date.now() + 60_000);
    await utimes(f.absolute('checkpoints/original.safetensors'), later, later);
    const result = await outcomeOf(f.harness, {
      url: 'https://cdn.example/x.safetensors',
      folder: 'checkpoints',
      sha256: sha256Of(WEIGHTS),
      reuseExisting: true,
    });
    expect(result.reused).toBe(false);
    expect((await f.harness.transfer.call(0)).file.relativePath).toBe('checkpoints/x.safetensors');
  });

  it('catches a file whose bytes changed behind an unchanged size and time, and downloads instead', async () => {
    const f = await withIndexedCheckpoint();
    const entry = (await f.index.get('checkpoints/original.safetensors'))!;
    // An index that is wrong about the content (as after a same-size, same-mtime rewrite).
    await f.index.record({ ...entry, sha256: sha256Of('what the index believes') }, new Date());
    const result = await outcomeOf(f.harness, {
      url: 'https://cdn.example/x.safetensors',
      folder: 'checkpoints',
      sha256: sha256Of('what the index believes'),
      reuseExisting: true,
    });
    expect(result.reused).toBe(false);
    expect(await readdir(f.modelsRoot)).toEqual(['checkpoints']);
    expect(
      f.harness.logger.find('could not reuse a file already on disk; downloading it instead')
        ?.fields.message,
    ).toMatch(/SHA-256/);
    expect((await f.harness.transfer.call(0)).file.relativePath).toBe('checkpoints/x.safetensors');
  });

  it('reuses what it can in a bundle and downloads the rest; the job completes once they are done', async () => {
    const f = await withIndexedCheckpoint();
    const resolver = {
      kind: 'bundle',
      accepts: (input: string) => input === 'bundle:two',
      resolve: async () => ({
        kind: 'bundle',
        source: 'bundle:two',
        files: [
          {
            url: 'https://cdn.example/one',
            name: 'one.safetensors',
            relativePath: 'vae/one.safetensors',
            bytesTotal: WEIGHTS.length,
            expectedSha256: sha256Of(WEIGHTS),
            credential: null,
            revision: null,
            access: 'ok' as const,
          },
          {
            url: 'https://cdn.example/two',
            name: 'two.safetensors',
            relativePath: 'vae/two.safetensors',
            bytesTotal: 3,
            expectedSha256: sha256Of('two'),
            credential: null,
            revision: null,
            access: 'ok' as const,
          },
        ],
      }),
    };
    await f.dispose();
    fixture = await createManagerFixture({
      before: { 'checkpoints/original.safetensors': WEIGHTS },
      extra: { resolvers: [resolver] },
    });
    await indexModelsFolder(fixture.library);
    fixture.harness.transfer.autoComplete = (call) => call.complete('two');
    const result = await outcomeOf(fixture.harness, {
      url: 'bundle:two',
      reuseExisting: true,
    });
    expect(result).toMatchObject({ reused: true, alreadyPresent: false });
    // The first step placed the one file on disk, then stored the files: the other still to fetch.
    const prepared = fixture.harness.store.storedEvents().find((event) => event.type === 'status');
    expect(prepared?.job?.files.map((file) => [file.relativePath, file.status])).toEqual([
      ['vae/one.safetensors', 'completed'],
      ['vae/two.safetensors', 'queued'],
    ]);
    const done = await fixture.harness.waitForStatus(result.jobId, 'completed');
    expect(done.files.map((file) => file.status)).toEqual(['completed', 'completed']);
    expect(fixture.harness.transfer.calls.map((call) => call.file.relativePath)).toEqual([
      'vae/two.safetensors',
    ]);
  });
});

describe('the index kept in step with downloads', () => {
  it('records every file a job completes, with the hash the byte layer computed', async () => {
    fixture = await createManagerFixture();
    fixture.harness.transfer.autoComplete = (call) => call.complete('downloaded bytes');
    const { jobId } = await outcomeOf(fixture.harness, {
      url: 'https://cdn.example/new.gguf',
      folder: 'unet',
    });
    await fixture.harness.waitForStatus(jobId, 'completed');
    await waitUntil(
      async () => (await fixture!.index.get('diffusion_models/new.gguf')) !== null,
      'the file to be recorded',
    );
    const entry = (await fixture.index.get('diffusion_models/new.gguf'))!;
    const onDisk = await stat(fixture.absolute('diffusion_models/new.gguf'));
    expect(entry).toMatchObject({
      sha256: sha256Of('downloaded bytes'),
      size: onDisk.size,
      mtimeMs: onDisk.mtimeMs,
      sourceKind: 'direct',
    });
  });

  it('checks a present file through the index, without reading it again', async () => {
    fixture = await createManagerFixture({ before: { 'loras/style.safetensors': WEIGHTS } });
    const request = {
      url: 'https://cdn.example/style.safetensors',
      folder: 'loras',
      sha256: sha256Of(WEIGHTS),
    };

    const first = await outcomeOf(fixture.harness, request);
    expect(first).toMatchObject({ alreadyPresent: true, reused: false });
    expect(fixture.fs.reads).toEqual(['loras/style.safetensors']);
    expect(await fixture.index.get('loras/style.safetensors')).toMatchObject({
      sha256: sha256Of(WEIGHTS),
      sourceKind: null,
    });

    fixture.fs.reads.length = 0;
    const second = await outcomeOf(fixture.harness, request);
    expect(second.alreadyPresent).toBe(true);
    expect(fixture.fs.reads).toEqual([]);
  });

  it('believes the index about a changed file: a different recorded hash is a conflict', async () => {
    fixture = await createManagerFixture({ before: { 'loras/style.safetensors': WEIGHTS } });
    await recordLocalFile(fixture.library, {
      relativePath: 'loras/style.safetensors',
      sha256: sha256Of('another file'),
      sourceKind: null,
    });
    await expect(
      outcomeOf(fixture.harness, {
        url: 'https://cdn.example/style.safetensors',
        folder: 'loras',
        sha256: sha256Of(WEIGHTS),
      }),
    ).rejects.toMatchObject({ code: 'DESTINATION_EXISTS' });
  });

  it('keeps downloading when the index is unreachable, and says so in the log', async () => {
    fixture = await createManagerFixture({
      before: { 'checkpoints/original.safetensors': WEIGHTS },
    });
    await indexModelsFolder(fixture.library);
    fixture.index.failWith = new Error('database unreachable');
    fixture.harness.transfer.autoComplete = (call) => call.complete('fresh');
    const result = await outcomeOf(fixture.harness, {
      url: 'https://cdn.example/x.safetensors',
      folder: 'checkpoints',
      sha256: sha256Of(WEIGHTS),
      reuseExisting: true,
    });
    expect(result.reused).toBe(false);
    await fixture.harness.waitForStatus(result.jobId, 'completed');
    expect(
      fixture.harness.logger.find('could not look for a copy in the local file index'),
    ).toBeDefined();
    await waitUntil(
      () =>
        fixture!.harness.logger.find('could not record a file in the local file index') !==
        undefined,
      'the failed record to be logged',
    );
  });
});
