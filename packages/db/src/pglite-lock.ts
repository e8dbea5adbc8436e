/**
 * PGlite is an embedded database: two processes opening the same data directory would corrupt it.
 * A lock file beside it names its owner (pid and process start time). A lock whose owner is gone —
 * the pid is dead, or now belongs to a process started at another time — is taken over; a live
 * one refuses the open with DATABASE_LOCKED.
 *
 * The lock is written to a private temp file first and then hard-linked into place, so it appears
 * complete or not at all, and two processes racing for it cannot both win.
 *
 * An owner killed a moment ago may still be exiting (a supervisor restarts at once after kill -9):
 * a zombie runs no more code and counts as gone; a process already exiting (or with SIGKILL
 * pending) is waited for, up to OWNER_EXIT_WAIT_MS, by `acquirePgliteLockWaiting`.
 */
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { ModeldockError } from '@modeldock/engine';

export const LOCK_FILE_NAME = 'pglite.lock';

export interface LockOwner {
  pid: number;
  /** When the owner process started, as this machine's kernel reports it (see processStartTime). */
  startTime: string;
  hostname: string;
  /** Unique per acquisition, so a process releases only the lock it took. */
  token: string;
}

export interface PgliteLock {
  readonly path: string;
  release(): void;
}

/** `dying`: exiting or killed, runs no more code of its own, but still holds its pid. */
export type OwnerState = 'alive' | 'dying' | 'gone';

export interface AcquireOptions {
  /** What the lock protects, named in the error. */
  dataDir: string;
  /** For tests: decides whether a recorded owner still runs. */
  ownerState?: (owner: LockOwner) => OwnerState;
}

const TAKEOVER_ATTEMPTS = 5;
/** How long a start waits for a dying owner to be gone before it gives up. */
export const OWNER_EXIT_WAIT_MS = 10_000;
const OWNER_EXIT_POLL_MS = 50;
/** Linux task flag set once a process has begun to exit (include/linux/sched.h). */
const PF_EXITING = 0x4;
/** SIGKILL's bit in /proc/<pid>/status's pending-signal masks. */
const SIGKILL_MASK = 1n << 8n;

interface ProcessStat {
  /** R, S, D, Z (zombie), X (dead), … */
  state: string;
  flags: number;
  /** Clock ticks since boot: tells a live owner from a later process given the same pid. */
  startTime: string;
}

/** Linux /proc/<pid>/stat (fields 3, 9 and 22); null where unavailable. */
function readProcessStat(pid: number): ProcessStat | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count fields after its end.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[19] === undefined) return null;
    return { state: fields[0] ?? '', flags: Number(fields[6]), startTime: fields[19] };
  } catch {
    return null;
  }
}

/** The process start time in clock ticks since boot (Linux), or null where unavailable. */
export function processStartTime(pid: number): string | null {
  return readProcessStat(pid)?.startTime ?? null;
}

function hasSigkillPending(pid: number): boolean {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return false;
  }
  return [...status.matchAll(/^(?:SigPnd|ShdPnd):\s*([0-9a-f]+)$/gm)].some(
    (match) => (BigInt(`0x${match[1]}`) & SIGKILL_MASK) !== 0n,
  );
}

function ownStartTime(): string {
  return processStartTime(process.pid) ?? `ms:${Math.round(Date.now() - process.uptime() * 1000)}`;
}

function pidIsRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockOwnerState(owner: LockOwner): OwnerState {
  // A lock from another machine (a shared or copied directory) cannot be checked: assume it is live.
  if (owner.hostname !== hostname()) return 'alive';
  if (!pidIsRunning(owner.pid)) return 'gone';
  const stat = readProcessStat(owner.pid);
  if (stat === null || owner.startTime.startsWith('ms:')) return 'alive';
  if (stat.startTime !== owner.startTime) return 'gone';
  // A zombie has closed its files and runs nothing: only its exit status is left to collect.
  if (stat.state === 'Z' || stat.state === 'X') return 'gone';
  if ((stat.flags & PF_EXITING) !== 0 || hasSigkillPending(owner.pid)) return 'dying';
  return 'alive';
}

function readOwner(path: string): LockOwner | 'missing' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (
      typeof value.pid === 'number' &&
      typeof value.startTime === 'string' &&
      typeof value.hostname === 'string' &&
      typeof value.token === 'string'
    ) {
      return value as LockOwner;
    }
  } catch {
    // Falls through: a file we cannot parse was not written by this code (locks appear whole).
  }
  return 'unreadable';
}

