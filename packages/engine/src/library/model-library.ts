/**
 * `createModelLibrary(ports)`: every model file under the models root, present or missing, with its
 * source; delete, clear cache, "Download again", disk usage; scans run as durable 'scan' refresh
 * tasks (at start, every `scanIntervalMs`, and on request) and a live feed of changes.
 */
import { checkStorage } from './storage-check';
import type { StorageCheck } from './storage-check';
import { ModeldockError } from '../errors';
import type { EnqueueRequest, EnqueueResult } from '../download-request';
import type { Clock, FileSystem, JobStore, Logger } from '../ports';
import type { RefreshTasks } from '../tasks/refresh/refresh-tasks';
import { clearCache } from './library-cache-cleanup';
import type { CacheCleanup } from './library-cache-cleanup';
import { deleteEntries } from './library-delete';
import type { DeleteResult } from './library-delete';
import type { LibraryEntry } from './library-entry';
import { createLibraryEventHub } from './library-events';
import { createTaskRunner } from '../tasks/task-runner';
import type { LibraryEvent, LibraryEventInput } from './library-events';
import type { LibraryEventRelay } from './library-event-relay';
import { validateLibraryQuery } from './library-query';
import type { LibraryListQuery } from './library-query';
import { redownload } from './library-redownload';
import { SCAN_TASK_KIND, scanTaskHandler } from './library-scan-task';
import type { LibraryFolderUsage, LibraryRow, LibraryStore } from './library-store';
import type { FilesInUse, ModelLibraryContext } from './model-library-context';

export interface ModelLibrarySettings {
  /** Time between two background scans; null = only at start and on request. Default 30 minutes. */
  scanIntervalMs: number | null;
  /** Hashing read rate while downloads run, bytes per second; null = unthrottled. */
  busyReadBytesPerSecond: number | null;
}

export const DEFAULT_MODEL_LIBRARY_SETTINGS: ModelLibrarySettings = {
  scanIntervalMs: 30 * 60_000,
  busyReadBytesPerSecond: 32 * 1024 * 1024,
};

export interface ModelLibraryPorts {
  store: LibraryStore;
  tasks: RefreshTasks;
  /** The jobs whose files the library must not touch. */
  jobs: Pick<JobStore, 'listActiveJobs' | 'listJobs'>;
  /** Carries the live feed to and from other processes sharing the database (PostgreSQL). */
  relay?: LibraryEventRelay;
  /** Starts a download ("Download again"). */
  enqueue(request: EnqueueRequest): Promise<EnqueueResult>;
  /** True while downloads transfer or verify: scans then read slowly. */
  isDownloading(): boolean;
  fs: FileSystem;
  clock: Clock;
  logger: Logger;
  /** Absolute, real path of the models root. */
  modelsRoot: string;
  /** Shown in the stats (where the database and logs live). */
  dataDir: string;
  settings?: Partial<ModelLibrarySettings>;
  /** Fills the metadata domain's fields of listed entries (metadata, preview, update). */
  describe?(entries: LibraryEntry[]): Promise<LibraryEntry[]>;
  /** A scan recorded changes (the metadata domain reads new entries' sidecars). */
  afterScan?(): Promise<void>;
  /** Entries were deleted (the metadata domain removes their thumbnails). */
  afterDelete?(ids: string[]): Promise<void>;
}

export interface LibraryStats {
  totalBytes: number;
  files: number;
  folders: LibraryFolderUsage[];
  /** Free space of the models volume. */
  freeBytes: number;
  modelsRoot: string;
  dataDir: string;
}

export interface ModelLibrary {
  list(query?: LibraryListQuery): Promise<{ items: LibraryEntry[]; nextCursor: string | null }>;
  get(id: string): Promise<LibraryEntry>;
  stats(): Promise<LibraryStats>;
  /** Free space under the models root and whether a file can be written there (`modeldock doctor`). */
  storage(): Promise<StorageCheck>;
  delete(ids: string[]): Promise<DeleteResult>;
  clearCache(options: { dryRun: boolean }): Promise<CacheCleanup>;
  redownload(id: string): Promise<{ jobId: string }>;
  /**
   * Queues a scan of the whole library (or returns the one already queued or running); normal
   * priority unless asked for 'low' (scheduled maintenance).
   */
  scan(options?: { priority?: 'low' | 'normal' }): Promise<{ taskId: string }>;
  /** Tells listeners entries changed outside a scan (a download finished). */
  entriesChanged(ids: string[] | null): void;
  subscribe(listener: (event: LibraryEvent) => void): () => void;
  eventsAfter(lastEventId: string): LibraryEvent[] | null;
  latestEventId(): string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const FAILED_PAGE = 200;

export function toLibraryEntry(row: LibraryRow): LibraryEntry {
  return {
    id: row.id,
    relativePath: row.relativePath,
    folder: row.folder,
    name: row.name,
    sizeBytes: row.sizeBytes,
    sha256: row.sha256,
    format: row.format,
    status: row.status,
    source: row.source,
    jobId: row.jobId,
    error: row.error,
    addedAt: row.addedAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    metadata: null,
    preview: null,
    update: null,
    sidecars: [],
  };
}

function checkId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > 64) {
    throw new ModeldockError('MODEL_NOT_FOUND', 'No library entry has this id');
  }
  return id;
}

/** The background task that queues a low-priority scan every `scanIntervalMs`. */
export const PERIODIC_SCAN_TASK = 'library-scan-schedule';

