/**
 * Starts the model library and its refresh-task worker on the server's ports: the database's
 * library and task stores, the download manager (for "Download again" and for what it is writing),
 * and a scan queued after every finished download so new files appear with their source.
 */
import path from 'node:path';
import {
  createCollection,
  createLibraryMetadata,
  createMetadataHubs,
  createModelLibrary,
  createRefreshTasks,
  createWorkflows,
  libraryEventRelayOver,
} from '@modeldock/engine';
import type {
  Clock,
  Collection,
  Workflows,
  CredentialProvider,
  DownloadManager,
  FileSystem,
  HttpClient,
  JobStore,
  LibraryMetadata,
  LibraryMetadataStore,
  LibraryStore,
  Logger,
  MessageChannel,
  ModelLibrary,
  RefreshFailureStore,
  RefreshTaskStore,
  RefreshTasks,
  SettingsPort,
} from '@modeldock/engine';

export interface LibraryServicesOptions {
  stores: {
    library: LibraryStore;
    refreshTasks: RefreshTaskStore;
    jobs: JobStore;
    metadata: LibraryMetadataStore;
    settings: SettingsPort;
    /** Scheduled recovery's failures per entry (enables the `recovery` task kind). */
    refreshFailures?: RefreshFailureStore;
  };
  manager: DownloadManager;
  /** Library news to and from the other processes sharing the database (silent on PGlite). */
  broadcast?: MessageChannel;
  /** The guarded client downloads use (private-address, redirect and timeout rules). */
  http: HttpClient;
  credentials: CredentialProvider;
  civitaiEndpoint?: string;
  huggingFaceEndpoint?: string;
  maxRedirects: number;
  fs: FileSystem;
  clock: Clock;
  logger: Logger;
  modelsRoot: string;
  dataDir: string;
  workerId: string;
  /** 0 = no periodic scan here (scheduled maintenance queues them on the server). */
  scanIntervalMinutes: number;
  /** Written into exported manifests, e.g. "modeldock 0.4.0". */
  generator?: string;
  /** Task lease (defaults to the engine's 30 s). */
  leaseMs?: number;
}

export interface LibraryServices {
  library: ModelLibrary;
  tasks: RefreshTasks;
  metadata: LibraryMetadata;
  /** Export and import of the collection (manifest, bundle job). */
  collection: Collection;
  /** ComfyUI workflows: the models they load, and one download of the missing ones. */
  workflows: Workflows;
  close(): Promise<void>;
}

export async function startLibraryServices(options: LibraryServicesOptions): Promise<LibraryServices> {
  const { manager, clock, logger } = options;
  const tasks = createRefreshTasks({
    store: options.stores.refreshTasks,
    clock,
    logger,
    workerId: options.workerId,
    leaseMs: options.leaseMs,
  });
  const transferring = new Set<string>();
  // The library tells its listeners; it is created below and needs `metadata` to describe entries.
  let entriesChanged: (ids: string[] | null) => void = () => undefined;
  const hubs = createMetadataHubs({
    http: options.http,
    clock,
    logger,
    credentials: options.credentials,
    civitaiEndpoint: options.civitaiEndpoint,
    huggingFaceEndpoint: options.huggingFaceEndpoint,
  });
  const metadata = createLibraryMetadata({
    library: options.stores.library,
    store: options.stores.metadata,
    tasks,
    settings: options.stores.settings,
    enqueue: (request) => manager.enqueue(request),
    fs: options.fs,
    http: options.http,
    clock,
    logger,
    hubs,
    modelsRoot: options.modelsRoot,
    thumbnailsDir: path.join(options.dataDir, 'thumbnails'),
    maxRedirects: options.maxRedirects,
    failures: options.stores.refreshFailures,
    onChanged: (ids) => entriesChanged(ids),
  });
  const library = createModelLibrary({
    store: options.stores.library,
    tasks,
    jobs: options.stores.jobs,
    enqueue: (request) => manager.enqueue(request),
    isDownloading: () => transferring.size > 0,
    fs: options.fs,
    clock,
    logger,
    modelsRoot: options.modelsRoot,
    dataDir: options.dataDir,
    settings: {
      scanIntervalMs: options.scanIntervalMinutes > 0 ? options.scanIntervalMinutes * 60_000 : null,
    },
    describe: (entries) => metadata.describe(entries),
    afterScan: () => metadata.afterScan(),
    afterDelete: (ids) => metadata.afterDelete(ids),
    ...(options.broadcast
      ? {
          relay: libraryEventRelayOver(options.broadcast, (message) =>
            logger.warn({ message }, 'could not send library news to the other processes'),
          ),
        }
      : {}),
  });
  entriesChanged = (ids) => library.entriesChanged(ids);
  const unsubscribe = manager.subscribe((event) => {
    const status = event.job?.status;
    if (status === 'running' || status === 'verifying') transferring.add(event.jobId);
    else transferring.delete(event.jobId);
    if (event.type === 'status' && status === 'completed') {
      library.entriesChanged(null);
      library.scan().catch((error: unknown) =>
        logger.warn({ message: (error as Error).message }, 'could not queue a library scan after a download'),
      );
    }
  });
  const collection = createCollection({
    library: options.stores.library,
    describe: (entries) => metadata.describe(entries),
    preview: (request) => manager.preview(request),
    enqueue: (request) => manager.enqueue(request),
    clock,
    logger,
    generator: options.generator,
  });
  const workflows = createWorkflows({
    library: options.stores.library,
    preview: (request) => manager.preview(request),
    enqueue: (request) => manager.enqueue(request),
    civitaiVersionsByHash: (hashes) => hubs.civitai.versionsByHash(hashes),
    civitaiSearch: (query, types) => hubs.civitai.searchModels(query, types),
    huggingFaceSearch: (query) => hubs.huggingFace.searchModels(query),
    huggingFaceFiles: async (repoId) => (await hubs.huggingFace.modelInfo(repoId))?.siblings ?? [],
    huggingFaceEndpoint: hubs.huggingFaceEndpoint,
    civitaiEndpoint: hubs.civitaiEndpoint,
    clock,
    logger,
  });
  await library.start();
  return {
    workflows,
    library,
    tasks,
    metadata,
    collection,
    async close() {
      unsubscribe();
      await library.stop();
    },
  };
}
