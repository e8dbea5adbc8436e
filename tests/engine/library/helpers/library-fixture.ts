/**
 * A models folder in a temp dir, an in-memory index, a recording logger and a real file system that
 * remembers which files were opened for reading (to tell a hash read from disk from one taken from
 * the index) and lets a test step in before an open.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, realpath, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FileSystem, LibraryContext } from '@modeldock/engine';
import { nodeFileSystemForTests } from '../../../support/node-fs-for-tests';
import { RecordingLogger } from '../../jobs/helpers/recording-logger';
import { MemoryFileIndex } from './memory-file-index';

export const NOW = new Date('2030-05-06T07:08:09.000Z');

export function sha256Of(content: Buffer | string): string {
  return createHash('sha256').update(content).digest('hex');
}

export interface InstrumentedFileSystem extends FileSystem {
  /** Paths relative to the models root opened with flag 'r', in order. */
  readonly reads: string[];
  /** Called before every open; may throw to make the open fail. */
  beforeOpen: ((absolutePath: string, flags: string) => Promise<void> | void) | null;
}

export function instrumentFileSystem(
  inner: FileSystem,
  modelsRoot: () => string,
): InstrumentedFileSystem {
  const reads: string[] = [];
  const instrumented: InstrumentedFileSystem = {
    ...inner,
    reads,
    beforeOpen: null,
    async open(absolutePath, flags) {
      await instrumented.beforeOpen?.(absolutePath, flags);
      if (flags === 'r')
        reads.push(path.relative(modelsRoot(), absolutePath).split(path.sep).join('/'));
      return inner.open(absolutePath, flags);
    },
  };
  return instrumented;
}

export interface LibraryFixture {
  root: string;
  modelsRoot: string;
  index: MemoryFileIndex;
  logger: RecordingLogger;
  fs: InstrumentedFileSystem;
  ctx: LibraryContext;
  /** Writes a file under the models root (folders created); returns its absolute path. */
  write(relativePath: string, content: Buffer | string, mtime?: Date): Promise<string>;
  absolute(relativePath: string): string;
  cleanup(): Promise<void>;
}

export async function createLibraryFixture(
  inner: FileSystem = nodeFileSystemForTests(),
): Promise<LibraryFixture> {
  const root = await realpath(await mkdtemp(path.join(tmpdir(), 'modeldock-library-')));
  const modelsRoot = path.join(root, 'models');
  await mkdir(modelsRoot, { recursive: true });
  const index = new MemoryFileIndex();
  const logger = new RecordingLogger();
  const fs = instrumentFileSystem(inner, () => modelsRoot);
  const absolute = (relativePath: string) => path.join(modelsRoot, ...relativePath.split('/'));
  return {
    root,
    modelsRoot,
    index,
    logger,
    fs,
    ctx: { fs, index, logger, modelsRoot, now: () => NOW },
    absolute,
    async write(relativePath, content, mtime) {
      const target = absolute(relativePath);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, content);
      if (mtime) await utimes(target, mtime, mtime);
      return target;
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
