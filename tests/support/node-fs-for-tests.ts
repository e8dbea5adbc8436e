/**
 * The engine's own node:fs adapter (`createNodeFileSystem`), for tests that need real files: tests
 * run the adapter production runs, not a copy of it.
 */
import { createNodeFileSystem } from '@modeldock/engine';
import type { FileSystem } from '@modeldock/engine';

export function nodeFileSystemForTests(): FileSystem {
  return createNodeFileSystem();
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
