/** What the workflows domain is given: library rows, the download manager's preview and enqueue, Civitai by hash. */
import type {
  DownloadPreview,
  EnqueueRequest,
  EnqueueResult,
  PreviewRequest,
} from '../jobs/download-manager-api';
import type { LibraryStore } from '../library/library-store';
import type { CivitaiVersionRecord } from '../metadata/hubs/civitai-records';
import type { Logger } from '../ports';
import type { NameSearchPorts } from './workflow-name-search';

export interface WorkflowPorts extends Pick<
  NameSearchPorts,
  'civitaiSearch' | 'huggingFaceSearch' | 'huggingFaceFiles' | 'huggingFaceEndpoint' | 'clock'
> {
  library: Pick<LibraryStore, 'page'>;
  /** Resolves a candidate without downloading it (source, published SHA-256, access). */
  preview(request: PreviewRequest): Promise<DownloadPreview>;
  enqueue(request: EnqueueRequest): Promise<EnqueueResult>;
  /** Civitai's model versions by SHA-256 (null: unknown there); absent = no Civitai lookups. */
  civitaiVersionsByHash?: (sha256s: string[]) => Promise<Map<string, CivitaiVersionRecord | null>>;
  /** https://civitai.com or the configured endpoint, for download links of versions found by hash. */
  civitaiEndpoint: string;
  logger: Logger;
}
