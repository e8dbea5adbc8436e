/**
 * A fake CDN / object storage on its own 127.0.0.1 port (so its host differs from the hub's), as
 * the hubs' redirects reach in the wild: presigned URLs in the S3 style (X-Amz-Date, X-Amz-Expires,
 * X-Amz-Signature, response-content-disposition) that expire with a 403, its own strong ETag
 * (not the content's sha256), single-range requests with If-Range, 416 with `bytes *\/N`. Like S3 it
 * refuses a presigned request that also carries an Authorization header. Every request is recorded
 * so tests can check that no key ever reached it.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  /** Lowercased header names. */
  headers: Record<string, string>;
}

export interface CdnObject {
  key: string;
  bytes: Buffer;
  sha256: string;
  /** Quoted strong ETag the CDN sends; deliberately not the sha256. */
  etag: string;
}

export interface SignedUrlOptions {
  /** Sent back as `Content-Disposition: attachment; filename="…"`. */
  filename?: string;
  ttlMs?: number;
}

export interface FakeCdn {
  url: string;
  origin: string;
  requests: RecordedRequest[];
  /** Stores bytes (under a random key unless given) and returns the object. */
  put(content: Buffer | string, key?: string): CdnObject;
  /** Replaces an object's bytes: a new ETag, as when the upstream file changes. */
  replace(key: string, content: Buffer | string): CdnObject;
  get(key: string): CdnObject | undefined;
  /** A presigned URL for an object, valid for `ttlMs` (default `defaultTtlMs`). */
  signedUrl(key: string, options?: SignedUrlOptions): string;
  /** Every URL signed until now is expired from now on. */
  expireSignedUrls(): void;
  /** Expires every URL signed so far when the next request arrives: a signature running out mid-job. */
  expireOnNextRequest(): void;
  /** The next `count` requests get this status (and an S3-style error body). */
  failNext(count: number, status: number): void;
  /** Requests for one object key. */
  requestsFor(key: string): RecordedRequest[];
  close(): Promise<void>;
}

export interface FakeCdnOptions {
  defaultTtlMs?: number;
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function lowercaseHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

type ByteRange = { start: number; end: number } | 'unsatisfiable' | null;

function parseRange(header: string | undefined, size: number): ByteRange {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return null;
  return { start, end };
}

/**
 * Serves bytes with RFC 9110 range semantics: a single range → 206 with Content-Range, unless an
 * If-Range validator no longer matches (then 200 with everything); a range past the end → 416.
 */
export function serveBytes(
  request: IncomingMessage,
  response: ServerResponse,
  bytes: Buffer,
  headers: Record<string, string>,
  etag: string | null,
): void {
  const size = bytes.length;
  const ifRange = request.headers['if-range'];
  const rangeHeader = request.headers.range;
  const validatorMatches = ifRange === undefined || (etag !== null && ifRange === etag);
  const range = validatorMatches ? parseRange(rangeHeader, size) : null;
  const common: Record<string, string> = { 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream', ...headers };
  if (etag) common.etag = etag;
  if (range === 'unsatisfiable') {
    response.writeHead(416, { ...common, 'content-range': `bytes */${size}`, 'content-length': '0' });
    response.end();
    return;
  }
  const slice = range ? bytes.subarray(range.start, range.end + 1) : bytes;
  const status = range ? 206 : 200;
  const extra: Record<string, string> = { 'content-length': String(slice.length) };
  if (range) extra['content-range'] = `bytes ${range.start}-${range.end}/${size}`;
  response.writeHead(status, { ...common, ...extra });
  response.end(request.method === 'HEAD' ? undefined : slice);
}

function s3Error(response: ServerResponse, status: number, code: string, message: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  response.writeHead(status, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(body)) });
  response.end(body);
}

export function listen(server: http.Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve(`http://127.0.0.1:${port}`);
    });
  });
}