export function createModelLibrary(ports: ModelLibraryPorts): ModelLibrary {
  const settings = { ...DEFAULT_MODEL_LIBRARY_SETTINGS, ...ports.settings };
  const { store, tasks, clock } = ports;
  const events = createLibraryEventHub(clock.now());
  /** Published here and, through the relay, in every other process sharing the database. */
  const publish = (input: LibraryEventInput) => {
    const event = events.publish(input);
    ports.relay?.send(input);
    return event;
  };
  let stopRelay: (() => void) | null = null;
  // The periodic scan is a background task like every other loop (docs/architecture.md).
  const schedules = createTaskRunner({ clock, logger: ports.logger });

  async function filesInUse(): Promise<FilesInUse> {
    const inUse: FilesInUse = { relativePaths: new Set(), fileIds: new Set() };
    for (const job of await ports.jobs.listActiveJobs()) {
      for (const file of job.files) {
        inUse.relativePaths.add(file.relativePath);
        inUse.fileIds.add(file.id);
      }
    }
    // A failed job resumes its temp files on retry.
    let cursor: string | null = null;
    do {
      const page = await ports.jobs.listJobs({ statuses: ['failed'], limit: FAILED_PAGE, cursor });
      for (const job of page.items) for (const file of job.files) inUse.fileIds.add(file.id);
      cursor = page.nextCursor;
    } while (cursor);
    return inUse;
  }

  const ctx: ModelLibraryContext = {
    store,
    fs: ports.fs,
    logger: ports.logger,
    modelsRoot: ports.modelsRoot,
    now: () => new Date(clock.now()),
    filesInUse,
    enqueue: ports.enqueue,
  };

  tasks.register(
    SCAN_TASK_KIND,
    scanTaskHandler({
      ...ctx,
      clock,
      isDownloading: ports.isDownloading,
      busyReadBytesPerSecond: settings.busyReadBytesPerSecond,
      onScanned: (report) => {
        if (report.hashed + report.moved + report.missing + report.failed > 0) {
          publish({ type: 'entries', ids: null });
          ports.afterScan?.().catch((error: unknown) =>
            ports.logger.warn({ message: (error as Error).message }, 'could not queue reading the sidecars of new entries'),
          );
        }
      },
    }),
  );
  tasks.subscribe((task) => publish({ type: 'task', task }));

  async function getRow(id: unknown): Promise<LibraryRow> {
    const row = await store.get(checkId(id));
    if (!row) throw new ModeldockError('MODEL_NOT_FOUND', `No library entry has the id ${String(id).slice(0, 64)}`);
    return row;
  }

  async function queueScan(priority: 'low' | 'normal'): Promise<{ taskId: string }> {
    const task = await tasks.create(SCAN_TASK_KIND, { scope: 'library' }, priority);
    return { taskId: task.id };
  }


  const describe = async (entries: LibraryEntry[]) => (ports.describe ? ports.describe(entries) : entries);

  return {
    async list(query) {
      const page = await store.list(validateLibraryQuery(query));
      return { items: await describe(page.items.map(toLibraryEntry)), nextCursor: page.nextCursor };
    },
    get: async (id) => (await describe([toLibraryEntry(await getRow(id))]))[0]!,
    async stats() {
      const folders = await store.usage();
      return {
        totalBytes: folders.reduce((sum, folder) => sum + folder.bytes, 0),
        files: folders.reduce((sum, folder) => sum + folder.files, 0),
        folders,
        freeBytes: await ports.fs.freeBytes(ports.modelsRoot),
        modelsRoot: ports.modelsRoot,
        dataDir: ports.dataDir,
      };
    },
    storage: () => checkStorage(ports.fs, ports.modelsRoot, ports.clock),
    async delete(ids) {
      const result = await deleteEntries(ctx, ids);
      if (result.deleted > 0) {
        publish({ type: 'entries', ids: [...new Set(ids)] });
        await ports.afterDelete?.([...new Set(ids)]).catch((error: unknown) =>
          ports.logger.warn({ message: (error as Error).message }, 'could not remove the thumbnails of deleted entries'),
        );
      }
      return result;
    },
    async clearCache(options) {
      if (typeof options?.dryRun !== 'boolean') throw new ModeldockError('INVALID_INPUT', 'dryRun must be true or false');
      return clearCache(ctx, options.dryRun);
    },
    redownload: async (id) => redownload(ctx, await getRow(id)),
    scan: (options) => queueScan(options?.priority === 'low' ? 'low' : 'normal'),
    entriesChanged: (ids) => void publish({ type: 'entries', ids }),
    subscribe: (listener) => events.subscribe(listener),
    eventsAfter: (lastEventId) => events.eventsAfter(lastEventId),
    latestEventId: () => events.latestEventId(),
    async start() {
      // What other processes publish reaches this process's subscribers (not relayed back).
      stopRelay ??= ports.relay?.watch((input) => void events.publish(input)) ?? null;
      tasks.start();
      await queueScan('low');
      if (settings.scanIntervalMs !== null && !schedules.has(PERIODIC_SCAN_TASK)) {
        const every = settings.scanIntervalMs;
        schedules.register({
          name: PERIODIC_SCAN_TASK,
          schedule: { every, firstAfter: every },
          run: async () => {
            await queueScan('low');
          },
        });
        schedules.start();
      }
    },
    async stop() {
      stopRelay?.();
      stopRelay = null;
      await schedules.stop();
      await tasks.stop();
    },
  };
}
