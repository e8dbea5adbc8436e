/** The PGlite directory lock, with real processes: a live owner refuses, a dead one is taken over. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  acquirePgliteLock,
  acquirePgliteLockWaiting,
  LOCK_FILE_NAME,
  lockOwnerState,
  processStartTime,
} from '@modeldock/db/testing';
import type { LockOwner, OwnerState } from '@modeldock/db/testing';
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

  it.runIf(processStartTime(process.pid) !== null)(
    'takes over at once from an owner killed a moment ago that is still a zombie (its parent has not collected it)',
    async () => {
      const { holderPid, parent } = await startHolderUnderNonReapingParent();
      try {
        process.kill(holderPid, 'SIGKILL');
        await waitUntil(() => processState(holderPid) === 'Z');
        expect(lockOwner().pid).toBe(holderPid);
        expect(lockOwnerState(lockOwner())).toBe('gone');
        const lock = acquirePgliteLock(lockPath, { dataDir: dir });
        expect(lockOwner()).toMatchObject({ pid: process.pid });
        lock.release();
      } finally {
        parent.kill('SIGKILL');
      }
    },
  );

  it('reports a live owner as alive', async () => {
    const holder = await startTsChild(HOLDER, [lockPath, 'stay'], 'locked');
    children.push(holder);
    expect(lockOwnerState(lockOwner())).toBe('alive');
  });
});

describe('PGlite directory lock, waiting for an owner that is exiting', () => {
  /** A clock that moves only when the code under test sleeps. */
  function fakeTime() {
    let now = 0;
    const sleeps: number[] = [];
    return {
      now: () => now,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
      sleeps,
    };
  }

  function states(...sequence: OwnerState[]): () => OwnerState {
    return () => (sequence.length > 1 ? sequence.shift()! : sequence[0]!);
  }

  it('waits for a dying owner, says so once, and takes the lock as soon as it is gone', async () => {
    writeLock({ pid: 4242 });
    const time = fakeTime();
    const waits: Array<{ pid: number; waitMs: number }> = [];
    const lock = await acquirePgliteLockWaiting(lockPath, {
      dataDir: dir,
      ownerState: states('dying', 'dying', 'dying', 'gone'),
      onWaiting: (owner, waitMs) => waits.push({ pid: owner.pid, waitMs }),
      ...time,
    });
    expect(lockOwner()).toMatchObject({ pid: process.pid });
    expect(waits).toEqual([{ pid: 4242, waitMs: 10_000 }]);
    expect(time.sleeps.length).toBe(3);
    lock.release();
  });

  it('gives up with DATABASE_LOCKED when the owner is still exiting after the wait', async () => {
    writeLock({ pid: 4242 });
    const time = fakeTime();
    let waited = 0;
    await expect(
      acquirePgliteLockWaiting(lockPath, {
        dataDir: dir,
        waitMs: 2_000,
        ownerState: () => 'dying',
        onWaiting: () => waited++,
        ...time,
      }),
    ).rejects.toMatchObject({ code: 'DATABASE_LOCKED', details: { pid: 4242 } });
    expect(waited).toBe(1);
    expect(time.now()).toBeGreaterThanOrEqual(2_000);
    expect(time.now()).toBeLessThan(2_200);
    expect(lockOwner().pid).toBe(4242);
  });

  it('refuses a live owner at once, without waiting', async () => {
    writeLock({ pid: 4242 });
    const time = fakeTime();
    let waited = 0;
    await expect(
      acquirePgliteLockWaiting(lockPath, {
        dataDir: dir,
        ownerState: () => 'alive',
        onWaiting: () => waited++,
        ...time,
      }),
    ).rejects.toMatchObject({ code: 'DATABASE_LOCKED' });
    expect(waited).toBe(0);
    expect(time.sleeps).toEqual([]);
  });
});

/** The state letter of /proc/<pid>/stat (R, S, Z, …), or null once the pid is gone. */
function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A lock holder whose parent never collects its exit status (`sh` replaced by `sleep`), so once
 * killed it stays a zombie, as a process does between kill -9 and its supervisor's wait().
 */
async function startHolderUnderNonReapingParent() {
  const script = `"${process.execPath}" --import tsx "${fileURLToPath(HOLDER)}" "${lockPath}" stay & echo "pid $!"; exec sleep 60`;
  const parent = spawn('sh', ['-c', script], {
    cwd: fileURLToPath(new URL('../', import.meta.url)),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    parent.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/pid \d+\n/.test(output) && output.includes('locked\n')) resolve();
    });
    parent.once('exit', () => reject(new Error(`holder's parent exited: ${output}`)));
  });
  return { holderPid: Number(/pid (\d+)/.exec(output)![1]), parent };
}
