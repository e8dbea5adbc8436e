/**
 * The fakes are shared with end-to-end tests, so their protocol facts are pinned here: what the byte
 * layer will meet after resolution (redirects across hosts, ranges, expiring signatures).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCdn } from '../support/fake-cdn';
import type { FakeCdn } from '../support/fake-cdn';
import { startFakeCivitai } from '../support/fake-civitai';
import type { FakeCivitai } from '../support/fake-civitai';
import { startFakeHuggingFace } from '../support/fake-huggingface';
import type { FakeHuggingFace } from '../support/fake-huggingface';
import { APPROVED_TOKEN, PLAIN_TOKEN, bytesFor, seedHub } from './helpers/hf-fixtures';
import { CIVITAI_KEY, seedCivitai } from './helpers/civitai-fixtures';

let cdn: FakeCdn;
let hub: FakeHuggingFace;
let civitai: FakeCivitai;

beforeAll(async () => {
  cdn = await startFakeCdn();
  hub = await startFakeHuggingFace({ cdn, treePageSize: 2 });
  civitai = await startFakeCivitai({ storage: cdn });
  seedHub(hub);
  seedCivitai(civitai);
});

afterAll(async () => {
  await hub.close();
  await civitai.close();
  await cdn.close();
});

describe('fake CDN', () => {
  it('serves ranges with its own ETag, honours If-Range, answers 416 past the end', async () => {
    const object = cdn.put(bytesFor('cdn', 1000));
    const url = cdn.signedUrl(object.key, { filename: 'x.bin' });
    const full = await fetch(url);
    expect(full.status).toBe(200);
    expect(full.headers.get('etag')).toBe(object.etag);
    expect(object.etag).not.toContain(object.sha256);
    expect(full.headers.get('content-disposition')).toBe('attachment; filename="x.bin"');
    expect(Buffer.from(await full.arrayBuffer())).toEqual(object.bytes);
    const part = await fetch(url, { headers: { range: 'bytes=100-', 'if-range': object.etag } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 100-999/1000');
    expect(Buffer.from(await part.arrayBuffer())).toEqual(object.bytes.subarray(100));
    const stale = await fetch(url, { headers: { range: 'bytes=100-', 'if-range': '"old"' } });
    expect(stale.status).toBe(200);
    await stale.arrayBuffer();
    const past = await fetch(url, { headers: { range: 'bytes=1000-' } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe('bytes */1000');
  });

  it('expires signatures, refuses tampered ones and an Authorization header', async () => {
    const object = cdn.put('payload');
    const url = cdn.signedUrl(object.key);
    cdn.expireSignedUrls();
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('Request has expired');
    const fresh = cdn.signedUrl(object.key);
    expect((await fetch(fresh)).status).toBe(200);
    expect((await fetch(fresh.replace(/X-Amz-Signature=[0-9a-f]/, 'X-Amz-Signature=z'))).status).toBe(403);
    expect((await fetch(fresh, { headers: { authorization: 'Bearer x' } })).status).toBe(400);
  });

  it('changes its ETag when an object is replaced', async () => {
    const object = cdn.put('one', 'replaced-key');
    const replaced = cdn.replace('replaced-key', 'two');
    expect(replaced.etag).not.toBe(object.etag);
  });
});

