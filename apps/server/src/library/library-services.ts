/**
 * Starts the model library and its refresh-task worker on the server's ports: the database's
 * library and task stores, the download manager (for "Download again" and for what it is writing),
 * and a scan queued after every finished download so new files appear with their source.
 */
import { createModelLibrary, createRefreshTasks } from '@modeldock/engine';
import type {
  Clock,
  DownloadManager,
  FileSystem,
  JobStore,
  LibraryStore,
  Logger,
  ModelLibrary,
  RefreshTaskStore,
  RefreshTasks,
} from '@modeldock/engine';

export interface LibraryServicesOptions {
  stores: { library: LibraryStore; refreshTasks: RefreshTaskStore; jobs: JobStore };
  manager: DownloadManager;
  fs: FileSystem;
  clock: Clock;
  logger: Logger;
  modelsRoot: string;
  dataDir: string;
  workerId: string;
  /** 0 = no periodic scan. */
  scanIntervalMinutes: number;
  /** Task lease (defaults to the engine's 30 s). */
  leaseMs?: number;
}

export interface LibraryServices {
  library: ModelLibrary;
  tasks: RefreshTasks;
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
  });
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
  await library.start();
  return {
    library,
    tasks,
    async close() {
      unsubscribe();
      await library.stop();
    },
  };
}
