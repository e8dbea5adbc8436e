import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCivitaiResolver } from '@modeldock/engine';
import type { EnqueueRequest, HttpClient, SourceResolver } from '@modeldock/engine';
import { startFakeCivitai } from '../support/fake-civitai';
import type { FakeCivitai } from '../support/fake-civitai';
import { createResolveContext, rejectionOf, undiciHttpClient } from './helpers/resolve-context';
import type { TestResolveContext } from './helpers/resolve-context';
import { BLOCKED_KEY, BUYER_KEY, CIVITAI_KEY, UNKNOWN_KEY, seedCivitai } from './helpers/civitai-fixtures';

let civitai: FakeCivitai;
let resolver: SourceResolver;
let context: TestResolveContext;

beforeAll(async () => {
  civitai = await startFakeCivitai();
  seedCivitai(civitai);
  resolver = createCivitaiResolver({ endpoint: civitai.url, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 } });
});

afterAll(async () => {
  await civitai.close();
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

/** Where the download link leads, asked the way the byte layer will (Bearer, no redirect following). */
async function storageKeyBehind(url: string, key: string | null): Promise<string> {
  const response = await fetch(url, { redirect: 'manual', headers: key ? { authorization: `Bearer ${key}` } : {} });
  expect(response.status).toBe(307);
  return decodeURIComponent(new URL(response.headers.get('location')!).pathname.replace('/objects/', ''));
}

describe('a model page resolves to the primary file of the latest version', () => {
  it('with the published sha256, exact size, API file name, ComfyUI folder and a download link that names the file', async () => {
    const before = civitai.requests.length;
    const result = await resolve(`${civitai.url}/models/827184`);
    const file = result.files[0]!;
    expect(result.kind).toBe('civitai');
    expect(result.files).toHaveLength(1);
    expect(file).toMatchObject({
      name: 'waiIllustriousSDXL_v160.safetensors',
      relativePath: 'checkpoints/waiIllustriousSDXL_v160.safetensors',
      bytesTotal: 3072,
      estimatedBytes: 3072,
      expectedSha256: civitai.fileSha256(2402203),
      credential: 'civitai',
      revision: null,
      access: 'ok',
    });
    expect(file.expectedSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(file.url).toBe(`${civitai.url}/api/download/models/2514310?type=Model&format=SafeTensor&size=pruned&fp=fp16`);
    const sent = civitai.requests.slice(before);
    expect(sent.map((request) => `${request.method} ${request.url.split('?')[0]}`)).toEqual([
      'GET /api/v1/models/827184',
      'GET /api/download/models/2514310',
    ]);
    expect(sent[1]!.headers.accept).toBe('application/json');
    // The access check stops at the redirect: storage is never asked during resolution.
    expect(civitai.storage.requests.filter((request) => request.url.includes('2514310'))).toHaveLength(0);
    expect(await storageKeyBehind(file.url, null)).toBe('civitai/2514310/2402203');
  });

  it.each([
    ['page with modelVersionId', (url: string) => `${url}/models/827184?modelVersionId=2000000`],
    ['version page', (url: string) => `${url}/model-versions/2000000`],
    ['download link', (url: string) => `${url}/api/download/models/2000000`],
    ['AIR', () => 'urn:air:sdxl:checkpoint:civitai:827184@2000000'],
    ['compact id', () => 'civitai:827184@2000000'],
    ['compact version', () => 'civitai:version/2000000'],
  ])('a %s picks that version', async (_label, input) => {
    const result = await resolve(input(civitai.url));
    expect(result.files[0]!.name).toBe('waiIllustriousSDXL_v150.safetensors');
    expect(result.files[0]!.url).toContain('/api/download/models/2000000');
  });

  it('refuses a version that belongs to another model', async () => {
    expect((await rejectionOf(resolve(`${civitai.url}/models/100?modelVersionId=2000000`))).code).toBe('INVALID_INPUT');
  });
});

describe('choosing a file', () => {
  it('by fp, size or type; the folder follows the file type', async () => {
    const fp32 = await resolve('civitai:827184', { civitaiFile: { fp: 'FP32' } });
    expect(fp32.files[0]!.name).toBe('waiIllustriousSDXL_v160_fp32.safetensors');
    expect(await storageKeyBehind(fp32.files[0]!.url, null)).toBe('civitai/2514310/2402204');
    const vae = await resolve('civitai:827184', { civitaiFile: { type: 'VAE' } });
    expect(vae.files[0]!.relativePath).toBe('vae/sdxl_vae.safetensors');
    expect(await storageKeyBehind(vae.files[0]!.url, null)).toBe('civitai/2514310/2402205');
    const config = await resolve('civitai:827184', { civitaiFile: { type: 'Config' } });
    // A config file is no model: no folder is meant for it, so the user chooses one.
    expect(config.files[0]!.relativePath).toBe('waiIllustriousSDXL_v160.yaml');
    expect(config.files[0]!.placement).toMatchObject({ needsFolder: true });
  });

  it('from the parameters of a pasted download link, and by fileId', async () => {
    const linked = await resolve(`${civitai.url}/api/download/models/2514310?type=Model&format=SafeTensor&size=full&fp=fp32`);
    expect(linked.files[0]!.name).toBe('waiIllustriousSDXL_v160_fp32.safetensors');
    const byId = await resolve('civitai:version/2514310', { civitaiFile: { fileId: 2402205 } });
    expect(byId.files[0]!.name).toBe('sdxl_vae.safetensors');
  });

  it('adds fileId to the link when the parameters alone would name two files', async () => {
    const twin = await resolve('civitai:1200', { civitaiFile: { fileId: 12012 } });
    expect(twin.files[0]!.url).toContain('fileId=12012');
    expect(await storageKeyBehind(twin.files[0]!.url, null)).toBe('civitai/1201/12012');
    const primary = await resolve('civitai:1200');
    expect(primary.files[0]!.url).toContain('fileId=12011');
  });

  it('a GGUF checkpoint goes to diffusion_models/, the quantisation can be chosen', async () => {
    const q4 = await resolve('civitai:600', { civitaiFile: { quantType: 'Q4_K_M' } });
    expect(q4.files[0]!.relativePath).toBe('diffusion_models/flux-Q4_K_M.gguf');
    expect(await storageKeyBehind(q4.files[0]!.url, null)).toBe('civitai/601/6012');
  });

  it('no match → ENTRY_NOT_FOUND listing the files; several non-primary matches → AMBIGUOUS_INPUT', async () => {
    const none = await rejectionOf(resolve('civitai:827184', { civitaiFile: { format: 'GGUF' } }));
    expect(none.code).toBe('ENTRY_NOT_FOUND');
    expect(none.message).toContain('waiIllustriousSDXL_v160_fp32.safetensors (Model, SafeTensor, full, fp32, fileId 2402204)');
    const several = await rejectionOf(resolve('civitai:827184', { civitaiFile: { size: 'full' } }));
    expect(several.code).toBe('AMBIGUOUS_INPUT');
    expect(several.message).toContain('sdxl_vae.safetensors');
    const missingId = await rejectionOf(resolve('civitai:827184', { civitaiFile: { fileId: 1 } }));
    expect(missingId.code).toBe('ENTRY_NOT_FOUND');
  });

  it('a link and civitaiFile that disagree → AMBIGUOUS_INPUT; bad filter values → INVALID_INPUT', async () => {
    const conflict = await rejectionOf(resolve(`${civitai.url}/api/download/models/2514310?fp=fp16`, { civitaiFile: { fp: 'fp32' } }));
    expect(conflict.code).toBe('AMBIGUOUS_INPUT');
    expect((await rejectionOf(resolve('civitai:827184', { civitaiFile: { fileId: -3 } }))).code).toBe('INVALID_INPUT');
    expect((await rejectionOf(resolve('civitai:827184', { civitaiFile: 'fp16' as never }))).code).toBe('INVALID_INPUT');
    expect((await rejectionOf(resolve('civitai:827184', { civitaiFile: { fp: 'x'.repeat(100) } }))).code).toBe('INVALID_INPUT');
  });
});

describe('names, folders, sizes and warnings', () => {
  it.each([
    ['civitai:100', { key: CIVITAI_KEY }, 'loras/cool_lora.safetensors'],
    ['civitai:900', {}, 'upscale_models/4x_upscaler.pth'],
    ['civitai:1000', {}, 'vae/nice_vae.safetensors'],
    ['civitai:1100', {}, 'controlnet/canny.safetensors'],
    ['civitai:800', {}, 'loras/rounded.safetensors'],
  ])('%s → %s', async (input, options, relativePath) => {
    if ('key' in options) context.keys.set('civitai', options.key as string);
    expect((await resolve(input)).files[0]!.relativePath).toBe(relativePath);
  });

  it('sanitises a hostile API file name (NUL, bidi override) and warns about pickles and failed scans with the sanitised name only', async () => {
    const result = await resolve('civitai:700');
    expect(result.files[0]!.relativePath).toBe('embeddings/evil_name_.pt');
    // Warnings are stored with the job: PostgreSQL refuses NUL, so none of the server's raw text may reach them.
    expect(result.warnings).toEqual([expect.stringContaining('evil_name_.pt is a pickle file'), 'Civitai\'s pickle scan of evil_name_.pt reports "Dan ger"']);
    expect(result.warnings!.join('')).not.toMatch(/[\u0000-\u001f\u202a-\u202e]/);
  });

  it('honours the folder and file name the user chose, confined to the root', async () => {
    const chosen = await resolve('civitai:1000', { folder: 'sdxl/vae', filename: 'C:\\x\\my vae.safetensors' });
    expect(chosen.files[0]!.relativePath).toBe('sdxl/vae/my vae.safetensors');
    const before = civitai.requests.length;
    expect((await rejectionOf(resolve('civitai:1000', { folder: '/etc' }))).code).toBe('PATH_OUTSIDE_ROOT');
    expect(civitai.requests.length).toBe(before);
    expect((await rejectionOf(resolve('civitai:1000', { layout: 'hf-cache' }))).code).toBe('INVALID_INPUT');
  });

  it('keeps an inexact sizeKB as an estimate, not as the size to verify against', async () => {
    const file = (await resolve('civitai:800')).files[0]!;
    expect(file.bytesTotal).toBeNull();
    expect(Math.abs(file.estimatedBytes! - 3001)).toBeLessThanOrEqual(6);
  });

  it('checks a sha256 the user gave', async () => {
    expect((await rejectionOf(resolve('civitai:1000', { sha256: 'b'.repeat(64) }))).code).toBe('INVALID_INPUT');
    expect((await rejectionOf(resolve('civitai:1000', { sha256: 'not-hex' }))).code).toBe('INVALID_INPUT');
    const ok = await resolve('civitai:1000', { sha256: civitai.fileSha256(10011).toUpperCase() });
    expect(ok.files[0]!.expectedSha256).toBe(civitai.fileSha256(10011));
  });
});

describe('refusals: each with its own code and what to do', () => {
  it('login required, no key → AUTH_REQUIRED; with the key → resolves', async () => {
    const error = await rejectionOf(resolve('civitai:100'));
    expect(error.code).toBe('AUTH_REQUIRED');
    expect(error.message).toContain('Civitai requires an API key for this model');
    expect(error.message).toContain('add one in Settings');
    context.keys.set('civitai', CIVITAI_KEY);
    expect((await resolve('civitai:100')).files[0]!.name).toBe('cool_lora.safetensors');
  });

  it('a key Civitai does not know → INVALID_TOKEN', async () => {
    context.keys.set('civitai', UNKNOWN_KEY);
    const error = await rejectionOf(resolve('civitai:100'));
    expect(error.code).toBe('INVALID_TOKEN');
    expect(error.message).toContain('add a valid Civitai API key in Settings');
  });

  it('a valid key without access to a restricted model → NO_ACCESS', async () => {
    context.keys.set('civitai', CIVITAI_KEY);
    const error = await rejectionOf(resolve('civitai:500'));
    expect(error.code).toBe('NO_ACCESS');
    expect(error.message).toContain(`${civitai.url}/models/500?modelVersionId=501`);
  });

  it('a blocked account (403 Forbidden) → NO_ACCESS; downloads disabled → NO_ACCESS saying so', async () => {
    context.keys.set('civitai', BLOCKED_KEY);
    expect((await rejectionOf(resolve('civitai:1000'))).code).toBe('NO_ACCESS');
    context.keys.delete('civitai');
    const disabled = await rejectionOf(resolve('civitai:400'));
    expect(disabled.code).toBe('NO_ACCESS');
    expect(disabled.message).toContain('disabled downloads');
  });

  it('early access → EARLY_ACCESS with its end date; a buyer resolves', async () => {
    const error = await rejectionOf(resolve('civitai:200'));
    expect(error.code).toBe('EARLY_ACCESS');
    expect(error.message).toContain('2099-01-02 03:04 UTC');
    expect(error.details?.earlyAccessEndsAt).toBe('2099-01-02T03:04:05.000Z');
    context.keys.set('civitai', BUYER_KEY);
    expect((await resolve('civitai:200')).files[0]!.name).toBe('early.safetensors');
  });

  it('archived → ARCHIVED, from the API or from the download link (archived in between)', async () => {
    expect((await rejectionOf(resolve('civitai:300'))).code).toBe('ARCHIVED');
    expect((await rejectionOf(resolve('civitai:version/301'))).code).toBe('ARCHIVED');
    const http = undiciHttpClient();
    context.http = {
      request: async (request) => {
        if (request.url.includes('/api/download/models/311')) civitai.setModelMode(310, 'Archived');
        return http.request(request);
      },
    } satisfies HttpClient;
    try {
      const error = await rejectionOf(resolve('civitai:310'));
      expect(error.code).toBe('ARCHIVED');
      expect(error.httpStatus).toBe(410);
    } finally {
      civitai.setModelMode(310, null);
    }
  });

  it('unknown model or version → REMOTE_NOT_FOUND', async () => {
    expect((await rejectionOf(resolve('civitai:424242'))).code).toBe('REMOTE_NOT_FOUND');
    expect((await rejectionOf(resolve('civitai:version/424242'))).code).toBe('REMOTE_NOT_FOUND');
  });

  it('a redirect to the login page (browser-like answer) → AUTH_REQUIRED; to the version page → EARLY_ACCESS', async () => {
    const http = undiciHttpClient();
    context.http = {
      // A proxy that makes every request look like a browser's, so Civitai answers with redirects.
      request: (request) => {
        const headers: Record<string, string> = { ...request.headers, 'user-agent': 'Mozilla/5.0' };
        delete headers['content-type'];
        return http.request({ ...request, headers });
      },
    } satisfies HttpClient;
    expect((await rejectionOf(resolve('civitai:100'))).code).toBe('AUTH_REQUIRED');
    expect((await rejectionOf(resolve('civitai:200'))).code).toBe('EARLY_ACCESS');
  });

  it('429 without Retry-After → backs off (1–30 s policy, shortened here) and retries; exhausted → RATE_LIMITED', async () => {
    civitai.rateLimitNext(2);
    expect((await resolve('civitai:1000')).files).toHaveLength(1);
    expect(context.sleeps).toHaveLength(2);
    for (const delay of context.sleeps) expect(delay).toBeGreaterThanOrEqual(1);
    civitai.rateLimitNext(3);
    const error = await rejectionOf(resolve('civitai:1000'));
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.retryable).toBe(true);
    civitai.rateLimitNext(0);
  });
});

describe('the API key stays a secret', () => {
  it('goes to Civitai as Bearer only: never in a URL, to storage, in an error, a log line or a result', async () => {
    context.keys.set('civitai', CIVITAI_KEY);
    const before = civitai.requests.length;
    const storageBefore = civitai.storage.requests.length;
    const results = [
      await resolve(`${civitai.url}/api/download/models/101?token=${CIVITAI_KEY}`),
      await resolve('civitai:827184', { civitaiFile: { type: 'VAE' } }),
    ];
    const errors = [await rejectionOf(resolve('civitai:500')), await rejectionOf(resolve('civitai:200'))];
    expect(results[0]!.source).toBe(`${civitai.url}/api/download/models/101`);

    // The byte layer's path: the download link with the key, then storage without it.
    const response = await fetch(results[0]!.files[0]!.url, { redirect: 'manual', headers: { authorization: `Bearer ${CIVITAI_KEY}` } });
    const stored = await fetch(response.headers.get('location')!);
    expect(stored.status).toBe(200);
    expect(stored.headers.get('content-disposition')).toBe('attachment; filename="cool_lora.safetensors"');
    expect(Buffer.from(await stored.arrayBuffer())).toEqual(civitai.fileBytes(1011));

    const sent = civitai.requests.slice(before);
    expect(sent.filter((request) => request.headers.authorization === `Bearer ${CIVITAI_KEY}`).length).toBeGreaterThan(4);
    for (const request of sent) {
      expect(request.url).not.toContain(CIVITAI_KEY);
      expect(request.url).not.toContain('token=');
    }
    for (const request of civitai.storage.requests.slice(storageBefore)) {
      expect(request.headers.authorization).toBeUndefined();
      expect(JSON.stringify(request)).not.toContain(CIVITAI_KEY);
    }
    const everything = JSON.stringify({ results, errors: errors.map((error) => ({ ...error, message: error.message })), logged: context.logged });
    expect(everything).not.toContain(CIVITAI_KEY);
  });
});
