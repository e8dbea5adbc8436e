/** The default FileSystem port over node:fs/promises. */
import {
  lstat,
  mkdir,
  open,
  readdir,
  realpath,
  rename,
  stat,
  statfs,
  link,
  symlink,
  unlink,
} from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { FileStat, FileSystem } from '../ports';

function toFileStat(stats: Stats): FileStat {
  return {
    size: stats.size,
    isFile: stats.isFile(),
    isDirectory: stats.isDirectory(),
    isSymbolicLink: stats.isSymbolicLink(),
    mtimeMs: stats.mtimeMs,
    ino: stats.ino,
  };
}

async function nullWhenMissing<T>(operation: Promise<T>): Promise<T | null> {
  try {
    return await operation;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

export function createNodeFileSystem(): FileSystem {
  return {
    open: (path, flags) => open(path, flags),
    stat: async (path) => {
      const stats = await nullWhenMissing(stat(path));
      return stats ? toFileStat(stats) : null;
    },
    lstat: async (path) => {
      const stats = await nullWhenMissing(lstat(path));
      return stats ? toFileStat(stats) : null;
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
      const stats = await statfs(path);
      return stats.bavail * stats.bsize;
    },
    // The target is stored verbatim: the Hugging Face cache links are relative (../../blobs/<etag>).
    symlink: (target, linkPath) => symlink(target, linkPath),
    link: (existingPath, newPath) => link(existingPath, newPath),
  };
}
