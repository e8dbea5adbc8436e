/**
 * Redirects hop by hop against a scripted server (Authorization never crosses origins, loops and
 * limits, bad Locations), and the address guard's answers for names and resolved addresses.
 */
import { describe, expect, it } from 'vitest';
import { followRedirects } from '@modeldock/engine/internal/http/follow-redirects';
import {
  assertHostAllowed,
  createGuardedLookup,
  isForbiddenAddress,
} from '@modeldock/engine/internal/http/address-guard';
import type { ResolveAll } from '@modeldock/engine/internal/http/address-guard';
import type { HttpClient, HttpRequest, HttpResponse } from '@modeldock/engine/internal/ports';

/** A server that answers each URL from a script; records every request and every dumped body. */
function scriptedServer(script: Record<string, { status: number; location?: string }>) {
  const requests: HttpRequest[] = [];
  let dumped = 0;
  const http: HttpClient = {
    request: async (request) => {
      requests.push(request);
      const answer = script[request.url] ?? { status: 200 };
      const headers: Record<string, string> = answer.location ? { location: answer.location } : {};
      const response: HttpResponse = {
        status: answer.status,
        headers,
        body: (async function* () {})(),
        dump: async () => void dumped++,
      };
      return response;
    },
  };
  return { http, requests, dumped: () => dumped };
}

const follow = (http: HttpClient, url: string, extra: { authorization?: string; authorizationOrigin?: string; maxRedirects?: number; headers?: Record<string, string> } = {}) =>
  followRedirects(http, {
    url,
    method: 'GET',
    headers: extra.headers ?? {},
    authorization: extra.authorization,
    authorizationOrigin: extra.authorizationOrigin,
    signal: new AbortController().signal,
    maxRedirects: extra.maxRedirects ?? 5,
  });

describe('Authorization across redirects', () => {
  it('goes to the origin asked for, never to the storage host it redirects to', async () => {
    const server = scriptedServer({
      'https://hub.example/file': { status: 302, location: 'https://cdn.example/signed?sig=1' },
    });
    const followed = await follow(server.http, 'https://hub.example/file', {
      authorization: 'Bearer secret',
      headers: { range: 'bytes=0-' },
    });
    expect(server.requests.map((request) => request.headers.authorization)).toEqual(['Bearer secret', undefined]);
    // Other headers travel on every hop.
    expect(server.requests.map((request) => request.headers.range)).toEqual(['bytes=0-', 'bytes=0-']);
    expect(followed).toMatchObject({ finalUrl: 'https://cdn.example/signed?sig=1', hops: 1 });
    expect(server.dumped()).toBe(1);
  });

  it('does not reach another port or scheme of the same host', async () => {
    const server = scriptedServer({
      'https://hub.example/a': { status: 301, location: 'http://hub.example/b' },
      'http://hub.example/b': { status: 307, location: 'https://hub.example:8443/c' },
      'https://hub.example:8443/c': { status: 308, location: 'https://hub.example/d' },
    });
    await follow(server.http, 'https://hub.example/a', { authorization: 'Bearer secret' });
    expect(server.requests.map((request) => request.headers.authorization)).toEqual([
      'Bearer secret',
      undefined,
      undefined,
      'Bearer secret',
    ]);
  });

  it('belongs to the origin it was given for, when that is not the first URL', async () => {
    const server = scriptedServer({
      'https://short.example/x': { status: 303, location: 'https://api.example/files/x' },
    });
    await follow(server.http, 'https://short.example/x', {
      authorization: 'Bearer secret',
      authorizationOrigin: 'https://api.example',
    });
    expect(server.requests.map((request) => request.headers.authorization)).toEqual([undefined, 'Bearer secret']);
  });

  it('sends no Authorization header when there is no credential', async () => {
    const server = scriptedServer({});
    await follow(server.http, 'https://hub.example/file', { authorization: '' });
    expect('authorization' in server.requests[0]!.headers).toBe(false);
  });
});

