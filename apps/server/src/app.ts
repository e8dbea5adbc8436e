/**
 * Wires the pieces into a running server: logs → database → engine (with its real ports) → event
 * hub → HTTP/WebSocket listener. `startApp` is what `main.ts` runs, and what a test can run
 * in-process; its handle's `close()` is the graceful stop.
 */
import { realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { DestinationStream } from 'pino';
import {
  createDownloadManager,
  createHubResolvers,
  createNodeFileSystem,
  createSystemClock,
  createTaskRunner,
  createUndiciHttpClient,
  createWorkerPresence,
  createNotifications,
  systemResolveAll,
  registerSecret,
  resolveEngineConfig,
} from '@modeldock/engine';
import { openDatabase } from '@modeldock/db';
import type { ServerConfig } from './env';
import { createLoggers } from './logging/create-loggers';
import type { ServerLoggers } from './logging/create-loggers';
import { startCredentialServices } from './credentials/credential-services';
import { loadSecretKey } from './secrets/secret-key-source';
import { createJobEventHub } from './events/job-event-hub';
import { createOriginGuard } from './http/origin-guard';
import { createAccessGate, unprotectedListenWarning } from './http/access-gate';
import { createStaticFileHandler } from './http/static-files';
import { startListener } from './http/listener';
import { startLibraryServices } from './library/library-services';
import { startUpkeepServices } from './maintenance/upkeep-services';
import { PLATFORM_NAMES } from './credentials/api-key-platforms';
import { runShutdownSteps } from './shutdown';
import type { ShutdownStep } from './shutdown';
import { VERSION } from './version';

/** Looking at other processes' jobs more often than this costs queries and shows nothing new. */
const REMOTE_PROGRESS_MIN_INTERVAL_MS = 500;

export interface AppHandle {
  /** e.g. http://127.0.0.1:8787 */
  url: string;
  port: number;
  database: 'pglite' | 'postgres';
  loggers: ServerLoggers;
  /** The start-up line to print when others can reach this server and use it without a token. */
  warning: string | null;
  /** Graceful stop; safe to call more than once. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Migrations shipped beside the bundle (dist/drizzle); the db package's own folder otherwise. */
  migrationsFolder?: string;
  /** Where console log lines go (stdout by default). */
  console?: DestinationStream;
  /** How to start this program again to create a new embedded database in a child process. */
  pgliteInitdbCommand?: readonly string[];
}

/** apps/web/build, found from this module whether it runs from src/ or from the dist/ bundle. */
export function defaultWebDir(): string {
  return fileURLToPath(new URL('../../web/build', import.meta.url));
}

function workerIdForThisProcess(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

function registerDatabasePassword(databaseUrl: string | null): void {
  if (!databaseUrl) return;
  try {
    registerSecret(decodeURIComponent(new URL(databaseUrl).password));
  } catch {
    // env.ts already validated the URL; nothing to register if it has no password.
  }
}

export async function startApp(
  config: ServerConfig,
  options: StartOptions = {},
): Promise<AppHandle> {
  const loggers = createLoggers({
    level: config.logLevel,
    dataDir: config.dataDir,
    console: options.console,
  });
  const log = loggers.server;
  registerDatabasePassword(config.databaseUrl);
  const accessGate = createAccessGate({ token: config.accessToken });
  // Neither the token nor the cookie made from it may appear in a log line, an error or an event.
  registerSecret(config.accessToken);
  registerSecret(accessGate.sessionValue);
  const cleanup: ShutdownStep[] = [];
  const undo = async () => {
    await runShutdownSteps([...cleanup].reverse(), log);
    loggers.flush();
  };

  try {
    // First: a key file others can read, or a malformed one, stops the start before anything opens.
    const secretKey = await loadSecretKey({
      dataDir: config.dataDir,
      environmentKey: config.secretKey,
    });
    const db = await openDatabase({
      dataDir: config.dataDir,
      databaseUrl: config.databaseUrl ?? undefined,
      migrationsFolder: options.migrationsFolder,
      logger: loggers.engine,
      pgliteInitdbCommand: options.pgliteInitdbCommand,
    });
    cleanup.push({ name: 'close database', run: () => db.close() });

    // The server's background work (API key rechecks, other processes' progress): one stop for all.
    const clock = createSystemClock();
    const tasks = createTaskRunner({ clock, logger: log });
    tasks.start();
    cleanup.push({ name: 'stop background tasks', run: () => tasks.stop() });

    const engineConfig = resolveEngineConfig(config.engine);
    const http = createUndiciHttpClient(engineConfig);
    cleanup.push({ name: 'close HTTP client', run: () => http.close() });

    const workerId = workerIdForThisProcess();
    // Notifications go out through the same guarded client as downloads (same private-address rules).
    const notifications = createNotifications({
      store: db.notifications,
      http,
      clock,
      logger: log,
      tasks,
      workerId,
      allowPrivateHosts: engineConfig.allowPrivateHosts,
      resolveAll: systemResolveAll,
    });
    await notifications.start();
    cleanup.push({ name: 'stop notification delivery', run: () => notifications.stop() });

    const credentials = await startCredentialServices({
      secretKey,
      store: db.apiKeys,
      config,
      http,
      clock,
      logger: log,
      tasks,
      onKeyRefused: ({ platform, version, reason }) =>
        void notifications.reportKeyInvalid({
          platform,
          platformName: PLATFORM_NAMES[platform],
          reason,
          dedupeKey: `key:${platform}:${version}`,
        }),
    });
    cleanup.push({ name: 'stop API key checks', run: () => credentials.close() });

    const fs = createNodeFileSystem();
    const modelsRoot = realpathSync(config.modelsDir);
    // Heartbeats a few times per lease: a worker is taken as down once a whole lease passed in silence.
    const presence = createWorkerPresence({
      store: db.workers,
      jobs: db.jobs,
      clock,
      logger: log,
      tasks,
      workerId,
      nodeName: config.nodeName,
      heartbeatMs: Math.max(250, Math.floor(engineConfig.leaseMs / 3)),
      aliveWithinMs: engineConfig.leaseMs,
    });
    await presence.start();
    cleanup.push({ name: 'leave the workers list', run: () => presence.stop() });
    const manager = createDownloadManager({
      store: db.jobs,
      http,
      // Hard links let a reused file take no extra space; symbolic links build the HF cache layout.
      fs,
      clock,
      logger: loggers.engine,
      // The real path: confinement compares real paths, and the root itself may be a symlink.
      modelsRoot,
      workerId,
      nodeName: config.nodeName,
      presence,
      config: engineConfig,
      credentials: credentials.provider,
      resolvers: createHubResolvers({
        huggingFaceEndpoint: config.huggingFaceEndpoint ?? undefined,
        civitaiEndpoint: config.civitaiEndpoint ?? undefined,
      }),
      // Embedded PGlite is locked to this process: any lease still held was held by a dead one.
      recoverAllLeasesAtStart: db.driver === 'pglite',
      // Completed files are recorded, files already on disk indexed in the background and reusable.
      fileIndex: db.fileIndex,
    });
    // Before start: a job finished during recovery still notifies. Only this process's own
    // transitions reach it, so with several processes each finished job is recorded once.
    const stopWatchingJobs = notifications.watchJobs(manager);
    cleanup.push({ name: 'stop job notifications', run: async () => stopWatchingJobs() });
    await manager.start();
    cleanup.push({ name: 'stop downloads', run: () => manager.stop() });

    const libraryServices = await startLibraryServices({
      stores: {
        library: db.library,
        refreshTasks: db.refreshTasks,
        jobs: db.jobs,
        metadata: db.metadata,
        settings: db.settings,
        refreshFailures: db.refreshFailures,
      },
      manager,
      broadcast: db.libraryBroadcast,
      http,
      credentials: credentials.provider,
      civitaiEndpoint: config.civitaiEndpoint ?? undefined,
      huggingFaceEndpoint: config.huggingFaceEndpoint ?? undefined,
      maxRedirects: engineConfig.maxRedirects,
      fs,
      clock,
      logger: loggers.engine,
      modelsRoot,
      dataDir: config.dataDir,
      workerId,
      // Periodic scans are scheduled maintenance now (below); the library scans once at start.
      scanIntervalMinutes: 0,
      leaseMs: engineConfig.leaseMs,
      generator: `modeldock ${VERSION}`,
    });
    cleanup.push({ name: 'stop library tasks', run: () => libraryServices.close() });

    const upkeep = await startUpkeepServices({
      stores: { settings: db.settings, maintenanceRuns: db.maintenanceRuns, library: db.library },
      manager,
      library: libraryServices.library,
      metadata: libraryServices.metadata,
      tasks: libraryServices.tasks,
      runner: tasks,
      clock,
      logger: log,
      defaults: {
        scanIntervalMinutes: config.libraryScanIntervalMinutes,
        globalLimitBps: engineConfig.globalBandwidthLimitBps ?? null,
      },
      // One notification per notable run: its end is recorded once across processes, and keyed by its task.
      onMaintenanceReport: async (report) => {
        if (!report.notable) return;
        await notifications.reportMaintenance({
          updates: report.updatesFound,
          previewsRecovered: report.previewsRecovered,
          missing: report.modelsMissing,
          taskIds: [report.taskId],
          dedupeKey: `maintenance:${report.taskId}`,
        });
      },
    });
    cleanup.push({ name: 'stop maintenance', run: () => upkeep.close() });

    const events = createJobEventHub(manager, {
      watchStoredEvents: db.watchEvents,
      latestStoredEventId: () => db.jobs.latestEventId(),
      // Only PostgreSQL can be shared. Others record durable progress at most every syncIntervalMs.
      remoteProgressIntervalMs:
        db.driver === 'postgres'
          ? Math.max(engineConfig.syncIntervalMs, REMOTE_PROGRESS_MIN_INTERVAL_MS)
          : null,
      tasks,
      clock,
    });
    cleanup.push({ name: 'close event feed', run: () => events.close() });

    const listener = await startListener({
      host: config.host,
      port: config.port,
      context: {
        manager,
        events,
        library: libraryServices.library,
        tasks: libraryServices.tasks,
        metadata: libraryServices.metadata,
        settings: upkeep.settings,
        bandwidth: upkeep.bandwidth,
        maintenance: upkeep.maintenance,
        collection: libraryServices.collection,
        workflows: libraryServices.workflows,
        database: db.driver,
        version: VERSION,
        apiKeys: credentials.settings,
        workers: presence,
        notifications,
        paths: { modelsDir: modelsRoot, dataDir: config.dataDir },
      },
      originGuard: createOriginGuard({
        listenHost: config.host,
        allowedOrigins: config.allowedOrigins,
        allowedHosts: config.allowedHosts,
        accessTokenRequired: accessGate.required,
      }),
      accessGate,
      serveStaticFile: createStaticFileHandler({ rootDir: config.webDir ?? defaultWebDir() }),
      logger: log,
    });

    log.info(
      {
        url: listener.url,
        version: VERSION,
        database: db.driver,
        dataDir: config.dataDir,
        modelsDir: config.modelsDir,
        downloadsLog: loggers.downloadsLogFile,
        node: config.nodeName,
        accessTokenRequired: accessGate.required,
      },
      'modeldock started',
    );

    let closing: Promise<void> | null = null;
    const close = () => {
      closing ??= (async () => {
        await runShutdownSteps(
          [
            { name: 'stop accepting', run: () => listener.stopAccepting() },
            { name: 'ask clients to reconnect', run: () => listener.notifyReconnect() },
            { name: 'stop maintenance', run: () => upkeep.close() },
            { name: 'stop library tasks', run: () => libraryServices.close() },
            { name: 'stop downloads', run: () => manager.stop() },
            { name: 'stop job notifications', run: async () => stopWatchingJobs() },
            { name: 'stop notification delivery', run: () => notifications.stop() },
            { name: 'leave the workers list', run: () => presence.stop() },
            { name: 'close event feed', run: () => events.close() },
            { name: 'stop API key checks', run: () => credentials.close() },
            { name: 'stop background tasks', run: () => tasks.stop() },
            { name: 'close connections', run: () => listener.close() },
            { name: 'close HTTP client', run: () => http.close() },
            { name: 'close database', run: () => db.close() },
          ],
          log,
        );
        log.info({}, 'modeldock stopped');
        loggers.flush();
      })();
      return closing;
    };

    return {
      url: listener.url,
      port: listener.port,
      database: db.driver,
      loggers,
      warning: unprotectedListenWarning(config.host, listener.port, config.accessToken),
      close,
    };
  } catch (error) {
    await undo();
    throw error;
  }
}
