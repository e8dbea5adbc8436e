/**
 * Scheduled maintenance: a library scan, recovery of incomplete metadata and previews, and update
 * checks, each on or off with its interval (Settings). A task on the runner looks every minute which
 * kinds are due — due means the stored last start is an interval old, so a restart changes nothing —
 * claims the run atomically in the database (one process of many wins) and queues the work as a
 * low-priority durable refresh task. When that task ends, the first process to record the end builds
 * a `MaintenanceReport` and hands it to `onReport` (notifications).
 */
import { ModeldockError, toModeldockError } from '../errors';
import type { Clock, Logger } from '../ports';
import type { TaskRunner } from '../tasks/task-runner';
import type { RefreshTasks } from '../tasks/refresh/refresh-tasks';
import type { Task, TaskPriority } from '../tasks/refresh/refresh-task';
import { MAINTENANCE_KINDS } from '../settings/app-settings';
import type { MaintenanceKind } from '../settings/app-settings';
import type { AppSettingsService } from '../settings/app-settings-service';
import { buildMaintenanceReport } from './maintenance-report';
import type { MaintenanceCounts, MaintenanceReport, MaintenanceRunRecord, MaintenanceRunStore } from './maintenance-store';

export const MAINTENANCE_TASK = 'maintenance-schedule';
const CHECK_EVERY_MS = 60_000;
const FINISHED: readonly string[] = ['completed', 'failed', 'cancelled'];

/** How each kind of maintenance queues its refresh task. */
export type MaintenanceActions = Record<MaintenanceKind, (priority: TaskPriority) => Promise<{ taskId: string }>>;

export interface MaintenanceSchedulerOptions {
  settings: AppSettingsService;
  store: MaintenanceRunStore;
  tasks: Pick<RefreshTasks, 'get' | 'subscribe'>;
  runner: TaskRunner;
  clock: Clock;
  logger: Logger;
  actions: MaintenanceActions;
  /** Library counts, taken when a run starts and ends. */
  measure(): Promise<MaintenanceCounts>;
  /** A run finished (wired to notifications as `maintenance.report`). */
  onReport?(report: MaintenanceReport): void | Promise<void>;
  checkEveryMs?: number;
}

export interface MaintenanceStatus {
  kind: MaintenanceKind;
  enabled: boolean;
  intervalMinutes: number;
  lastRunAt: string | null;
  lastFinishedAt: string | null;
  /** When the schedule runs it next; null when off. */
  nextRunAt: string | null;
  taskId: string | null;
  running: boolean;
  lastReport: MaintenanceReport | null;
}

export interface MaintenanceScheduler {
  status(): Promise<MaintenanceStatus[]>;
  /** Runs a kind now, as the user asked (normal priority, skipped models included). */
  runNow(kind: MaintenanceKind): Promise<{ taskId: string }>;
  /** Looks for due runs and finished ones now (tests; the runner does it every minute). */
  check(): Promise<void>;
  stop(): Promise<void>;
}

