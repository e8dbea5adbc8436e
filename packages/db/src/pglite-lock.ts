/**
 * PGlite is an embedded database: two processes opening the same data directory would corrupt it.
 * A lock file beside it names its owner (pid and process start time). A lock whose owner is gone —
 * the pid is dead, or now belongs to a process started at another time — is taken over; a live
 * one refuses the open with DATABASE_LOCKED.
 *
 * The lock is written to a private temp file first and then hard-linked into place, so it appears
 * complete or not at all, and two processes racing for it cannot both win.
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

export interface AcquireOptions {
  /** What the lock protects, named in the error. */
  dataDir: string;
  /** For tests: decides whether a recorded owner still runs. */
  isOwnerAlive?: (owner: LockOwner) => boolean;
}

const TAKEOVER_ATTEMPTS = 5;

/**
 * The process start time in clock ticks since boot (Linux /proc/<pid>/stat field 22), which tells a
 * live owner from an unrelated process that was given the same pid later. Null where unavailable.
 */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count fields after its end.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
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

export function isLockOwnerAlive(owner: LockOwner): boolean {
  // A lock from another machine (a shared or copied directory) cannot be checked: assume it is live.
  if (owner.hostname !== hostname()) return true;
  if (!pidIsRunning(owner.pid)) return false;
  const startTime = processStartTime(owner.pid);
  if (startTime === null || owner.startTime.startsWith('ms:')) return true;
  return startTime === owner.startTime;
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

function lockedError(dataDir: string, owner: LockOwner): ModeldockError {
  const advice =
    'Stop it first, or set DATABASE_URL to share a PostgreSQL server between processes.';
  const sameHost = owner.hostname === hostname();
  const message =
    owner.pid === process.pid && sameHost
      ? `This process (pid ${owner.pid}) already has ${dataDir} open: close it before opening it again.`
      : `Another modeldock process (pid ${owner.pid}${sameHost ? '' : ` on ${owner.hostname}`}) is using ${dataDir}. ${advice}`;
  return new ModeldockError('DATABASE_LOCKED', message, { details: { pid: owner.pid } });
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
  const isOwnerAlive = options.isOwnerAlive ?? isLockOwnerAlive;
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
      if (owner !== 'unreadable' && isOwnerAlive(owner)) throw lockedError(options.dataDir, owner);
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
    if (owner !== 'missing' && owner !== 'unreadable') throw lockedError(options.dataDir, owner);
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
