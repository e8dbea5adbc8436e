/** What the collection domain (export, import) is given: the library's rows, the download manager's preview and enqueue. */
import type {
  DownloadPreview,
  EnqueueRequest,
  EnqueueResult,
  PreviewRequest,
} from '../jobs/download-manager-api';
import type { LibraryEntry } from '../library/library-entry';
import type { LibraryStore } from '../library/library-store';
import type { Clock, Logger } from '../ports';

export interface CollectionPorts {
  library: Pick<LibraryStore, 'page'>;
  /** Adds what the metadata domain knows to entries (for `includeMetadata`). */
  describe?: (entries: LibraryEntry[]) => Promise<LibraryEntry[]>;
  /** Resolves without downloading (access, size, hash): the download manager's `preview`. */
  preview(request: PreviewRequest): Promise<DownloadPreview>;
  enqueue(request: EnqueueRequest): Promise<EnqueueResult>;
  clock: Clock;
  logger: Logger;
  /** Written into manifests, e.g. "modeldock 0.4.0". */
  generator?: string;
}