export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startFakeCdn(options: FakeCdnOptions = {}): Promise<FakeCdn> {
  const secret = randomBytes(16);
  const objects = new Map<string, CdnObject & { version: number }>();
  const requests: RecordedRequest[] = [];
  let expiredBefore = 0;
  let expireOnNext = false;
  let failures: { count: number; status: number } = { count: 0, status: 500 };
  const defaultTtlMs = options.defaultTtlMs ?? 60 * 60 * 1000;

  const sign = (key: string, date: string, expires: string, disposition: string) =>
    createHmac('sha256', secret).update(`${key}\n${date}\n${expires}\n${disposition}`).digest('hex');

  function store(key: string, content: Buffer | string, version: number): CdnObject {
    const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
    const etag = `"${createHash('sha1').update(`${key}:${version}:`).update(bytes).digest('hex')}"`;
    const object = { key, bytes, sha256: sha256Hex(bytes), etag, version };
    objects.set(key, object);
    return object;
  }

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://cdn.invalid');
    requests.push({ method: request.method ?? 'GET', url: request.url ?? '/', headers: lowercaseHeaders(request) });
    if (expireOnNext) {
      expireOnNext = false;
      expiredBefore = Date.now() + 1;
    }
    if (failures.count > 0) {
      failures.count--;
      s3Error(response, failures.status, 'InternalError', 'Injected failure');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      s3Error(response, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
      return;
    }
    const match = /^\/objects\/(.+)$/.exec(url.pathname);
    const key = match ? decodeURIComponent(match[1]!) : '';
    const date = url.searchParams.get('X-Amz-Date') ?? '';
    const expires = url.searchParams.get('X-Amz-Expires') ?? '';
    const signature = url.searchParams.get('X-Amz-Signature') ?? '';
    const disposition = url.searchParams.get('response-content-disposition') ?? '';
    if (request.headers.authorization) {
      s3Error(response, 400, 'InvalidArgument', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified');
      return;
    }
    if (!signature || signature !== sign(key, date, expires, disposition)) {
      s3Error(response, 403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
      return;
    }
    const issuedAt = Number(date);
    if (Date.now() > issuedAt + Number(expires) * 1000 || issuedAt < expiredBefore) {
      s3Error(response, 403, 'AccessDenied', 'Request has expired');
      return;
    }
    const object = objects.get(key);
    if (!object) {
      s3Error(response, 404, 'NoSuchKey', 'The specified key does not exist.');
      return;
    }
    const headers: Record<string, string> = { 'last-modified': new Date(0).toUTCString() };
    if (disposition) headers['content-disposition'] = disposition;
    serveBytes(request, response, object.bytes, headers, object.etag);
  });
  const url = await listen(server);

  return {
    url,
    origin: url,
    requests,
    put: (content, key) => store(key ?? randomBytes(12).toString('hex'), content, 1),
    replace: (key, content) => store(key, content, (objects.get(key)?.version ?? 0) + 1),
    get: (key) => objects.get(key),
    signedUrl(key, signOptions = {}) {
      // Never dated before the last expireSignedUrls(), so URLs signed after it stay valid.
      const date = String(Math.max(Date.now(), expiredBefore));
      const expires = String(Math.max(1, Math.ceil((signOptions.ttlMs ?? defaultTtlMs) / 1000)));
      const disposition = signOptions.filename ? `attachment; filename="${signOptions.filename.replace(/"/g, '')}"` : '';
      const params = new URLSearchParams({ 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256', 'X-Amz-Date': date, 'X-Amz-Expires': expires });
      if (disposition) params.set('response-content-disposition', disposition);
      params.set('X-Amz-Signature', sign(key, date, expires, disposition));
      return `${url}/objects/${encodeURIComponent(key)}?${params.toString()}`;
    },
    expireSignedUrls() {
      expiredBefore = Date.now() + 1;
    },
    expireOnNextRequest() {
      expireOnNext = true;
    },
    failNext(count, status) {
      failures = { count, status };
    },
    requestsFor: (key) => requests.filter((request) => request.url.startsWith(`/objects/${encodeURIComponent(key)}?`)),
    close: () => closeServer(server),
  };
}
