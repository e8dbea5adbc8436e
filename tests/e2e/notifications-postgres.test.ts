/**
 * Notifications with two built server processes sharing PostgreSQL (skipped, with the reason
 * printed, without TEST_DATABASE_URL): jobs run by either process notify exactly once each, both
 * processes show the same notification centre, and the shared outbox sends each webhook once
 * although both processes deliver.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
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
import { connectHttp, waitFor, waitForStatus } from './api-client';

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL?.trim() || null;

if (!TEST_DATABASE_URL) {
  console.log(
    '[notifications on PostgreSQL] skipped: TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test)',
  );
}

describe.skipIf(!TEST_DATABASE_URL)('notifications with two processes sharing PostgreSQL', () => {
  let scratch: ScratchPostgresDatabase;
  let root: string;
  let origin: FileOrigin;
  const servers: ServerProcess[] = [];
  const bodies: string[] = [];
  let receiver: http.Server;
  let receiverUrl: string;

  beforeAll(async () => {
    scratch = await createScratchPostgresDatabase(TEST_DATABASE_URL!);
    root = await mkdtemp(path.join(tmpdir(), 'modeldock-notify-pg-'));
    origin = await startFileOrigin();
    receiver = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString('utf8'));
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    for (const name of ['a', 'b']) {
      servers.push(
        await startServerProcess({
          folders: {
            dataDir: path.join(root, `data-${name}`),
            modelsDir: path.join(root, 'models'),
          },
          env: { DATABASE_URL: scratch.url },
        }),
      );
    }
  }, 120_000);

  afterAll(async () => {
    for (const server of servers) await server.stop('SIGTERM');
    await new Promise<void>((resolve) => receiver?.close(() => resolve()));
    await origin?.close();
    await scratch?.drop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('records and sends each finished job once, whichever process ran it', async () => {
    const [a, b] = servers.map((server) => connectHttp(server.url));
    await a!.notifications.destinations.add.mutate({ kind: 'webhook', url: `${receiverUrl}/hook` });
    const jobIds: string[] = [];
    for (let n = 0; n < 6; n++) {
      const file = origin.addFile(`shared-${n}.dat`, { size: 32 * 1024, seed: 100 + n });
      const api = n % 2 === 0 ? a! : b!;
      jobIds.push((await api.downloads.enqueue.mutate({ url: file.url, folder: 'loras' })).jobId);
    }
    for (const jobId of jobIds) await waitForStatus(a!, jobId, 'completed');

    await waitFor(() => bodies.length >= jobIds.length, 'one webhook per job', 30_000);
    const pageA = await a!.notifications.list.query({ limit: 50 });
    const pageB = await b!.notifications.list.query({ limit: 50 });
    expect(pageA.items.map((item) => item.id)).toEqual(pageB.items.map((item) => item.id));
    expect(pageA.unread).toBe(jobIds.length);
    expect(pageA.items.map((item) => item.subject.jobId).sort()).toEqual([...jobIds].sort());
    expect(pageA.items.every((item) => item.event === 'download.completed')).toBe(true);

    // Both processes run the outbox: give a second send the time it would need, then count.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const sent = bodies.map(
      (body) => (JSON.parse(body) as { subject: { jobId: string } }).subject.jobId,
    );
    expect(sent.sort()).toEqual([...jobIds].sort());
    const [destination] = await b!.notifications.destinations.list.query();
    expect(destination).toMatchObject({
      pendingDeliveries: 0,
      failedDeliveries: 0,
      lastError: null,
    });
  });
});
