/**
 * Issue 9.1: a key with a character HTTP headers cannot carry must never reach undici (undici 7
 * refuses it after taking a pool slot it never gives back), and a hub request's deadline holds
 * even when undici never settles a request, so a stuck pool cannot outlive it or a graceful stop.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ModeldockError,
  findCharacterNotAllowedInKey,
  resolveEngineConfig,
} from '@modeldock/engine';
import type { HttpClient } from '@modeldock/engine';
import { createUndiciHttpClient } from '@modeldock/engine/internal/http/undici-http-client';
import type { UndiciHttpClient } from '@modeldock/engine/internal/http/undici-http-client';
import { sendHubRequest } from '@modeldock/engine/internal/sources/hub-http';

const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

interface TestOrigin {
  url: string;
  /** Requests to /hold are accepted and never answered. */
  held: number;
  close(): Promise<void>;
}

async function startOrigin(): Promise<TestOrigin> {
  const sockets = new Set<Socket>();
  const state = { held: 0 };
  const server = http.createServer((request, response) => {
    if (request.url === '/hold') {
      state.held += 1;
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"ok":true}');
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get held() {
      return state.held;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function setUp(
  connectionsPerHost: number,
): Promise<{ origin: TestOrigin; client: UndiciHttpClient }> {
  const origin = await startOrigin();
  cleanups.push(() => origin.close());
  const client = createUndiciHttpClient(
    resolveEngineConfig({ allowPrivateHosts: true, connectionsPerHost, idleTimeoutMs: 60_000 }),
  );
  cleanups.push(() => client.close());
  return { origin, client };
}

async function rejectionOf(promise: Promise<unknown>): Promise<ModeldockError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ModeldockError);
    return error as ModeldockError;
  }
  throw new Error('expected a rejection');
}

describe('keys and tokens: visible ASCII only', () => {
  it.each([
    ['hf_abc\u200bdef', 'U+200B (zero-width space) at position 7'],
    ['\u0100hf_abcdef', 'U+0100 at position 1'],
    ['hf_abc\u0000', 'U+0000 (NUL) at position 7'],
    ['hf\u007fabc', 'U+007F (DEL) at position 3'],
    ['hf abc', 'U+0020 (space) at position 3'],
    ['😀hf_abc', 'U+1F600 at position 1'],
  ])('%j is refused, naming %s', (key, description) => {
    expect(findCharacterNotAllowedInKey(key)?.description).toBe(description);
  });

  it('accepts every visible ASCII character', () => {
    let all = '';
    for (let code = 0x21; code <= 0x7e; code++) all += String.fromCharCode(code);
    expect(findCharacterNotAllowedInKey(all)).toBeNull();
  });
});

describe('the HTTP client never hands undici a header it would refuse', () => {
  it('a bad Authorization value is a permanent INVALID_INPUT naming the character, and the pool stays usable', async () => {
    const { origin, client } = await setUp(2);
    for (let attempt = 0; attempt < 4; attempt++) {
      const error = await rejectionOf(
        client.request({
          url: `${origin.url}/api/whoami-v2`,
          method: 'GET',
          headers: { authorization: 'Bearer hf_abc\u200bdef' },
          signal: AbortSignal.timeout(2_000),
        }),
      );
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.retryable).toBe(false);
      expect(error.message).toContain('U+200B (zero-width space) at position 7');
      expect(error.message).not.toContain('hf_abc');
    }
    // Before the fix, undici lost a pool slot per refused request: this one never started.
    const startedAt = Date.now();
    const response = await client.request({
      url: `${origin.url}/ok`,
      method: 'GET',
      headers: {},
      signal: AbortSignal.timeout(2_000),
    });
    expect(response.status).toBe(200);
    await response.dump();
    expect(Date.now() - startedAt).toBeLessThan(1_500);
  });

  it.each([
    [{ 'x-note': 'line\r\nbreak' }, /x-note header holds .*U\+000D \(carriage return\)/],
    [{ 'bad name': 'x' }, /header name "bad name" cannot be sent/],
    [{ 'transfer-encoding': 'chunked' }, /header name "transfer-encoding" cannot be sent/],
    [{ expect: '100-continue' }, /header name "expect" cannot be sent/],
  ])('refuses %j before sending', async (headers, message) => {
    const { origin, client } = await setUp(1);
    const error = await rejectionOf(
      client.request({
        url: `${origin.url}/ok`,
        method: 'GET',
        headers,
        signal: AbortSignal.timeout(2_000),
      }),
    );
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(message);
    const response = await client.request({
      url: `${origin.url}/ok`,
      method: 'GET',
      headers: {},
      signal: AbortSignal.timeout(2_000),
    });
    expect(response.status).toBe(200);
    await response.dump();
  });
});

describe('a hub request has a deadline that holds whatever the HTTP library does', () => {
  it('with the only pool slot held forever, the next hub request fails on time and the client still closes', async () => {
    const { origin, client } = await setUp(1);
    const holder = client.request({
      url: `${origin.url}/hold`,
      method: 'GET',
      headers: {},
      signal: new AbortController().signal,
    });
    holder.catch(() => undefined);
    await expect.poll(() => origin.held).toBe(1);

    const startedAt = Date.now();
    const error = await rejectionOf(
      sendHubRequest(
        { http: client, logger: silentLogger },
        {
          url: `${origin.url}/api/models/a/b`,
          hubOrigin: origin.url,
          hubName: 'Hugging Face',
          timeoutMs: 400,
        },
      ),
    );
    const elapsed = Date.now() - startedAt;
    expect(error.code).toBe('IDLE_TIMEOUT');
    expect(error.message).toMatch(/Hugging Face did not answer within/);
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect(elapsed).toBeLessThan(2_000);

    // The held request is still under way: a graceful close must not wait for it for good.
    const closingAt = Date.now();
    await client.close();
    expect(Date.now() - closingAt).toBeLessThan(5_000);
  });

  it('an HTTP client that never settles and ignores its signal cannot hold a hub request past its deadline', async () => {
    const stuck: HttpClient = { request: () => new Promise(() => undefined) };
    const startedAt = Date.now();
    const error = await rejectionOf(
      sendHubRequest(
        { http: stuck, logger: silentLogger },
        {
          url: 'https://civitai.example/api/v1/models/1',
          hubOrigin: 'https://civitai.example',
          hubName: 'Civitai',
          timeoutMs: 300,
        },
      ),
    );
    expect(error.code).toBe('IDLE_TIMEOUT');
    expect(error.message).toMatch(/Civitai did not answer within/);
    expect(Date.now() - startedAt).toBeLessThan(2_000);
  });
});
