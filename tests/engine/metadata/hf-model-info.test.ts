import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeHuggingFace } from '../../support/fake-huggingface';
import type { FakeHuggingFace } from '../../support/fake-huggingface';
import { hubsFor, steppingClock, testHttpClient } from './helpers/metadata-context';

let hf: FakeHuggingFace;
const http = testHttpClient();

beforeAll(async () => {
  hf = await startFakeHuggingFace();
  hf.addRepo({
    id: 'acme/flux-lora',
    files: [{ path: 'flux-style.safetensors', content: 'lora weights' }, { path: 'README.md', content: '# card' }],
    info: { pipelineTag: 'text-to-image', tags: ['lora', 'diffusers', 'license:apache-2.0'], libraryName: 'diffusers', license: 'apache-2.0', baseModel: ['black-forest-labs/FLUX.1-dev'] },
  });
  hf.addRepo({ id: 'acme/private', private: true, allowedUsers: ['bob'], files: [{ path: 'm.gguf', content: 'gguf' }] });
  hf.addToken('hf_bob_FAKE', 'bob');
});

afterAll(async () => {
  await hf.close();
  await http.close();
});

describe('Hugging Face model info', () => {
  it('reads commit, pipeline tag, tags, library, license, base model and each file’s LFS SHA-256', async () => {
    const hubs = hubsFor({ huggingFace: hf.url }, {}, steppingClock(), http);
    const info = (await hubs.huggingFace.modelInfo('acme/flux-lora'))!;
    const repo = hf.repo('acme/flux-lora');
    expect(info).toMatchObject({
      repoId: 'acme/flux-lora',
      sha: repo.head(),
      pipelineTag: 'text-to-image',
      libraryName: 'diffusers',
      license: 'apache-2.0',
      baseModel: 'black-forest-labs/FLUX.1-dev',
      gated: false,
      author: 'acme',
      pageUrl: `${hf.url}/acme/flux-lora`,
    });
    expect(info.tags).toContain('lora');
    const weights = info.siblings.find((sibling) => sibling.path === 'flux-style.safetensors')!;
    expect(weights.lfsSha256).toBe(repo.file('flux-style.safetensors').sha256);
    expect(info.siblings.find((sibling) => sibling.path === 'README.md')!.lfsSha256).toBeNull();
  });

  it('is null for a repository it cannot see, and sees a private one with the right token', async () => {
    const anonymous = hubsFor({ huggingFace: hf.url }, {}, steppingClock(), http);
    expect(await anonymous.huggingFace.modelInfo('acme/private')).toBeNull();
    expect(await anonymous.huggingFace.modelInfo('acme/nothing-here')).toBeNull();
    const bob = hubsFor({ huggingFace: hf.url }, { huggingface: 'hf_bob_FAKE' }, steppingClock(), http);
    expect((await bob.huggingFace.modelInfo('acme/private'))?.isPrivate).toBe(true);
  });

  it('refuses a repository id that is not one, before any request', async () => {
    const hubs = hubsFor({ huggingFace: hf.url }, {}, steppingClock(), http);
    const before = hf.requests.length;
    await expect(hubs.huggingFace.modelInfo('../../etc/passwd')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(hf.requests.length).toBe(before);
  });

  it('waits out a rate limit', async () => {
    const clock = steppingClock();
    const hubs = hubsFor({ huggingFace: hf.url }, {}, clock, http);
    hf.rateLimitNext(1, 7);
    expect((await hubs.huggingFace.modelInfo('acme/flux-lora'))?.sha).toBe(hf.repo('acme/flux-lora').head());
    expect(clock.sleeps).toContain(7_000);
  });
});
