/**
 * A download manager (engine harness: memory store, fake byte layer unless given another) with an
 * in-memory file index, over a real models folder whose reads are recorded.
 */
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DownloadManagerOptions, LibraryContext } from '@modeldock/engine';
import { nodeFileSystemForTests, withoutHardLinks } from '../../../support/node-fs-for-tests';
import { createHarness } from '../../jobs/helpers/harness';
import type { Harness, HarnessOptions } from '../../jobs/helpers/harness';
import { instrumentFileSystem } from './library-fixture';
import type { InstrumentedFileSystem } from './library-fixture';
import { MemoryFileIndex } from './memory-file-index';

export interface ManagerFixture {
  harness: Harness;
  index: MemoryFileIndex;
  fs: InstrumentedFileSystem;
  modelsRoot: string;
  /** The library's view, for recording or scanning files by hand. */
  library: LibraryContext;
  write(relativePath: string, content: Buffer | string): Promise<string>;
  absolute(relativePath: string): string;
  dispose(): Promise<void>;
}

export interface ManagerFixtureOptions extends Omit<HarnessOptions, 'fs' | 'modelsRoot'> {
  /** Give the file system hard links (default true). */
  links?: boolean;
  /** Files written before the manager starts. */
  before?: Record<string, Buffer | string>;
}

export async function createManagerFixture(
  options: ManagerFixtureOptions = {},
): Promise<ManagerFixture> {
  const root = await realpath(await mkdtemp(path.join(tmpdir(), 'modeldock-library-jobs-')));
  const modelsRoot = path.join(root, 'models');
  await mkdir(modelsRoot, { recursive: true });
  const absolute = (relativePath: string) => path.join(modelsRoot, ...relativePath.split('/'));
  const write = async (relativePath: string, content: Buffer | string) => {
    const target = absolute(relativePath);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
    return target;
  };
  for (const [relativePath, content] of Object.entries(options.before ?? {}))
    await write(relativePath, content);
  const index = new MemoryFileIndex();
  const base = nodeFileSystemForTests();
  const fs = instrumentFileSystem(
    options.links === false ? withoutHardLinks(base) : base,
    () => modelsRoot,
  );
  const harness = await createHarness({
    ...options,
    fs,
    modelsRoot,
    extra: { fileIndex: index, ...options.extra },
  });
  return {
    harness,
    index,
    fs,
    modelsRoot,
    library: { fs, index, logger: harness.logger, modelsRoot, now: () => new Date() },
    write,
    absolute,
    async dispose() {
      await harness.dispose();
      await rm(root, { recursive: true, force: true });
    },
  };
}
