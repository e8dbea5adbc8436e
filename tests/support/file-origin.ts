/**
 * A plain local HTTP origin for end-to-end tests: serves generated files on 127.0.0.1 with a strong
 * ETag, Last-Modified, Accept-Ranges and correct Range / If-Range semantics (206, 200 when the
 * validator no longer matches, 416 with `bytes *\/N`). Tests can slow it down (`setThrottle`) or
 * hold every body at a byte count (`holdAfter` / `release`) to act while a download is under way,
 * and read what was asked (`requests`).
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OriginFile {
  name: string;
  bytes: Buffer;
  sha256: string;
  etag: string;
  lastModified: string;
  /** Full URL of the file on this origin. */
  url: string;
}

export interface OriginRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The Range header, when sent. */
  range: string | null;
  status: number;
  /** First byte served (0 for a full body). */
  start: number;
  /** Body bytes written so far (grows while the response streams). */
  bytesSent: number;
  /** The response ended or the client went away. */
  closed: boolean;
}

export interface FileOrigin {
  url: string;
  /** Registers a file of `size` deterministic bytes (different seeds give different bytes). */
  addFile(name: string, content: { size: number; seed?: number } | { bytes: Buffer }): OriginFile;
  /** Bytes per second for every body from now on, including those already streaming; null = unlimited. */
  setThrottle(bytesPerSecond: number | null): void;
  /** Every body stops once it has sent this many bytes of the file (counted from byte 0), until `release`. */
  holdAfter(fileOffset: number): void;
  release(): void;
  requests: OriginRequest[];
  /** Requests for one file name, in arrival order. */
  requestsFor(name: string): OriginRequest[];
  /** Total body bytes sent for one file across all requests. */
  bytesSentFor(name: string): number;
  close(): Promise<void>;
}

const CHUNK_BYTES = 16 * 1024;

/** Deterministic bytes from a xorshift32 generator: cheap, and distinct for distinct seeds. */
export function generateBytes(size: number, seed = 1): Buffer {
  const buffer = Buffer.allocUnsafe(size);
  let state = (seed * 2654435761) >>> 0 || 1;
  let offset = 0;
  for (; offset + 4 <= size; offset += 4) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    buffer.writeUInt32LE(state >>> 0, offset);
  }
  for (; offset < size; offset++) buffer[offset] = offset & 0xff;
  return buffer;
}

export function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

interface ByteRange {
  start: number;
  end: number; // inclusive
}

/** One `bytes=a-b`, `bytes=a-` or `bytes=-n` range; anything else is treated as no range (full body). */
function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
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
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

function drainOrClose(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done).off('close', done);
      resolve();
    };
    response.on('drain', done).on('close', done);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function startFileOrigin(): Promise<FileOrigin> {
  const files = new Map<string, OriginFile>();
  const requests: OriginRequest[] = [];
  const openResponses = new Set<ServerResponse>();
  let throttleBps: number | null = null;
  let holdAt: number | null = null;
  let releaseWaiters: (() => void)[] = [];
  let baseUrl = '';

  async function streamBody(
    response: ServerResponse,
    file: OriginFile,
    range: ByteRange,
    record: OriginRequest,
  ) {
    let position = range.start;
    while (position <= range.end && !response.destroyed) {
      if (holdAt !== null && position >= holdAt) {
        await new Promise<void>((resolve) => releaseWaiters.push(resolve));
        continue;
      }
      let chunkEnd = Math.min(range.end + 1, position + CHUNK_BYTES);
      if (holdAt !== null) chunkEnd = Math.min(chunkEnd, Math.max(holdAt, position + 1));
      const chunk = file.bytes.subarray(position, chunkEnd);
      const canContinue = response.write(chunk);
      position = chunkEnd;
      record.bytesSent += chunk.length;
      if (!canContinue) await drainOrClose(response);
      if (throttleBps !== null) await sleep((chunk.length / throttleBps) * 1000);
    }
    if (!response.destroyed) response.end();
  }

  function handle(request: IncomingMessage, response: ServerResponse) {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://origin').pathname);
    const record: OriginRequest = {
      method: request.method ?? 'GET',
      path,
      headers: { ...request.headers },
      range: typeof request.headers.range === 'string' ? request.headers.range : null,
      status: 0,
      start: 0,
      bytesSent: 0,
      closed: false,
    };
    requests.push(record);
    openResponses.add(response);
    response.on('close', () => {
      record.closed = true;
      openResponses.delete(response);
    });

    const file = files.get(path.replace(/^\//, ''));
    if (!file || (request.method !== 'GET' && request.method !== 'HEAD')) {
      record.status = file ? 405 : 404;
      response
        .writeHead(record.status, { 'content-type': 'text/plain' })
        .end(file ? 'Method not allowed' : 'Not found');
      return;
    }
    const size = file.bytes.length;
    const ifRange = request.headers['if-range'];
    const validatorMatches =
      ifRange === undefined || ifRange === file.etag || ifRange === file.lastModified;
    const requested = validatorMatches ? parseRange(record.range ?? undefined, size) : null;
    const common = {
      'accept-ranges': 'bytes',
      etag: file.etag,
      'last-modified': file.lastModified,
      'content-type': 'application/octet-stream',
    };
    if (requested === 'unsatisfiable') {
      record.status = 416;
      response
        .writeHead(416, { ...common, 'content-range': `bytes */${size}`, 'content-length': 0 })
        .end();
      return;
    }
    const range = requested ?? { start: 0, end: size - 1 };
    record.status = requested ? 206 : 200;
    record.start = range.start;
    const headers: Record<string, string | number> = {
      ...common,
      'content-length': range.end - range.start + 1,
    };
    if (requested) headers['content-range'] = `bytes ${range.start}-${range.end}/${size}`;
    response.writeHead(record.status, headers);
    if (request.method === 'HEAD' || size === 0) {
      response.end();
      return;
    }
    streamBody(response, file, range, record).catch(() => response.destroy());
  }

  const server = http.createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const releaseAll = () => {
    const waiters = releaseWaiters;
    releaseWaiters = [];
    for (const wake of waiters) wake();
  };

  return {
    url: baseUrl,
    addFile(name, content) {
      const bytes =
        'bytes' in content
          ? content.bytes
          : generateBytes(content.size, content.seed ?? files.size + 1);
      const sha256 = sha256Of(bytes);
      const file: OriginFile = {
        name,
        bytes,
        sha256,
        etag: `"${sha256.slice(0, 32)}"`,
        lastModified: new Date(Date.UTC(2024, 0, 1)).toUTCString(),
        url: `${baseUrl}/${encodeURIComponent(name)}`,
      };
      files.set(name, file);
      return file;
    },
    setThrottle(bytesPerSecond) {
      throttleBps = bytesPerSecond;
    },
    holdAfter(fileOffset) {
      holdAt = fileOffset;
    },
    release() {
      holdAt = null;
      releaseAll();
    },
    requests,
    requestsFor: (name) => requests.filter((request) => request.path === `/${name}`),
    bytesSentFor: (name) =>
      requests
        .filter((request) => request.path === `/${name}`)
        .reduce((total, request) => total + request.bytesSent, 0),
    async close() {
      holdAt = null;
      releaseAll();
      for (const response of openResponses) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
