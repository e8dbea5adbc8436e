/**
 * The engine's own node:fs adapter (`createNodeFileSystem`), for tests that need real files: tests
 * run the adapter production runs, not a copy of it.
 */
import { createNodeFileSystem } from '@modeldock/engine';
import type { FileSystem } from '@modeldock/engine';

export function nodeFileSystemForTests(): FileSystem {
  return createNodeFileSystem();
}

/** The same file system unable to create symbolic links (as on some network shares and Windows). */
export function withoutSymlinks(fs: FileSystem): FileSystem {
  const { symlink: _cannot, ...rest } = fs;
  return rest;
}
