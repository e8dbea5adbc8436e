/**
 * Walks the models root depth first, in name order, yielding regular files. Symbolic links are not
 * followed (a link may lead outside the root or into a loop) and the depth is bounded; the one
 * exception, when asked, is a Hugging Face cache snapshot link whose real target is a file inside
 * the root: it is yielded under the link's path with the target's stat.
 */
import path from 'node:path';
import type { FileStat, FileSystem } from '../ports';
import { parseHfCachePath } from './library-entry';

/** Deep enough for any sane model folder layout; a symlink loop cannot make the walk endless. */
const MAX_DEPTH = 16;

export interface WalkedFile {
  absolutePath: string;
  /** Relative to the models root, POSIX separators. */
  relativePath: string;
  name: string;
  stat: FileStat;
  /** Where to read the bytes: the path itself, or a cache link's checked real target. */
  readPath: string;
}

export interface ModelsRootWalkOptions {
  /** Skip files and folders whose name starts with '.' (temp files, caches, locks). */
  skipHidden?: boolean;
  /** Yield Hugging Face cache snapshot links (models--org--name/snapshots/<commit>/…) as files. */
  followCacheLinks?: boolean;
  /** Symbolic links whose name this accepts are yielded as they are (never followed): temp links. */
  yieldLinksNamed?: (name: string) => boolean;
  /** A folder that could not be listed is skipped; this hears about it. */
  onUnreadableFolder?: (absolutePath: string, error: unknown) => void;
  signal?: AbortSignal;
}

export async function* walkModelsRoot(
  fs: FileSystem,
  modelsRoot: string,
  options: ModelsRootWalkOptions = {},
): AsyncGenerator<WalkedFile> {
  const relativeOf = (absolutePath: string) =>
    path.relative(modelsRoot, absolutePath).split(path.sep).join('/');

  /** The stat of a snapshot link's target when it is a regular file inside the root, else null. */
  async function cacheLinkTarget(linkPath: string): Promise<{ stat: FileStat; real: string } | null> {
    if (!parseHfCachePath(relativeOf(linkPath))) return null;
    try {
      const real = await fs.realpath(linkPath);
      if (!real.startsWith(modelsRoot + path.sep)) return null;
      const target = await fs.lstat(real);
      return target?.isFile ? { stat: target, real } : null;
    } catch {
      return null;
    }
  }

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
      if (!stat) continue;
      if (stat.isSymbolicLink) {
        if (options.yieldLinksNamed?.(name)) {
          yield { absolutePath, relativePath: relativeOf(absolutePath), name, stat, readPath: absolutePath };
          continue;
        }
        const linked = options.followCacheLinks ? await cacheLinkTarget(absolutePath) : null;
        if (linked) {
          const relativePath = relativeOf(absolutePath);
          yield { absolutePath, relativePath, name, stat: linked.stat, readPath: linked.real };
        }
        continue;
      }
      if (stat.isDirectory) {
        if (depth < MAX_DEPTH) yield* visit(absolutePath, depth + 1);
        continue;
      }
      if (!stat.isFile) continue;
      yield { absolutePath, relativePath: relativeOf(absolutePath), name, stat, readPath: absolutePath };
    }
  }
  yield* visit(modelsRoot, 0);
}
