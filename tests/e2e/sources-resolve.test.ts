/**
 * sources.resolve on the built server, pointed at the fake Hugging Face hub, Civitai and CDN: what a
 * Hugging Face file link, a repository with patterns and a Civitai model page would download; typed
 * refusals a person can act on; nothing written by any of it. Then the local file index: a file that
 * was on disk before the server started is found by its SHA-256 (`existingMatch`) and reused
 * (`reuseExisting`) instead of downloaded, and a file the server downloads is found the same way.
 */
import { mkdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCdn } from '../support/fake-cdn';
import type { FakeCdn } from '../support/fake-cdn';
import { startFakeCivitai } from '../support/fake-civitai';
import type { FakeCivitai } from '../support/fake-civitai';
import { startFakeHuggingFace } from '../support/fake-huggingface';
import type { FakeHuggingFace } from '../support/fake-huggingface';
import { createServerFolders, startServerProcess } from '../support/server-process';
import type { ServerProcess, TemporaryServerFolders } from '../support/server-process';
import { seedCivitai } from '../sources/helpers/civitai-fixtures';
import { modelFile, seedHub } from '../sources/helpers/hf-fixtures';
import { connectHttp, failureOf, listFiles, waitFor, waitForStatus } from './api-client';
import type { Api } from './api-client';

const PLACED_BY_HAND = 'checkpoints/my-copy-of-schnell.safetensors';

const SHARED_WEIGHTS = modelFile('model.safetensors', 'shared weights', 256 * 1024);

let cdn: FakeCdn;
let hub: FakeHuggingFace;
let civitai: FakeCivitai;
let folders: TemporaryServerFolders;
let server: ServerProcess;
let api: Api;

const schnell = () =>
  hub.repo('black-forest-labs/FLUX.1-schnell').file('flux1-schnell.safetensors');
const schnellLink = () =>
  `${hub.url}/black-forest-labs/FLUX.1-schnell/blob/main/flux1-schnell.safetensors`;

beforeAll(async () => {
  cdn = await startFakeCdn();
  hub = await startFakeHuggingFace({ cdn });
  civitai = await startFakeCivitai({ storage: cdn });
  seedHub(hub);
  hub.addRepo({
    id: 'twins/one-repo',
    files: [
      { path: 'a/model.safetensors', content: SHARED_WEIGHTS },
      { path: 'b/model.safetensors', content: SHARED_WEIGHTS },
    ],
  });
  hub.addRepo({ id: 'twins/other-repo', files: [{ path: 'model.safetensors', content: SHARED_WEIGHTS }] });
  seedCivitai(civitai);
  folders = await createServerFolders();
  // On disk before the server starts, under another name: only the background indexer can know it.
  const placed = path.join(folders.modelsDir, ...PLACED_BY_HAND.split('/'));
  await mkdir(path.dirname(placed), { recursive: true });
  await writeFile(placed, schnell().bytes);
  server = await startServerProcess({
    folders,
    env: { MODELDOCK_HF_ENDPOINT: hub.url, MODELDOCK_CIVITAI_ENDPOINT: civitai.url },
  });
  api = connectHttp(server.url);
}, 180_000);

afterAll(async () => {
  const exit = await server?.stop('SIGTERM');
  await hub?.close();
  await civitai?.close();
  await cdn?.close();
  await folders?.remove();
  expect(exit?.code, server?.output()).toBe(0);
});

async function expectNothingStarted(filesBefore: string[]): Promise<void> {
  expect((await api.downloads.list.query()).items).toEqual([]);
  expect(await listFiles(server.modelsDir)).toEqual(filesBefore);
}

