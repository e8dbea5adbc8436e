import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  choosePreviewImage,
  createUndiciHttpClient,
  fetchImage,
  initialsOf,
  placeholderSvg,
  previewUrlOf,
  recoverPreview,
  resolveEngineConfig,
  sniffImage,
} from '@modeldock/engine';
import type { CivitaiImage, HttpClient, HttpRequest } from '@modeldock/engine';
import { makeImage, putStandardImages, startFakeImageHost } from '../../support/fake-image-host';
import type { FakeImageHost } from '../../support/fake-image-host';
import { nodeFileSystemForTests } from '../../support/node-fs-for-tests';
import { testHttpClient } from './helpers/metadata-context';

const fs = nodeFileSystemForTests();
const http = testHttpClient();
let host: FakeImageHost;
let urls: Awaited<ReturnType<typeof putStandardImages>>;
let root: string;
let thumbnailsDir: string;

const image = (url: string, nsfwLevel: number | null = 1, type = 'image'): CivitaiImage => ({ url, nsfwLevel, width: 64, height: 48, type });

beforeAll(async () => {
  host = await startFakeImageHost();
  urls = await putStandardImages(host);
});

afterAll(async () => {
  await host.close();
  await http.close();
});

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'modeldock-previews-'));
  thumbnailsDir = path.join(root, '.data', 'thumbnails');
  await mkdir(path.join(root, 'loras'));
  return () => rm(root, { recursive: true, force: true });
});

function recover(images: CivitaiImage[], extra: Partial<Parameters<typeof recoverPreview>[0]> = {}) {
  return recoverPreview({
    fs,
    http,
    maxRedirects: 5,
    modelsRoot: root,
    thumbnailsDir,
    thumbnailName: 'entry-1',
    relativePath: 'loras/neon.safetensors',
    existingPreview: null,
    images,
    maxNsfwLevel: 2,
    writeBeside: true,
    name: 'Neon Style',
    type: 'LORA',
    ...extra,
  });
}

describe('choosing the preview', () => {
  it('takes the first still image within the content limit; unknown levels are not assumed safe', () => {
    const images = [image('a', 4), image('b', null), image('c', 1, 'video'), image('d', 2), image('e', 1)];
    expect(choosePreviewImage(images)?.url).toBe('d');
    expect(choosePreviewImage(images, 1)?.url).toBe('e');
    expect(choosePreviewImage(images, 31)?.url).toBe('a');
    expect(choosePreviewImage([image('x', 8)])).toBeNull();
    expect(previewUrlOf(image('https://image.civitai.com/abc/width=1024/1.jpeg'))).toBe('https://image.civitai.com/abc/width=450/1.jpeg');
  });
});

describe('images are recognised by their bytes', () => {
  it('PNG, JPEG, WebP and AVIF yes; HTML, text and truncated signatures no', async () => {
    expect(sniffImage(await makeImage('png'))).toBe('png');
    expect(sniffImage(await makeImage('jpeg'))).toBe('jpeg');
    expect(sniffImage(await makeImage('webp'))).toBe('webp');
    expect(sniffImage(await makeImage('avif'))).toBe('avif');
    expect(sniffImage(Buffer.from('<!doctype html>'))).toBeNull();
    expect(sniffImage(Buffer.from([0x89, 0x50]))).toBeNull();
  });
});

