/**
 * Failure case 27, the access-token half, against the built server listening on 0.0.0.0 with
 * MODELDOCK_ACCESS_TOKEN set: no API call or WebSocket without the token (and nothing changes),
 * a wrong bearer is refused, the right one works; the browser sign-in at /auth/session sets an
 * HttpOnly, SameSite=Strict cookie that is not the token and that opens HTTP and WebSocket alike;
 * the web app's files stay public; and neither token nor cookie reaches a log line. A second
 * server on 0.0.0.0 without a token works as before and warns once at start.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '@modeldock/server';
import { createServerFolders, startServerProcess } from '../support/server-process';
import type { ServerProcess, TemporaryServerFolders } from '../support/server-process';
import { startFileOrigin } from '../support/file-origin';
import type { FileOrigin } from '../support/file-origin';
import { connectHttp, failureOf, waitForStatus } from './api-client';
import { findSecrets } from './secret-forms';

const ACCESS_TOKEN = 'accessFAKEtoken0modeldock0tests0ACCESS';
const WARNING =
  /without an access token: anyone who can reach port \d+ can use it.*MODELDOCK_ACCESS_TOKEN/;

/** The server listens on 0.0.0.0; clients reach it on loopback. */
function loopbackUrl(server: ServerProcess): string {
  return `http://127.0.0.1:${server.port}`;
}

