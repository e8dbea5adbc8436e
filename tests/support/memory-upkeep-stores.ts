/** In-memory settings and maintenance-run stores with the database stores' behaviour (engine unit tests). */
import type { MaintenanceKind, MaintenanceRunRecord, MaintenanceRunStore, SettingsPort } from '@modeldock/engine';

export class MemorySettingsStore implements SettingsPort {
  readonly values = new Map<string, unknown>();
  writes = 0;

  async get(key: string): Promise<unknown> {
    const value = this.values.get(key);
    return value === undefined ? undefined : structuredClone(value);
  }

  async set(key: string, value: unknown): Promise<void> {
    this.writes++;
    this.values.set(key, structuredClone(value));
  }
}

export class MemoryMaintenanceRunStore implements MaintenanceRunStore {
  readonly rows = new Map<MaintenanceKind, MaintenanceRunRecord>();

  async list(): Promise<MaintenanceRunRecord[]> {
    return [...this.rows.values()].map((row) => structuredClone(row));
  }

  async ensure(kinds: readonly MaintenanceKind[], now: Date): Promise<void> {
    for (const kind of kinds) {
      if (!this.rows.has(kind)) {
        this.rows.set(kind, { kind, since: now, lastStartedAt: null, lastFinishedAt: null, taskId: null, userInitiated: false, baseline: null, lastReport: null });
      }
    }
  }

  async claim(kind: MaintenanceKind, dueBefore: Date, now: Date, run: { userInitiated: boolean; baseline: MaintenanceRunRecord['baseline'] }): Promise<boolean> {
    const row = this.rows.get(kind);
    if (row && (row.lastStartedAt ?? row.since).getTime() > dueBefore.getTime()) return false;
    this.rows.set(kind, {
      kind,
      since: row?.since ?? now,
      lastStartedAt: now,
      lastFinishedAt: row?.lastFinishedAt ?? null,
      taskId: null,
      userInitiated: run.userInitiated,
      baseline: run.baseline,
      lastReport: row?.lastReport ?? null,
    });
    return true;
  }

  async setTask(kind: MaintenanceKind, taskId: string): Promise<void> {
    const row = this.rows.get(kind);
    if (row) row.taskId = taskId;
  }

  async finish(kind: MaintenanceKind, taskId: string, report: MaintenanceRunRecord['lastReport'], now: Date): Promise<boolean> {
    const row = this.rows.get(kind);
    if (!row || row.taskId !== taskId || !row.lastStartedAt) return false;
    if (row.lastFinishedAt && row.lastFinishedAt.getTime() >= row.lastStartedAt.getTime()) return false;
    row.lastFinishedAt = now;
    row.lastReport = report;
    return true;
  }
}