describe('sources.resolve: previews', () => {
  it('a Hugging Face file link: its destination, size, hash and credential; nothing started or written', async () => {
    const before = await listFiles(server.modelsDir);
    const file = hub.repo('black-forest-labs/FLUX.1-schnell').file('ae.safetensors');
    const preview = await api.sources.resolve.query({
      url: `${hub.url}/black-forest-labs/FLUX.1-schnell/blob/main/ae.safetensors`,
    });
    expect(preview).toEqual({
      kind: 'huggingface',
      source: 'hf://black-forest-labs/FLUX.1-schnell@main/ae.safetensors',
      bytesTotal: file.size,
      warnings: [],
      listing: null,
      accessProblem: null,
      choiceRequired: null,
      files: [
        {
          name: 'ae.safetensors',
          relativePath: 'vae/ae.safetensors',
          bytesTotal: file.size,
          estimatedBytes: file.size,
          expectedSha256: file.sha256,
          access: 'ok',
          credential: 'huggingface',
          onDisk: 'missing',
          existingMatch: null,
          // Placed by what its header says, read by Range before any download.
          placement: {
            basis: 'header',
            evidence: 'tensor names only encoder.*/decoder.*: a VAE',
            modelClass: 'vae',
            needsFolder: false,
          },
        },
      ],
    });
    await expectNothingStarted(before);
  });

  it('a Hugging Face repository with include and exclude patterns', async () => {
    const before = await listFiles(server.modelsDir);
    const quant = await api.sources.resolve.query({
      url: 'unsloth/Qwen3-4B-Instruct-2507-GGUF',
      include: ['*Q8_0.gguf'],
    });
    expect(quant.files.map((file) => [file.relativePath, file.expectedSha256])).toEqual([
      [
        'text_encoders/Qwen3-4B-Instruct-2507-Q8_0.gguf',
        hub.repo('unsloth/Qwen3-4B-Instruct-2507-GGUF').file('Qwen3-4B-Instruct-2507-Q8_0.gguf')
          .sha256,
      ],
    ]);

    const repo = hub.repo('black-forest-labs/FLUX.1-schnell');
    const parts = await api.sources.resolve.query({
      url: 'black-forest-labs/FLUX.1-schnell',
      include: ['vae/*', 'text_encoder/*'],
      exclude: ['*.json'],
      folder: 'flux-parts',
    });
    expect(parts.kind).toBe('huggingface');
    expect(parts.files.map((file) => file.relativePath).sort()).toEqual([
      // Diffusers parts keep their repository layout, so two model.safetensors never collide.
      'flux-parts/FLUX.1-schnell/text_encoder/model.safetensors',
      'flux-parts/FLUX.1-schnell/vae/diffusion_pytorch_model.safetensors',
    ]);
    expect(parts.bytesTotal).toBe(
      repo.file('vae/diffusion_pytorch_model.safetensors').size +
        repo.file('text_encoder/model.safetensors').size,
    );
    for (const file of parts.files)
      expect(file).toMatchObject({ access: 'ok', credential: 'huggingface', onDisk: 'missing' });
    await expectNothingStarted(before);
  });

  it('a Civitai model page: the chosen version’s primary file, its hash and estimated size', async () => {
    const before = await listFiles(server.modelsDir);
    const preview = await api.sources.resolve.query({
      url: `${civitai.url}/models/827184?modelVersionId=2514310`,
    });
    expect(preview.kind).toBe('civitai');
    expect(preview.files).toEqual([
      {
        name: 'waiIllustriousSDXL_v160.safetensors',
        relativePath: 'checkpoints/waiIllustriousSDXL_v160.safetensors',
        bytesTotal: 3072,
        estimatedBytes: 3072,
        expectedSha256: civitai.fileSha256(2402203),
        access: 'ok',
        credential: 'civitai',
        onDisk: 'missing',
        existingMatch: null,
        placement: {
          basis: 'source',
          evidence: 'Civitai type Checkpoint / file type Model',
          modelClass: 'checkpoint',
          needsFolder: false,
        },
      },
    ]);
    await expectNothingStarted(before);
  });

  it('refusals are typed and say what to do: gated repository, Civitai login, bad input; nothing written', async () => {
    const before = await listFiles(server.modelsDir);

    const gated = await failureOf(
      api.sources.resolve.query({
        url: `${hub.url}/black-forest-labs/FLUX.1-dev/blob/main/flux1-dev.safetensors`,
      }),
    );
    expect(gated).toMatchObject({
      modeldockCode: 'GATED_REPO',
      code: 'FORBIDDEN',
      httpStatus: 403,
    });
    expect(gated.message).toContain(`${hub.url}/black-forest-labs/FLUX.1-dev`);
    expect(gated.message).toMatch(/request access/);

    const login = await failureOf(api.sources.resolve.query({ url: `${civitai.url}/models/100` }));
    expect(login).toMatchObject({
      modeldockCode: 'AUTH_REQUIRED',
      code: 'UNAUTHORIZED',
      httpStatus: 401,
    });
    expect(login.message).toContain('add one in Settings');

    // An archived Civitai model says so (a typed 404, never a 500).
    const archived = await failureOf(
      api.sources.resolve.query({ url: `${civitai.url}/models/300` }),
    );
    expect(archived).toMatchObject({
      modeldockCode: 'ARCHIVED',
      code: 'NOT_FOUND',
      httpStatus: 404,
    });
    expect(archived.message).toMatch(/is archived and can no longer be downloaded/);

    expect(
      await failureOf(api.sources.resolve.query({ url: schnellLink(), folder: '../outside' })),
    ).toMatchObject({
      modeldockCode: 'PATH_OUTSIDE_ROOT',
      code: 'BAD_REQUEST',
    });
    expect(
      (await failureOf(api.sources.resolve.query({ url: 'just some words' }))).modeldockCode,
    ).toBe('UNRECOGNISED_INPUT');
    expect(
      (await failureOf(api.sources.resolve.query({ url: schnellLink(), sha256: 'abc' })))
        .modeldockCode,
    ).toBe('INVALID_INPUT');
    await expectNothingStarted(before);
  });
});