describe('fetching a preview', () => {
  it('fetches PNG, JPEG and WebP from the image host', async () => {
    for (const [url, format] of [[urls.png, 'png'], [urls.jpeg, 'jpeg'], [urls.webp, 'webp']] as const) {
      expect((await fetchImage(url, { http, maxRedirects: 5 })).format).toBe(format);
    }
  });

  it('refuses an HTML page served as image/png and a body over 20 MB', async () => {
    await expect(fetchImage(urls.html, { http, maxRedirects: 5 })).rejects.toMatchObject({ code: 'NOT_AN_IMAGE' });
    await expect(fetchImage(urls.oversized, { http, maxRedirects: 5 })).rejects.toMatchObject({ code: 'NOT_AN_IMAGE', message: expect.stringMatching(/larger than 20 MB/) });
  });

  it('refuses a private address, directly or through a redirect, with the same guard as downloads', async () => {
    const guarded = createUndiciHttpClient(resolveEngineConfig({ allowPrivateHosts: false }));
    try {
      await expect(fetchImage(urls.png, { http: guarded, maxRedirects: 5 })).rejects.toMatchObject({ code: 'PRIVATE_ADDRESS' });
      const publicHop: HttpClient = {
        request: async (input: HttpRequest) =>
          input.url.startsWith('https://image.example.com/')
            ? { status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data' }, body: (async function* () {})(), dump: async () => undefined }
            : guarded.request(input),
      };
      await expect(fetchImage('https://image.example.com/1.png', { http: publicHop, maxRedirects: 5 })).rejects.toMatchObject({ code: 'PRIVATE_ADDRESS' });
    } finally {
      await guarded.close();
    }
  });

  it('gives up on an image host that never answers', async () => {
    const silent: HttpClient = {
      request: (input) => new Promise((_, reject) => input.signal.addEventListener('abort', () => reject(input.signal.reason))),
    };
    await expect(fetchImage('https://image.example.com/slow.png', { http: silent, maxRedirects: 5, timeoutMs: 50 })).rejects.toMatchObject({ code: 'IDLE_TIMEOUT' });
  });
});

describe('recovering a preview', () => {
  it('stores <stem>.preview.<ext> beside the model and a small WebP thumbnail in the data folder', async () => {
    const result = await recover([image(urls.jpeg)]);
    expect(result).toMatchObject({ kind: 'image', thumbnail: 'entry-1.webp', besideModel: 'loras/neon.preview.jpg', problem: null, nsfwLevel: 1 });
    expect(sniffImage(await readFile(path.join(root, 'loras/neon.preview.jpg')))).toBe('jpeg');
    const thumbnail = await sharp(await readFile(path.join(thumbnailsDir, 'entry-1.webp'))).metadata();
    expect(thumbnail.format).toBe('webp');
    expect(thumbnail.width).toBeLessThanOrEqual(320);
  });

  it('turns a large image into a thumbnail of at most 320 px', async () => {
    const big = host.put('big.png', { bytes: await makeImage('png', 2000, 1000), contentType: 'image/png' });
    await recover([image(big)]);
    const thumbnail = await sharp(await readFile(path.join(thumbnailsDir, 'entry-1.webp'))).metadata();
    expect([thumbnail.width, thumbnail.height]).toEqual([320, 160]);
  });

  it('an image that is not one gives the placeholder, the reason, and nothing beside the model', async () => {
    const result = await recover([image(urls.html)]);
    expect(result).toMatchObject({ kind: 'placeholder', thumbnail: 'entry-1.svg', besideModel: null, problem: { code: 'NOT_AN_IMAGE' } });
    expect(await readdir(path.join(root, 'loras'))).toEqual([]);
    expect(await readFile(path.join(thumbnailsDir, 'entry-1.svg'), 'utf8')).toContain('>NS<');
  });

  it('no image within the content limit gives the placeholder with that reason; none at all, with no reason', async () => {
    expect((await recover([image(urls.png, 8)])).problem?.message).toMatch(/content limit/);
    expect((await recover([])).problem).toBeNull();
  });

  it('a preview already beside the model only gets its thumbnail (no request), and a placeholder gives way to it', async () => {
    await recover([]);
    await writeFile(path.join(root, 'loras/neon.preview.png'), await makeImage('png'));
    const before = host.requests.length;
    const result = await recover([image(urls.jpeg)], { existingPreview: 'loras/neon.preview.png' });
    expect(result).toMatchObject({ kind: 'image', besideModel: 'loras/neon.preview.png' });
    expect(host.requests.length).toBe(before);
    expect((await readdir(thumbnailsDir)).sort()).toEqual(['entry-1.webp']);
  });

  it('does not write beside the model when sidecars are off', async () => {
    const result = await recover([image(urls.webp)], { writeBeside: false });
    expect(result).toMatchObject({ kind: 'image', besideModel: null });
    expect(await readdir(path.join(root, 'loras'))).toEqual([]);
  });
});

describe('the placeholder', () => {
  it('shows initials and type, escaped', () => {
    expect(initialsOf('neonStyle_v2.safetensors')).toBe('NS');
    expect(initialsOf('ü')).toBe('Ü');
    expect(initialsOf('---')).toBe('?');
    const svg = placeholderSvg('<script>', 'Check"point');
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('Check&quot;point');
  });
});