function lockedError(dataDir: string, owner: LockOwner, state: OwnerState): ModeldockError {
  const advice =
    'Stop it first, or set DATABASE_URL to share a PostgreSQL server between processes.';
  const sameHost = owner.hostname === hostname();
  const message =
    owner.pid === process.pid && sameHost
      ? `This process (pid ${owner.pid}) already has ${dataDir} open: close it before opening it again.`
      : `Another modeldock process (pid ${owner.pid}${sameHost ? '' : ` on ${owner.hostname}`}) is using ${dataDir}. ${advice}`;
  return new ModeldockError('DATABASE_LOCKED', message, {
    details: { pid: owner.pid, dying: state === 'dying' },
  });
}

function tryUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Takes the lock at `lockPath`, or throws DATABASE_LOCKED naming the live owner. */
export function acquirePgliteLock(lockPath: string, options: AcquireOptions): PgliteLock {
  const ownerState = options.ownerState ?? lockOwnerState;
  const me: LockOwner = {
    pid: process.pid,
    startTime: ownStartTime(),
    hostname: hostname(),
    token: `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
  };
  const draft = `${lockPath}.${me.token}.tmp`;
  writeFileSync(draft, JSON.stringify(me), { flag: 'wx' });
  try {
    for (let attempt = 0; attempt < TAKEOVER_ATTEMPTS; attempt++) {
      try {
        linkSync(draft, lockPath);
        return holdLock(lockPath, me);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = readOwner(lockPath);
      if (owner === 'missing') continue;
      if (owner !== 'unreadable') {
        const state = ownerState(owner);
        if (state !== 'gone') throw lockedError(options.dataDir, owner, state);
      }
      // Move the stale lock aside, then check it is the one we judged: if another process took
      // over in between, we moved its fresh lock and must put it back.
      const aside = `${lockPath}.${me.token}.stale`;
      try {
        renameSync(lockPath, aside);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      const moved = readOwner(aside);
      const movedSame =
        owner === 'unreadable'
          ? moved === 'unreadable'
          : moved !== 'missing' && moved !== 'unreadable' && moved.token === owner.token;
      if (!movedSame) {
        try {
          linkSync(aside, lockPath);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
      }
      tryUnlink(aside);
    }
    const owner = readOwner(lockPath);
    if (owner !== 'missing' && owner !== 'unreadable')
      throw lockedError(options.dataDir, owner, 'alive');
    throw new ModeldockError(
      'DATABASE_LOCKED',
      `Could not take the lock on ${options.dataDir}: other processes keep racing for it. Try again.`,
    );
  } finally {
    tryUnlink(draft);
  }
}

function holdLock(lockPath: string, me: LockOwner): PgliteLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    // Only remove the lock if it is still ours (never someone else's that took over a stale one).
    const owner = readOwner(lockPath);
    if (owner !== 'missing' && owner !== 'unreadable' && owner.token === me.token)
      tryUnlink(lockPath);
  };
  // 'exit' runs on a normal end and process.exit(); a hard kill leaves a dead pid, taken over later.
  process.on('exit', release);
  return { path: lockPath, release };
}

export interface WaitingAcquireOptions extends AcquireOptions {
  /** Longest wait for a dying owner (default OWNER_EXIT_WAIT_MS). */
  waitMs?: number;
  /** Called once when the wait begins, to say so. */
  onWaiting?: (owner: { pid: number }, waitMs: number) => void;
  /** For tests: time and sleeping. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

function isDyingOwnerRefusal(error: unknown): error is ModeldockError {
  return (
    error instanceof ModeldockError &&
    error.code === 'DATABASE_LOCKED' &&
    (error.details as { dying?: boolean } | undefined)?.dying === true
  );
}

/**
 * Takes the lock like `acquirePgliteLock`, but an owner that is dying (killed a moment ago and
 * still exiting) is waited for, up to `waitMs`, and the lock taken as soon as it is gone.
 * A live owner is refused at once.
 */
export async function acquirePgliteLockWaiting(
  lockPath: string,
  options: WaitingAcquireOptions,
): Promise<PgliteLock> {
  const waitMs = options.waitMs ?? OWNER_EXIT_WAIT_MS;
  const now = options.now ?? Date.now;
  const sleep =
    options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let deadline: number | null = null;
  for (;;) {
    try {
      return acquirePgliteLock(lockPath, options);
    } catch (error) {
      if (!isDyingOwnerRefusal(error)) throw error;
      if (deadline === null) {
        deadline = now() + waitMs;
        options.onWaiting?.({ pid: (error.details as { pid: number }).pid }, waitMs);
      }
      if (now() >= deadline) throw error;
      await sleep(OWNER_EXIT_POLL_MS);
    }
  }
}