describe('which answers are followed', () => {
  it.each([301, 302, 303, 307, 308])('follows %i', async (status) => {
    const server = scriptedServer({ 'https://a.example/x': { status, location: '/y' } });
    const followed = await follow(server.http, 'https://a.example/x');
    expect(followed).toMatchObject({ finalUrl: 'https://a.example/y', hops: 1 });
    expect(server.requests[1]).toMatchObject({ url: 'https://a.example/y', method: 'GET' });
  });

  it.each([300, 304, 200, 206])('returns %i as it is', async (status) => {
    const server = scriptedServer({ 'https://a.example/x': { status, location: '/y' } });
    const followed = await follow(server.http, 'https://a.example/x');
    expect(followed).toMatchObject({ finalUrl: 'https://a.example/x', hops: 0 });
    expect(followed.response.status).toBe(status);
    expect(server.dumped()).toBe(0);
  });

  it('returns a redirect without a Location as it is', async () => {
    const server = scriptedServer({ 'https://a.example/x': { status: 302 } });
    expect((await follow(server.http, 'https://a.example/x')).response.status).toBe(302);
  });
});

describe('redirects that are refused', () => {
  it('refuses a loop, naming both ends without their query', async () => {
    const server = scriptedServer({
      'https://a.example/x': { status: 302, location: '/y?token=1' },
      'https://a.example/y?token=1': { status: 302, location: '/x' },
    });
    await expect(follow(server.http, 'https://a.example/x')).rejects.toMatchObject({
      code: 'TOO_MANY_REDIRECTS',
      message: 'The server redirects in a loop (https://a.example/y?… → https://a.example/x); the link may be broken',
    });
  });

  it('follows exactly maxRedirects hops and gives up on the next', async () => {
    const chain: Record<string, { status: number; location: string }> = {};
    for (let hop = 0; hop < 4; hop++) chain[`https://a.example/${hop}`] = { status: 302, location: `/${hop + 1}` };
    const ok = await follow(scriptedServer(chain).http, 'https://a.example/1', { maxRedirects: 3 });
    expect(ok).toMatchObject({ finalUrl: 'https://a.example/4', hops: 3 });
    await expect(follow(scriptedServer(chain).http, 'https://a.example/0', { maxRedirects: 3 })).rejects.toMatchObject({
      code: 'TOO_MANY_REDIRECTS',
      message: 'Gave up after 3 redirects starting at https://a.example/0',
    });
  });

  it('refuses a Location that is no URL, or not http(s), saying where it came from', async () => {
    const broken = scriptedServer({ 'https://a.example/x?sig=2': { status: 302, location: 'http://[oops' } });
    await expect(follow(broken.http, 'https://a.example/x?sig=2')).rejects.toMatchObject({
      code: 'INVALID_URL',
      message: 'Redirect from https://a.example/x?… refused: the Location is not a valid URL',
    });
    const file = scriptedServer({ 'https://a.example/x': { status: 302, location: 'file:///etc/passwd' } });
    await expect(follow(file.http, 'https://a.example/x')).rejects.toMatchObject({
      code: 'UNSUPPORTED_SCHEME',
      message: expect.stringMatching(/^Redirect from https:\/\/a\.example\/x refused: Only http and https/),
    });
  });
});

