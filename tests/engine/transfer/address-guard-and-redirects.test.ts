/** Failure case 22 (private addresses, schemes) and Authorization across redirects (case 26). */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isForbiddenAddress } from '@modeldock/engine/internal/http/address-guard';
import { createUndiciHttpClient } from '@modeldock/engine/internal/http/undici-http-client';
import { followRedirects } from '@modeldock/engine/internal/http/follow-redirects';
import { transferFile } from '@modeldock/engine/internal/transfer/transfer-file';
import { resolveEngineConfig } from '@modeldock/engine';
import type { HttpClient, HttpRequest } from '@modeldock/engine';
import { deterministicBytes, startFaultOrigin } from '../../support/fault-origin';
import type { FaultOrigin } from '../../support/fault-origin';
import { createHarness, failureOf, fileRecord, recorder } from './transfer-harness';
import type { Harness } from './transfer-harness';

describe('22. the address guard', () => {
  it.each([
    '127.0.0.1',
    '127.1.2.3',
    '10.0.0.8',
    '172.16.5.4',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    '[::1]',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '[::ffff:8.8.8.8]',
    'fe80::1',
    'fd00::1',
    '64:ff9b::a9fe:a9fe',
    '2002:7f00:1::',
    'ff02::1',
    '224.0.0.1',
  ])('refuses %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '151.101.1.69'])(
    'allows %s',
    (address) => {
      expect(isForbiddenAddress(address)).toBe(false);
    },
  );

  describe('in the HTTP client, unless private hosts are allowed', () => {
    const client = createUndiciHttpClient(
      resolveEngineConfig({ allowPrivateHosts: false, idleTimeoutMs: 2000 }),
    );
    afterAll(() => client.close());

    const request = (url: string): Promise<unknown> =>
      client.request({ url, method: 'GET', headers: {}, signal: new AbortController().signal });

    it.each([
      'http://0x7f000001/model.bin',
      'http://2130706433/model.bin',
      'http://[::ffff:127.0.0.1]/model.bin',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]:8080/x',
      'http://127.000.000.001/x',
      'http://localhost/x',
    ])('refuses %s before connecting', async (url) => {
      await expect(request(url)).rejects.toMatchObject({ code: 'PRIVATE_ADDRESS' });
    });

    it('refuses a public-looking name that resolves to a private address (checked after DNS)', async () => {
      const origin = await startFaultOrigin();
      const rebinding = createUndiciHttpClient(resolveEngineConfig({ allowPrivateHosts: false }), {
        resolveAll: (hostname, _options, callback) =>
          callback(null, [{ address: '127.0.0.1', family: 4 }]),
      });
      try {
        const port = new URL(origin.url).port;
        await expect(
          rebinding.request({
            url: `http://models.example.com:${port}/x`,
            method: 'GET',
            headers: {},
            signal: new AbortController().signal,
          }),
        ).rejects.toMatchObject({
          code: 'PRIVATE_ADDRESS',
          message: expect.stringContaining('resolves to 127.0.0.1'),
        });
        expect(origin.requests).toHaveLength(0);
      } finally {
        await rebinding.close();
        await origin.close();
      }
    });

    it('lets the same request through when the operator allows private hosts', async () => {
      const origin = await startFaultOrigin();
      const allowed = createUndiciHttpClient(resolveEngineConfig({ allowPrivateHosts: true }));
      try {
        origin.setFile('/x', Buffer.from('hello'));
        const response = await allowed.request({
          url: `${origin.url}/x`,
          method: 'GET',
          headers: {},
          signal: new AbortController().signal,
        });
        expect(response.status).toBe(200);
        await response.dump();
      } finally {
        await allowed.close();
        await origin.close();
      }
    });

    it.each(['file:///etc/passwd', 'ftp://example.com/model.bin', 'gopher://x/'])(
      'refuses the scheme of %s',
      async (url) => {
        await expect(request(url)).rejects.toMatchObject({ code: 'UNSUPPORTED_SCHEME' });
      },
    );

    it('refuses a malformed URL', async () => {
      await expect(request('not a url')).rejects.toMatchObject({ code: 'INVALID_URL' });
    });

    it('checks every redirect hop: a public URL redirecting to the metadata address is refused', async () => {
      const publicHop: HttpClient = {
        request: async (input: HttpRequest) => {
          if (input.url.startsWith('https://models.example.com/')) {
            return {
              status: 302,
              headers: { location: 'http://169.254.169.254/latest/meta-data/iam' },
              body: (async function* () {})(),
              dump: async () => undefined,
            };
          }
          return client.request(input);
        },
      };
      await expect(
        followRedirects(publicHop, {
          url: 'https://models.example.com/model.bin',
          method: 'GET',
          headers: {},
          signal: new AbortController().signal,
          maxRedirects: 10,
        }),
      ).rejects.toMatchObject({ code: 'PRIVATE_ADDRESS' });
    });

    it('refuses a redirect to another scheme', async () => {
      const hop: HttpClient = {
        request: async () => ({
          status: 301,
          headers: { location: 'file:///etc/shadow' },
          body: (async function* () {})(),
          dump: async () => undefined,
        }),
      };
      await expect(
        followRedirects(hop, {
          url: 'https://a.example/x',
          method: 'GET',
          headers: {},
          signal: new AbortController().signal,
          maxRedirects: 5,
        }),
      ).rejects.toMatchObject({
        code: 'UNSUPPORTED_SCHEME',
        message: expect.stringContaining('Redirect from https://a.example/x refused'),
      });
    });

    it('refuses a Location that is no URL with an error value, not a TypeError', async () => {
      const hop: HttpClient = {
        request: async () => ({
          status: 302,
          headers: { location: 'http://[::1' },
          body: (async function* () {})(),
          dump: async () => undefined,
        }),
      };
      await expect(
        followRedirects(hop, {
          url: 'https://a.example/x',
          method: 'GET',
          headers: {},
          signal: new AbortController().signal,
          maxRedirects: 5,
        }),
      ).rejects.toMatchObject({
        name: 'ModeldockError',
        code: 'INVALID_URL',
        message: expect.stringContaining('Redirect from https://a.example/x refused'),
      });
    });
  });
});

