/**
 * Serves the built SvelteKit SPA (apps/web/build) from the same origin as the API.
 * - Paths are decoded once, normalised and confined: the real path of what is served stays inside
 *   the build folder (no `..`, no encoded traversal, no symlink out).
 * - Unknown routes without a file extension get the SPA's fallback page (200.html, else
 *   index.html) so deep links work; a missing asset (`.js`, `.css`, …) is a 404, never HTML.
 * - Hashed assets under `/_app/immutable/` are cached for a year; HTML is revalidated every time.
 * - A precompressed `.br`/`.gz` sibling is sent when the browser accepts it.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
};

const FALLBACK_PAGES = ['200.html', 'index.html'];
const IMMUTABLE_PREFIX = '/_app/immutable/';

export function contentTypeFor(filePath: string): string {
  return CONTENT_TYPES[path.extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}

export function cacheControlFor(urlPath: string, filePath: string): string {
  if (urlPath.startsWith(IMMUTABLE_PREFIX)) return 'public, max-age=31536000, immutable';
  if (filePath.endsWith('.html') || path.basename(filePath) === 'version.json') return 'no-cache';
  return 'public, max-age=3600';
}

interface FoundFile {
  absolutePath: string;
  size: number;
  mtimeMs: number;
}

type Lookup =
  | { kind: 'file'; file: FoundFile; isFallback: boolean }
  | { kind: 'not-found' }
  | { kind: 'bad-request' }
  | { kind: 'no-build' };

function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root + path.sep);
}

/** The URL path decoded and normalised to segments, or null when it cannot name a file safely. */
export function safeRelativePath(urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.some((segment) => segment === '..')) return null;
  return segments.join('/');
}

async function regularFile(root: string, candidate: string): Promise<FoundFile | null> {
  try {
    const real = await realpath(candidate);
    if (!isInside(root, real)) return null;
    const info = await stat(real);
    return info.isFile() ? { absolutePath: real, size: info.size, mtimeMs: info.mtimeMs } : null;
  } catch {
    return null;
  }
}

export interface StaticFileHandlerOptions {
  /** The web build folder; it may appear after the server starts (a rebuild in development). */
  rootDir: string;
}

export function createStaticFileHandler({ rootDir }: StaticFileHandlerOptions) {
  let realRoot: string | null = null;

  async function resolveRoot(): Promise<string | null> {
    if (realRoot) return realRoot;
    try {
      const candidate = await realpath(rootDir);
      if (!(await stat(candidate)).isDirectory()) return null;
      realRoot = candidate;
      return realRoot;
    } catch {
      return null;
    }
  }

  async function lookup(urlPath: string, acceptsHtml: boolean): Promise<Lookup> {
    const root = await resolveRoot();
    if (!root) return { kind: 'no-build' };
    const relative = safeRelativePath(urlPath);
    if (relative === null) return { kind: 'bad-request' };
    const direct = path.join(root, relative);
    const candidates = [direct, path.join(direct, 'index.html'), `${direct}.html`];
    for (const candidate of candidates) {
      const file = await regularFile(root, candidate);
      if (file) return { kind: 'file', file, isFallback: false };
    }
    // A request for a missing script or image must fail loudly, not receive the app's HTML.
    if (path.extname(relative) !== '' && !acceptsHtml) return { kind: 'not-found' };
    if (relative.startsWith('_app/')) return { kind: 'not-found' };
    for (const page of FALLBACK_PAGES) {
      const file = await regularFile(root, path.join(root, page));
      if (file) return { kind: 'file', file, isFallback: true };
    }
    return { kind: 'not-found' };
  }

  return async function serveStaticFile(
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      response.end('Method not allowed');
      return;
    }
    const urlPath = new URL(request.url ?? '/', 'http://localhost').pathname;
    const acceptsHtml = (request.headers.accept ?? '').includes('text/html');
    const found = await lookup(urlPath, acceptsHtml);

    if (found.kind === 'no-build') {
      response.writeHead(503, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
      });
      response.end(
        '<!doctype html><title>modeldock</title><h1>The web app is not built</h1>' +
          '<p>Run <code>pnpm build</code>, then reload this page. The API is available at <code>/trpc</code>.</p>',
      );
      return;
    }
    if (found.kind === 'bad-request') {
      response.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('Bad path');
      return;
    }
    if (found.kind === 'not-found') {
      response.writeHead(404, {
        'content-type': 'text/plain; charset=utf-8',
        'cache-control': 'no-cache',
      });
      response.end('Not found');
      return;
    }
    await sendFile(request, response, found.file, found.isFallback ? '/' : urlPath);
  };
}

async function precompressedSibling(
  file: FoundFile,
  acceptEncoding: string,
): Promise<{ file: FoundFile; encoding: string } | null> {
  for (const [encoding, suffix] of [
    ['br', '.br'],
    ['gzip', '.gz'],
  ] as const) {
    if (!acceptEncoding.includes(encoding)) continue;
    try {
      const info = await stat(file.absolutePath + suffix);
      if (info.isFile()) {
        return {
          file: {
            absolutePath: file.absolutePath + suffix,
            size: info.size,
            mtimeMs: info.mtimeMs,
          },
          encoding,
        };
      }
    } catch {
      // No precompressed copy: send the plain file.
    }
  }
  return null;
}

async function sendFile(
  request: IncomingMessage,
  response: ServerResponse,
  file: FoundFile,
  urlPath: string,
) {
  const compressed = await precompressedSibling(
    file,
    String(request.headers['accept-encoding'] ?? ''),
  );
  const body = compressed?.file ?? file;
  const etag = `W/"${body.size.toString(16)}-${Math.floor(body.mtimeMs).toString(16)}${compressed ? `-${compressed.encoding}` : ''}"`;
  const headers: Record<string, string | number> = {
    'content-type': contentTypeFor(file.absolutePath),
    'cache-control': cacheControlFor(urlPath, file.absolutePath),
    etag,
    vary: 'Accept-Encoding',
    'x-content-type-options': 'nosniff',
  };
  if (file.absolutePath.endsWith('.html')) {
    headers['x-frame-options'] = 'DENY';
    headers['referrer-policy'] = 'no-referrer';
  }
  if (compressed) headers['content-encoding'] = compressed.encoding;

  if (request.headers['if-none-match'] === etag) {
    response.writeHead(304, headers);
    response.end();
    return;
  }
  headers['content-length'] = body.size;
  response.writeHead(200, headers);
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  try {
    await pipeline(createReadStream(body.absolutePath), response);
  } catch {
    // The client went away mid-file; nothing to report to it.
    response.destroy();
  }
}
