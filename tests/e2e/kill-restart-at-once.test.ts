/**
 * Issue 9, item 6: a supervisor restarts modeldock the moment it has sent kill -9, before it has
 * collected the old process: for a while the old pid still exists (exiting, then a zombie).
 * Here each server runs under a shell that never collects it, so every killed server stays a
 * zombie, and the next one is started at once. Ten times in a row every start must succeed (no
 * DATABASE_LOCKED), and the download completes with its bytes verified.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFileOrigin } from '../support/file-origin';
import {
  childEnvironment,
  createServerFolders,
  REPO_ROOT,
  SERVER_ENTRY,
} from '../support/server-process';
import type { ServerFolders } from '../support/server-process';
import { connectHttp, listFiles, sha256OfFile, waitForJob, waitForStatus } from './api-client';

const MIB = 1024 * 1024;
const SIZE = 16 * MIB;
const RESTARTS = 10;
const NAME = 'restart-at-once.dat';
const FOLDER = 'checkpoints';

interface SupervisedServer {
  /** The modeldock process itself. */
  pid: number;
  url: string;
  /** The shell (become `sleep`) that started it and never waits for it. */
  parent: ChildProcess;
  output(): string;
}

/** Starts the built server as the child of a process that never collects it once it dies. */
async function startUnderNonReapingParent(folders: ServerFolders): Promise<SupervisedServer> {
  const parent = spawn(
    'sh',
    ['-c', `"${process.execPath}" "${SERVER_ENTRY}" & echo "server pid $!"; exec sleep 600`],
    { cwd: REPO_ROOT, env: childEnvironment(folders, {}), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  parent.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text));
  parent.stderr!.setEncoding('utf8').on('data', (text: string) => (output += text));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 90 s:\n${output}`)), 90_000);
    const check = () => {
      const listening = /^modeldock listening on (http:\/\/\S+)$/m.exec(output);
      if (listening) {
        clearTimeout(timer);
        resolve(listening[1]!);
      } else if (/DATABASE_LOCKED/.test(output)) {
        clearTimeout(timer);
        reject(new Error(`the server did not start:\n${output}`));
      }
    };
    parent.stdout!.on('data', check);
    parent.stderr!.on('data', check);
  });
  return { pid: Number(/^server pid (\d+)$/m.exec(output)![1]), url, parent, output: () => output };
}

function stateOf(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!;
  } catch {
    return 'gone';
  }
}

describe('SIGKILL and an immediate restart, ten times (built server, PGlite)', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse())
      await Promise.resolve()
        .then(cleanup)
        .catch(() => undefined);
  });

  it('starts every time although the killed server is not collected yet, and the download completes verified', async () => {
    const folders = await createServerFolders();
    cleanups.push(() => folders.remove());
    const origin = await startFileOrigin();
    cleanups.push(() => origin.close());
    const file = origin.addFile(NAME, { size: SIZE, seed: 6 });
    // Slow enough that the download is still under way through the ten restarts.
    origin.setThrottle(128 * 1024);
    const servers: SupervisedServer[] = [];
    cleanups.push(() => {
      for (const server of servers) {
        for (const pid of [server.pid, server.parent.pid!]) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
    });

    let server = await startUnderNonReapingParent(folders);
    servers.push(server);
    let api = connectHttp(server.url);
    const { jobId } = await api.downloads.enqueue.mutate({ url: file.url, folder: FOLDER });
    await waitForJob(api, jobId, (job) => job.bytesDone > 0, 'the first bytes', 60_000);

    for (let restart = 1; restart <= RESTARTS; restart++) {
      process.kill(server.pid, 'SIGKILL');
      const killedPid = server.pid;
      server = await startUnderNonReapingParent(folders);
      servers.push(server);
      // The old server's pid still exists: nobody has collected it.
      expect(stateOf(killedPid), `restart ${restart}`).toBe('Z');
      api = connectHttp(server.url);
      const job = await api.downloads.get.query({ jobId });
      expect(['queued', 'running'], `restart ${restart}`).toContain(job.status);
    }

    origin.setThrottle(null);
    const done = await waitForStatus(api, jobId, 'completed', 120_000);
    expect(done.files[0]!.sha256).toBe(file.sha256);
    expect(await sha256OfFile(path.join(folders.modelsDir, FOLDER, NAME))).toBe(file.sha256);
    expect(await listFiles(folders.modelsDir)).toEqual([`${FOLDER}/${NAME}`]);
  }, 400_000);
});
