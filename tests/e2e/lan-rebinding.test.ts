/**
 * Issue 9, item 2: LAN mode without an access token and DNS rebinding, against the built server.
 * A page whose domain rebinds to the server sends `Host: <its domain>` and a matching Origin; on
 * 0.0.0.0 without a token that must not reach the API (HTTP or WebSocket). The server's IP
 * addresses, its own host name and names in MODELDOCK_ALLOWED_HOSTS still work. Queries get the
 * cross-site check too: an `<img>` on another site (Sec-Fetch-Site: cross-site) cannot make
 * `sources.resolve` send the saved key upstream. A listen address of `0:0:0:0:0:0:0:1` (::1
 * written in full) is loopback.
 */
import http from 'node:http';
import { hostname } from 'node:os';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeHuggingFace } from '../support/fake-huggingface';
import type { FakeHuggingFace } from '../support/fake-huggingface';
import { createServerFolders, startServerProcess } from '../support/server-process';
import type { ServerProcess, TemporaryServerFolders } from '../support/server-process';
import { seedHub } from '../sources/helpers/hf-fixtures';

const REBOUND = 'rebind.attacker.example';
const ALLOWED_NAME = 'gpu-box.lan';
const HF_TOKEN = 'hf_FAKE_lan_rebinding_tests_token';

interface Answer {
  status: number;
  body: string;
}

/** A raw HTTP request to 127.0.0.1:port with the Host (and other headers) a browser would send. */
function request(
  port: number,
  path: string,
  headers: Record<string, string>,
  method = 'GET',
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const call = http.request(
      { host: '127.0.0.1', port, path, method, headers, setHost: false },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    call.on('error', reject);
    call.end(body);
  });
}

function upgradeStatus(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/trpc`, { headers });
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

const query = (procedure: string, input?: unknown) =>
  `/trpc/${procedure}` +
  (input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`);

describe('LAN mode without an access token (0.0.0.0)', () => {
  let hub: FakeHuggingFace;
  let folders: TemporaryServerFolders;
  let server: ServerProcess;
  let port: number;

  beforeAll(async () => {
    hub = await startFakeHuggingFace();
    seedHub(hub);
    hub.addToken(HF_TOKEN, 'lan-user');
    folders = await createServerFolders();
    server = await startServerProcess({
      folders,
      env: {
        MODELDOCK_HOST: '0.0.0.0',
        MODELDOCK_ALLOWED_HOSTS: ALLOWED_NAME,
        MODELDOCK_HF_ENDPOINT: hub.url,
        MODELDOCK_HF_TOKEN: HF_TOKEN,
      },
    });
    port = server.port;
  }, 180_000);

  afterAll(async () => {
    const exit = await server?.stop('SIGTERM');
    await hub?.close();
    await folders?.remove();
    expect(exit?.code, server?.output()).toBe(0);
  });

  it('refuses a rebound name for queries, mutations and WebSockets, even with a matching Origin', async () => {
    const rebound = { host: `${REBOUND}:${port}`, origin: `http://${REBOUND}:${port}` };
    const keys = await request(port, query('settings.apiKeys.list'), rebound);
    expect(keys.status).toBe(403);
    expect(keys.body).toMatch(/MODELDOCK_ALLOWED_HOSTS/);
    expect(keys.body).not.toMatch(/hf_lan/);
    const enqueue = await request(
      port,
      '/trpc/downloads.enqueue',
      { ...rebound, 'content-type': 'application/json' },
      'POST',
      JSON.stringify({
        url: `${hub.url}/black-forest-labs/FLUX.1-schnell/blob/main/ae.safetensors`,
      }),
    );
    expect(enqueue.status).toBe(403);
    expect(await upgradeStatus(port, rebound)).toBe(403);
    const list = await request(port, query('downloads.list', {}), { host: `127.0.0.1:${port}` });
    expect(JSON.parse(list.body).result.data.items).toEqual([]);
  });

  it('answers to its IP addresses, its own host name and the names in MODELDOCK_ALLOWED_HOSTS', async () => {
    for (const name of [
      '127.0.0.1',
      '[::1]',
      '192.168.1.20',
      hostname().toLowerCase(),
      ALLOWED_NAME,
    ]) {
      const answer = await request(port, query('downloads.list', {}), { host: `${name}:${port}` });
      expect(answer.status, name).toBe(200);
    }
    expect(await upgradeStatus(port, { host: `${ALLOWED_NAME}:${port}` })).toBe(101);
  });

  it('refuses a cross-site query before it reaches the hub with the saved key (an <img> on another page)', async () => {
    const before = hub.requests.length;
    const link = `${hub.url}/black-forest-labs/FLUX.1-schnell/blob/main/ae.safetensors`;
    const fromImage = await request(port, query('sources.resolve', { url: link }), {
      host: `127.0.0.1:${port}`,
      'sec-fetch-site': 'cross-site',
      'sec-fetch-mode': 'no-cors',
      'sec-fetch-dest': 'image',
    });
    expect(fromImage.status).toBe(403);
    const fromForeignOrigin = await request(port, query('sources.resolve', { url: link }), {
      host: `127.0.0.1:${port}`,
      origin: 'https://attacker.example',
    });
    expect(fromForeignOrigin.status).toBe(403);
    expect(hub.requests.length).toBe(before);
    // The app's own page (same origin) and a script without browser headers still resolve.
    const ownPage = await request(port, query('sources.resolve', { url: link }), {
      host: `127.0.0.1:${port}`,
      'sec-fetch-site': 'same-origin',
    });
    expect(ownPage.status, ownPage.body).toBe(200);
    expect(hub.requests.length).toBeGreaterThan(before);
  });
});

describe('a listen address of ::1 written in full', () => {
  let folders: TemporaryServerFolders;
  let server: ServerProcess;

  beforeAll(async () => {
    folders = await createServerFolders();
    server = await startServerProcess({ folders, env: { MODELDOCK_HOST: '0:0:0:0:0:0:0:1' } });
  }, 180_000);

  afterAll(async () => {
    const exit = await server?.stop('SIGTERM');
    await folders?.remove();
    expect(exit?.code, server?.output()).toBe(0);
  });

  it('is loopback: no LAN warning, and a rebound Host is refused', async () => {
    expect(server.output()).not.toMatch(/without an access token/);
    const answer = await new Promise<number>((resolve, reject) => {
      http
        .get(
          {
            host: '::1',
            port: server.port,
            path: query('downloads.list', {}),
            headers: { host: `${REBOUND}:${server.port}` },
            setHost: false,
          },
          (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          },
        )
        .on('error', reject);
    });
    expect(answer).toBe(403);
  });
});