describe('Authorization never crosses hosts', () => {
  let api: FaultOrigin;
  let storage: FaultOrigin;
  let harness: Harness;

  beforeEach(async () => {
    api = await startFaultOrigin();
    storage = await startFaultOrigin();
    harness = await createHarness();
  });
  afterEach(async () => {
    await harness.dispose();
    await api.close();
    await storage.close();
  });

  it('sends the key to the original origin only, and never logs or reports it', async () => {
    const key = 'civitai-key-0123456789abcdef';
    const served = storage.setFile('/bucket/model.safetensors', deterministicBytes(2000, 41));
    api.script('/api/download/models/1', {
      kind: 'redirect',
      location: `${served.url}?X-Amz-Signature=deadbeefcafe&X-Amz-Credential=AKIA`,
    });
    const file = fileRecord(`${api.url}/api/download/models/1`, { credential: 'civitai' });
    const record = recorder();
    const context = harness.context({
      credentials: async (kind) => (kind === 'civitai' ? key : null),
    });
    await transferFile(file, context, record.callbacks);

    expect(api.requestsTo('/api/download/models/1')[0]!.headers.authorization).toBe(
      `Bearer ${key}`,
    );
    const storageRequest = storage.requestsTo('/bucket/model.safetensors')[0]!;
    expect(storageRequest.headers.authorization).toBeUndefined();
    const everything = JSON.stringify([harness.logger.lines, record.durable, record.stalled]);
    expect(everything).not.toContain(key);
    expect(everything).not.toContain('deadbeefcafe');
  });

  it('drops Authorization on a redirect to the same host on another port (another origin)', async () => {
    const served = storage.setFile('/f.bin', deterministicBytes(500, 42));
    api.script('/start', {
      kind: 'redirect',
      location: served.url.replace('127.0.0.1', 'localhost'),
    });
    const file = fileRecord(`${api.url}/start`, { credential: 'huggingface' });
    await transferFile(
      file,
      harness.context({ credentials: async () => 'hf_abcdefghijklmnopqrstuvwx' }),
      recorder().callbacks,
    );
    expect(api.requests[0]!.headers.authorization).toMatch(/^Bearer hf_/);
    expect(storage.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('keeps Authorization on a same-origin relative redirect', async () => {
    const served = api.setFile('/resolved/f.bin', deterministicBytes(500, 43));
    api.script('/resolve/main/f.bin', {
      kind: 'redirect',
      location: '/resolved/f.bin',
      status: 307,
    });
    const file = fileRecord(`${api.url}/resolve/main/f.bin`, { credential: 'huggingface' });
    const result = await transferFile(
      file,
      harness.context({ credentials: async () => 'hf_abcdefghijklmnopqrstuvwx' }),
      recorder().callbacks,
    );
    expect(result.sha256).toBe(served.sha256);
    expect(api.requestsTo('/resolved/f.bin')[0]!.headers.authorization).toBe(
      'Bearer hf_abcdefghijklmnopqrstuvwx',
    );
  });

  it('says the key was refused when one was sent and the origin answers 401', async () => {
    api.script('/private.bin', { kind: 'status', status: 401 });
    const file = fileRecord(`${api.url}/private.bin`, { credential: 'huggingface' });
    const error = await failureOf(
      transferFile(
        file,
        harness.context({ credentials: async () => 'hf_zyxwvutsrqponmlkjihgf' }),
        recorder().callbacks,
      ),
    );
    expect(error).toMatchObject({
      code: 'AUTH_REQUIRED',
      message: expect.stringContaining('Hugging Face API key was sent and refused'),
    });
    expect(error.message).not.toContain('hf_zyxwvutsrqponmlkjihgf');
  });
});

describe('signed storage links', () => {
  let api: FaultOrigin;
  let storage: FaultOrigin;
  let harness: Harness;

  beforeEach(async () => {
    api = await startFaultOrigin();
    storage = await startFaultOrigin();
    harness = await createHarness({ segmentThresholdBytes: 64 * 1024, connectionsPerFile: 4 });
  });
  afterEach(async () => {
    await harness.dispose();
    await api.close();
    await storage.close();
  });

  it('sends later segment connections straight to the storage link, never with the key', async () => {
    const served = storage.setFile('/blob', deterministicBytes(600_000, 44));
    api.script('/api/download/models/7', {
      kind: 'redirect',
      location: `${served.url}?X-Amz-Signature=abc`,
    });
    const file = fileRecord(`${api.url}/api/download/models/7`, {
      credential: 'civitai',
      bytesTotal: 600_000,
    });
    const result = await transferFile(
      file,
      harness.context({ credentials: async () => 'civitai-key-abcdef123456' }),
      recorder().callbacks,
    );
    expect(result.sha256).toBe(served.sha256);
    expect(api.requests).toHaveLength(1);
    expect(storage.requests.length).toBeGreaterThan(1);
    expect(storage.requests.every((request) => request.headers.authorization === undefined)).toBe(
      true,
    );
  });

  it('goes back to the source when the remembered storage link is refused', async () => {
    const served = storage.setFile('/blob', deterministicBytes(600_000, 45));
    api.script(
      '/api/dl',
      ...Array.from({ length: 6 }, (_, index) => ({
        kind: 'redirect' as const,
        location: `${served.url}?sig=${index}`,
      })),
    );
    // The first request (through the source) works; the next one, straight to storage, is refused once.
    storage.script('/blob', { kind: 'serve' }, { kind: 'status', status: 403 });
    const file = fileRecord(`${api.url}/api/dl`, { bytesTotal: 600_000 });
    const result = await transferFile(file, harness.context(), recorder().callbacks);
    expect(result.sha256).toBe(served.sha256);
    expect(storage.requests[1]!.status).toBe(403);
    expect(api.requests.length).toBeGreaterThanOrEqual(2);
    expect(api.requests.length).toBeLessThan(storage.requests.length);
  });
});
