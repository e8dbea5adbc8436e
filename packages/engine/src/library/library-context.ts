/** What the library modules need: the file system, the index, a logger, the root and the time. */
import type { FileSystem, LocalFileIndex, Logger } from '../ports';

export interface LibraryContext {
  fs: FileSystem;
  index: LocalFileIndex;
  logger: Logger;
  /** Absolute, real path of the models root. */
  modelsRoot: string;
  now(): Date;
}
