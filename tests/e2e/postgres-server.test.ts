/**
 * The built server on PostgreSQL (when TEST_DATABASE_URL names a server; skipped with a printed
 * reason otherwise), in a scratch database created and dropped here. Two server processes share the
 * database: a subscriber on one sees, live, the job the other one runs, and can pause and resume it.
 */
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchPostgresDatabase } from '@modeldock/db/testing';
import type { ScratchPostgresDatabase } from '@modeldock/db/testing';
import { startFileOrigin } from '../support/file-origin';
import type { FileOrigin } from '../support/file-origin';
import { startServerProcess } from '../support/server-process';
import type { ServerProcess } from '../support/server-process';
import {
  collectEvents,
  connectHttp,
  connectWebSocket,
  sha256OfFile,
  waitFor,
  waitForJob,
  waitForStatus,
} from './api-client';
import type { WebSocketApi } from './api-client';

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL?.trim() || null;
const KIB = 1024;

if (!TEST_DATABASE_URL) {
  console.log(
    '[e2e on PostgreSQL] skipped: TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test)',
  );
}

describe.skipIf(!TEST_DATABASE_URL)(
  'the built server on PostgreSQL, two processes sharing it',
  () => {
    let scratch: ScratchPostgresDatabase;
    let root: string;
    let origin: FileOrigin;
    const servers: ServerProcess[] = [];
    const sockets: WebSocketApi[] = [];

    beforeAll(async () => {
      scratch = await createScratchPostgresDatabase(TEST_DATABASE_URL!);
      root = await mkdtemp(path.join(tmpdir(), 'modeldock-e2e-pg-'));
      origin = await startFileOrigin();
    });

    afterAll(async () => {
      for (const socket of sockets) await socket.close();
      for (const server of servers) await server.stop('SIGTERM');
      await origin?.close();
      await scratch?.drop();
      if (root) await rm(root, { recursive: true, force: true });
    });

    function startOn(name: string) {
      // Each process has its own data folder (logs); the models folder is shared, as in a real deployment.
      return startServerProcess({
        folders: { dataDir: path.join(root, `data-${name}`), modelsDir: path.join(root, 'models') },
        env: { DATABASE_URL: scratch.url },
      }).then((server) => {
        servers.push(server);
        return server;
      });
    }

    it('runs jobs on PostgreSQL, and a subscriber on another process sees them live and controls them', async () => {
      const watched = origin.addFile('watched.dat', { size: 1024 * KIB, seed: 71 });
      const controlled = origin.addFile('controlled.dat', { size: 1024 * KIB, seed: 72 });
      origin.setThrottle(256 * KIB);
      origin.holdAfter(256 * KIB);

      const runner = await startOn('a');
      const runnerApi = connectHttp(runner.url);
      expect(await runnerApi.health.query()).toMatchObject({ ok: true, database: 'postgres' });
      const { jobId: watchedId } = await runnerApi.downloads.enqueue.mutate({
        url: watched.url,
        folder: 'checkpoints',
      });
      const { jobId: controlledId } = await runnerApi.downloads.enqueue.mutate({
        url: controlled.url,
        folder: 'loras',
      });
      for (const jobId of [watchedId, controlledId]) {
        await waitForJob(
          runnerApi,
          jobId,
          (job) => job.status === 'running' && job.bytesDone > 0,
          'running on process a',
        );
      }

      // Process b starts while a holds both jobs' leases: b never runs them, it only hears about them.
      const watcher = await startOn('b');
      const watcherApi = connectHttp(watcher.url);
      expect(await watcherApi.health.query()).toMatchObject({ database: 'postgres' });
      const socket = connectWebSocket(watcher.url);
      sockets.push(socket);
      const feed = collectEvents(socket.api);
      await waitFor(() => socket.opens() > 0, 'the WebSocket to b to open');
      expect((await watcherApi.downloads.list.query()).items.map((job) => job.id)).toEqual(
        expect.arrayContaining([watchedId, controlledId]),
      );

      // Progress of a job only a runs reaches b's subscriber too (read from a's durable progress).
      const remoteProgress = await feed.waitFor(
        (event) =>
          event.jobId === watchedId && event.type === 'progress' && (event.job?.bytesDone ?? 0) > 0,
        'progress of a job run by a, seen on b',
      );
      expect(remoteProgress.id).toMatch(/^\d+\.\d+$/);

      // Control across processes: b pauses a job a is running; a notices through its lease and stops writing.
      await watcherApi.downloads.pause.mutate({ jobId: controlledId });
      await waitFor(
        () => origin.requestsFor('controlled.dat').every((request) => request.closed),
        'a to stop the paused transfer',
        15_000,
      );
      expect((await runnerApi.downloads.get.query({ jobId: controlledId })).status).toBe('paused');

      // a finishes the watched job; b's subscriber sees it complete although b never touched it.
      origin.release();
      origin.setThrottle(null);
      await feed.waitFor(
        (event) => event.jobId === watchedId && event.job?.status === 'completed',
        'completed on a, seen on b',
      );
      expect(await sha256OfFile(path.join(root, 'models/checkpoints/watched.dat'))).toBe(
        watched.sha256,
      );

      await watcherApi.downloads.resume.mutate({ jobId: controlledId });
      const done = await waitForStatus(runnerApi, controlledId, 'completed');
      expect(done.files[0]!.sha256).toBe(controlled.sha256);
      await feed.waitFor(
        (event) => event.jobId === controlledId && event.job?.status === 'completed',
        'controlled job completed',
      );
      expect(await sha256OfFile(path.join(root, 'models/loras/controlled.dat'))).toBe(
        controlled.sha256,
      );
    }, 180_000);
  },
);
