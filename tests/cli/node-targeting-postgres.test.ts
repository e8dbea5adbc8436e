/**
 * Several machines on one PostgreSQL (TEST_DATABASE_URL; skipped with the reason printed without
 * it): two built servers, node-a and node-b, each with its own models folder, driven with the built
 * `modeldock` command. A job added on A with `--node node-b` waits ("waiting for node-b") while B
 * is down and A never takes it; once B runs, B downloads it into B's folder and A's stays empty.
 * `modeldock workers` and `health` show the processes, their heartbeats and running jobs.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchPostgresDatabase } from '@modeldock/db/testing';
import type { ScratchPostgresDatabase } from '@modeldock/db/testing';
import { startFileOrigin } from '../support/file-origin';
import type { FileOrigin } from '../support/file-origin';
import { ggufFile } from '../support/model-bytes';
import { startServerProcess } from '../support/server-process';
import type { ServerProcess } from '../support/server-process';
import { runCli } from '../support/cli-process';
import { connectHttp } from '../e2e/api-client';

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL?.trim() || null;
/** FAST_TEST_SETTINGS' lease: a worker silent this long is down; claims are polled a third as often. */
const LEASE_MS = 3_000;

if (!TEST_DATABASE_URL) {
  console.log(
    '[several machines on PostgreSQL] skipped: TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test)',
  );
}

interface ListedJob {
  id: string;
  status: string;
  node: string | null;
  waitingFor: string | null;
  files: { relativePath: string }[];
}

describe.skipIf(!TEST_DATABASE_URL)('jobs for a node, two servers sharing PostgreSQL', () => {
  let scratch: ScratchPostgresDatabase;
  let root: string;
  let origin: FileOrigin;
  let a: ServerProcess;
  let b: ServerProcess | null = null;

  beforeAll(async () => {
    scratch = await createScratchPostgresDatabase(TEST_DATABASE_URL!);
    root = await mkdtemp(path.join(tmpdir(), 'modeldock-nodes-'));
    origin = await startFileOrigin();
    a = await startNode('node-a');
  }, 180_000);

  afterAll(async () => {
    await b?.stop('SIGTERM');
    await a?.stop('SIGTERM');
    await origin?.close();
    await scratch?.drop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  function startNode(name: string): Promise<ServerProcess> {
    return startServerProcess({
      folders: {
        dataDir: path.join(root, `data-${name}`),
        modelsDir: path.join(root, `models-${name}`),
      },
      env: { DATABASE_URL: scratch.url, MODELDOCK_NODE_NAME: name },
    });
  }

  const cli = (args: string[]) => runCli(args, { env: { MODELDOCK_URL: a.url } });

  async function listed(jobId: string): Promise<ListedJob> {
    const result = await cli(['ls', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const job = (JSON.parse(result.stdout) as { items: ListedJob[] }).items.find(
      (item) => item.id === jobId,
    );
    if (!job) throw new Error(`job ${jobId} is not listed: ${result.stdout}`);
    return job;
  }

  async function addFor(node: string, name: string): Promise<string> {
    const file = origin.addFile(name, {
      bytes: ggufFile(
        { 'general.architecture': 'llama', 'general.name': name },
        { totalSize: 64 * 1024 },
      ),
    });
    const result = await cli(['add', file.url, '--folder', 'llm', '--node', node, '--json']);
    expect(result.code, result.stderr).toBe(0);
    return (JSON.parse(result.stdout) as { queued: { jobId: string } }).queued.jobId;
  }

  it('a job for node-b waits while node-b is down, then node-b alone downloads it into its own folder', async () => {
    const jobId = await addFor('node-b', 'for-b.gguf');
    // Several of A's claim rounds go by: the job stays queued, and says for whom.
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS));
    expect(await listed(jobId)).toMatchObject({
      status: 'queued',
      node: 'node-b',
      waitingFor: 'node-b',
    });
    const text = await cli(['ls']);
    expect(text.stdout).toMatch(new RegExp(`${jobId}\\s+waiting for node-b`));
    expect(existsSync(path.join(a.modelsDir, 'llm/for-b.gguf'))).toBe(false);

    const workersBefore = JSON.parse((await cli(['workers', '--json'])).stdout) as {
      node: string;
      items: { name: string; alive: boolean }[];
    };
    expect(workersBefore).toMatchObject({
      node: 'node-a',
      items: [{ name: 'node-a', alive: true }],
    });

    b = await startNode('node-b');
    const watched = await cli(['watch', jobId]);
    expect(watched.code, watched.stderr).toBe(0);
    expect(await listed(jobId)).toMatchObject({
      status: 'completed',
      node: 'node-b',
      waitingFor: null,
    });
    const onB = await readFile(path.join(b.modelsDir, 'llm/for-b.gguf'));
    expect(onB.length).toBe(64 * 1024);
    expect(existsSync(path.join(a.modelsDir, 'llm/for-b.gguf'))).toBe(false);
    expect(origin.requestsFor('for-b.gguf').length).toBeGreaterThan(0);

    const health = await connectHttp(a.url).health.query();
    expect(health.node).toBe('node-a');
    expect(health.workers.map((worker) => [worker.name, worker.alive])).toEqual([
      ['node-a', true],
      ['node-b', true],
    ]);
    const workers = await cli(['workers']);
    expect(workers.code, workers.stderr).toBe(0);
    expect(workers.stdout).toMatch(/^node-a \(this server\)\s+alive/m);
    expect(workers.stdout).toMatch(/^node-b\s+alive/m);
  });

  it('while node-b runs a job, workers.list shows it among node-b’s running jobs; once node-b stops, new jobs for it wait again', async () => {
    origin.setThrottle(16 * 1024);
    try {
      const running = await addFor('node-b', 'slow-for-b.gguf');
      const api = connectHttp(a.url);
      let seen: string[] = [];
      for (let attempt = 0; attempt < 100 && !seen.includes(running); attempt++) {
        const list = await api.workers.list.query();
        seen = list.items.find((worker) => worker.name === 'node-b')?.runningJobIds ?? [];
        if (!seen.includes(running)) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(seen).toContain(running);
      const nodeA = (await api.workers.list.query()).items.find(
        (worker) => worker.name === 'node-a',
      );
      expect(nodeA?.runningJobIds).toEqual([]);
    } finally {
      origin.setThrottle(null);
    }

    await b!.stop('SIGTERM');
    b = null;
    const later = await addFor('node-b', 'after-b-stopped.gguf');
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS));
    expect(await listed(later)).toMatchObject({ status: 'queued', waitingFor: 'node-b' });
    expect(existsSync(path.join(a.modelsDir, 'llm/after-b-stopped.gguf'))).toBe(false);
  });
});
