/**
 * Walks the models root depth first, in name order, yielding regular files. Symbolic links are never
 * followed (a link may lead outside the root or into a loop) and the depth is bounded.
 */
import path from 'node:path';
import type { FileStat, FileSystem } from '../ports';

/** Deep enough for any sane model folder layout; a symlink loop cannot make the walk endless. */
const MAX_DEPTH = 16;

export interface WalkedFile {
  absolutePath: string;
  /** Relative to the models root, POSIX separators. */
  relativePath: string;
  name: string;
  stat: FileStat;
}

export interface ModelsRootWalkOptions {
  /** Skip files and folders whose name starts with '.' (temp files, caches, locks). */
  skipHidden?: boolean;
  /** A folder that could not be listed is skipped; this hears about it. */
  onUnreadableFolder?: (absolutePath: string, error: unknown) => void;
  signal?: AbortSignal;
}

export async function* walkModelsRoot(
  fs: FileSystem,
  modelsRoot: string,
  options: ModelsRootWalkOptions = {},
): AsyncGenerator<WalkedFile> {
  async function* visit(directory: string, depth: number): AsyncGenerator<WalkedFile> {
    let names: string[];
    try {
      names = await fs.readdir(directory);
    } catch (error) {
      options.onUnreadableFolder?.(directory, error);
      return;
    }
    for (const name of [...names].sort()) {
      options.signal?.throwIfAborted();
      if (options.skipHidden && name.startsWith('.')) continue;
      const absolutePath = path.join(directory, name);
      let stat: FileStat | null;
      try {
        stat = await fs.lstat(absolutePath);
      } catch {
        continue;
      }
      if (!stat || stat.isSymbolicLink) continue;
      if (stat.isDirectory) {
        if (depth < MAX_DEPTH) yield* visit(absolutePath, depth + 1);
        continue;
      }
      if (!stat.isFile) continue;
      const relativePath = path.relative(modelsRoot, absolutePath).split(path.sep).join('/');
      yield { absolutePath, relativePath, name, stat };
    }
  }
  yield* visit(modelsRoot, 0);
}