describe('the address guard', () => {
  it('reads a bracketed IPv6 literal only with both brackets', () => {
    expect(isForbiddenAddress('[::1]')).toBe(true);
    expect(isForbiddenAddress('[::1')).toBe(false);
    expect(isForbiddenAddress('::1]')).toBe(false);
    expect(isForbiddenAddress('0::1]')).toBe(false);
    expect(isForbiddenAddress('[2606:4700::1111]')).toBe(false);
    expect(isForbiddenAddress('models.example')).toBe(false);
  });

  it('refuses localhost names and private literals unless private hosts are allowed', () => {
    for (const url of ['http://localhost/x', 'http://api.localhost:8080/x', 'http://10.1.2.3/x', 'http://[fd00::1]/x']) {
      expect(() => assertHostAllowed(new URL(url), false)).toThrowError(
        expect.objectContaining({
          code: 'PRIVATE_ADDRESS',
          message: expect.stringMatching(
            /^Refusing to download from \S+: it is a local, private or link-local address\. An operator can allow this with the "allow private hosts" setting\.$/,
          ),
        }),
      );
      expect(() => assertHostAllowed(new URL(url), true)).not.toThrow();
    }
    for (const url of ['http://notlocalhost/x', 'http://localhost.example.com/x', 'http://8.8.8.8/x']) {
      expect(() => assertHostAllowed(new URL(url), false)).not.toThrow();
    }
  });

  /** dns.lookup through the guard, answering from a fixed table. */
  function lookupWith(table: Record<string, Array<{ address: string; family: number }> | Error>) {
    const seen: Array<{ hostname: string; all: boolean | undefined }> = [];
    const resolveAll: ResolveAll = (hostname, options, callback) => {
      seen.push({ hostname, all: options.all });
      const answer = table[hostname] ?? [];
      if (answer instanceof Error) callback(answer, []);
      else callback(null, answer);
    };
    const lookup = createGuardedLookup(resolveAll);
    const one = (hostname: string) =>
      new Promise<{ error: unknown; address: unknown; family: unknown }>((resolve) =>
        lookup(hostname, { family: 0 }, (error, address, family) => resolve({ error, address, family })),
      );
    const all = (hostname: string) =>
      new Promise<{ error: unknown; address: unknown }>((resolve) =>
        lookup(hostname, { all: true }, (error, address) => resolve({ error, address })),
      );
    return { one, all, seen };
  }

  it('hands back the first public address, or all of them when asked, always resolving all', async () => {
    const lookup = lookupWith({
      'cdn.example': [
        { address: '2606:4700::1111', family: 6 },
        { address: '8.8.8.8', family: 4 },
      ],
    });
    expect(await lookup.one('cdn.example')).toEqual({ error: null, address: '2606:4700::1111', family: 6 });
    expect(await lookup.all('cdn.example')).toEqual({
      error: null,
      address: [
        { address: '2606:4700::1111', family: 6 },
        { address: '8.8.8.8', family: 4 },
      ],
    });
    expect(lookup.seen.every((call) => call.all === true)).toBe(true);
  });

  it('refuses a name when any of its addresses is private, naming that address', async () => {
    const lookup = lookupWith({
      'rebind.example': [
        { address: '8.8.8.8', family: 4 },
        { address: '169.254.169.254', family: 4 },
      ],
    });
    const one = await lookup.one('rebind.example');
    expect(one).toMatchObject({ address: '', family: 0 });
    expect(one.error).toMatchObject({
      code: 'PRIVATE_ADDRESS',
      message: expect.stringContaining('rebind.example (resolves to 169.254.169.254)'),
    });
    const all = await lookup.all('rebind.example');
    expect(all.address).toEqual([]);
    expect(all.error).toMatchObject({ code: 'PRIVATE_ADDRESS' });
  });

  it('names a looked-up literal once, not as resolving to itself', async () => {
    const lookup = lookupWith({ '10.0.0.7': [{ address: '10.0.0.7', family: 4 }] });
    const one = await lookup.one('10.0.0.7');
    expect((one.error as Error).message).toMatch(/^Refusing to download from 10\.0\.0\.7: it is a local/);
  });

  it('passes resolver errors on, and says ENOTFOUND when a name has no address', async () => {
    const failure = Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' });
    const lookup = lookupWith({ 'down.example': failure, 'empty.example': [] });
    expect(await lookup.one('down.example')).toEqual({ error: failure, address: '', family: 0 });
    expect(await lookup.all('down.example')).toEqual({ error: failure, address: [] });
    const empty = await lookup.one('empty.example');
    expect(empty).toMatchObject({ address: '', family: 0 });
    expect(empty.error).toMatchObject({ code: 'ENOTFOUND', message: 'No address for empty.example' });
    expect(await lookup.all('empty.example')).toEqual({ error: null, address: [] });
  });
});
