/**
 * The origin every tool downloads from, built so that the origin is not what is measured: bytes are
 * views into one in-memory pattern (no disk reads, no copies in JavaScript), bodies go out in
 * 1 MiB writes, requests are answered without logging or per-request allocation beyond headers.
 * Three listeners share the files: a plain one, a throttled one that limits each TCP connection
 * to a fixed rate, and a plain one that plays the Hugging Face endpoint. Range and If-Range are honoured exactly (206, 200 for a stale validator, 416), so
 * every tool's request pattern works: one stream, bounded segments, or open-ended ranges closed early.
 */
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ConnectionPace } from './connection-pace';
import type { OriginCatalog, OriginReady, OriginTraffic, RepoSpec } from './origin-catalog';
import { fileUrlPath, repoFileUrlPath } from './origin-catalog';
import { createPattern, PatternFile } from './pattern-content';
import { answerRange } from './range-request';

const PLAIN_WRITE_BYTES = 1024 * 1024;
/** Small enough that a paced connection sends smoothly, large enough to keep timers few. */
const PACED_WRITE_BYTES = 64 * 1024;
/**
 * What a connection may save up, in seconds of its rate: enough that a timer firing late on a busy
 * machine does not lower the rate, small enough that no connection runs noticeably ahead of it.
 */
const PACE_BURST_SECONDS = 0.05;
const LAST_MODIFIED = new Date(Date.UTC(2025, 0, 1)).toUTCString();

interface ServedFile {
  content: PatternFile;
  sha256: string;
  etag: string;
  /** Set for repository files: what the Hugging Face resolve route adds. */
  repo: RepoSpec | null;
}

export interface BenchOrigin extends OriginReady {
  traffic(): OriginTraffic;
  close(): Promise<void>;
}

