/** A plain node:fs implementation of the engine's FileSystem port, for tests that need real files. */
import {
  open,
  stat,
  lstat,
  rename,
  unlink,
  mkdir,
  readdir,
  realpath,
  statfs,
  link,
  symlink,
} from 'node:fs/promises';
import type { FileStat, FileSystem } from '@modeldock/engine';

function toStat(s: Awaited<ReturnType<typeof stat>>): FileStat {
  return {
    size: Number(s.size),
    isFile: s.isFile(),
    isDirectory: s.isDirectory(),
    isSymbolicLink: s.isSymbolicLink(),
    mtimeMs: Number(s.mtimeMs),
    ino: Number(s.ino),
  };
}

async function orNull<T>(promise: Promise<T>): Promise<T | null> {
  try {
    return await promise;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

export function nodeFileSystemForTests(): FileSystem {
  return {
    open: (path, flags) => open(path, flags),
    stat: async (path) => {
      const s = await orNull(stat(path));
      return s ? toStat(s) : null;
    },
    lstat: async (path) => {
      const s = await orNull(lstat(path));
      return s ? toStat(s) : null;
    },
    rename: (from, to) => rename(from, to),
    unlink: (path) => unlink(path),
    mkdir: async (path) => {
      await mkdir(path, { recursive: true });
    },
    readdir: (path) => readdir(path),
    realpath: (path) => realpath(path),
    syncDirectory: async (path) => {
      const handle = await open(path, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    },
    freeBytes: async (path) => {
      const s = await statfs(path);
      return s.bavail * s.bsize;
    },
    symlink: (target, linkPath) => symlink(target, linkPath),
    link: (existingPath, newPath) => link(existingPath, newPath),
  };
}

function refused(code: string, what: string): Promise<never> {
  return Promise.reject(Object.assign(new Error(`${code}: ${what}`), { code }));
}

/** The same file system unable to create symbolic links (as on some network shares and Windows). */
export function withoutSymlinks(fs: FileSystem): FileSystem {
  return { ...fs, symlink: (_target, linkPath) => refused('EPERM', `operation not permitted, symlink '${linkPath}'`) };
}

/** The same file system where hard links fail, as across two file systems (EXDEV). */
export function withoutHardLinks(fs: FileSystem): FileSystem {
  return { ...fs, link: (_from, to) => refused('EXDEV', `cross-device link not permitted, link '${to}'`) };
}