describe('fake Hugging Face Hub', () => {
  it('redirects an LFS file to the CDN on another host with X-Linked-* and a short body', async () => {
    const file = hub.repo('leejet/Z-Image-Turbo-GGUF').file('z_image_turbo-Q8_0.gguf');
    const response = await fetch(`${hub.url}/leejet/Z-Image-Turbo-GGUF/resolve/main/z_image_turbo-Q8_0.gguf`, { method: 'HEAD', redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('x-linked-size')).toBe(String(file.size));
    expect(response.headers.get('x-linked-etag')).toBe(`"${file.sha256}"`);
    expect(response.headers.get('x-repo-commit')).toBe(hub.repo('leejet/Z-Image-Turbo-GGUF').head());
    expect(Number(response.headers.get('content-length'))).not.toBe(file.size);
    const location = new URL(response.headers.get('location')!);
    expect(location.host).not.toBe(new URL(hub.url).host);
    const bytes = Buffer.from(await (await fetch(location)).arrayBuffer());
    expect(bytes).toEqual(file.bytes);
  });

  it('sends a regular file through a relative redirect that answers with the git sha1', async () => {
    const file = hub.repo('leejet/Z-Image-Turbo-GGUF').file('README.md');
    const first = await fetch(`${hub.url}/leejet/Z-Image-Turbo-GGUF/resolve/main/README.md`, { redirect: 'manual' });
    expect(first.status).toBe(307);
    expect(first.headers.get('location')!.startsWith('/api/resolve-cache/models/')).toBe(true);
    const second = await fetch(new URL(first.headers.get('location')!, hub.url));
    expect(second.headers.get('etag')).toBe(`"${file.gitSha1}"`);
    expect(await second.text()).toBe('# Z-Image Turbo GGUF\n');
  });

  it('names gated and missing refusals in X-Error-Code', async () => {
    const url = `${hub.url}/black-forest-labs/FLUX.1-dev/resolve/main/flux1-dev.safetensors`;
    const anonymous = await fetch(url, { method: 'HEAD', redirect: 'manual' });
    expect([anonymous.status, anonymous.headers.get('x-error-code')]).toEqual([401, 'GatedRepo']);
    const plain = await fetch(url, { method: 'HEAD', redirect: 'manual', headers: { authorization: `Bearer ${PLAIN_TOKEN}` } });
    expect([plain.status, plain.headers.get('x-error-code')]).toEqual([403, 'GatedRepo']);
    const approved = await fetch(url, { redirect: 'manual', headers: { authorization: `Bearer ${APPROVED_TOKEN}`, range: 'bytes=0-9' } });
    expect(approved.status).toBe(206);
    await approved.arrayBuffer();
    const missing = await fetch(`${hub.url}/leejet/Z-Image-Turbo-GGUF/resolve/main/nope.bin`, { method: 'HEAD' });
    expect([missing.status, missing.headers.get('x-error-code')]).toEqual([404, 'EntryNotFound']);
  });

  it('pages the tree with Link rel="next"', async () => {
    const first = await fetch(`${hub.url}/api/models/black-forest-labs/FLUX.1-schnell/tree/main?recursive=true`);
    const page = (await first.json()) as unknown[];
    expect(page).toHaveLength(2);
    expect(first.headers.get('link')).toMatch(/^<http:\/\/127\.0\.0\.1:\d+\/api\/models\/black-forest-labs\/FLUX\.1-schnell\/tree\/main\?recursive=true&cursor=[^>]+>; rel="next"$/);
  });
});

describe('fake Civitai', () => {
  it('accepts GET only on the download endpoint and redirects to expiring storage with the file name', async () => {
    const url = `${civitai.url}/api/download/models/101`;
    expect((await fetch(url, { method: 'HEAD', headers: { authorization: `Bearer ${CIVITAI_KEY}` } })).status).toBe(405);
    const first = await fetch(url, { redirect: 'manual', headers: { authorization: `Bearer ${CIVITAI_KEY}` } });
    expect(first.status).toBe(307);
    const signed = first.headers.get('location')!;
    expect(new URL(signed).host).not.toBe(new URL(civitai.url).host);
    const stored = await fetch(signed);
    expect(stored.headers.get('content-disposition')).toBe('attachment; filename="cool_lora.safetensors"');
    await stored.arrayBuffer();
    cdn.expireSignedUrls();
    expect((await fetch(signed)).status).toBe(403);
    const again = await fetch(url, { redirect: 'manual', headers: { authorization: `Bearer ${CIVITAI_KEY}` } });
    expect((await fetch(again.headers.get('location')!)).status).toBe(200);
  });

  it('answers a browser with a login redirect and an API client with JSON; 429 carries no Retry-After', async () => {
    const url = `${civitai.url}/api/download/models/101`;
    const browser = await fetch(url, { redirect: 'manual', headers: { 'user-agent': 'Mozilla/5.0' } });
    expect(browser.status).toBe(307);
    expect(browser.headers.get('location')).toMatch(/^\/login\?returnUrl=.*&reason=download-auth$/);
    const client = await fetch(url, { redirect: 'manual', headers: { 'content-type': 'application/json' } });
    expect(client.status).toBe(401);
    expect(await client.json()).toEqual({ error: 'Unauthorized', message: 'The creator of this asset requires you to be logged in to download it' });
    civitai.rateLimitNext(1);
    const limited = await fetch(url);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBeNull();
    await limited.arrayBuffer();
  });

  it('publishes sizeKB as bytes/1024 and the SHA256 in uppercase', async () => {
    const version = (await (await fetch(`${civitai.url}/api/v1/model-versions/2514310`)).json()) as {
      files: Array<{ id: number; sizeKB: number; hashes: { SHA256: string }; primary: boolean; downloadUrl: string }>;
    };
    const primary = version.files.find((file) => file.primary)!;
    expect(primary.sizeKB * 1024).toBe(3072);
    expect(primary.hashes.SHA256).toBe(civitai.fileSha256(primary.id).toUpperCase());
    expect(primary.downloadUrl).toBe(`${civitai.url}/api/download/models/2514310`);
    expect(version.files.find((file) => !file.primary)!.downloadUrl).toContain('?type=');
  });
});