function waitForDrainOrClose(response: ServerResponse): Promise<void> {
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

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

export async function startBenchOrigin(
  catalog: OriginCatalog,
  host = '127.0.0.1',
): Promise<BenchOrigin> {
  const pattern = createPattern();
  const byPath = new Map<string, ServedFile>();
  const sha256: Record<string, string> = {};
  const register = (urlPath: string, content: PatternFile, repo: RepoSpec | null) => {
    const digest = content.sha256();
    byPath.set(urlPath, { content, sha256: digest, etag: `"${digest}"`, repo });
    sha256[urlPath] = digest;
  };
  for (const spec of catalog.files)
    register(fileUrlPath(spec), new PatternFile(spec, pattern), null);
  const repoFiles = new Map<string, Map<string, ServedFile>>();
  for (const repo of catalog.repos) {
    const files = new Map<string, ServedFile>();
    for (const spec of repo.files) {
      register(repoFileUrlPath(repo, spec), new PatternFile(spec, pattern), repo);
      files.set(spec.path, byPath.get(repoFileUrlPath(repo, spec))!);
    }
    repoFiles.set(repo.id, files);
  }

  const traffic: OriginTraffic = { requests: 0, bodyBytes: 0 };
  const paces = new WeakMap<Socket, ConnectionPace>();

  async function streamBody(
    response: ServerResponse,
    file: ServedFile,
    start: number,
    end: number,
    pace: ConnectionPace | null,
  ): Promise<void> {
    const chunkBytes = pace ? PACED_WRITE_BYTES : PLAIN_WRITE_BYTES;
    for (const slice of file.content.slices(start, end, chunkBytes)) {
      if (pace) {
        const waitMs = pace.take(slice.length);
        if (waitMs > 0) await sleep(waitMs);
      }
      if (response.destroyed) return;
      traffic.bodyBytes += slice.length;
      if (!response.write(slice)) await waitForDrainOrClose(response);
      if (response.destroyed) return;
    }
    response.end();
  }

  /** The bytes of one file, with the headers Hugging Face adds on its resolve route. */
  function serveFile(
    request: IncomingMessage,
    response: ServerResponse,
    file: ServedFile,
    pace: ConnectionPace | null,
  ) {
    const size = file.content.size;
    const headers: Record<string, string | number> = {
      'accept-ranges': 'bytes',
      etag: file.etag,
      'last-modified': LAST_MODIFIED,
      'content-type': 'application/octet-stream',
    };
    if (file.repo) {
      headers['x-repo-commit'] = file.repo.commit;
      headers['x-linked-etag'] = file.etag;
      headers['x-linked-size'] = size;
    }
    const ifRange = request.headers['if-range'];
    const answer = answerRange(
      request.headers.range,
      typeof ifRange === 'string' ? ifRange : undefined,
      file.etag,
      size,
    );
    if (answer.kind === 'unsatisfiable') {
      response
        .writeHead(416, { ...headers, 'content-range': `bytes */${size}`, 'content-length': 0 })
        .end();
      return;
    }
    const { start, end } = answer.kind === 'partial' ? answer.range : { start: 0, end: size };
    headers['content-length'] = end - start;
    if (answer.kind === 'partial') headers['content-range'] = `bytes ${start}-${end - 1}/${size}`;
    response.writeHead(answer.kind === 'partial' ? 206 : 200, headers);
    if (request.method === 'HEAD' || start === end) {
      response.end();
      return;
    }
    streamBody(response, file, start, end, pace).catch(() => response.destroy());
  }

  /** /api/models/<org>/<name>/revision/<rev> and /api/models/<org>/<name>/tree/<rev>. */
  function serveHubApi(response: ServerResponse, pathname: string): boolean {
    const match = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree)\/([^/]+)$/.exec(pathname);
    const repo = match ? catalog.repos.find((candidate) => candidate.id === match[1]) : undefined;
    if (!match || !repo) return false;
    const files = [...repoFiles.get(repo.id)!.entries()];
    if (match[2] === 'revision') {
      sendJson(response, 200, {
        id: repo.id,
        sha: repo.commit,
        siblings: files.map(([path]) => ({ rfilename: path })),
      });
    } else {
      sendJson(
        response,
        200,
        files.map(([path, file]) => ({
          type: 'file',
          oid: file.sha256.slice(0, 40),
          size: file.content.size,
          path,
          lfs: { oid: file.sha256, size: file.content.size, pointerSize: 134 },
        })),
      );
    }
    return true;
  }

  function handler(throttled: boolean) {
    return (request: IncomingMessage, response: ServerResponse) => {
      traffic.requests++;
      const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://origin').pathname);
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        sendJson(response, 405, { error: 'Method not allowed' });
        return;
      }
      const file = byPath.get(pathname);
      if (file) {
        let pace: ConnectionPace | null = null;
        if (throttled) {
          const socket = request.socket;
          pace =
            paces.get(socket) ??
            new ConnectionPace(
              catalog.throttleBytesPerSecond,
              Math.max(PACED_WRITE_BYTES, catalog.throttleBytesPerSecond * PACE_BURST_SECONDS),
            );
          paces.set(socket, pace);
        }
        serveFile(request, response, file, pace);
        return;
      }
      if (serveHubApi(response, pathname)) return;
      sendJson(response, 404, { error: `Nothing at ${pathname}` });
    };
  }

  const listen = async (throttled: boolean) => {
    const server = http.createServer(
      { keepAliveTimeout: 60_000, requestTimeout: 0 },
      handler(throttled),
    );
    server.headersTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    return { server, url: `http://${host}:${(server.address() as AddressInfo).port}` };
  };
  const plain = await listen(false);
  const throttled = await listen(true);
  const hub = await listen(false);

  return {
    plainUrl: plain.url,
    throttledUrl: throttled.url,
    hubUrl: hub.url,
    sha256,
    traffic: () => ({ ...traffic }),
    async close() {
      for (const { server } of [plain, throttled, hub]) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
}
