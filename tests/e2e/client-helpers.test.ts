/**
 * @modeldock/client's helpers against the built server: the job event iterator, waitForJob's
 * outcomes (completed, cancelled, aborted wait, unknown job) and the typed errors of a refused call
 * and of a server that is not there.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModeldockClient, isModeldockClientError } from '@modeldock/client';
import type { JobEvent, ModeldockClient, ModeldockClientError } from '@modeldock/client';
import { TRPCClientError } from '@trpc/client';
import { generateBytes, startFileOrigin } from '../support/file-origin';
import type { FileOrigin } from '../support/file-origin';
import { createServerFolders, startServerProcess } from '../support/server-process';
import type { ServerProcess } from '../support/server-process';

function ggufBytes(size: number, seed: number): Buffer {
  const bytes = generateBytes(size, seed);
  bytes.write('GGUF', 0, 'latin1');
  bytes.writeUInt32LE(3, 4);
  return bytes;
}

/** A port nothing listens on: one the OS just handed out and got back. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function rejectionOf(promise: Promise<unknown>): Promise<ModeldockClientError> {
  try {
    await promise;
  } catch (error) {
    if (isModeldockClientError(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('@modeldock/client helpers (built server)', () => {
  let folders: Awaited<ReturnType<typeof createServerFolders>>;
  let origin: FileOrigin;
  let server: ServerProcess;
  let client: ModeldockClient;

  beforeAll(async () => {
    folders = await createServerFolders();
    origin = await startFileOrigin();
    server = await startServerProcess({ folders });
    client = createModeldockClient({ url: server.url, retryDelayMs: () => 200 });
  }, 180_000);

  afterAll(async () => {
    await client?.close();
    await server?.stop('SIGTERM');
    await origin?.close();
    await folders?.remove();
  });

  it('iterates a job’s events in order until it completes; leaving the loop unsubscribes', async () => {
    origin.setThrottle(4 * 1024 * 1024);
    const file = origin.addFile('events.gguf', { bytes: ggufBytes(2 * 1024 * 1024, 51) });
    const { jobId } = await client.downloads.enqueue.mutate({ url: file.url, folder: 'checkpoints' });
    const seen: JobEvent[] = [];
    for await (const event of client.jobEvents(jobId)) {
      seen.push(event);
      if (event.job?.status === 'completed') break;
    }
    origin.setThrottle(null);
    expect(seen.every((event) => event.jobId === jobId)).toBe(true);
    expect(seen.some((event) => event.type === 'progress')).toBe(true);
    expect(seen.at(-1)?.job?.bytesDone).toBe(file.bytes.length);

    // Replay: after the first event's id, every later stored event comes back.
    const replayed: JobEvent[] = [];
    const stop = new AbortController();
    for await (const event of client.jobEvents(jobId, {
      lastEventId: seen[0]!.id,
      signal: stop.signal,
    })) {
      replayed.push(event);
      if (event.job?.status === 'completed') stop.abort();
    }
    expect(replayed.at(-1)?.job?.status).toBe('completed');
  });

  it('waitForJob resolves with the completed job and reports progress on the way', async () => {
    const file = origin.addFile('wait.gguf', { bytes: ggufBytes(1024 * 1024, 52) });
    const { jobId } = await client.downloads.enqueue.mutate({ url: file.url, folder: 'checkpoints' });
    const statuses: string[] = [];
    const job = await client.waitForJob(jobId, {
      onProgress: (update) => statuses.push(update.status),
    });
    expect(job.status).toBe('completed');
    expect(job.files[0]?.sha256).toBe(file.sha256);
    expect(statuses.at(-1)).toBe('completed');
    // A job that is already finished resolves at once.
    expect((await client.waitForJob(jobId)).id).toBe(jobId);
  });

  it('waitForJob rejects with CANCELLED for a cancelled job, and stops waiting on abort', async () => {
    origin.holdAfter(64 * 1024);
    try {
      const file = origin.addFile('cancelled.gguf', { bytes: ggufBytes(1024 * 1024, 53) });
      const { jobId } = await client.downloads.enqueue.mutate({ url: file.url, folder: 'checkpoints' });

      const stop = new AbortController();
      const aborted = rejectionOf(client.waitForJob(jobId, { signal: stop.signal }));
      stop.abort();
      const abortError = await aborted;
      expect(abortError.kind).toBe('aborted');

      const waiting = rejectionOf(client.waitForJob(jobId));
      await client.downloads.cancel.mutate({ jobId });
      const error = await waiting;
      expect(error.modeldockCode).toBe('CANCELLED');
      expect(error.kind).toBe('job');
      expect(error.job?.status).toBe('cancelled');
    } finally {
      origin.release();
    }
  });

  it('rejects refused calls with ModeldockClientError (still a TRPCClientError) carrying the code', async () => {
    const unknown = await rejectionOf(client.downloads.get.query({ jobId: 'no-such-job' }));
    expect(unknown).toBeInstanceOf(TRPCClientError);
    expect(unknown.modeldockCode).toBe('JOB_NOT_FOUND');
    expect(unknown.httpStatus).toBe(404);
    expect(unknown.kind).toBe('api');
    const waited = await rejectionOf(client.waitForJob('no-such-job'));
    expect(waited.modeldockCode).toBe('JOB_NOT_FOUND');

    const bad = await rejectionOf(
      client.downloads.enqueue.mutate({ url: 'ftp://example.com/x.gguf' }),
    );
    expect(bad.modeldockCode).toBe('UNSUPPORTED_SCHEME');
  });

  it('says a server that is not there is unreachable', async () => {
    const port = await closedPort();
    const nowhere = createModeldockClient({ url: `http://127.0.0.1:${port}` });
    const error = await rejectionOf(nowhere.health.query());
    expect(error.kind).toBe('unreachable');
    expect(error.modeldockCode).toBe('CONNECTION_REFUSED');
    expect(error.message).toContain(
      `Cannot reach the modeldock server at http://127.0.0.1:${port}/trpc`,
    );
    await nowhere.close();
  });
});
