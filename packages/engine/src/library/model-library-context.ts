/** What the library's operations share: its store, the file system, the root, and the downloads it must not disturb. */
import type { EnqueueRequest, EnqueueResult } from '../download-request';
import type { FileSystem, Logger } from '../ports';
import type { LibraryStore } from './library-store';

/** Files downloads may still write or resume: never deleted or cleared by the library. */
export interface FilesInUse {
  /** Destinations of active jobs, relative to the models root. */
  relativePaths: Set<string>;
  /** File ids whose temp files may still be resumed. */
  fileIds: Set<string>;
}

export interface ModelLibraryContext {
  store: LibraryStore;
  fs: FileSystem;
  logger: Logger;
  /** Absolute, real path of the models root. */
  modelsRoot: string;
  now(): Date;
  filesInUse(): Promise<FilesInUse>;
  enqueue(request: EnqueueRequest): Promise<EnqueueResult>;
}
