/**
 * Failure case 16, many times over (the "download engine" issue's "done when"): the built server
 * downloads a 96 MiB file over several throttled connections and is SIGKILLed five times at varied
 * moments, each time started again on the same folders. At every kill nothing unverified sits at
 * the final path; after every restart the job carries on by itself from its durable segments; the
 * file ends with the origin's SHA-256, no temp file is left, and the origin served little more than
 * the file once.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobSummary } from '@modeldock/engine';
import { startFileOrigin } from '../support/file-origin';
import type { FileOrigin } from '../support/file-origin';
import { createServerFolders, startServerProcess } from '../support/server-process';
import type { ServerProcess, TemporaryServerFolders } from '../support/server-process';
import { connectHttp, listFiles, sha256OfFile, waitForJob, waitForStatus } from './api-client';

const MIB = 1024 * 1024;
const SIZE = 96 * MIB;
const CONNECTIONS = 4;
/** Per connection: 4 × 2 MiB/s makes the 96 MiB take about 12 s of transfer, long enough to aim at. */
const THROTTLE_BPS = 2 * MIB;
const NAME = 'kill-restart.dat';
const FOLDER = 'checkpoints';

const ENGINE_SETTINGS = {
  MODELDOCK_CONNECTIONS_PER_FILE: String(CONNECTIONS),
  MODELDOCK_SEGMENT_THRESHOLD_BYTES: String(16 * MIB),
  // The durable record moves every 100 ms while bytes flow (also in FAST_TEST_SETTINGS; the bound below uses it).
  MODELDOCK_SYNC_INTERVAL_MS: '100',
};

/**
 * When to kill, by what the API shows. `seenAtLastKill` is the byte count seen when the previous
 * run was killed: progress past it is progress the new run made by itself.
 */
const KILLS: Array<{ moment: string; due: (job: JobSummary, seenAtLastKill: number) => boolean }> =
  [
    { moment: 'early, past 10 %', due: (job) => job.bytesDone >= 0.1 * SIZE },
    {
      moment: 'as soon as bytes flow again after the restart',
      due: (job, seen) => job.bytesDone > seen,
    },
    { moment: 'midway, past 45 %', due: (job) => job.bytesDone >= 0.45 * SIZE },
    { moment: 'past 70 %', due: (job) => job.bytesDone >= 0.7 * SIZE },
    { moment: 'near the end, past 92 %', due: (job) => job.bytesDone >= 0.92 * SIZE },
  ];

describe('SIGKILL during a segmented download, again and again (built server, PGlite)', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  it('never leaves unverified bytes at the final path, resumes by itself each time and ends with the exact file', async () => {
    const folders: TemporaryServerFolders = await createServerFolders();
    cleanups.push(() => folders.remove());
    const origin: FileOrigin = await startFileOrigin();
    cleanups.push(() => origin.close());
    const file = origin.addFile(NAME, { size: SIZE, seed: 96 });
    origin.setThrottle(THROTTLE_BPS);
    let server: ServerProcess | null = null;
    cleanups.push(async () => server?.stop('SIGKILL'));
    const start = async () => {
      server = await startServerProcess({ folders, env: ENGINE_SETTINGS });
      return { server, api: connectHttp(server.url) };
    };
    const finalPath = path.join(folders.modelsDir, FOLDER, NAME);

    let { server: running, api } = await start();
    const { jobId } = await api.downloads.enqueue.mutate({ url: file.url, folder: FOLDER });
    let seenAtLastKill = 0;
    for (const kill of KILLS) {
      const job = await waitForJob(
        api,
        jobId,
        (current) => current.status === 'completed' || kill.due(current, seenAtLastKill),
        `progress to kill ${kill.moment}`,
        120_000,
      );
      // The throttle leaves seconds between these moments: the download must still be under way.
      expect(job.status, kill.moment).toBe('running');
      seenAtLastKill = job.bytesDone;
      const exit = await running.stop('SIGKILL');
      expect(exit.signal, running.output()).toBe('SIGKILL');

      // Nothing unverified at the final path: only the partial, beside it under a temp name.
      expect(existsSync(finalPath), kill.moment).toBe(false);
      const onDisk = await listFiles(folders.modelsDir);
      expect(onDisk, kill.moment).toHaveLength(1);
      expect(onDisk[0], kill.moment).toMatch(
        new RegExp(`^${FOLDER}/\\.${NAME.replace('.', '\\.')}\\..+\\.modeldock-part$`),
      );

      ({ server: running, api } = await start());
      // No resume or retry is asked for: the job picks up where its durable segments end.
      await waitForJob(
        api,
        jobId,
        (current) => current.status === 'completed' || current.bytesDone > seenAtLastKill,
        `the job to carry on after the restart that followed the kill ${kill.moment}`,
        120_000,
      );
    }

    const done = await waitForStatus(api, jobId, 'completed', 180_000);
    expect(done.files[0]!.sha256).toBe(file.sha256);
    expect(await sha256OfFile(finalPath)).toBe(file.sha256);
    expect(await listFiles(folders.modelsDir)).toEqual([`${FOLDER}/${NAME}`]);

    // Each kill throws away what arrived since the last durable record: at most the connections ×
    // throttle × (sync interval + the fsync and database write that make it durable), here
    // 4 × 2 MiB/s × (0.1 s + up to ~0.4 s on a busy disk) ≈ 4 MiB, plus what each connection holds
    // in its socket buffer, read-ahead queue and staging slab, nearly nothing while the throttle and
    // not the disk sets the pace. Five kills: under 24 MiB, a quarter of the 96 MiB (about 8 % was
    // measured on an idle machine).
    const served = origin.bytesSentFor(NAME);
    expect(served).toBeGreaterThanOrEqual(SIZE);
    expect(served).toBeLessThanOrEqual(1.25 * SIZE);
    // After the first, every request is a range guarded by the ETag: nothing starts from zero again.
    const downloads = origin.requestsFor(NAME).filter((request) => request.method === 'GET');
    for (const request of downloads.slice(1)) {
      expect(request.status).toBe(206);
      expect(request.headers['if-range']).toBe(file.etag);
    }
  }, 400_000);
});