describe('files already on disk', () => {
  it('names a file placed by hand before the start (found by the background indexer) and reuses it instead of downloading', async () => {
    const preview = await waitFor(
      async () => {
        const result = await api.sources.resolve.query({ url: schnellLink() });
        return result.files[0]!.existingMatch ? result : null;
      },
      'the background indexer to find the file placed by hand',
      60_000,
      250,
    );
    expect(preview.files[0]).toMatchObject({
      relativePath: 'diffusion_models/flux1-schnell.safetensors',
      onDisk: 'missing',
      existingMatch: { relativePath: PLACED_BY_HAND },
    });

    const cdnRequestsBefore = cdn.requests.length;
    const result = await api.downloads.enqueue.mutate({ url: schnellLink(), reuseExisting: true });
    expect(result).toEqual({ jobId: result.jobId, attached: false });
    // Placing the file already on disk is the job's first step, after enqueue answered.
    const job = await waitForStatus(api, result.jobId, 'completed', 30_000);
    expect(job.status).toBe('completed');
    expect(job.files).toEqual([
      expect.objectContaining({
        relativePath: 'diffusion_models/flux1-schnell.safetensors',
        status: 'completed',
        sha256: schnell().sha256,
        expectedSha256: schnell().sha256,
      }),
    ]);
    // Only the header probe that places the file (small ranged reads); no byte of the body.
    const fetchedSince = cdn.requests.slice(cdnRequestsBefore);
    for (const request of fetchedSince) {
      const [start, end] =
        /^bytes=(\d+)-(\d+)$/
          .exec(request.headers['range'] ?? '')
          ?.slice(1)
          .map(Number) ?? [];
      expect(end! - start!, request.url).toBeLessThan(64 * 1024);
    }
    const placedPath = path.join(server.modelsDir, 'diffusion_models/flux1-schnell.safetensors');
    expect(await readFile(placedPath)).toEqual(schnell().bytes);
    // Same file system: a hard link, so the reused file takes no extra space.
    expect((await stat(placedPath)).ino).toBe(
      (await stat(path.join(server.modelsDir, PLACED_BY_HAND))).ino,
    );

    const after = await api.sources.resolve.query({ url: schnellLink() });
    expect(after.files[0]).toMatchObject({ onDisk: 'present', existingMatch: null });
  });

  it('finds a file it downloaded itself when the same bytes are wanted elsewhere', async () => {
    const link = `${hub.url}/leejet/Z-Image-Turbo-GGUF/blob/main/z_image_turbo-Q4_K_M.gguf`;
    const { jobId } = await api.downloads.enqueue.mutate({ url: link });
    await waitForStatus(api, jobId, 'completed');
    const preview = await api.sources.resolve.query({
      url: link,
      folder: 'diffusion_models/copies',
    });
    expect(preview.files[0]).toMatchObject({
      relativePath: 'diffusion_models/copies/z_image_turbo-Q4_K_M.gguf',
      onDisk: 'missing',
      existingMatch: { relativePath: 'diffusion_models/z_image_turbo-Q4_K_M.gguf' },
    });
  });
});

describe('the Hugging Face cache layout: the same bytes are downloaded once', () => {
  /** Bytes of the body the CDN sent for the shared blob since `from` (whole-file GETs and ranges alike). */
  function blobBytesFetchedSince(from: number): number {
    const sha256 = hub.repo('twins/one-repo').file('a/model.safetensors').sha256;
    return cdn.requests
      .slice(from)
      .filter((request) => request.url.includes(sha256))
      .reduce((total, request) => {
        const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers['range'] ?? '');
        if (!range) return total + SHARED_WEIGHTS.length;
        const end = range[2] === '' ? SHARED_WEIGHTS.length - 1 : Number(range[2]);
        return total + Math.min(end, SHARED_WEIGHTS.length - 1) - Number(range[1]) + 1;
      }, 0);
  }

  it('a second path of a blob in the same repository, then in another repository, moves no bytes', async () => {
    const sha256 = hub.repo('twins/one-repo').file('a/model.safetensors').sha256;
    const hubCache = path.join(server.modelsDir, 'huggingface/hub');
    const before = cdn.requests.length;
    const first = await api.downloads.enqueue.mutate({ url: `${hub.url}/twins/one-repo`, layout: 'hf-cache' });
    await waitForStatus(api, first.jobId, 'completed');
    expect(blobBytesFetchedSince(before)).toBe(SHARED_WEIGHTS.length);
    const oneRepo = path.join(hubCache, 'models--twins--one-repo');
    const commit = hub.repo('twins/one-repo').head();
    for (const repoPath of ['a/model.safetensors', 'b/model.safetensors']) {
      expect(await readlink(path.join(oneRepo, 'snapshots', commit, repoPath))).toBe(`../../../blobs/${sha256}`);
    }

    const between = cdn.requests.length;
    const second = await api.downloads.enqueue.mutate({ url: `${hub.url}/twins/other-repo`, layout: 'hf-cache' });
    await waitForStatus(api, second.jobId, 'completed');
    expect(blobBytesFetchedSince(between)).toBe(0);
    const otherBlob = path.join(hubCache, 'models--twins--other-repo/blobs', sha256);
    expect((await stat(otherBlob)).ino).toBe((await stat(path.join(oneRepo, 'blobs', sha256))).ino);
    const otherCommit = hub.repo('twins/other-repo').head();
    expect(await readFile(path.join(hubCache, 'models--twins--other-repo/snapshots', otherCommit, 'model.safetensors'))).toEqual(SHARED_WEIGHTS);
  });
});
