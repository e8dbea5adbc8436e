/**
 * Scheduled maintenance's two stores (engine: maintenance/maintenance-store.ts): the last run per
 * kind, claimed with one conditional upsert so of several processes exactly one starts a due run,
 * and the refresh failures per library entry (same code again: the count goes up, in one statement).
 */
import { and, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import type { MaintenanceKind, MaintenanceRunRecord, MaintenanceRunStore, RefreshFailure, RefreshFailureStore } from '@modeldock/engine';
import type { Database } from './database';
import { withDatabaseErrors } from './database-errors';
import { maintenanceRuns, refreshFailures } from './schema';

const CHUNK = 500;

export function createMaintenanceRunStore(db: Database): MaintenanceRunStore {
  return {
    async list() {
      return withDatabaseErrors('reading the maintenance schedule', async () => {
        const rows = await db.select().from(maintenanceRuns);
        return rows.map(
          (row): MaintenanceRunRecord => ({
            kind: row.kind as MaintenanceKind,
            since: row.since,
            lastStartedAt: row.lastStartedAt,
            lastFinishedAt: row.lastFinishedAt,
            taskId: row.taskId,
            userInitiated: row.userInitiated,
            baseline: row.baseline ?? null,
            lastReport: row.lastReport ?? null,
          }),
        );
      });
    },

    async ensure(kinds, now) {
      return withDatabaseErrors('reading the maintenance schedule', async () => {
        await db
          .insert(maintenanceRuns)
          .values(kinds.map((kind) => ({ kind, since: now, updatedAt: now })))
          .onConflictDoNothing({ target: maintenanceRuns.kind });
      });
    },

    async claim(kind, dueBefore, now, run) {
      return withDatabaseErrors('starting a maintenance run', async () => {
        const values = { lastStartedAt: now, taskId: null, userInitiated: run.userInitiated, baseline: run.baseline, updatedAt: now };
        const rows = await db
          .insert(maintenanceRuns)
          .values({ kind, since: now, ...values })
          .onConflictDoUpdate({
            target: maintenanceRuns.kind,
            set: values,
            setWhere: sql`coalesce(${maintenanceRuns.lastStartedAt}, ${maintenanceRuns.since}) <= ${dueBefore.toISOString()}::timestamptz`,
          })
          .returning({ kind: maintenanceRuns.kind });
        return rows.length > 0;
      });
    },

    async setTask(kind, taskId, now) {
      return withDatabaseErrors('recording a maintenance run', async () => {
        await db.update(maintenanceRuns).set({ taskId, updatedAt: now }).where(eq(maintenanceRuns.kind, kind));
      });
    },

    async finish(kind, taskId, report, now) {
      return withDatabaseErrors('recording the end of a maintenance run', async () => {
        const rows = await db
          .update(maintenanceRuns)
          .set({ lastFinishedAt: now, lastReport: report, updatedAt: now })
          .where(
            and(
              eq(maintenanceRuns.kind, kind),
              eq(maintenanceRuns.taskId, taskId),
              or(isNull(maintenanceRuns.lastFinishedAt), sql`${maintenanceRuns.lastFinishedAt} < ${maintenanceRuns.lastStartedAt}`),
            ),
          )
          .returning({ kind: maintenanceRuns.kind });
        return rows.length > 0;
      });
    },
  };
}

export function createRefreshFailureStore(db: Database): RefreshFailureStore {
  return {
    async get(entryIds) {
      return withDatabaseErrors('reading refresh failures', async () => {
        const found = new Map<string, RefreshFailure>();
        for (let start = 0; start < entryIds.length; start += CHUNK) {
          const rows = await db
            .select({ entryId: refreshFailures.entryId, code: refreshFailures.code, count: refreshFailures.count })
            .from(refreshFailures)
            .where(inArray(refreshFailures.entryId, entryIds.slice(start, start + CHUNK)));
          for (const row of rows) found.set(row.entryId, { code: row.code, count: row.count });
        }
        return found;
      });
    },

    async record(failures, now) {
      if (failures.length === 0) return;
      return withDatabaseErrors('recording refresh failures', async () => {
        for (const failure of failures) {
          await db
            .insert(refreshFailures)
            .values({ entryId: failure.entryId, code: failure.code, count: 1, lastFailedAt: now })
            .onConflictDoUpdate({
              target: refreshFailures.entryId,
              set: {
                count: sql`case when ${refreshFailures.code} = excluded.code then ${refreshFailures.count} + 1 else 1 end`,
                code: sql`excluded.code`,
                lastFailedAt: now,
              },
            });
        }
      });
    },

    async clear(entryIds) {
      if (entryIds.length === 0) return;
      return withDatabaseErrors('clearing refresh failures', async () => {
        for (let start = 0; start < entryIds.length; start += CHUNK) {
          await db.delete(refreshFailures).where(inArray(refreshFailures.entryId, entryIds.slice(start, start + CHUNK)));
        }
      });
    },
  };
}
