/**
 * The built server's edges: bad input gets a typed error with modeldock's code and changes nothing
 * (failure case 23), a foreign Origin cannot change anything over HTTP or WebSocket (case 27), a
 * second process on the same embedded database refuses to start with a clear message, and the web
 * app is served at `/` with a fallback for deep links.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startFileOrigin } from '../support/file-origin';
import type { FileOrigin } from '../support/file-origin';
import {
  createServerFolders,
  REPO_ROOT,
  runServerUntilExit,
  startServerProcess,
} from '../support/server-process';
import type { ServerProcess } from '../support/server-process';
import { connectHttp, failureOf, listFiles } from './api-client';
import type { Api } from './api-client';

const WEB_BUILD_INDEX = path.join(REPO_ROOT, 'apps/web/build/index.html');

/** Opens a raw WebSocket with the given Origin; resolves 'open' or the HTTP status of the refusal. */
function tryWebSocket(serverUrl: string, origin?: string): Promise<'open' | number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${serverUrl.replace(/^http/, 'ws')}/trpc`, {
      headers: origin ? { origin } : {},
    });
    socket.once('open', () => {
      socket.close();
      resolve('open');
    });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('error', (error) => reject(error));
  });
}

describe('API boundaries (built server, PGlite)', () => {
  let folders: Awaited<ReturnType<typeof createServerFolders>>;
  let origin: FileOrigin;
  let server: ServerProcess;
  let api: Api;

  beforeAll(async () => {
    // A truly first start: the built server creates and migrates its embedded database.
    folders = await createServerFolders({ seedDatabase: false });
    origin = await startFileOrigin();
    server = await startServerProcess({ folders });
    api = connectHttp(server.url);
  }, 180_000);

  afterAll(async () => {
    await server?.stop('SIGTERM');
    await origin?.close();
    await folders?.remove();
  });

  describe('bad input: a typed error, and nothing written', () => {
    it('malformed or unsupported URLs', async () => {
      const malformed = await failureOf(api.downloads.enqueue.mutate({ url: 'http://' }));
      expect(malformed).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400 });
      expect(['INVALID_URL', 'UNRECOGNISED_INPUT']).toContain(malformed.modeldockCode);
      expect(malformed.message.length).toBeGreaterThan(10);

      const ftp = await failureOf(
        api.downloads.enqueue.mutate({ url: 'ftp://example.com/model.safetensors' }),
      );
      expect(ftp).toMatchObject({ code: 'BAD_REQUEST', modeldockCode: 'UNSUPPORTED_SCHEME' });
      expect(ftp.message).toMatch(/http/);

      const empty = await failureOf(api.downloads.enqueue.mutate({ url: '   ' }));
      expect(empty).toMatchObject({ code: 'BAD_REQUEST', modeldockCode: 'INVALID_INPUT' });
      expect(empty.message).toMatch(/Paste a URL/);
    });

    it('unknown job id → NOT_FOUND with JOB_NOT_FOUND, for reads and for every control', async () => {
      const unknown = { jobId: 'no-such-job' };
      // Handlers attached at once: the calls go out batched and one batch may fail before another is awaited.
      const failures = await Promise.all(
        [
          api.downloads.get.query(unknown),
          api.downloads.cancel.mutate(unknown),
          api.downloads.pause.mutate(unknown),
          api.downloads.resume.mutate(unknown),
          api.downloads.retry.mutate(unknown),
          api.downloads.moveToTop.mutate(unknown),
          api.downloads.setPriority.mutate({ ...unknown, priority: 3 }),
        ].map(failureOf),
      );
      expect(failures).toHaveLength(7);
      for (const failure of failures) {
        expect(failure).toMatchObject({
          code: 'NOT_FOUND',
          httpStatus: 404,
          modeldockCode: 'JOB_NOT_FOUND',
        });
      }
    });

    it('control characters in any text input → 400 naming the character, never a 500 from the database (issue 9.4)', async () => {
      const withNul = { jobId: 'job\u0000id' };
      const failures = await Promise.all(
        [
          api.downloads.get.query(withNul),
          api.downloads.cancel.mutate(withNul),
          api.downloads.pause.mutate(withNul),
          api.downloads.resume.mutate(withNul),
          api.downloads.retry.mutate(withNul),
          api.downloads.moveToTop.mutate(withNul),
          api.downloads.rollback.mutate(withNul),
          api.downloads.setPriority.mutate({ ...withNul, priority: 3 }),
          api.downloads.setBandwidthLimit.mutate({ ...withNul, bytesPerSecond: 1000 }),
          api.downloads.list.query({ cursor: 'job\u0000id' }),
        ].map(failureOf),
      );
      for (const failure of failures) {
        expect(failure).toMatchObject({
          code: 'BAD_REQUEST',
          httpStatus: 400,
          modeldockCode: 'INVALID_INPUT',
        });
        expect(failure.message).toMatch(
          /must not contain control characters: it has U\+0000 \(NUL\) at position 4/,
        );
      }
      const file = origin.addFile('controls.dat', { size: 1024 });
      for (const input of [
        { url: `${file.url}\u0000` },
        { url: file.url, filename: 'a\u0000.safetensors' },
        { url: file.url, folder: 'loras\nx' },
        { url: file.url, revision: 'main\u0007' },
        { url: file.url, include: ['*\u0000'] },
      ]) {
        const failure = await failureOf(api.downloads.enqueue.mutate(input));
        expect(failure, JSON.stringify(input)).toMatchObject({
          httpStatus: 400,
          modeldockCode: 'INVALID_INPUT',
        });
        expect(failure.message).toMatch(/must not contain control characters/);
      }
      const bidi = await failureOf(
        api.downloads.enqueue.mutate({ url: file.url, filename: 'evil\u202Egnp.safetensors' }),
      );
      expect(bidi).toMatchObject({ httpStatus: 400, modeldockCode: 'INVALID_INPUT' });
      expect(bidi.message).toMatch(
        /filename must not contain bidirectional override characters.*it has U\+202E at position 5/,
      );
    });

    it('negative priority, bad sha256 and bad bandwidth are refused with the field named', async () => {
      const file = origin.addFile('never.dat', { size: 1024 });
      const priority = await failureOf(
        api.downloads.enqueue.mutate({ url: file.url, priority: -1 }),
      );
      expect(priority).toMatchObject({ code: 'BAD_REQUEST', modeldockCode: 'INVALID_INPUT' });
      expect(priority.message).toMatch(/priority must be 0 or more/);

      const sha = await failureOf(api.downloads.enqueue.mutate({ url: file.url, sha256: 'abc' }));
      expect(sha.message).toMatch(/sha256 must be 64 hexadecimal characters/);

      const limit = await failureOf(
        api.downloads.enqueue.mutate({ url: file.url, bandwidthLimitBps: -5 }),
      );
      expect(limit).toMatchObject({ code: 'BAD_REQUEST', modeldockCode: 'INVALID_INPUT' });
      expect(limit.message).toMatch(/bandwidthLimitBps/);
    });

    it('folders that leave the models root (../x, absolute, drive letters) → PATH_OUTSIDE_ROOT', async () => {
      const file = origin.addFile('escape.dat', { size: 1024 });
      for (const folder of ['../x', '/etc', 'loras/../../x', 'C:\\models', '..']) {
        const failure = await failureOf(api.downloads.enqueue.mutate({ url: file.url, folder }));
        expect(failure, folder).toMatchObject({
          code: 'BAD_REQUEST',
          modeldockCode: 'PATH_OUTSIDE_ROOT',
        });
        expect(failure.message, folder).toMatch(/models folder/);
      }
    });

    it('after all of that, no job exists, no request reached the origin and nothing is on disk', async () => {
      expect((await api.downloads.list.query()).items).toEqual([]);
      expect(origin.requests).toEqual([]);
      expect(await listFiles(server.modelsDir)).toEqual([]);
      for (const escaped of ['x', '../x'])
        expect(existsSync(path.join(path.dirname(server.modelsDir), escaped))).toBe(false);
    });
  });

  describe('foreign origins (case 27)', () => {
    it('a mutation from another site is refused and changes nothing; the same origin and no Origin are fine', async () => {
      const file = origin.addFile('csrf.dat', { size: 1024 });
      const foreign = connectHttp(server.url, { origin: 'https://evil.example' });
      const refused = await failureOf(foreign.downloads.enqueue.mutate({ url: file.url }));
      expect(refused).toMatchObject({
        code: 'FORBIDDEN',
        httpStatus: 403,
        modeldockCode: 'FORBIDDEN',
      });
      expect(refused.message).toMatch(/not allowed/);
      expect((await api.downloads.list.query()).items).toEqual([]);
      expect(origin.requestsFor('csrf.dat')).toEqual([]);

      const sameOrigin = connectHttp(server.url, { origin: server.url });
      expect(await sameOrigin.downloads.limits.query()).toMatchObject({ globalBps: null });
      expect((await sameOrigin.downloads.clearFinished.mutate()).removed).toBe(0);
    });

    it('a WebSocket from another site is refused at the handshake; the same origin and no Origin connect', async () => {
      expect(await tryWebSocket(server.url, 'https://evil.example')).toBe(403);
      expect(await tryWebSocket(server.url, 'null')).toBe(403);
      expect(await tryWebSocket(server.url, server.url)).toBe('open');
      expect(await tryWebSocket(server.url)).toBe('open');
    });
  });

  it('a second server on the same embedded database exits with the DATABASE_LOCKED message', async () => {
    const second = await runServerUntilExit(folders);
    expect(second.code).toBe(1);
    expect(second.output).toMatch(/Another modeldock process \(pid \d+\) is using/);
    expect(second.output).toContain('DATABASE_LOCKED');
    expect(second.output).not.toMatch(/modeldock listening on/);
    // The first one is unharmed.
    expect(await api.health.query()).toMatchObject({ ok: true });
  });

  describe.skipIf(!existsSync(WEB_BUILD_INDEX))('the web app', () => {
    it('is served at / and deep links fall back to the SPA', async () => {
      const home = await fetch(`${server.url}/`);
      expect(home.status).toBe(200);
      expect(home.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const homeHtml = await home.text();
      expect(homeHtml).toMatch(/<html/i);

      const deep = await fetch(`${server.url}/downloads/some-job`, {
        headers: { accept: 'text/html' },
      });
      expect(deep.status).toBe(200);
      expect(await deep.text()).toMatch(/<html/i);

      const assetPath = /\/_app\/immutable\/[^"']+\.js/.exec(homeHtml)?.[0];
      if (assetPath) {
        const asset = await fetch(`${server.url}${assetPath}`);
        expect(asset.status).toBe(200);
        expect(asset.headers.get('cache-control')).toContain('immutable');
        expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      }
      expect((await fetch(`${server.url}/_app/immutable/missing.js`)).status).toBe(404);
    });
  });
});

if (!existsSync(WEB_BUILD_INDEX)) {
  console.log(`Skipping the web app checks: ${WEB_BUILD_INDEX} does not exist (run pnpm build).`);
}
