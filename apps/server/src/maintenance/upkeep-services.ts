/**
 * Keeping a collection without watching it: the stored settings object (read again every few
 * seconds, since another process sharing the database may change it), the bandwidth schedule that
 * keeps this process's global limit equal to it, scheduled maintenance (scan, recovery, update
 * checks) and job retention, all as tasks on the server's runner.
 */
import {
  createAppSettings,
  createMaintenanceScheduler,
  measureMaintenanceCounts,
  startBandwidthSchedule,
  startJobRetention,
} from '@modeldock/engine';
import type {
  AppSettingsService,
  BandwidthSchedule,
  Clock,
  DownloadManager,
  LibraryMetadata,
  LibraryStore,
  Logger,
  MaintenanceReport,
  MaintenanceRunStore,
  MaintenanceScheduler,
  ModelLibrary,
  SettingsPort,
  TaskRunner,
  RefreshTasks,
} from '@modeldock/engine';

export const SETTINGS_SYNC_TASK = 'settings-sync';
const SETTINGS_SYNC_MS = 5_000;
const COUNT_PAGE = 500;

export interface UpkeepServicesOptions {
  stores: { settings: SettingsPort; maintenanceRuns: MaintenanceRunStore; library: Pick<LibraryStore, 'list'> };
  manager: DownloadManager;
  library: ModelLibrary;
  metadata: LibraryMetadata;
  tasks: RefreshTasks;
  runner: TaskRunner;
  clock: Clock;
  logger: Logger;
  defaults: { scanIntervalMinutes: number; globalLimitBps: number | null };
  /** A scheduled maintenance run finished (notifications: `maintenance.report`). */
  onMaintenanceReport?(report: MaintenanceReport): void | Promise<void>;
}

export interface UpkeepServices {
  settings: AppSettingsService;
  bandwidth: BandwidthSchedule;
  maintenance: MaintenanceScheduler;
  close(): Promise<void>;
}

async function countMissing(library: Pick<LibraryStore, 'list'>): Promise<number> {
  let missing = 0;
  let cursor: string | null = null;
  do {
    const page = await library.list({
      statuses: ['missing'],
      folder: null,
      source: null,
      format: null,
      flag: null,
      search: null,
      sort: 'name',
      order: 'asc',
      limit: COUNT_PAGE,
      cursor,
    });
    missing += page.items.length;
    cursor = page.nextCursor;
  } while (cursor);
  return missing;
}

export async function startUpkeepServices(options: UpkeepServicesOptions): Promise<UpkeepServices> {
  const { runner, clock, logger, manager } = options;
  const settings = createAppSettings({ store: options.stores.settings, clock, defaults: options.defaults });
  await settings.get();
  runner.register({
    name: SETTINGS_SYNC_TASK,
    schedule: { every: SETTINGS_SYNC_MS, firstAfter: SETTINGS_SYNC_MS },
    failureMessage: 'could not read the settings again',
    async run() {
      await settings.reload();
    },
  });
  const bandwidth = startBandwidthSchedule({
    settings,
    clock,
    runner,
    apply: (bytesPerSecond) => manager.setGlobalBandwidthLimit(bytesPerSecond),
  });
  const maintenance = createMaintenanceScheduler({
    settings,
    store: options.stores.maintenanceRuns,
    tasks: options.tasks,
    runner,
    clock,
    logger,
    actions: {
      scan: (priority) => options.library.scan({ priority: priority === 'low' ? 'low' : 'normal' }),
      recovery: (priority) => options.metadata.recover({ priority }),
      updates: (priority) => options.metadata.checkUpdates({ scope: 'all', priority }),
    },
    measure: () =>
      measureMaintenanceCounts({
        summary: () => options.metadata.summary(),
        countMissing: () => countMissing(options.stores.library),
      }),
    onReport: options.onMaintenanceReport,
  });
  const retention = startJobRetention({ settings, manager, runner, clock, logger });
  return {
    settings,
    bandwidth,
    maintenance,
    async close() {
      bandwidth.stop();
      await maintenance.stop();
      await retention.stop();
      await runner.remove(SETTINGS_SYNC_TASK);
    },
  };
}
