/** The PGlite directory lock, with real processes: a live owner refuses, a dead one is taken over. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquirePgliteLock, LOCK_FILE_NAME, processStartTime } from '@modeldock/db/testing';
import type { LockOwner } from '@modeldock/db/testing';
import { deadPid, startTsChild } from './helpers/child-process';
import type { RunningChild } from './helpers/child-process';
import { makeTempDataDir, removeTempDataDir } from './helpers/temp-data-dir';

const HOLDER = new URL('./helpers/lock-holder-process.ts', import.meta.url);

let dir: string;
let lockPath: string;
let children: RunningChild[] = [];

beforeEach(async () => {
  dir = await makeTempDataDir();
  lockPath = path.join(dir, LOCK_FILE_NAME);
});

afterEach(async () => {
  await Promise.all(children.map((child) => child.kill()));
  children = [];
  await removeTempDataDir(dir);
});

function writeLock(owner: Partial<LockOwner>): void {
  const full: LockOwner = {
    pid: 1,
    startTime: '0',
    hostname: hostname(),
    token: 'someone-else',
    ...owner,
  };
  writeFileSync(lockPath, JSON.stringify(full));
}

function lockOwner(): LockOwner {
  return JSON.parse(readFileSync(lockPath, 'utf8')) as LockOwner;
}

describe('PGlite directory lock', () => {
  it('records this process as the owner and removes the file on release', () => {
    const lock = acquirePgliteLock(lockPath, { dataDir: dir });
    expect(lockOwner()).toMatchObject({ pid: process.pid, hostname: hostname() });
    lock.release();
    expect(existsSync(lockPath)).toBe(false);
    // Released twice is harmless.
    lock.release();
  });

  it('refuses a second taker in the same process, naming it', () => {
    const lock = acquirePgliteLock(lockPath, { dataDir: dir });
    try {
      expect(() => acquirePgliteLock(lockPath, { dataDir: dir })).toThrow(
        expect.objectContaining({
          code: 'DATABASE_LOCKED',
          message: expect.stringContaining(`pid ${process.pid}`),
        }),
      );
      expect(lockOwner().pid).toBe(process.pid);
    } finally {
      lock.release();
    }
  });

  it('refuses while another live process holds it, and takes over once that process was killed', async () => {
    const holder = await startTsChild(HOLDER, [lockPath, 'stay'], 'locked');
    children.push(holder);

    let refusal: unknown;
    try {
      acquirePgliteLock(lockPath, { dataDir: dir });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toMatchObject({ code: 'DATABASE_LOCKED' });
    expect((refusal as Error).message).toBe(
      `Another modeldock process (pid ${holder.pid}) is using ${dir}. Stop it first, or set DATABASE_URL to share a PostgreSQL server between processes.`,
    );

    // A hard kill leaves the file behind with a dead pid.
    await holder.kill();
    expect(lockOwner().pid).toBe(holder.pid);
    const lock = acquirePgliteLock(lockPath, { dataDir: dir });
    expect(lockOwner().pid).toBe(process.pid);
    lock.release();
  });

  it('is released when its process exits normally', async () => {
    const holder = await startTsChild(HOLDER, [lockPath, 'exit'], 'locked');
    expect(await holder.exited).toBe(0);
    expect(existsSync(lockPath)).toBe(false);
  });

  it('takes over a lock whose pid is dead', async () => {
    writeLock({ pid: await deadPid() });
    const lock = acquirePgliteLock(lockPath, { dataDir: dir });
    expect(lockOwner()).toMatchObject({ pid: process.pid });
    lock.release();
  });

  it.runIf(processStartTime(process.pid) !== null)(
    'takes over a lock whose pid was reused by a process started at another time',
    () => {
      // The parent process is alive, but it is not the one that wrote this lock.
      writeLock({ pid: process.ppid, startTime: '1' });
      const lock = acquirePgliteLock(lockPath, { dataDir: dir });
      expect(lockOwner()).toMatchObject({ pid: process.pid });
      lock.release();
    },
  );

  it('takes over a lock file that is not a lock (corrupt or foreign)', () => {
    writeFileSync(lockPath, 'garbage');
    const lock = acquirePgliteLock(lockPath, { dataDir: dir });
    expect(lockOwner()).toMatchObject({ pid: process.pid });
    lock.release();
  });

  it('treats a lock from another machine as live: its pid means nothing here', () => {
    writeLock({ pid: 4242, hostname: 'another-host.example' });
    expect(() => acquirePgliteLock(lockPath, { dataDir: dir })).toThrow(
      expect.objectContaining({
        code: 'DATABASE_LOCKED',
        message: expect.stringContaining('on another-host.example'),
      }),
    );
    expect(lockOwner().hostname).toBe('another-host.example');
  });

  it('release leaves alone a lock that another process has taken over since', () => {
    const lock = acquirePgliteLock(lockPath, { dataDir: dir });
    writeLock({ pid: 4242, token: 'the-new-owner' });
    lock.release();
    expect(lockOwner().token).toBe('the-new-owner');
  });
});
