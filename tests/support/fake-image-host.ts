/**
 * A fake image host (Civitai serves previews from image.civitai.com, another host than its API) on
 * its own 127.0.0.1 port. It serves real PNG, JPEG and WebP bytes made with sharp, an HTML page
 * sent as `image/png`, an oversized body, and anything a test puts there; a `/width=N/` path segment
 * is accepted as Civitai's size selector. Requests are recorded.
 */
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import sharp from 'sharp';
import { closeServer, listen, lowercaseHeaders } from './fake-cdn';
import type { RecordedRequest } from './fake-cdn';

export interface FakeImage {
  bytes: Buffer;
  contentType: string;
}

export interface FakeImageHost {
  url: string;
  requests: RecordedRequest[];
  /** Serves `bytes` at `/{name}` (and `/width=N/{name}`); returns the absolute URL. */
  put(name: string, image: FakeImage): string;
  /** A redirect from `/{name}` to `location`. */
  redirect(name: string, location: string): string;
  urlOf(name: string): string;
  close(): Promise<void>;
}

/** A small real image of `format`, `width`×`height`, one colour. */
export async function makeImage(format: 'png' | 'jpeg' | 'webp' | 'avif', width = 64, height = 48, colour = '#3a7'): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: colour } }).toFormat(format).toBuffer();
}

export async function startFakeImageHost(): Promise<FakeImageHost> {
  const images = new Map<string, FakeImage>();
  const redirects = new Map<string, string>();
  const requests: RecordedRequest[] = [];

  function route(request: IncomingMessage, response: ServerResponse): void {
    requests.push({ method: request.method ?? 'GET', url: request.url ?? '/', headers: lowercaseHeaders(request) });
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname).replace(/^\/width=\d+\//, '/').slice(1);
    const location = redirects.get(path);
    if (location) {
      response.writeHead(302, { location, 'content-length': '0' });
      return void response.end();
    }
    const image = images.get(path);
    if (!image) {
      response.writeHead(404, { 'content-type': 'text/plain' });
      return void response.end('not found');
    }
    response.writeHead(200, { 'content-type': image.contentType, 'content-length': String(image.bytes.length) });
    response.end(request.method === 'HEAD' ? undefined : image.bytes);
  }

  const server = http.createServer(route);
  const origin = await listen(server);
  const host: FakeImageHost = {
    url: origin,
    requests,
    put(name, image) {
      images.set(name, image);
      return `${origin}/${encodeURIComponent(name)}`;
    },
    redirect(name, target) {
      redirects.set(name, target);
      return `${origin}/${encodeURIComponent(name)}`;
    },
    urlOf: (name) => `${origin}/${encodeURIComponent(name)}`,
    close: () => closeServer(server),
  };
  return host;
}

/** The standard set: png, jpeg, webp, an HTML page as image/png, a 21 MB body as image/jpeg. */
export async function putStandardImages(host: FakeImageHost): Promise<Record<'png' | 'jpeg' | 'webp' | 'html' | 'oversized', string>> {
  const oversized = Buffer.alloc(21 * 1024 * 1024, 0);
  (await makeImage('jpeg')).copy(oversized);
  return {
    png: host.put('preview.png', { bytes: await makeImage('png'), contentType: 'image/png' }),
    jpeg: host.put('preview.jpeg', { bytes: await makeImage('jpeg'), contentType: 'image/jpeg' }),
    webp: host.put('preview.webp', { bytes: await makeImage('webp'), contentType: 'image/webp' }),
    html: host.put('login.png', { bytes: Buffer.from('<!doctype html><html><body>Please log in</body></html>'), contentType: 'image/png' }),
    oversized: host.put('huge.jpeg', { bytes: oversized, contentType: 'image/jpeg' }),
  };
}
