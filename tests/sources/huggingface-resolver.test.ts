import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHuggingFaceResolver } from '@modeldock/engine';
import type { EnqueueRequest, HuggingFaceResolver } from '@modeldock/engine';
import { startFakeHuggingFace } from '../support/fake-huggingface';
import type { FakeHuggingFace } from '../support/fake-huggingface';
import { createResolveContext, rejectionOf } from './helpers/resolve-context';
import type { TestResolveContext } from './helpers/resolve-context';
import {
  APPROVED_TOKEN,
  OWNER_TOKEN,
  PLAIN_TOKEN,
  UNKNOWN_TOKEN,
  bytesFor,
  seedHub,
} from './helpers/hf-fixtures';

let hub: FakeHuggingFace;
let resolver: HuggingFaceResolver;
let context: TestResolveContext;

beforeAll(async () => {
  hub = await startFakeHuggingFace({ treePageSize: 2 });
  seedHub(hub);
  resolver = createHuggingFaceResolver({
    endpoint: hub.url,
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
  });
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

function resolve(url: string, extra: Partial<EnqueueRequest> = {}) {
  return resolver.resolve({ url, ...extra }, context);
}

describe('one file', () => {
  it('pins an LFS file to its commit with the sha256 and size from X-Linked-*, never touching the CDN', async () => {
    const repo = 'leejet/Z-Image-Turbo-GGUF';
    const head = hub.requests.length;
    const cdnBefore = hub.cdn.requests.length;
    const result = await resolve(`${hub.url}/${repo}/blob/main/z_image_turbo-Q8_0.gguf`);
    const file = result.files[0]!;
    expect(result.kind).toBe('huggingface');
    expect(result.source).toBe(`hf://${repo}@main/z_image_turbo-Q8_0.gguf`);
    expect(file.revision).toMatch(/^[0-9a-f]{40}$/);
    expect(file.revision).toBe(hub.repo(repo).head());
    expect(file.url).toBe(`${hub.url}/${repo}/resolve/${file.revision}/z_image_turbo-Q8_0.gguf`);
    expect(file.bytesTotal).toBe(4096);
    expect(file.expectedSha256).toBe(hubFile(repo, 'z_image_turbo-Q8_0.gguf').sha256);
    expect(file.relativePath).toBe('diffusion_models/z_image_turbo-Q8_0.gguf');
    expect(file.name).toBe('z_image_turbo-Q8_0.gguf');
    expect(file.credential).toBe('huggingface');
    expect(file.access).toBe('ok');
    expect(file.placement).toMatchObject({
      modelClass: 'diffusion_model',
      basis: 'header',
      needsFolder: false,
    });
    expect(file.placement!.evidence).toContain('lumina2');
    const sent = hub.requests.slice(head);
    // The metadata HEAD, then one ranged GET for the GGUF header, which the CDN serves without the token.
    expect(sent.map((request) => request.method)).toEqual(['HEAD', 'GET']);
    expect(sent[0]!.headers['accept-encoding']).toBe('identity');
    const cdn = hub.cdn.requests.slice(cdnBefore);
    expect(cdn.length).toBe(1);
    expect(cdn[0]!.headers.range).toMatch(/^bytes=0-\d+$/);
    expect(cdn[0]!.headers.authorization).toBeUndefined();
  });

  it('follows the relative redirect of a regular file and takes its size from the 200, its git sha1 as blob', async () => {
    const result = await resolve(`${hub.url}/leejet/Z-Image-Turbo-GGUF/blob/main/README.md`, {
      layout: 'hf-cache',
    });
    const file = result.files[0]!;
    const readme = hubFile('leejet/Z-Image-Turbo-GGUF', 'README.md');
    expect(file.bytesTotal).toBe(readme.size);
    expect(file.expectedSha256).toBeNull();
    expect(file.relativePath).toBe(
      `huggingface/hub/models--leejet--Z-Image-Turbo-GGUF/blobs/${readme.gitSha1}`,
    );
    expect(file.name).toBe('README.md');
    expect(
      hub.requests.some((request) =>
        request.url.startsWith('/api/resolve-cache/models/leejet/Z-Image-Turbo-GGUF/'),
      ),
    ).toBe(true);
  });

  it('reads a private repository with its owner token: a direct 200 whose ETag is the sha256', async () => {
    context.keys.set('huggingface', OWNER_TOKEN);
    const result = await resolve('hf://someone/private-model/weights.safetensors');
    const file = result.files[0]!;
    expect(file.expectedSha256).toBe(
      hubFile('someone/private-model', 'weights.safetensors').sha256,
    );
    expect(file.bytesTotal).toBe(1111);
    // Its header names one tensor "weight", its name says nothing: the user must choose a folder.
    expect(file.relativePath).toBe('weights.safetensors');
    expect(file.placement).toMatchObject({ modelClass: null, needsFolder: true });
    expect(file.placement!.evidence).toMatch(/match no known kind/);
  });

  it('resolves datasets and 0-byte files', async () => {
    const result = await resolve(`${hub.url}/datasets/someone/data/blob/main/empty.txt`, {
      folder: 'data',
    });
    expect(result.files[0]).toMatchObject({ bytesTotal: 0, relativePath: 'data/empty.txt' });
    expect(result.files[0]!.url).toContain('/datasets/someone/data/resolve/');
    expect(result.source.startsWith('hf://datasets/someone/data@main/')).toBe(true);
  });

  it('uses the chosen folder and a sanitised file name', async () => {
    const result = await resolve('black-forest-labs/FLUX.1-schnell/ae.safetensors', {
      folder: 'flux/vae',
      filename: '../../evil:name.safetensors',
    });
    expect(result.files[0]!.relativePath).toBe('flux/vae/evil_name.safetensors');
    expect(result.files[0]!.name).toBe('evil_name.safetensors');
  });

  it('guesses the ComfyUI folder from the name: the FLUX autoencoder goes to vae/', async () => {
    const result = await resolve('black-forest-labs/FLUX.1-schnell/ae.safetensors');
    expect(result.files[0]!.relativePath).toBe('vae/ae.safetensors');
  });

  it('refuses a folder outside the models root before any request', async () => {
    const before = hub.requests.length;
    const error = await rejectionOf(
      resolve('black-forest-labs/FLUX.1-schnell/ae.safetensors', { folder: '../outside' }),
    );
    expect(error.code).toBe('PATH_OUTSIDE_ROOT');
    expect(hub.requests.length).toBe(before);
  });

  it('checks a sha256 the user gave against the published one', async () => {
    const wrong = 'a'.repeat(64);
    const error = await rejectionOf(
      resolve('black-forest-labs/FLUX.1-schnell/ae.safetensors', { sha256: wrong }),
    );
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain(
      hubFile('black-forest-labs/FLUX.1-schnell', 'ae.safetensors').sha256,
    );
    const right = hubFile(
      'black-forest-labs/FLUX.1-schnell',
      'ae.safetensors',
    ).sha256.toUpperCase();
    const ok = await resolve('black-forest-labs/FLUX.1-schnell/ae.safetensors', { sha256: right });
    expect(ok.files[0]!.expectedSha256).toBe(right.toLowerCase());
  });

  it('warns about pickle files', async () => {
    const result = await resolve('someone/pickles/pytorch_model.bin');
    expect(result.warnings?.[0]).toMatch(/pytorch_model\.bin is a pickle file/);
  });
});

describe('revisions are pinned to the commit', () => {
  it('keeps the commit of resolution when the branch moves on afterwards', async () => {
    hub.addRepo({
      id: 'pin/moving',
      files: [{ path: 'model.safetensors', content: bytesFor('v1') }],
    });
    const first = await resolve('pin/moving/model.safetensors');
    hub.commit('pin/moving', [{ path: 'model.safetensors', content: bytesFor('v2') }]);
    const second = await resolve('pin/moving/model.safetensors');
    expect(second.files[0]!.revision).not.toBe(first.files[0]!.revision);
    expect(first.files[0]!.url).toContain(`/resolve/${first.files[0]!.revision}/`);
    expect(first.files[0]!.expectedSha256).not.toBe(second.files[0]!.expectedSha256);
  });

  it('resolves tags, branches with slashes (encoded) and the revision field', async () => {
    const tag = await resolve('black-forest-labs/FLUX.1-schnell/ae.safetensors', {
      revision: 'v1.0',
    });
    expect(tag.source).toBe('hf://black-forest-labs/FLUX.1-schnell@v1.0/ae.safetensors');
    hub.addRepo({ id: 'pin/pr', files: [{ path: 'a.safetensors', content: bytesFor('pr-base') }] });
    const prCommit = hub.commit(
      'pin/pr',
      [{ path: 'a.safetensors', content: bytesFor('pr-change') }],
      { branch: 'refs/pr/1' },
    );
    const pr = await resolve(`${hub.url}/pin/pr/blob/refs%2Fpr%2F1/a.safetensors`);
    expect(pr.files[0]!.revision).toBe(prCommit);
    expect(pr.source).toBe('hf://pin/pr@refs%2Fpr%2F1/a.safetensors');
    expect(
      hub.requests.some((request) => request.url === '/pin/pr/resolve/refs%2Fpr%2F1/a.safetensors'),
    ).toBe(true);
  });

  it('says AMBIGUOUS_INPUT when the link and the field name different revisions', async () => {
    const error = await rejectionOf(
      resolve(`${hub.url}/black-forest-labs/FLUX.1-schnell/blob/main/ae.safetensors`, {
        revision: 'v1.0',
      }),
    );
    expect(error.code).toBe('AMBIGUOUS_INPUT');
  });

  it('follows the relative redirect of a renamed repository', async () => {
    hub.addRepo({
      id: 'old-org/renamed',
      files: [{ path: 'w.safetensors', content: bytesFor('renamed') }],
    });
    hub.renameRepo('old-org/renamed', 'new-org/renamed');
    const result = await resolve('old-org/renamed/w.safetensors');
    expect(result.files[0]!.expectedSha256).toBe(
      hubFile('new-org/renamed', 'w.safetensors').sha256,
    );
  });
});

describe('repositories, folders and patterns', () => {
  it('lists every page of the tree (Link rel="next") and keeps the files the globs match', async () => {
    const before = hub.requests.length;
    const result = await resolve(`${hub.url}/black-forest-labs/FLUX.1-schnell`, {
      include: ['*.safetensors'],
      exclude: ['text_encoder/*'],
    });
    expect(result.files.map((file) => file.relativePath).sort()).toEqual([
      'diffusers/FLUX.1-schnell/vae/diffusion_pytorch_model.safetensors',
      'diffusion_models/flux1-schnell.safetensors',
      'vae/ae.safetensors',
    ]);
    const treeRequests = hub.requests
      .slice(before)
      .filter((request) => request.url.includes('/tree/'));
    expect(treeRequests.length).toBeGreaterThanOrEqual(4);
    expect(treeRequests.slice(1).every((request) => request.url.includes('cursor='))).toBe(true);
    const commit = result.files[0]!.revision!;
    expect(treeRequests[0]!.url).toContain(`/tree/${commit}?`);
    for (const file of result.files) expect(file.url).toContain(`/resolve/${commit}/`);
    const ae = result.files.find((file) => file.relativePath === 'vae/ae.safetensors')!;
    expect(ae.expectedSha256).toBe(
      hubFile('black-forest-labs/FLUX.1-schnell', 'ae.safetensors').sha256,
    );
    expect(ae.bytesTotal).toBe(3072);
  });

  it('takes a folder from a /tree/ link', async () => {
    const result = await resolve(`${hub.url}/black-forest-labs/FLUX.1-schnell/tree/main/vae`);
    // Weights only (its config.json is a loader file, kept only in the HF cache layout); its header says VAE.
    expect(result.files.map((file) => file.relativePath).sort()).toEqual([
      'vae/diffusion_pytorch_model.safetensors',
    ]);
    expect(result.source).toBe('hf://black-forest-labs/FLUX.1-schnell@main/vae/');
  });

  it("takes a repository's single-file weights, each to the folder its header says; README and the diffusers copy stay unticked", async () => {
    const result = await resolve(`${hub.url}/black-forest-labs/FLUX.1-schnell`);
    expect(result.files.map((file) => file.relativePath).sort()).toEqual([
      'diffusion_models/flux1-schnell.safetensors',
      'vae/ae.safetensors',
    ]);
    const transformer = result.files.find((file) => file.name === 'flux1-schnell.safetensors')!;
    expect(transformer.placement).toMatchObject({ modelClass: 'diffusion_model', basis: 'header' });
    expect(transformer.placement!.evidence).toMatch(/double_blocks.*Flux/);
    expect(result.listing).toBeUndefined();

    const preview = await resolver.resolve(
      { url: 'black-forest-labs/FLUX.1-schnell' },
      { ...context, purpose: 'preview' },
    );
    const listing = new Map(preview.listing!.map((file) => [file.path, file]));
    expect(listing.get('README.md')).toMatchObject({ role: 'documentation', selected: false });
    expect(listing.get('schnell_grid.jpeg')).toMatchObject({
      role: 'documentation',
      selected: false,
    });
    expect(listing.get('model_index.json')).toMatchObject({
      role: 'loader',
      selected: false,
      relativePath: 'diffusers/FLUX.1-schnell/model_index.json',
    });
    expect(listing.get('text_encoder/model.safetensors')).toMatchObject({
      selected: false,
      relativePath: 'diffusers/FLUX.1-schnell/text_encoder/model.safetensors',
    });
    expect(listing.get('ae.safetensors')).toMatchObject({
      selected: true,
      relativePath: 'vae/ae.safetensors',
      placement: { modelClass: 'vae' },
    });
  });

  it('keeps a diffusers-only repository together under diffusers/<name>/, configs included', async () => {
    const result = await resolve(`${hub.url}/black-forest-labs/FLUX.1-schnell`, {
      files: [
        { path: 'model_index.json' },
        { path: 'vae/config.json' },
        { path: 'vae/diffusion_pytorch_model.safetensors' },
      ],
    });
    expect(result.files.map((file) => file.relativePath).sort()).toEqual([
      'diffusers/FLUX.1-schnell/model_index.json',
      'diffusers/FLUX.1-schnell/vae/config.json',
      'diffusers/FLUX.1-schnell/vae/diffusion_pytorch_model.safetensors',
    ]);
  });

  it('takes exactly the picked files, each with its own folder when given, and refuses a file the repository lacks', async () => {
    const result = await resolve('black-forest-labs/FLUX.1-schnell', {
      files: [{ path: 'ae.safetensors', folder: 'unet/flux' }, { path: 'README.md' }],
    });
    expect(result.files.map((file) => file.relativePath).sort()).toEqual([
      'README.md',
      'diffusion_models/flux/ae.safetensors',
    ]);
    expect(result.files.find((file) => file.name === 'README.md')!.placement!.needsFolder).toBe(
      true,
    );
    const missing = await rejectionOf(
      resolve('black-forest-labs/FLUX.1-schnell', { files: [{ path: 'nope.safetensors' }] }),
    );
    expect(missing.code).toBe('ENTRY_NOT_FOUND');
    expect(missing.message).toContain('ae.safetensors');
    expect(
      (
        await rejectionOf(
          resolve('black-forest-labs/FLUX.1-schnell', { files: [{ path: '../x' }] }),
        )
      ).code,
    ).toBe('INVALID_INPUT');
  });

  it('refuses to take every quantisation of a GGUF repository (AMBIGUOUS_INPUT), and takes the one asked for', async () => {
    const error = await rejectionOf(resolve('unsloth/Qwen3-4B-Instruct-2507-GGUF'));
    expect(error.code).toBe('AMBIGUOUS_INPUT');
    expect(error.message).toContain('include');
    expect(error.message).toContain('Qwen3-4B-Instruct-2507-Q8_0.gguf');
    const result = await resolve('hf://unsloth/Qwen3-4B-Instruct-2507-GGUF/*Q8_0.gguf');
    expect(result.files).toHaveLength(1);
    expect(result.files[0]!.relativePath).toBe('text_encoders/Qwen3-4B-Instruct-2507-Q8_0.gguf');
  });

  it('says which files exist when no file matches (ENTRY_NOT_FOUND)', async () => {
    const error = await rejectionOf(
      resolve('leejet/Z-Image-Turbo-GGUF', { include: ['*Q9_9.gguf'] }),
    );
    expect(error.code).toBe('ENTRY_NOT_FOUND');
    expect(error.message).toContain('z_image_turbo-Q8_0.gguf');
  });

  it('refuses file choices that cannot apply: a file name or sha256 for several files, patterns on a file link', async () => {
    expect(
      (
        await rejectionOf(
          resolve('leejet/Z-Image-Turbo-GGUF', { include: ['*.gguf'], filename: 'x.gguf' }),
        )
      ).code,
    ).toBe('INVALID_INPUT');
    expect(
      (
        await rejectionOf(
          resolve('leejet/Z-Image-Turbo-GGUF', { include: ['*.gguf'], sha256: 'a'.repeat(64) }),
        )
      ).code,
    ).toBe('INVALID_INPUT');
    expect(
      (await rejectionOf(resolve('leejet/Z-Image-Turbo-GGUF/README.md', { include: ['*.gguf'] })))
        .code,
    ).toBe('AMBIGUOUS_INPUT');
    expect(
      (
        await rejectionOf(
          resolve('leejet/Z-Image-Turbo-GGUF', { include: ['*.gguf'], layout: 'bogus' as never }),
        )
      ).code,
    ).toBe('INVALID_INPUT');
  });

  it('says AMBIGUOUS_INPUT when two selected files would get the same name', async () => {
    hub.addRepo({
      id: 'someone/two-of-a-name',
      files: [
        { path: 'a/model.ckpt', content: bytesFor('a', 100) },
        { path: 'b/model.ckpt', content: bytesFor('b', 100) },
      ],
    });
    const error = await rejectionOf(resolve('someone/two-of-a-name', { folder: 'checkpoints' }));
    expect(error.code).toBe('AMBIGUOUS_INPUT');
    expect(error.message).toContain('checkpoints/model.ckpt');
  });
});

describe('refusals: each with its own code and what to do', () => {
  it('gated, anonymous → GATED_REPO with the page to request access at', async () => {
    const error = await rejectionOf(resolve('black-forest-labs/FLUX.1-dev/flux1-dev.safetensors'));
    expect(error.code).toBe('GATED_REPO');
    expect(error.message).toContain(`request access at ${hub.url}/black-forest-labs/FLUX.1-dev`);
    expect(error.message).toContain('then retry');
    expect(error.httpStatus).toBe(401);
  });

  it('gated, signed in but not approved → GATED_NOT_APPROVED', async () => {
    context.keys.set('huggingface', PLAIN_TOKEN);
    const error = await rejectionOf(resolve('black-forest-labs/FLUX.1-dev/flux1-dev.safetensors'));
    expect(error.code).toBe('GATED_NOT_APPROVED');
    expect(error.message).toContain(`${hub.url}/black-forest-labs/FLUX.1-dev`);
  });

  it('gated and approved → resolves; a gated repository listing is checked on a file too', async () => {
    context.keys.set('huggingface', APPROVED_TOKEN);
    const result = await resolve('black-forest-labs/FLUX.1-dev');
    expect(result.files[0]!.expectedSha256).toBe(
      hubFile('black-forest-labs/FLUX.1-dev', 'flux1-dev.safetensors').sha256,
    );
    context.keys.delete('huggingface');
    expect((await rejectionOf(resolve('black-forest-labs/FLUX.1-dev'))).code).toBe('GATED_REPO');
  });

  it('private or missing, anonymous → REPO_NOT_FOUND that suggests adding a token', async () => {
    for (const input of [
      'someone/private-model/weights.safetensors',
      'nobody/nothing/x.safetensors',
      'nobody/nothing',
    ]) {
      const error = await rejectionOf(resolve(input));
      expect(error.code).toBe('REPO_NOT_FOUND');
      expect(error.message).toContain('add a Hugging Face token in Settings');
    }
  });

  it('private with a token that cannot read it → REPO_NOT_FOUND without suggesting a token', async () => {
    context.keys.set('huggingface', PLAIN_TOKEN);
    const error = await rejectionOf(resolve('someone/private-model/weights.safetensors'));
    expect(error.code).toBe('REPO_NOT_FOUND');
    expect(error.message).not.toContain('add a Hugging Face token');
    expect(error.httpStatus).toBe(404);
  });

  it('missing revision → REVISION_NOT_FOUND, for a file and for a listing', async () => {
    expect(
      (
        await rejectionOf(
          resolve('leejet/Z-Image-Turbo-GGUF/README.md', { revision: 'no-such-branch' }),
        )
      ).code,
    ).toBe('REVISION_NOT_FOUND');
    const listing = await rejectionOf(
      resolve('leejet/Z-Image-Turbo-GGUF', { revision: 'no-such-branch', include: ['*.md'] }),
    );
    expect(listing.code).toBe('REVISION_NOT_FOUND');
    expect(listing.message).toContain('no-such-branch');
  });

  it('missing file or folder → ENTRY_NOT_FOUND naming it', async () => {
    const file = await rejectionOf(resolve('leejet/Z-Image-Turbo-GGUF/missing.gguf'));
    expect(file.code).toBe('ENTRY_NOT_FOUND');
    expect(file.message).toContain('missing.gguf');
    expect(
      (await rejectionOf(resolve(`${hub.url}/leejet/Z-Image-Turbo-GGUF/tree/main/nowhere`))).code,
    ).toBe('ENTRY_NOT_FOUND');
  });

  it('bad token → INVALID_TOKEN telling to add a valid one in Settings', async () => {
    context.keys.set('huggingface', UNKNOWN_TOKEN);
    const error = await rejectionOf(resolve('leejet/Z-Image-Turbo-GGUF/README.md'));
    expect(error.code).toBe('INVALID_TOKEN');
    expect(error.message).toContain('add a valid Hugging Face token in Settings');
  });

  it('rate limited → waits and retries; still limited after the attempts → RATE_LIMITED (retryable)', async () => {
    hub.rateLimitNext(2, 7);
    const result = await resolve('leejet/Z-Image-Turbo-GGUF/README.md');
    expect(result.files).toHaveLength(1);
    expect(context.sleeps).toEqual([5, 5]);
    hub.rateLimitNext(3);
    const error = await rejectionOf(resolve('leejet/Z-Image-Turbo-GGUF/README.md'));
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.retryable).toBe(true);
    hub.rateLimitNext(0);
  });

  it('a Hub that never answers → IDLE_TIMEOUT within the configured deadline', async () => {
    const http = await import('node:http');
    const silent = http.createServer(() => undefined);
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    const port = (silent.address() as { port: number }).port;
    try {
      const impatient = createHuggingFaceResolver({
        endpoint: `http://127.0.0.1:${port}`,
        requestTimeoutMs: 150,
        retry: { attempts: 1 },
      });
      const error = await rejectionOf(impatient.resolve({ url: 'org/name/file.gguf' }, context));
      expect(error.code).toBe('IDLE_TIMEOUT');
      expect(error.retryable).toBe(true);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((done) => silent.close(() => done()));
    }
  });

  it('an unreachable Hub → a network error naming it', async () => {
    const offline = createHuggingFaceResolver({
      endpoint: 'http://127.0.0.1:9',
      retry: { attempts: 1 },
    });
    const error = await rejectionOf(offline.resolve({ url: 'org/name/file.gguf' }, context));
    expect(['CONNECTION_REFUSED', 'NETWORK_ERROR']).toContain(error.code);
    expect(error.message).toContain('Hugging Face');
  });
});

describe('the token stays a secret', () => {
  it('goes to the Hub as Bearer only: never to the CDN, never in a URL, an error, a log line or a result', async () => {
    const hubBefore = hub.requests.length;
    const cdnBefore = hub.cdn.requests.length;
    context.keys.set('huggingface', APPROVED_TOKEN);
    const results = [
      await resolve('black-forest-labs/FLUX.1-dev/flux1-dev.safetensors'),
      await resolve('black-forest-labs/FLUX.1-schnell', { include: ['*.safetensors'] }),
      await resolve('leejet/Z-Image-Turbo-GGUF/README.md'),
    ];
    const errors = [
      await rejectionOf(resolve('leejet/Z-Image-Turbo-GGUF/missing.gguf')),
      await rejectionOf(resolve('someone/private-model/weights.safetensors')),
    ];
    // Fetch one CDN URL the way a downloader would after the redirect, to prove the CDN path is clean.
    const head = await fetch(
      `${hub.url}/leejet/Z-Image-Turbo-GGUF/resolve/main/z_image_turbo-Q8_0.gguf`,
      { method: 'HEAD', redirect: 'manual' },
    );
    await fetch(head.headers.get('location')!);

    const hubRequests = hub.requests.slice(hubBefore);
    expect(hubRequests.filter((request) => request.headers.authorization).length).toBeGreaterThan(
      5,
    );
    for (const request of hubRequests) {
      if (request.headers.authorization)
        expect(request.headers.authorization).toBe(`Bearer ${APPROVED_TOKEN}`);
      expect(request.url).not.toContain(APPROVED_TOKEN);
    }
    const cdnRequests = hub.cdn.requests.slice(cdnBefore);
    // Header probes (ranged) and the one fetch above: none carries the token.
    expect(cdnRequests.length).toBeGreaterThan(1);
    for (const request of cdnRequests) {
      expect(request.headers.authorization).toBeUndefined();
      expect(JSON.stringify(request)).not.toContain(APPROVED_TOKEN);
    }
    const everything = JSON.stringify({
      results,
      errors: errors.map((error) => ({ ...error, message: error.message })),
      logged: context.logged,
    });
    expect(everything).not.toContain(APPROVED_TOKEN);
    expect(context.logged.length).toBeGreaterThan(0);
  });
});

function hubFile(repoId: string, path: string) {
  return hub.repo(repoId).file(path);
}
