/**
 * The built server end to end, on its embedded database: a job enqueued over HTTP is reported over
 * WebSocket as it runs and ends with the origin's exact bytes at its final path; cancel stops the
 * transfer and removes the partial; pause keeps it and resume carries on from it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TEMP_SUFFIX } from '@modeldock/engine';
import { generateBytes, startFileOrigin } from '../support/file-origin';
import type { FileOrigin } from '../support/file-origin';
import { createServerFolders, startServerProcess } from '../support/server-process';
import type { ServerProcess } from '../support/server-process';
import {
  collectEvents,
  connectHttp,
  connectWebSocket,
  listFiles,
  sha256OfFile,
  waitFor,
  waitForJob,
  waitForStatus,
} from './api-client';
import type { Api, WebSocketApi } from './api-client';
import serverPackage from '../../apps/server/package.json' with { type: 'json' };

/** A file the format check accepts as GGUF: magic, version 3, then payload. */
function ggufBytes(size: number, seed: number): Buffer {
  const bytes = generateBytes(size, seed);
  bytes.write('GGUF', 0, 'latin1');
  bytes.writeUInt32LE(3, 4);
  return bytes;
}

describe('downloads end to end (built server, PGlite)', () => {
  let folders: Awaited<ReturnType<typeof createServerFolders>>;
  let origin: FileOrigin;
  let server: ServerProcess;
  let api: Api;
  let socket: WebSocketApi;

  beforeAll(async () => {
    folders = await createServerFolders();
    origin = await startFileOrigin();
    server = await startServerProcess({ folders });
    api = connectHttp(server.url);
    socket = connectWebSocket(server.url);
  }, 180_000);

  afterEach(() => {
    origin.release();
    origin.setThrottle(null);
  });

  afterAll(async () => {
    await socket?.close();
    const exit = await server?.stop('SIGTERM');
    await origin?.close();
    await folders?.remove();
    expect(exit?.code, server?.output()).toBe(0);
  });

  it('reports its health, version, database, node name and workers (itself)', async () => {
    const health = await api.health.query();
    expect(health).toEqual({
      ok: true,
      version: serverPackage.version,
      database: 'pglite',
      node: expect.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]*$/),
      workers: [expect.objectContaining({ alive: true, self: true, runningJobIds: [] })],
    });
    expect(health.workers[0]!.name).toBe(health.node);
  });

  it('enqueue → live events over WebSocket → completed, with the origin’s exact bytes at the final path', async () => {
    const file = origin.addFile('z-image-turbo-Q8_0.gguf', {
      bytes: ggufBytes(3 * 1024 * 1024 + 17, 11),
    });
    const feed = collectEvents(socket.api);
    await waitFor(() => socket.opens() > 0, 'the WebSocket to open');

    const { jobId, attached } = await api.downloads.enqueue.mutate({
      url: file.url,
      folder: 'diffusion_models',
      sha256: file.sha256.toUpperCase(),
    });
    expect(attached).toBe(false);

    const completed = await feed.waitFor(
      (event) => event.jobId === jobId && event.job?.status === 'completed',
      'completed',
    );
    feed.stop();
    const mine = feed.events.filter((event) => event.jobId === jobId);
    expect(mine[0]).toMatchObject({ type: 'created' });
    expect(feed.statuses()).toContain('running');
    // Stored events carry integer ids, progress events `<stored>.<n>`; all are increasing.
    for (const event of mine) expect(event.id).toMatch(/^\d+(\.\d+)?$/);

    expect(completed.job).toMatchObject({
      status: 'completed',
      bytesDone: file.bytes.length,
      bytesTotal: file.bytes.length,
      files: [
        {
          relativePath: 'diffusion_models/z-image-turbo-Q8_0.gguf',
          sha256: file.sha256,
          format: 'gguf',
          status: 'completed',
        },
      ],
    });
    expect(typeof completed.job!.createdAt).toBe('string');
    expect(new Date(completed.job!.finishedAt!).toISOString()).toBe(completed.job!.finishedAt);

    const finalPath = path.join(server.modelsDir, 'diffusion_models/z-image-turbo-Q8_0.gguf');
    expect(await sha256OfFile(finalPath)).toBe(file.sha256);
    expect((await readFile(finalPath)).equals(file.bytes)).toBe(true);
    expect(
      (await listFiles(server.modelsDir)).filter((name) => name.endsWith(TEMP_SUFFIX)),
    ).toEqual([]);

    const { items } = await api.downloads.list.query();
    expect(items.find((job) => job.id === jobId)?.status).toBe('completed');

    const log = await readFile(path.join(server.dataDir, 'logs/downloads.log'), 'utf8');
    const lines = log
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.some((line) => line.jobId === jobId)).toBe(true);
  });

  it('cancel stops the transfer and removes the partial file', async () => {
    const file = origin.addFile('cancel-me.dat', { size: 2 * 1024 * 1024, seed: 21 });
    origin.holdAfter(256 * 1024);
    const { jobId } = await api.downloads.enqueue.mutate({ url: file.url, folder: 'loras' });

    await waitForJob(
      api,
      jobId,
      (job) => job.status === 'running' && job.bytesDone > 0,
      'bytes arriving',
    );
    const partials = await listFiles(path.join(server.modelsDir, 'loras'));
    expect(partials.some((name) => name.endsWith(TEMP_SUFFIX))).toBe(true);

    const cancelled = await api.downloads.cancel.mutate({ jobId });
    expect(cancelled.status).toBe('cancelled');
    await waitFor(
      () => origin.requestsFor('cancel-me.dat').every((request) => request.closed),
      'the transfer to stop',
    );
    await waitFor(
      async () => (await listFiles(path.join(server.modelsDir, 'loras'))).length === 0,
      'the partial to be removed',
    );
    expect((await api.downloads.get.query({ jobId })).status).toBe('cancelled');
  });

  it('pause keeps the partial and stops the transfer; resume carries on from it with Range and If-Range', async () => {
    const file = origin.addFile('pause-me.dat', { size: 2 * 1024 * 1024, seed: 31 });
    origin.setThrottle(512 * 1024);
    origin.holdAfter(512 * 1024);
    const { jobId } = await api.downloads.enqueue.mutate({ url: file.url, folder: 'checkpoints' });
    await waitForJob(api, jobId, (job) => job.bytesDone >= 512 * 1024, 'half a megabyte');

    const paused = await api.downloads.pause.mutate({ jobId });
    expect(paused.status).toBe('paused');
    await waitFor(
      () => origin.requestsFor('pause-me.dat').every((request) => request.closed),
      'the transfer to stop',
    );
    const pausedJob = await api.downloads.get.query({ jobId });
    expect(pausedJob.status).toBe('paused');
    expect(pausedJob.bytesDone).toBeGreaterThan(0);
    expect(
      (await listFiles(server.modelsDir)).some(
        (name) => name.includes('pause-me.dat') && name.endsWith(TEMP_SUFFIX),
      ),
    ).toBe(true);

    const requestsBeforeResume = origin.requestsFor('pause-me.dat').length;
    origin.release();
    origin.setThrottle(null);
    await api.downloads.resume.mutate({ jobId });
    const done = await waitForStatus(api, jobId, 'completed');
    expect(done.files[0]!.sha256).toBe(file.sha256);
    expect(await sha256OfFile(path.join(server.modelsDir, 'checkpoints', 'pause-me.dat'))).toBe(file.sha256);

    const resumed = origin.requestsFor('pause-me.dat').slice(requestsBeforeResume);
    expect(resumed[0]?.status).toBe(206);
    expect(resumed[0]!.start).toBeGreaterThan(0);
    expect(resumed[0]!.headers['if-range']).toBe(file.etag);
    // Nothing downloaded twice beyond what was not yet durable at the pause.
    expect(origin.bytesSentFor('pause-me.dat')).toBeLessThan(file.bytes.length + 512 * 1024);
  });

  it('lastEventId: a client back after a disconnect gets every status change it missed, in order, once', async () => {
    const file = origin.addFile('replay.dat', { size: 1024 * 1024, seed: 81 });
    origin.holdAfter(128 * 1024);
    const before = collectEvents(socket.api);
    const { jobId } = await api.downloads.enqueue.mutate({ url: file.url, folder: 'checkpoints' });
    await before.waitFor(
      (event) => event.jobId === jobId && event.job?.status === 'running',
      'running',
    );
    before.stop();
    const lastSeen = before.events.at(-1)!.id;

    // Everything below happens while the client is away.
    await api.downloads.pause.mutate({ jobId });
    origin.release();
    await api.downloads.resume.mutate({ jobId });
    await waitForStatus(api, jobId, 'completed');

    const after = collectEvents(socket.api, { jobId, lastEventId: lastSeen });
    await after.waitFor((event) => event.job?.status === 'completed', 'completed, replayed');
    after.stop();
    const stored = after.events.filter((event) => !event.id.includes('.'));
    const statuses = stored.map((event) => event.job?.status);
    expect(statuses).toContain('paused');
    expect(statuses.indexOf('paused')).toBeLessThan(statuses.indexOf('completed'));
    const ids = stored.map((event) => BigInt(event.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);
    expect(ids.every((id) => id > BigInt(lastSeen.split('.')[0]!))).toBe(true);
    expect(after.events.every((event) => event.jobId === jobId)).toBe(true);
  });

  it('the same destination requested twice attaches to the running job', async () => {
    const file = origin.addFile('twice.dat', { size: 1024 * 1024, seed: 41 });
    origin.holdAfter(64 * 1024);
    const first = await api.downloads.enqueue.mutate({ url: file.url, folder: 'vae' });
    const second = await api.downloads.enqueue.mutate({ url: file.url, folder: 'vae' });
    expect(second).toMatchObject({ jobId: first.jobId, attached: true });
    origin.release();
    await waitForStatus(api, first.jobId, 'completed');
    expect(origin.requestsFor('twice.dat').filter((request) => request.start === 0)).toHaveLength(
      1,
    );
  });

  it('clearFinished removes finished jobs from the list but never their files', async () => {
    const before = await api.downloads.list.query();
    const finished = before.items.filter((job) =>
      ['completed', 'failed', 'cancelled'].includes(job.status),
    );
    expect(finished.length).toBeGreaterThan(0);
    const { removed } = await api.downloads.clearFinished.mutate();
    expect(removed).toBe(finished.length);
    expect(
      (await api.downloads.list.query()).items.filter((job) => job.status === 'completed'),
    ).toEqual([]);
    expect(
      await sha256OfFile(path.join(server.modelsDir, 'diffusion_models/z-image-turbo-Q8_0.gguf')),
    ).toMatch(/^[0-9a-f]{64}$/);
  });
});