/** The status of a WebSocket upgrade to /trpc: 101 when it opened, else the refusal's status. */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/trpc`, { headers });
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

/** A tRPC client over a WebSocket that sends `headers` with its upgrade, as a program can. */
function connectWebSocketWith(url: string, headers: Record<string, string>) {
  class WebSocketWithHeaders extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  const client = createWSClient({
    url: `${url.replace(/^http/, 'ws')}/trpc`,
    WebSocket: WebSocketWithHeaders as unknown as typeof globalThis.WebSocket,
  });
  return { api: createTRPCClient<AppRouter>({ links: [wsLink({ client })] }), client };
}

/** A GET with headers fetch refuses to set (Host): status, content type and body. */
function rawGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          type: String(response.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    request.on('error', reject);
  });
}

function signIn(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${url}/auth/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('access token (MODELDOCK_ACCESS_TOKEN)', () => {
  let folders: TemporaryServerFolders;
  let server: ServerProcess;
  let url: string;
  let origin: FileOrigin;
  let sessionCookie: string | null = null;

  beforeAll(async () => {
    folders = await createServerFolders();
    const webDir = path.join(folders.dataDir, '..', 'web');
    await mkdir(webDir, { recursive: true });
    await writeFile(path.join(webDir, 'index.html'), '<!doctype html><title>modeldock</title>');
    origin = await startFileOrigin();
    server = await startServerProcess({
      folders,
      env: {
        MODELDOCK_HOST: '0.0.0.0',
        MODELDOCK_ACCESS_TOKEN: ACCESS_TOKEN,
        MODELDOCK_WEB_DIR: webDir,
        // Everything the server can say, so a leak in a debug line is caught too.
        MODELDOCK_LOG_LEVEL: 'debug',
      },
    });
    url = loopbackUrl(server);
  });

  afterAll(async () => {
    await server?.dispose();
    await folders?.remove();
    await origin?.close();
  });

  it('refuses API calls without the token with 401, a stable code and words that say what to do; nothing changes', async () => {
    const response = await fetch(`${url}/trpc/downloads.list`);
    expect(response.status).toBe(401);
    const body = (await response.json()) as {
      error: { message: string; data: { code: string; modeldockCode: string } };
    };
    expect(body.error.data).toMatchObject({
      code: 'UNAUTHORIZED',
      modeldockCode: 'ACCESS_TOKEN_REQUIRED',
    });
    expect(body.error.message).toMatch(/^This modeldock server needs its access token: /);
    expect(body.error.message).toMatch(/MODELDOCK_ACCESS_TOKEN/);

    const file = origin.addFile('unwanted.bin', { size: 1024, seed: 1 });
    const anonymous = connectHttp(url);
    const refused = await failureOf(anonymous.downloads.enqueue.mutate({ url: file.url }));
    expect(refused).toMatchObject({
      httpStatus: 401,
      code: 'UNAUTHORIZED',
      modeldockCode: 'ACCESS_TOKEN_REQUIRED',
    });
    const asOwner = connectHttp(url, { authorization: `Bearer ${ACCESS_TOKEN}` });
    expect((await asOwner.downloads.list.query()).items).toEqual([]);
    expect(origin.requests).toEqual([]);
  });

  it('refuses a subscription over HTTP without the token with 401 before any event is streamed', async () => {
    const stream = await rawGet(`${url}/trpc/downloads.events`, { accept: 'text/event-stream' });
    expect(stream.status).toBe(401);
    expect(stream.type).toMatch(/^application\/json/);
    expect(stream.body).not.toMatch(/^event:/m);
    expect(JSON.parse(stream.body)).toMatchObject({
      error: { data: { code: 'UNAUTHORIZED', modeldockCode: 'ACCESS_TOKEN_REQUIRED' } },
    });
  });

  it('answers a malformed Host header 400 with a reason, never 500', async () => {
    for (const host of ['localhost@evil.example', 'localhost/evil', 'local host']) {
      const answer = await rawGet(`${url}/trpc/downloads.list`, {
        host,
        authorization: `Bearer ${ACCESS_TOKEN}`,
      });
      expect(answer.status, host).toBe(400);
      expect(JSON.parse(answer.body)).toMatchObject({
        error: { data: { code: 'BAD_REQUEST', modeldockCode: 'INVALID_INPUT' } },
      });
      expect(JSON.parse(answer.body).error.message).toMatch(/Host header is missing or malformed/);
    }
  });

  it('refuses a wrong bearer token and accepts the right one for queries and mutations', async () => {
    const wrong = connectHttp(url, { authorization: `Bearer ${ACCESS_TOKEN}x` });
    expect(await failureOf(wrong.downloads.list.query())).toMatchObject({
      httpStatus: 401,
      modeldockCode: 'ACCESS_TOKEN_REQUIRED',
    });
    expect(
      await failureOf(connectHttp(url, { authorization: 'Bearer short' }).downloads.limits.query()),
    ).toMatchObject({ httpStatus: 401 });

    const owner = connectHttp(url, { authorization: `Bearer ${ACCESS_TOKEN}` });
    const file = origin.addFile('wanted.bin', { size: 4096, seed: 2 });
    const { jobId } = await owner.downloads.enqueue.mutate({ url: file.url, folder: 'checkpoints' });
    await waitForStatus(owner, jobId, 'completed');
    expect((await owner.downloads.list.query()).items.map((job) => job.id)).toEqual([jobId]);
  });

  it('keeps health and the web app public: they hold no data', async () => {
    const health = await fetch(`${url}/trpc/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ result: { data: { ok: true } } });
    // Only on its own: a batch that also asks for data is refused as a whole.
    const batch = await fetch(`${url}/trpc/health,downloads.list?batch=1&input=%7B%7D`);
    expect(batch.status).toBe(401);

    const page = await fetch(`${url}/`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>modeldock</title>');
  });

  it('refuses a WebSocket without the token before the upgrade, and opens one with the bearer', async () => {
    expect(await upgradeStatus(url)).toBe(401);
    expect(await upgradeStatus(url, { authorization: `Bearer ${ACCESS_TOKEN}-` })).toBe(401);
    expect(await upgradeStatus(url, { cookie: 'modeldock_session=forged' })).toBe(401);
    expect(await upgradeStatus(url, { authorization: `Bearer ${ACCESS_TOKEN}` })).toBe(101);
  });

  it('signs a browser in: a wrong token gets 401 and no cookie, the right one an HttpOnly SameSite=Strict cookie that is not the token', async () => {
    const wrong = await signIn(url, { token: `${ACCESS_TOKEN}-wrong` });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.json()).toMatchObject({
      error: { data: { code: 'UNAUTHORIZED', modeldockCode: 'ACCESS_TOKEN_REQUIRED' } },
    });
    expect((await signIn(url, {})).status).toBe(401);

    // Another site cannot sign a visitor's browser in (or out): the origin guard applies.
    const foreign = await signIn(url, { token: ACCESS_TOKEN }, { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('set-cookie')).toBeNull();

    const right = await signIn(url, { token: ACCESS_TOKEN });
    expect(right.status).toBe(204);
    const setCookie = right.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^modeldock_session=[^;]+;/);
    expect(setCookie).toMatch(/; HttpOnly(;|$)/);
    expect(setCookie).toMatch(/; SameSite=Strict(;|$)/);
    expect(setCookie).toMatch(/; Path=\/(;|$)/);
    sessionCookie = setCookie.split(';')[0]!;
    const value = sessionCookie.slice('modeldock_session='.length);
    expect(value.length).toBeGreaterThanOrEqual(32);
    expect(value).not.toBe(ACCESS_TOKEN);
    expect(findSecrets(setCookie, [ACCESS_TOKEN], 'Set-Cookie')).toEqual([]);
  });

  it('lets the session cookie in over HTTP and WebSocket, where a subscription then delivers events', async () => {
    expect(sessionCookie).not.toBeNull();
    const cookie = sessionCookie!;
    const viaHttp = connectHttp(url, { cookie });
    expect((await viaHttp.downloads.list.query()).items).toHaveLength(1);

    expect(await upgradeStatus(url)).toBe(401);
    const { api, client } = connectWebSocketWith(url, { cookie });
    try {
      const received: string[] = [];
      const started = new Promise<void>((resolve, reject) => {
        const subscription = api.downloads.events.subscribe(
          {},
          {
            onStarted: () => resolve(),
            onData: (event) => {
              received.push(event.data.type);
            },
            onError: reject,
          },
        );
        setTimeout(() => {
          subscription.unsubscribe();
          reject(new Error('the subscription did not start within 15 s'));
        }, 15_000).unref();
      });
      await started;
      const file = origin.addFile('over-websocket.bin', { size: 2048, seed: 3 });
      const { jobId } = await api.downloads.enqueue.mutate({ url: file.url, folder: 'checkpoints' });
      await waitForStatus(viaHttp, jobId, 'completed');
      await expect.poll(() => received.length, { timeout: 10_000 }).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });

  it('signs a browser out: DELETE /auth/session clears the cookie', async () => {
    const response = await fetch(`${url}/auth/session`, {
      method: 'DELETE',
      headers: { cookie: sessionCookie ?? '' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('set-cookie')).toMatch(/^modeldock_session=; .*Max-Age=0/);
  });

  it('writes neither the token nor the session cookie to any log, and gives no warning', async () => {
    expect(sessionCookie).not.toBeNull();
    const cookieValue = sessionCookie!.slice('modeldock_session='.length);
    expect((await server.stop('SIGTERM')).code).toBe(0);
    const output = server.output();
    const downloadsLog = await readFile(path.join(folders.dataDir, 'logs/downloads.log'), 'utf8');
    // The logs did see the requests that carried them.
    expect(output).toMatch(/API call rejected/);
    expect(output).toMatch(/WebSocket without the access token refused/);
    expect(output).not.toMatch(WARNING);
    expect([
      ...findSecrets(output, [ACCESS_TOKEN, cookieValue], 'stdout/stderr'),
      ...findSecrets(downloadsLog, [ACCESS_TOKEN, cookieValue], 'the downloads log'),
    ]).toEqual([]);
  });
});

describe('wrong access-token guesses', () => {
  let server: ServerProcess;
  let url: string;

  beforeAll(async () => {
    server = await startServerProcess({ env: { MODELDOCK_ACCESS_TOKEN: ACCESS_TOKEN } });
    url = `http://127.0.0.1:${server.port}`;
  });

  afterAll(async () => {
    await server?.dispose();
  });

  it('are slowed per address after five: then even the right token waits, with Retry-After; each is logged with the address, never the token', async () => {
    const guess = (token: string) =>
      fetch(`${url}/trpc/downloads.list`, { headers: { authorization: `Bearer ${token}` } });
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      expect((await guess(`wrong-guess-number-${attempt}-abcdefghij`)).status).toBe(401);
    }
    // The sixth wrong guess earns the first wait; from then on the address must wait.
    expect((await guess('wrong-guess-number-6-abcdefghij')).status).toBe(401);
    const slowed = await guess(ACCESS_TOKEN);
    expect(slowed.status).toBe(429);
    expect(Number(slowed.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await slowed.json()).toMatchObject({
      error: { data: { code: 'TOO_MANY_REQUESTS', modeldockCode: 'ACCESS_TOKEN_THROTTLED' } },
    });
    // The sign-in form counts too and is held to the same wait.
    const form = await fetch(`${url}/auth/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: ACCESS_TOKEN }),
    });
    expect(form.status).toBe(429);
    // health stays open: it presents no token.
    expect((await fetch(`${url}/trpc/health`)).status).toBe(200);

    await expect
      .poll(() => (server.output().match(/Wrong access token presented/g) ?? []).length)
      .toBe(6);
    const warning = server
      .output()
      .split('\n')
      .find((line) => line.includes('Wrong access token presented'))!;
    expect(JSON.parse(warning)).toMatchObject({
      level: 'warn',
      address: '127.0.0.1',
      wrongGuesses: 1,
    });
    expect(findSecrets(server.output(), [ACCESS_TOKEN], 'stdout/stderr')).toEqual([]);
    expect(server.output()).not.toContain('wrong-guess-number');
  });
});

describe('no access token on 0.0.0.0', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServerProcess({ env: { MODELDOCK_HOST: '0.0.0.0' } });
  });

  afterAll(async () => {
    await server?.dispose();
  });

  it('works as before for anyone, and warns once at start how to require a token', async () => {
    const url = loopbackUrl(server);
    const api = connectHttp(url);
    expect((await api.downloads.list.query()).items).toEqual([]);
    expect(await upgradeStatus(url)).toBe(101);
    const warnings = server.output().match(new RegExp(WARNING, 'g')) ?? [];
    expect(warnings).toHaveLength(1);
    expect(server.output()).toContain(`anyone who can reach port ${server.port} can use it`);
  });
});
