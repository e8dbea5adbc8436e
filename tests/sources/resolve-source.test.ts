import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { checkCivitaiKey, checkHuggingFaceToken, createHubResolvers, pickResolver, resolveSource } from '@modeldock/engine';
import type { SourceResolver } from '@modeldock/engine';
import { startFakeCdn } from '../support/fake-cdn';
import type { FakeCdn } from '../support/fake-cdn';
import { startFakeCivitai } from '../support/fake-civitai';
import type { FakeCivitai } from '../support/fake-civitai';
import { startFakeHuggingFace } from '../support/fake-huggingface';
import type { FakeHuggingFace } from '../support/fake-huggingface';
import { createResolveContext, rejectionOf } from './helpers/resolve-context';
import type { TestResolveContext } from './helpers/resolve-context';
import { APPROVED_TOKEN, UNKNOWN_TOKEN, seedHub } from './helpers/hf-fixtures';
import { CIVITAI_KEY, UNKNOWN_KEY, seedCivitai } from './helpers/civitai-fixtures';

let cdn: FakeCdn;
let hub: FakeHuggingFace;
let civitai: FakeCivitai;
let resolvers: SourceResolver[];
let context: TestResolveContext;

beforeAll(async () => {
  cdn = await startFakeCdn();
  hub = await startFakeHuggingFace({ cdn });
  civitai = await startFakeCivitai({ storage: cdn });
  seedHub(hub);
  seedCivitai(civitai);
  resolvers = createHubResolvers({ huggingFaceEndpoint: hub.url, civitaiEndpoint: civitai.url, retry: { attempts: 1 } });
});

afterAll(async () => {
  await hub.close();
  await civitai.close();
  await cdn.close();
});

beforeEach(async () => {
  context = await createResolveContext();
});

afterEach(async () => {
  await context.cleanup();
});

describe('the resolver chain', () => {
  it.each([
    ['preset:z-image-turbo', 'bundle'],
    ['leejet/Z-Image-Turbo-GGUF', 'huggingface'],
    ['https://huggingface.co/org/name', 'huggingface'],
    ['https://civitai.com/models/1', 'civitai'],
    ['urn:air:sdxl:checkpoint:civitai:1@2', 'civitai'],
    ['42', 'civitai'],
  ])('%s goes to the %s resolver', (input, kind) => {
    expect(pickResolver(input, resolvers).kind).toBe(kind);
  });

  it('anything else is UNRECOGNISED_INPUT with an example of each accepted form', () => {
    for (const input of ['', '   ', 'ftp://host/file', 'just some words']) {
      expect(() => pickResolver(input, resolvers)).toThrowError(
        expect.objectContaining({
          code: 'UNRECOGNISED_INPUT',
          message: expect.stringMatching(/huggingface\.co\/leejet\/Z-Image-Turbo-GGUF[\s\S]*civitai\.com\/models[\s\S]*urn:air[\s\S]*preset:z-image-turbo/),
        }),
      );
    }
  });

  it('redacts a key pasted into an unrecognised input', () => {
    expect(() => pickResolver(`ftp://host/file?token=${CIVITAI_KEY}`, resolvers)).toThrowError(
      expect.objectContaining({ message: expect.not.stringContaining(CIVITAI_KEY) }),
    );
  });
});

describe('the preview that sources.resolve returns', () => {
  it('lists files, sizes, hashes, destinations, access and what is already on disk, writing nothing', async () => {
    await mkdir(path.join(context.modelsRoot, 'vae'), { recursive: true });
    await writeFile(path.join(context.modelsRoot, 'vae/ae.safetensors'), 'already here');
    context.keys.set('huggingface', APPROVED_TOKEN);
    const preview = await resolveSource({ url: 'preset:z-image-turbo' }, resolvers, context);
    expect(preview.kind).toBe('bundle');
    expect(preview.files.map((file) => [file.relativePath, file.existing])).toEqual([
      ['diffusion_models/z_image_turbo-Q8_0.gguf', null],
      ['vae/ae.safetensors', { size: 12 }],
      ['text_encoders/Qwen3-4B-Instruct-2507-Q8_0.gguf', null],
    ]);
    expect(preview.totalBytes).toBe(4096 + 3072 + 3500);
    expect(preview.estimatedTotalBytes).toBe(preview.totalBytes);
    expect(preview.files.every((file) => file.expectedSha256 && file.access === 'ok')).toBe(true);
    expect(preview.warnings).toEqual([]);
    expect(JSON.parse(JSON.stringify(preview))).toEqual(preview);
  });

  it('keeps Civitai estimates apart from exact totals', async () => {
    const preview = await resolveSource({ url: 'civitai:800' }, resolvers, context);
    expect(preview.totalBytes).toBeNull();
    expect(preview.estimatedTotalBytes).toBeGreaterThan(2990);
    const pickle = await resolveSource({ url: 'civitai:900' }, resolvers, context);
    expect(pickle.warnings[0]).toContain('pickle');
  });

  it('refuses a request without a link', async () => {
    expect((await rejectionOf(resolveSource({} as never, resolvers, context))).code).toBe('INVALID_INPUT');
  });
});

describe('checking API keys before Settings keeps them', () => {
  it('Hugging Face: whoami names the account of a good token and refuses a bad one', async () => {
    const good = await checkHuggingFaceToken(APPROVED_TOKEN, context, { endpoint: hub.url });
    expect(good).toEqual({ valid: true, account: 'approved-user', message: expect.stringContaining('approved-user') });
    const bad = await checkHuggingFaceToken(UNKNOWN_TOKEN, context, { endpoint: hub.url });
    expect(bad.valid).toBe(false);
    expect(JSON.stringify([good, bad])).not.toContain('hf_FAKE');
    const sent = hub.requests.filter((request) => request.url === '/api/whoami-v2');
    expect(sent.map((request) => request.headers.authorization)).toEqual([`Bearer ${APPROVED_TOKEN}`, `Bearer ${UNKNOWN_TOKEN}`]);
  });

  it('Civitai: /api/v1/me names the account of a good key and refuses a bad one', async () => {
    expect(await checkCivitaiKey(CIVITAI_KEY, context, { endpoint: civitai.url })).toMatchObject({ valid: true, account: 'tester' });
    expect(await checkCivitaiKey(UNKNOWN_KEY, context, { endpoint: civitai.url })).toMatchObject({ valid: false, account: null });
  });

  it('refuses an empty or spaced key without asking anyone', async () => {
    const before = hub.requests.length;
    expect((await rejectionOf(checkHuggingFaceToken('  ', context, { endpoint: hub.url }))).code).toBe('INVALID_INPUT');
    expect((await rejectionOf(checkCivitaiKey('two words', context, { endpoint: civitai.url }))).code).toBe('INVALID_INPUT');
    expect(hub.requests.length).toBe(before);
  });

  it('a rate-limited check is an error to retry, not a verdict on the key', async () => {
    hub.rateLimitNext(1);
    const error = await rejectionOf(checkHuggingFaceToken(APPROVED_TOKEN, context, { endpoint: hub.url }));
    expect(error.code).toBe('HTTP_ERROR');
    expect(error.retryable).toBe(true);
    civitai.rateLimitNext(1);
    expect((await rejectionOf(checkCivitaiKey(CIVITAI_KEY, context, { endpoint: civitai.url }))).code).toBe('RATE_LIMITED');
  });
});
