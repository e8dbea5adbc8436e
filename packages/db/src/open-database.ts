/**
 * Opens modeldock's database: embedded PGlite under `<dataDir>/pglite` by default, or PostgreSQL
 * when `databaseUrl` is given. Migrations are applied before anything else touches it. The same
 * stores run on both; only LISTEN/NOTIFY for `watchEvents` is PostgreSQL's own.
 */
import { ModeldockError } from '@modeldock/engine';
import type {
  JobStore,
  LibraryMetadataStore,
  LibraryStore,
  LocalFileIndex,
  Logger,
  MaintenanceRunStore,
  RefreshFailureStore,
  NotificationStore,
  RefreshTaskStore,
  StoredJobEvent,
  WorkerStore,
} from '@modeldock/engine';
import { createApiKeyStore } from './api-key-store';
import type { ApiKeyStore } from './api-key-store';
import { describeDatabaseError } from './database-errors';
import type { Database, DatabaseDriver } from './database';
import { rememberHandle } from './database-handles';
import { createSilentBroadcast, startPostgresBroadcast } from './broadcast';
import type { Broadcast } from './broadcast';
import {
  createLocalEventNotifications,
  startPostgresEventNotifications,
} from './event-notifications';
import type { EventNotifications } from './event-notifications';
import { SqlJobStore } from './job-store';
import { checkMigrationsFolder, DEFAULT_MIGRATIONS_FOLDER } from './migrations-folder';
import { openPgliteDatabase } from './pglite-database';
import { describeDatabaseUrl, openPostgresDatabase } from './postgres-database';
import { createSettingsStore } from './settings-store';
import { createLocalFileIndexStore } from './local-file-index-store';
import { createLibraryStore } from './library/library-store';
import { createMetadataStore } from './library/metadata-store';
import { createRefreshTaskStore } from './tasks/refresh-task-store';
import type { SettingsStore } from './settings-store';
import { createWorkerStore } from './worker-store';
import { createMaintenanceRunStore, createRefreshFailureStore } from './maintenance-store';
import { createNotificationStore } from './notifications/notification-store';

export interface OpenDatabaseOptions {
  /** The data directory; the embedded database lives in `<dataDir>/pglite`. */
  dataDir: string;
  /** postgres://… to use a PostgreSQL server instead (lets several processes share jobs). */
  databaseUrl?: string | null;
  /** The drizzle/ folder of migrations; defaults to this package's own. */
  migrationsFolder?: string;
  /** For warnings about event delivery; callers pass a redacting logger. */
  logger?: Logger;
  /**
   * Embedded database only: how to start this program again so a new database is created in a
   * child process, whose WebAssembly memory then dies with it (see pglite-first-start.ts).
   */
  pgliteInitdbCommand?: readonly string[];
  /**
   * PostgreSQL only: how often to look for events from other processes whose notification was
   * lost (default 5 s). Notified events arrive at once regardless.
   */
  eventPollIntervalMs?: number;
}