export function createMaintenanceScheduler(options: MaintenanceSchedulerOptions): MaintenanceScheduler {
  const { settings, store, tasks, clock, logger } = options;
  const now = () => new Date(clock.now());
  const intervalMs = (kind: MaintenanceKind) => settings.current().maintenance[kind].intervalMinutes * 60_000;

  async function start(kind: MaintenanceKind, userInitiated: boolean): Promise<{ taskId: string } | null> {
    const started = now();
    const dueBefore = userInitiated ? started : new Date(started.getTime() - intervalMs(kind));
    const baseline = await options.measure();
    if (!(await store.claim(kind, dueBefore, started, { userInitiated, baseline }))) return null;
    const queued = await options.actions[kind](userInitiated ? 'normal' : 'low');
    await store.setTask(kind, queued.taskId, started);
    logger.info({ maintenance: kind, taskId: queued.taskId, userInitiated }, 'maintenance run queued');
    return queued;
  }

  async function finishIfDone(record: MaintenanceRunRecord, task: Task): Promise<void> {
    if (!FINISHED.includes(task.status) || record.taskId !== task.id || !record.lastStartedAt) return;
    if (record.lastFinishedAt && record.lastFinishedAt >= record.lastStartedAt) return;
    const counts = await options.measure();
    const report = buildMaintenanceReport({
      kind: record.kind,
      task,
      userInitiated: record.userInitiated,
      startedAt: record.lastStartedAt,
      finishedAt: task.finishedAt ? new Date(task.finishedAt) : now(),
      before: record.baseline,
      after: counts,
    });
    if (!(await store.finish(record.kind, task.id, report, now()))) return;
    logger.info({ maintenance: record.kind, taskId: task.id, summary: report.summary }, 'maintenance run finished');
    try {
      await options.onReport?.(report);
    } catch (error) {
      logger.warn({ maintenance: record.kind, message: toModeldockError(error).message }, 'could not pass on a maintenance report');
    }
  }

  async function check(): Promise<void> {
    await store.ensure(MAINTENANCE_KINDS, now());
    const records = new Map((await store.list()).map((record) => [record.kind, record]));
    const current = settings.current().maintenance;
    for (const kind of MAINTENANCE_KINDS) {
      const record = records.get(kind);
      let open = false;
      if (record?.taskId) {
        const task = await tasks.get(record.taskId).catch(() => null);
        if (task) await finishIfDone(record, task);
        open = task !== null && !FINISHED.includes(task.status);
      }
      if (!current[kind].enabled || open) continue;
      const reference = (record?.lastStartedAt ?? record?.since)?.getTime() ?? clock.now();
      if (clock.now() - reference >= intervalMs(kind)) await start(kind, false);
    }
  }

  options.runner.register({
    name: MAINTENANCE_TASK,
    schedule: { every: options.checkEveryMs ?? CHECK_EVERY_MS },
    failureMessage: 'scheduled maintenance could not look for due runs',
    run: () => check(),
  });
  // The task changed here (this process ran or cancelled it): report without waiting for the check.
  const unsubscribe = tasks.subscribe((task) => {
    if (!FINISHED.includes(task.status)) return;
    void (async () => {
      const record = (await store.list()).find((candidate) => candidate.taskId === task.id);
      if (record) await finishIfDone(record, task);
    })().catch((error: unknown) => logger.warn({ taskId: task.id, message: toModeldockError(error).message }, 'could not record the end of a maintenance run'));
  });
  const unwatchSettings = settings.subscribe(() => options.runner.trigger(MAINTENANCE_TASK));

  return {
    async status() {
      const records = new Map((await store.list()).map((record) => [record.kind, record]));
      const current = settings.current().maintenance;
      return Promise.all(
        MAINTENANCE_KINDS.map(async (kind) => {
          const record = records.get(kind);
          const task = record?.taskId ? await tasks.get(record.taskId).catch(() => null) : null;
          const reference = (record?.lastStartedAt ?? record?.since)?.getTime() ?? clock.now();
          const next = current[kind].enabled ? Math.max(clock.now(), reference + intervalMs(kind)) : null;
          return {
            kind,
            enabled: current[kind].enabled,
            intervalMinutes: current[kind].intervalMinutes,
            lastRunAt: record?.lastStartedAt?.toISOString() ?? null,
            lastFinishedAt: record?.lastFinishedAt?.toISOString() ?? null,
            nextRunAt: next === null ? null : new Date(next).toISOString(),
            taskId: record?.taskId ?? null,
            running: task !== null && !FINISHED.includes(task.status),
            lastReport: record?.lastReport ?? null,
          };
        }),
      );
    },
    async runNow(kind) {
      if (!(MAINTENANCE_KINDS as readonly unknown[]).includes(kind)) {
        throw new ModeldockError('INVALID_INPUT', `kind: must be one of ${MAINTENANCE_KINDS.join(', ')}`);
      }
      const queued = await start(kind, true);
      if (!queued) throw new ModeldockError('INVALID_STATE', `A ${kind} run started at this very moment; try again.`);
      return queued;
    },
    check,
    async stop() {
      unsubscribe();
      unwatchSettings();
      await options.runner.remove(MAINTENANCE_TASK);
    },
  };
}
