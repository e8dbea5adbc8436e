/**
 * `GET /thumbnails/<entry id>`: a library entry's thumbnail (a WebP made by the engine, or its
 * stored SVG placeholder), else a placeholder generated now, so the grid has no holes. Behind the
 * same gate as the API (origin, access token, wrong-token throttle). Every answer says what it is and forbids sniffing; an SVG also gets a
 * CSP that lets nothing in it run or load. A versioned URL (`?v=`) is cached for a year, the bare
 * one (placeholder before any preview) revalidated.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { THUMBNAIL_ROUTE } from '@modeldock/engine';
import type { LibraryMetadata } from '@modeldock/engine';
import type { ApiRequestGate } from './api-request-gate';

const SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

export function isThumbnailPath(url: string | undefined): boolean {
  return new URL(url ?? '/', 'http://localhost').pathname.startsWith(THUMBNAIL_ROUTE);
}

function plain(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  });
  response.end(`${text}\n`);
}

const REFUSAL_STATUS: Record<string, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  TOO_MANY_REQUESTS: 429,
  SERVICE_UNAVAILABLE: 503,
};

export function createThumbnailHandler(options: { metadata: LibraryMetadata | undefined; gate: ApiRequestGate }) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      return plain(response, 405, 'Thumbnails are read with GET');
    }
    const refusal = options.gate.check(request, false);
    if (refusal) {
      for (const [name, value] of Object.entries(refusal.headers ?? {})) response.setHeader(name, value);
      return plain(response, REFUSAL_STATUS[refusal.code] ?? 403, refusal.error.message);
    }
    if (!options.metadata) return plain(response, 404, 'No thumbnails in this server');
    const url = new URL(request.url ?? '/', 'http://localhost');
    let id: string;
    try {
      id = decodeURIComponent(url.pathname.slice(THUMBNAIL_ROUTE.length));
    } catch {
      return plain(response, 400, 'The thumbnail address is not valid');
    }
    if (!/^[0-9A-Za-z-]{1,64}$/.test(id)) return plain(response, 404, 'No library entry has this id');
    const thumbnail = await options.metadata.thumbnail(id);
    if (!thumbnail) return plain(response, 404, 'No library entry has this id');

    const headers: Record<string, string> = {
      'x-content-type-options': 'nosniff',
      'cache-control': url.searchParams.has('v') && thumbnail.kind === 'file' ? 'private, max-age=31536000, immutable' : 'private, no-cache',
    };
    if (thumbnail.kind === 'placeholder') {
      const body = Buffer.from(thumbnail.svg);
      response.writeHead(200, { ...headers, 'content-type': 'image/svg+xml', 'content-security-policy': SVG_POLICY, 'content-length': String(body.length) });
      response.end(request.method === 'HEAD' ? undefined : body);
      return;
    }
    const info = await stat(thumbnail.path).catch(() => null);
    if (!info?.isFile()) return plain(response, 404, 'The thumbnail is gone: recover the preview');
    const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    headers.etag = etag;
    if (thumbnail.contentType === 'image/svg+xml') headers['content-security-policy'] = SVG_POLICY;
    if (request.headers['if-none-match'] === etag) {
      response.writeHead(304, headers);
      response.end();
      return;
    }
    response.writeHead(200, { ...headers, 'content-type': thumbnail.contentType, 'content-length': String(info.size) });
    if (request.method === 'HEAD') return void response.end();
    await pipeline(createReadStream(thumbnail.path), response);
  };
}
