/**
 * The SPA file server (apps/server/src/http/static-files.ts) against a real build folder in a temp
 * dir and a real HTTP server: content types, caching, SPA fallback, precompressed files, and no way
 * out of the folder.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaticFileHandler, safeRelativePath } from '../../apps/server/src/http/static-files';

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** node:http sends the path exactly as given (fetch would normalise `..` away before we could test it). */
function rawGet(
  baseUrl: string,
  rawPath: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const request = http.request({ hostname, port, path: rawPath, method, headers }, (response) => {
      let body = '';
      response.setEncoding('latin1');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
      );
    });
    request.on('error', reject);
    request.end();
  });
}

async function serve(rootDir: string) {
  const handler = createStaticFileHandler({ rootDir });
  const server = http.createServer((request, response) => void handler(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('static files for the web app', () => {
  let root: string;
  let build: string;
  let site: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'modeldock-static-'));
    build = path.join(root, 'build');
    await mkdir(path.join(build, '_app/immutable/entry'), { recursive: true });
    await writeFile(path.join(build, 'index.html'), '<!doctype html><title>index</title>');
    await writeFile(path.join(build, '200.html'), '<!doctype html><title>spa fallback</title>');
    await writeFile(path.join(build, '_app/immutable/entry/app.abc123.js'), 'console.log("app")');
    await writeFile(path.join(build, '_app/version.json'), '{"version":"1"}');
    await writeFile(path.join(build, 'favicon.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    await writeFile(path.join(build, 'style.css'), 'body{}');
    await writeFile(path.join(build, 'style.css.br'), brotliCompressSync(Buffer.from('body{}')));
    await writeFile(path.join(root, 'secret.txt'), 'outside the build');
    await symlink(path.join(root, 'secret.txt'), path.join(build, 'leak.txt'));
    site = await serve(build);
  });

  afterAll(async () => {
    await site?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('serves index.html at / as HTML that is revalidated every time', async () => {
    const response = await rawGet(site.url, '/');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.body).toContain('<title>index</title>');
  });

  it('answers deep links with the SPA fallback page', async () => {
    const response = await rawGet(site.url, '/downloads/job-42?tab=files', { accept: 'text/html' });
    expect(response.status).toBe(200);
    expect(response.body).toContain('spa fallback');
    expect(response.headers['cache-control']).toBe('no-cache');
  });

  it('caches hashed assets for a year and gives them their content type', async () => {
    const response = await rawGet(site.url, '/_app/immutable/entry/app.abc123.js');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(response.body).toBe('console.log("app")');
    expect((await rawGet(site.url, '/_app/version.json')).headers['cache-control']).toBe(
      'no-cache',
    );
    expect((await rawGet(site.url, '/favicon.png')).headers['content-type']).toBe('image/png');
  });

  it('answers a missing asset with 404, never with the HTML page', async () => {
    expect((await rawGet(site.url, '/_app/immutable/entry/gone.js')).status).toBe(404);
    expect(
      (await rawGet(site.url, '/_app/immutable/entry/gone.js', { accept: 'text/html' })).status,
    ).toBe(404);
    expect((await rawGet(site.url, '/missing.png')).status).toBe(404);
  });

  it('never serves a file outside the build folder', async () => {
    for (const attempt of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/_app/..%5c..%5csecret.txt',
      '/%00index.html',
    ]) {
      const response = await rawGet(site.url, attempt);
      expect(response.body, attempt).not.toContain('outside the build');
      expect([400, 404], attempt).toContain(response.status);
    }
    const viaSymlink = await rawGet(site.url, '/leak.txt');
    expect(viaSymlink.status).toBe(404);
    expect(viaSymlink.body).not.toContain('outside the build');
    expect(safeRelativePath('/a/./b//c')).toBe('a/b/c');
    expect(safeRelativePath('/a/%2e%2e/b')).toBeNull();
  });

  it('supports HEAD, conditional requests and precompressed files', async () => {
    const head = await rawGet(site.url, '/style.css', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBe(6);

    const again = await rawGet(site.url, '/style.css', {
      'if-none-match': String(head.headers.etag),
    });
    expect(again.status).toBe(304);

    const compressed = await rawGet(site.url, '/style.css', { 'accept-encoding': 'gzip, br' });
    expect(compressed.headers['content-encoding']).toBe('br');
    expect(compressed.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(compressed.headers.vary).toBe('Accept-Encoding');
  });

  it('refuses methods other than GET and HEAD', async () => {
    const response = await rawGet(site.url, '/', {}, 'POST');
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD');
  });

  it('says how to build the web app when the build folder is missing', async () => {
    const empty = await serve(path.join(root, 'no-build-here'));
    try {
      const response = await rawGet(empty.url, '/');
      expect(response.status).toBe(503);
      expect(response.body).toContain('pnpm build');
    } finally {
      await empty.close();
    }
  });
});
