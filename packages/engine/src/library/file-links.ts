/**
 * The optional link operations of the FileSystem port over node:fs, for a port that lacks them:
 * hard links let a reused file take no extra space, symbolic links build the Hugging Face cache.
 */
import { link, symlink } from 'node:fs/promises';
import type { FileSystem } from '../ports';

export function withFileLinks(fs: FileSystem): FileSystem {
  return {
    ...fs,
    link: fs.link ? fs.link.bind(fs) : (existingPath, newPath) => link(existingPath, newPath),
    symlink: fs.symlink ? fs.symlink.bind(fs) : (target, linkPath) => symlink(target, linkPath),
  };
}