export interface ModeldockDatabase {
  driver: DatabaseDriver;
  jobs: JobStore;
  apiKeys: ApiKeyStore;
  settings: SettingsStore;
  /** What is known about the files under the models root (path, size, mtime, SHA-256). */
  fileIndex: LocalFileIndex;
  /** The model library: the same rows as `fileIndex`, present and missing, with their sources. */
  library: LibraryStore;
  /** Per library entry: metadata, preview and update status (cascades with the entry). */
  metadata: LibraryMetadataStore;
  /** Durable refresh tasks (library scans, metadata refreshes), leased like jobs. */
  refreshTasks: RefreshTaskStore;
  /** Heartbeats of the processes sharing the database (`workers.list`, jobs for a node). */
  workers: WorkerStore;
  /** Scheduled maintenance: the last run per kind, claimed atomically across processes. */
  maintenanceRuns: MaintenanceRunStore;
  /** Scheduled recovery's failures per library entry (three the same way: skipped). */
  refreshFailures: RefreshFailureStore;
  /** The notification centre, outgoing destinations and their delivery outbox. */
  notifications: NotificationStore;
  /**
   * Stored job events as they are appended, by this or any other process sharing the database,
   * each delivered once. Returns an unsubscribe.
   */
  watchEvents(listener: (event: StoredJobEvent) => void): () => void;
  /**
   * Live library news (entries changed, task progress) between the processes sharing a PostgreSQL
   * database; silent on the embedded one (a single process). Best effort, never stored.
   */
  libraryBroadcast: Broadcast;
  /** Stops event delivery, closes connections and releases the embedded database's lock. */
  close(): Promise<void>;
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<ModeldockDatabase> {
  const migrationsFolder = checkMigrationsFolder(
    options.migrationsFolder ?? DEFAULT_MIGRATIONS_FOLDER,
  );
  const databaseUrl = options.databaseUrl?.trim();
  const pollMs = options.eventPollIntervalMs;
  if (pollMs !== undefined && !(Number.isFinite(pollMs) && pollMs >= 10)) {
    throw new ModeldockError(
      'INVALID_INPUT',
      `eventPollIntervalMs must be at least 10 ms (got ${pollMs}).`,
    );
  }

  if (databaseUrl) {
    const opened = await openPostgresDatabase(databaseUrl, migrationsFolder);
    // Reads back what other processes announce; the store below announces what this one appends.
    const eventReader = new SqlJobStore(opened.db);
    let notifications: EventNotifications;
    try {
      notifications = await startPostgresEventNotifications(opened.client, eventReader, {
        logger: options.logger,
        pollIntervalMs: options.eventPollIntervalMs,
      });
    } catch (error) {
      await opened.close();
      throw new ModeldockError(
        'DATABASE_UNAVAILABLE',
        `Cannot listen for job events on PostgreSQL at ${describeDatabaseUrl(databaseUrl)}: ${describeDatabaseError(error)}`,
        { cause: error },
      );
    }
    const jobs = new SqlJobStore(opened.db, {
      onEventAppended: (event) => notifications.published(event),
    });
    const libraryBroadcast = await startPostgresBroadcast(opened.client, LIBRARY_CHANNEL, (message) =>
      options.logger?.warn({ message }, 'library news to or from another process was lost'),
    ).catch(async (error: unknown) => {
      await notifications.close();
      await opened.close();
      throw new ModeldockError(
        'DATABASE_UNAVAILABLE',
        `Cannot listen for library events on PostgreSQL at ${describeDatabaseUrl(databaseUrl)}: ${describeDatabaseError(error)}`,
        { cause: error },
      );
    });
    return assemble('postgres', opened.db, jobs, notifications, opened.close, libraryBroadcast);
  }

  const opened = await openPgliteDatabase(options.dataDir, migrationsFolder, options.logger, {
    initdbCommand: options.pgliteInitdbCommand,
  });
  const notifications = createLocalEventNotifications(options.logger);
  const jobs = new SqlJobStore(opened.db, {
    onEventAppended: (event) => notifications.published(event),
  });
  return assemble('pglite', opened.db, jobs, notifications, opened.close, createSilentBroadcast());
}

/** The NOTIFY channel of `libraryBroadcast`. */
export const LIBRARY_CHANNEL = 'modeldock_library_events';

function assemble(
  driver: DatabaseDriver,
  db: Database,
  jobs: SqlJobStore,
  notifications: EventNotifications,
  closeConnection: () => Promise<void>,
  libraryBroadcast: Broadcast,
): ModeldockDatabase {
  let closing: Promise<void> | undefined;
  const opened: ModeldockDatabase = {
    driver,
    jobs,
    apiKeys: createApiKeyStore(db),
    settings: createSettingsStore(db),
    fileIndex: createLocalFileIndexStore(db),
    library: createLibraryStore(db),
    metadata: createMetadataStore(db),
    refreshTasks: createRefreshTaskStore(db),
    workers: createWorkerStore(db),
    maintenanceRuns: createMaintenanceRunStore(db),
    refreshFailures: createRefreshFailureStore(db),
    notifications: createNotificationStore(db),
    watchEvents: (listener) => notifications.watch(listener),
    libraryBroadcast,
    close() {
      closing ??= (async () => {
        try {
          await libraryBroadcast.close();
          await notifications.close();
        } finally {
          await closeConnection();
        }
      })();
      return closing;
    },
  };
  rememberHandle(opened, db);
  return opened;
}
