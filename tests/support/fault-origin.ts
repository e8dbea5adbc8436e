/**
 * A misbehaving HTTP origin for byte-layer tests, on 127.0.0.1 with an ephemeral port. It serves
 * deterministic files with a strong ETag, Last-Modified, Accept-Ranges and real Range / If-Range
 * semantics, and each test scripts how the next requests to a path go wrong: reset or close after N
 * bytes, go silent, trickle, ignore Range, send a wrong Content-Range, answer 416 / 5xx / 429, send
 * an HTML page, redirect (loops, other origins), gzip the body, throttle. Every request is recorded
 * with its headers and the body bytes actually sent. `startHttp10Origin` is a plainer server in the
 * manner of `python3 -m http.server`: HTTP/1.0, no ETag, no ranges, the connection closed after each
 * response.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';

export type Fault =
  /** Normal service (the default once a path's script is used up). */
  | { kind: 'serve' }
  /**
   * Normal headers, then the connection is destroyed (RST) after `bytes` body bytes — once `before`
   * resolves, when given (an RST makes the client's kernel drop bytes the client has not read yet).
   */
  | { kind: 'reset-after'; bytes: number; before?: Promise<void> }
  /** Normal headers, then the connection ends cleanly after `bytes` body bytes: a premature EOF. */
  | { kind: 'close-after'; bytes: number }
  /** Normal headers and `bytes` body bytes, then nothing more, ever (until the client gives up). */
  | { kind: 'silent-after'; bytes: number }
  /** Accepts the request and never answers. */
  | { kind: 'no-response' }
  /** Sends `chunkBytes` every `intervalMs`: slow but steady. */
  | { kind: 'trickle'; chunkBytes: number; intervalMs: number }
  /** Answers 200 with the whole file whatever Range says. */
  | { kind: 'ignore-range' }
  /** Answers 206 but claims a start shifted by `shift` (and sends those bytes). */
  | { kind: 'wrong-content-range'; shift: number }
  /** Answers 206 with a Content-Range total that is off by `delta`. */
  | { kind: 'wrong-total'; delta: number }
  /** Answers a bounded range with the rest of the file (right start and total, later end), as naive servers do. */
  | { kind: 'overlong-range' }
  /** Answers 416 with `bytes * /<size>` (no space), whatever was asked. */
  | { kind: 'unsatisfiable' }
  /** Any status with optional headers and body. */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  /** 200 with an HTML page. */
  | { kind: 'html'; body?: string }
  /** Redirect to `location` (relative or absolute). */
  | { kind: 'redirect'; location: string; status?: number }
  /** 200 with the whole file compressed (ignores Range); `truncateAt` cuts the compressed body short. */
  | {
      kind: 'encoded';
      encoding: 'gzip' | 'deflate' | 'deflate-raw' | 'br' | 'compress';
      truncateAt?: number;
    }
  /** 200 with the whole file and no Content-Length (chunked): nothing says where it ends. */
  | { kind: 'unknown-length' }
  /** Normal service at `bytesPerSecond` for this connection. */
  | { kind: 'throttle'; bytesPerSecond: number }
  /** Serves the current version, then (once the headers are out) replaces the file: a new upload. */
  | { kind: 'serve-then-replace'; bytes: Buffer };

export interface OriginFileOptions {
  etag?: string | null;
  lastModified?: string | null;
  contentType?: string;
  acceptRanges?: boolean;
}

export interface OriginFile {
  path: string;
  url: string;
  bytes: Buffer;
  sha256: string;
  etag: string | null;
  lastModified: string | null;
  contentType: string;
  acceptRanges: boolean;
}

export interface RecordedRequest {
  path: string;
  method: string;
  headers: Record<string, string | string[] | undefined>;
  fault: Fault['kind'];
  status: number;
  /** Body bytes written to the socket for this request. */
  bytesSent: number;
  /** Which connection carried it (1, 2, … in order of arrival): equal numbers mean a reused connection. */
  connection: number;
  /** Resolves once the origin is done with it: the whole fault played (a close or reset included). */
  finished: Promise<void>;
}

export interface FaultOrigin {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Serves `bytes` at `path` (a leading '/'); replaces the content when the path exists. */
  setFile(path: string, bytes: Buffer, options?: OriginFileOptions): OriginFile;
  file(path: string): OriginFile;
  /** The next requests to `path` get these behaviours, in order; later ones are served normally. */
  script(path: string, ...faults: Fault[]): void;
  /** Every request to `path` with a Range header gets `fault` once the script is used up (null = none). */
  setRangedFault(path: string, fault: Fault | null): void;
  /** Throttle for every body from now on (bytes per second per connection), null = unlimited. */
  setThrottle(bytesPerSecond: number | null): void;
  requests: RecordedRequest[];
  requestsTo(path: string): RecordedRequest[];
  bytesSentFor(path: string): number;
  close(): Promise<void>;
}

