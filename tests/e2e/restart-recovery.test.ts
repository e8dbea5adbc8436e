/**
 * Failure cases 16 and 21 on the built server: stopped mid-download, gracefully (SIGTERM) or not
 * (SIGKILL), and started again on the same folders, it keeps its job list and the running job
 * carries on by itself from its durable offset to the origin's exact bytes. A WebSocket client
 * that reconnects by itself (resending `lastEventId`) misses no stored status change.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFileOrigin } from '../support/file-origin';
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
import type { WebSocketApi } from './api-client';

const KIB = 1024;

describe('restarts (built server, PGlite)', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  async function setUp() {
    const folders = await createServerFolders();
    cleanups.push(() => folders.remove());
    const origin: FileOrigin = await startFileOrigin();
    cleanups.push(() => origin.close());
    const servers: ServerProcess[] = [];
    cleanups.push(async () => {
      for (const server of servers) await server.stop('SIGKILL');
    });
    const start = async (port?: number) => {
      const server = await startServerProcess({ folders, port });
      servers.push(server);
      return server;
    };
    return { folders, origin, start };
  }

  it('SIGTERM: the job list is kept, the running job resumes from its recorded offset, and a reconnecting client misses no status change', async () => {
    const { origin, start } = await setUp();
    const file = origin.addFile('restart-term.dat', { size: 2 * 1024 * KIB, seed: 51 });
    const parked = origin.addFile('parked.dat', { size: 256 * KIB, seed: 52 });
    origin.setThrottle(256 * KIB);
    origin.holdAfter(384 * KIB);

    const first = await start();
    const api = connectHttp(first.url);
    const socket: WebSocketApi = connectWebSocket(first.url);
    cleanups.push(() => socket.close());
    const feed = collectEvents(socket.api);
    await waitFor(() => socket.opens() > 0, 'the WebSocket to open');

    const { jobId } = await api.downloads.enqueue.mutate({ url: file.url, folder: 'checkpoints' });
    const { jobId: parkedId } = await api.downloads.enqueue.mutate({
      url: parked.url,
      folder: 'checkpoints',
      priority: 0,
    });
    await api.downloads.pause.mutate({ jobId: parkedId }).catch(() => undefined);
    await waitForJob(api, jobId, (job) => job.bytesDone >= 384 * KIB, '384 KiB received');
    await feed.waitFor(
      (event) => event.jobId === jobId && event.job?.status === 'running',
      'running',
    );

    const exit = await first.stop('SIGTERM');
    expect(exit, first.output()).toEqual({ code: 0, signal: null });
    expect(first.output()).toContain('modeldock stopped');
    const requestsBeforeRestart = origin.requestsFor('restart-term.dat').length;

    origin.release();
    origin.setThrottle(null);
    const second = await start(first.port);
    const api2 = connectHttp(second.url);

    const listed = await api2.downloads.list.query();
    expect(listed.items.map((job) => job.id)).toEqual(expect.arrayContaining([jobId, parkedId]));
    const done = await waitForStatus(api2, jobId, 'completed');
    expect(done.files[0]!.sha256).toBe(file.sha256);
    expect(await sha256OfFile(path.join(second.modelsDir, 'checkpoints/restart-term.dat'))).toBe(
      file.sha256,
    );

    const afterRestart = origin.requestsFor('restart-term.dat').slice(requestsBeforeRestart);
    expect(afterRestart[0]?.status).toBe(206);
    expect(afterRestart[0]!.start).toBeGreaterThan(0);

    const parkedNow = await api2.downloads.get.query({ jobId: parkedId });
    expect(['paused', 'completed']).toContain(parkedNow.status);

    // The client reconnected on its own, resending the last id it saw, and got every stored event.
    await feed.waitFor(
      (event) => event.jobId === jobId && event.job?.status === 'completed',
      'completed after reconnect',
    );
    expect(socket.opens()).toBeGreaterThanOrEqual(2);
    const freshSocket = connectWebSocket(second.url);
    cleanups.push(() => freshSocket.close());
    const replay = collectEvents(freshSocket.api, { jobId, lastEventId: '0' });
    await replay.waitFor((event) => event.job?.status === 'completed', 'full replay');
    const storedIds = replay.events
      .filter((event) => !event.id.includes('.'))
      .map((event) => event.id);
    const seenIds = new Set(
      feed.events.filter((event) => event.jobId === jobId).map((event) => event.id),
    );
    expect(storedIds.length).toBeGreaterThanOrEqual(4);
    expect(storedIds.filter((id) => !seenIds.has(id))).toEqual([]);
  }, 180_000);

  it('SIGKILL: nothing unverified at the final path; on restart the job carries on from its durable offset to the right SHA-256', async () => {
    const { origin, start } = await setUp();
    const file = origin.addFile('restart-kill.dat', { size: 2 * 1024 * KIB, seed: 61 });
    origin.setThrottle(256 * KIB);
    origin.holdAfter(512 * KIB);

    const first = await start();
    const api = connectHttp(first.url);
    const { jobId } = await api.downloads.enqueue.mutate({ url: file.url, folder: 'loras' });
    await waitForJob(api, jobId, (job) => job.bytesDone >= 512 * KIB, '512 KiB received');
    // Let the last periodic fsync and its database write land; what they recorded is what resumes.
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const exit = await first.stop('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');
    const finalPath = path.join(first.modelsDir, 'loras/restart-kill.dat');
    await expect(stat(finalPath)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await listFiles(first.modelsDir)).length).toBe(1);
    const requestsBeforeRestart = origin.requestsFor('restart-kill.dat').length;

    origin.release();
    origin.setThrottle(null);
    const second = await start();
    const api2 = connectHttp(second.url);
    expect((await api2.downloads.list.query()).items.map((job) => job.id)).toContain(jobId);
    const done = await waitForStatus(api2, jobId, 'completed');
    expect(done.files[0]!.sha256).toBe(file.sha256);
    expect(await sha256OfFile(finalPath)).toBe(file.sha256);
    expect(await listFiles(second.modelsDir)).toEqual(['loras/restart-kill.dat']);

    const afterRestart = origin.requestsFor('restart-kill.dat').slice(requestsBeforeRestart);
    expect(afterRestart[0]?.status).toBe(206);
    expect(afterRestart[0]!.start).toBeGreaterThan(0);
  }, 180_000);
});