const CHUNK_BYTES = 16 * 1024;

/** Deterministic pseudo-random bytes (xorshift32); different seeds give different bytes. */
export function deterministicBytes(size: number, seed = 1): Buffer {
  const buffer = Buffer.allocUnsafe(size);
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let offset = 0; offset < size; offset++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    buffer[offset] = state & 0xff;
  }
  return buffer;
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface ParsedRange {
  start: number;
  end: number;
}

/** A single `bytes=` range clamped to the file, null when absent or unsatisfiable. */
function parseRange(
  header: string | undefined,
  size: number,
): ParsedRange | 'unsatisfiable' | null {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, first, last] = match;
  if (first === '' && last === '') return null;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size };
  }
  const start = Number(first);
  if (start >= size) return 'unsatisfiable';
  const end = last === '' ? size : Math.min(size, Number(last) + 1);
  if (end <= start) return 'unsatisfiable';
  return { start, end };
}

function ifRangeMatches(header: string | undefined, file: OriginFile): boolean {
  if (header === undefined) return true;
  if (header.startsWith('"') || header.startsWith('W/'))
    return file.etag !== null && header === file.etag && !header.startsWith('W/');
  return file.lastModified !== null && header === file.lastModified;
}

export async function startFaultOrigin(): Promise<FaultOrigin> {
  const files = new Map<string, OriginFile>();
  const scripts = new Map<string, Fault[]>();
  const rangedFaults = new Map<string, Fault>();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const connectionIds = new WeakMap<Socket, number>();
  let throttle: number | null = null;
  let baseUrl = '';

  function replaceFile(file: OriginFile, bytes: Buffer): void {
    const sha256 = sha256Hex(bytes);
    files.set(file.path, {
      ...file,
      bytes,
      sha256,
      etag: file.etag === null ? null : `"${sha256.slice(0, 16)}"`,
    });
  }

  function validatorHeaders(file: OriginFile): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': file.contentType };
    if (file.etag) headers.etag = file.etag;
    if (file.lastModified) headers['last-modified'] = file.lastModified;
    if (file.acceptRanges) headers['accept-ranges'] = 'bytes';
    return headers;
  }

  async function writeBody(
    response: ServerResponse,
    record: RecordedRequest,
    body: Buffer,
    options: {
      stopAfter?: number;
      bytesPerSecond?: number | null;
      chunkBytes?: number;
      intervalMs?: number;
    },
  ): Promise<'complete' | 'stopped'> {
    const chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
    let offset = 0;
    while (offset < body.length) {
      if (response.destroyed) return 'stopped';
      let end = Math.min(body.length, offset + chunkBytes);
      if (options.stopAfter !== undefined) {
        if (offset >= options.stopAfter) return 'stopped';
        end = Math.min(end, options.stopAfter);
      }
      const chunk = body.subarray(offset, end);
      const flushed = response.write(chunk);
      record.bytesSent += chunk.length;
      offset = end;
      if (!flushed) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            response.off('drain', done);
            response.off('close', done);
            resolve();
          };
          response.on('drain', done);
          response.on('close', done);
        });
      }
      const rate = options.bytesPerSecond ?? throttle;
      if (options.intervalMs !== undefined) await sleep(options.intervalMs);
      else if (rate) await sleep((chunk.length / rate) * 1000);
    }
    return options.stopAfter !== undefined && options.stopAfter < body.length
      ? 'stopped'
      : 'complete';
  }

  async function handle(
    request: IncomingMessage,
    response: ServerResponse,
    finished: Promise<void>,
  ): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://origin').pathname;
    const script = scripts.get(path);
    const fault: Fault = script?.shift() ??
      (request.headers.range ? rangedFaults.get(path) : undefined) ?? { kind: 'serve' };
    const record: RecordedRequest = {
      path,
      method: request.method ?? 'GET',
      headers: { ...request.headers },
      fault: fault.kind,
      status: 0,
      bytesSent: 0,
      connection: connectionIds.get(request.socket) ?? 0,
      finished,
    };
    requests.push(record);
    const send = (
      status: number,
      headers: Record<string, string | number>,
      body?: string | Buffer,
    ): void => {
      record.status = status;
      response.writeHead(status, headers);
      if (body !== undefined && request.method !== 'HEAD') {
        response.end(body);
        record.bytesSent += Buffer.byteLength(body);
      } else response.end();
    };

    if (fault.kind === 'no-response') {
      record.status = -1;
      return;
    }
    if (fault.kind === 'status') {
      send(fault.status, { 'content-type': 'text/plain', ...fault.headers }, fault.body ?? '');
      return;
    }
    if (fault.kind === 'redirect') {
      send(fault.status ?? 302, { location: fault.location, 'content-length': 0 });
      return;
    }
    if (fault.kind === 'html') {
      const body =
        fault.body ??
        '<!DOCTYPE html><html><head><title>Sign in</title></head><body><form>Log in to continue</form></body></html>';
      send(
        200,
        { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) },
        body,
      );
      return;
    }
    const file = files.get(path);
    if (!file) {
      send(404, { 'content-type': 'application/json' }, JSON.stringify({ error: 'Not found' }));
      return;
    }
    const size = file.bytes.length;
    if (fault.kind === 'unsatisfiable') {
      send(416, { 'content-range': `bytes */${size}`, ...validatorHeaders(file) }, '');
      return;
    }
    if (fault.kind === 'unknown-length') {
      record.status = 200;
      response.writeHead(200, {
        ...validatorHeaders(file),
        'content-type': 'application/octet-stream',
      });
      await writeBody(response, record, file.bytes, {});
      response.end();
      return;
    }
    if (fault.kind === 'encoded') {
      const encoders = {
        gzip: gzipSync,
        deflate: deflateSync,
        'deflate-raw': deflateRawSync,
        br: brotliCompressSync,
        compress: gzipSync,
      };
      const full = encoders[fault.encoding](file.bytes);
      const body = fault.truncateAt === undefined ? full : full.subarray(0, fault.truncateAt);
      const header = fault.encoding === 'deflate-raw' ? 'deflate' : fault.encoding;
      record.status = 200;
      // No Content-Length when truncating: the body ends cleanly but the compressed stream is cut.
      response.writeHead(200, {
        ...validatorHeaders(file),
        'content-encoding': header,
        ...(fault.truncateAt === undefined ? { 'content-length': body.length } : {}),
      });
      await writeBody(response, record, body, {});
      response.end();
      return;
    }

    const honourRange =
      fault.kind !== 'ignore-range' &&
      file.acceptRanges &&
      ifRangeMatches(request.headers['if-range'] as string | undefined, file);
    const range = honourRange ? parseRange(request.headers.range, size) : null;
    if (range === 'unsatisfiable') {
      send(416, { 'content-range': `bytes */${size}`, ...validatorHeaders(file) }, '');
      return;
    }
    let start = range?.start ?? 0;
    const end = range && fault.kind !== 'overlong-range' ? range.end : size;
    const headers: Record<string, string | number> = { ...validatorHeaders(file) };
    let status = 200;
    if (range) {
      status = 206;
      let claimedStart = start;
      let claimedTotal = size;
      if (fault.kind === 'wrong-content-range') {
        claimedStart = Math.max(0, start + fault.shift);
        start = claimedStart;
      }
      if (fault.kind === 'wrong-total') claimedTotal = size + fault.delta;
      headers['content-range'] = `bytes ${claimedStart}-${end - 1}/${claimedTotal}`;
    }
    const body = file.bytes.subarray(start, end);
    headers['content-length'] = body.length;
    record.status = status;
    response.writeHead(status, headers);
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    response.flushHeaders();
    if (fault.kind === 'serve-then-replace') replaceFile(file, fault.bytes);

    switch (fault.kind) {
      case 'reset-after':
        await writeBody(response, record, body, { stopAfter: fault.bytes });
        await (fault.before ?? sleep(10));
        response.socket?.resetAndDestroy();
        return;
      case 'close-after':
        await writeBody(response, record, body, { stopAfter: fault.bytes });
        await sleep(10);
        response.socket?.end();
        response.socket?.destroySoon();
        return;
      case 'silent-after':
        await writeBody(response, record, body, { stopAfter: fault.bytes });
        return;
      case 'trickle':
        await writeBody(response, record, body, {
          chunkBytes: fault.chunkBytes,
          intervalMs: fault.intervalMs,
        });
        response.end();
        return;
      case 'throttle':
        await writeBody(response, record, body, { bytesPerSecond: fault.bytesPerSecond });
        response.end();
        return;
      default:
        await writeBody(response, record, body, {});
        response.end();
    }
  }

  const server = http.createServer((request, response) => {
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    handle(request, response, finished)
      .catch(() => {
        response.destroy();
      })
      .finally(finish);
  });
  let connections = 0;
  server.on('connection', (socket) => {
    connectionIds.set(socket, ++connections);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 2_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    requests,
    setFile(path, bytes, options = {}) {
      const sha256 = sha256Hex(bytes);
      const file: OriginFile = {
        path,
        url: `${baseUrl}${path}`,
        bytes,
        sha256,
        etag: options.etag === undefined ? `"${sha256.slice(0, 16)}"` : options.etag,
        lastModified:
          options.lastModified === undefined
            ? new Date(Date.UTC(2024, 0, 1)).toUTCString()
            : options.lastModified,
        contentType: options.contentType ?? 'application/octet-stream',
        acceptRanges: options.acceptRanges ?? true,
      };
      files.set(path, file);
      return file;
    },
    file(path) {
      const file = files.get(path);
      if (!file) throw new Error(`No file at ${path}`);
      return file;
    },
    script(path, ...faults) {
      scripts.set(path, [...(scripts.get(path) ?? []), ...faults]);
    },
    setRangedFault(path, fault) {
      if (fault) rangedFaults.set(path, fault);
      else rangedFaults.delete(path);
    },
    setThrottle(bytesPerSecond) {
      throttle = bytesPerSecond;
    },
    requestsTo(path) {
      return requests.filter((request) => request.path === path);
    },
    bytesSentFor(path) {
      return requests
        .filter((request) => request.path === path)
        .reduce((total, request) => total + request.bytesSent, 0);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// An HTTP/1.0 origin like `python3 -m http.server`: one response per connection, then the server
// closes it (no keep-alive), Content-Length and Last-Modified but no ETag, and Range ignored.
// ---------------------------------------------------------------------------------------------

export type Http10Fault =
  | { kind: 'serve' }
  /** Headers and `bytes` body bytes, then the connection is reset (RST). */
  | { kind: 'reset-after'; bytes: number }
  /** No Content-Length: the body ends where the connection does (close-delimited). */
  | { kind: 'no-length' };

export interface Http10Request {
  path: string;
  /** The raw request head as received. */
  head: string;
  fault: Http10Fault['kind'];
  /** Resolves once the whole response, and the close (FIN) or reset after it, was handed to the OS. */
  responded: Promise<void>;
}

export interface Http10Origin {
  url: string;
  setFile(path: string, bytes: Buffer): { url: string; bytes: Buffer; sha256: string };
  /** The next requests to `path` get these behaviours, in order; later ones are served normally. */
  script(path: string, ...faults: Http10Fault[]): void;
  requests: Http10Request[];
  /** Resolves when the `index`-th request (from 0) has arrived. */
  request(index: number): Promise<Http10Request>;
  close(): Promise<void>;
}

const HTTP10_LAST_MODIFIED = new Date(Date.UTC(2024, 0, 1)).toUTCString();

export async function startHttp10Origin(): Promise<Http10Origin> {
  const files = new Map<string, Buffer>();
  const scripts = new Map<string, Http10Fault[]>();
  const requests: Http10Request[] = [];
  const waiters: Array<{ index: number; resolve: (request: Http10Request) => void }> = [];
  const sockets = new Set<Socket>();

  function respond(socket: Socket, head: string): void {
    const path = new URL(head.split(' ')[1] ?? '/', 'http://origin').pathname;
    const fault = scripts.get(path)?.shift() ?? { kind: 'serve' };
    let done!: () => void;
    const record: Http10Request = {
      path,
      head,
      fault: fault.kind,
      responded: new Promise<void>((resolve) => (done = resolve)),
    };
    requests.push(record);
    for (const waiter of waiters.filter((candidate) => candidate.index < requests.length)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(requests[waiter.index]!);
    }
    const bytes = files.get(path);
    if (!bytes) {
      socket.end('HTTP/1.0 404 File not found\r\nContent-Length: 0\r\n\r\n', done);
      return;
    }
    const length = fault.kind === 'no-length' ? '' : `Content-Length: ${bytes.length}\r\n`;
    socket.write(
      'HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6\r\nContent-type: application/octet-stream\r\n' +
        `${length}Last-Modified: ${HTTP10_LAST_MODIFIED}\r\n\r\n`,
    );
    if (fault.kind === 'reset-after') {
      socket.write(bytes.subarray(0, fault.bytes), () => {
        socket.resetAndDestroy();
        done();
      });
      return;
    }
    socket.end(bytes, done);
  }

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let received = '';
    const onData = (data: Buffer): void => {
      received += data.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      respond(socket, received.slice(0, end));
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    setFile(path, bytes) {
      files.set(path, bytes);
      return { url: `${url}${path}`, bytes, sha256: sha256Hex(bytes) };
    },
    script(path, ...faults) {
      scripts.set(path, [...(scripts.get(path) ?? []), ...faults]);
    },
    request(index) {
      const existing = requests[index];
      if (existing) return Promise.resolve(existing);
      return new Promise((resolve) => waiters.push({ index, resolve }));
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
