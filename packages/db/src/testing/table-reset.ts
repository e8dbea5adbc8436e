/** Resetting and inspecting an opened database between test cases. */
import { count, sql } from 'drizzle-orm';
import { integer, pgSchema, text } from 'drizzle-orm/pg-core';
import { handleOf } from '../database-handles';
import type { ModeldockDatabase } from '../open-database';
import { rowsOf } from './table-dump';

/** drizzle-kit's own bookkeeping table, as its migrator creates it. */
const migrationsTable = pgSchema('drizzle').table('__drizzle_migrations', {
  id: integer('id'),
  hash: text('hash'),
});

/** Empties every table and restarts the sequences, as if freshly migrated. */
export async function clearAllTables(database: ModeldockDatabase): Promise<void> {
  await handleOf(database).execute(
    sql`truncate table jobs, job_files, job_events, api_keys, settings, model_metadata, library_metadata, refresh_tasks, workers, notifications, notification_destinations, notification_deliveries, maintenance_runs, refresh_failures restart identity cascade`,
  );
}

/** How many migrations the migrator has recorded as applied. */
export async function appliedMigrationCount(database: ModeldockDatabase): Promise<number> {
  const [row] = await handleOf(database).select({ value: count() }).from(migrationsTable);
  return row?.value ?? 0;
}

/** A setting of the PostgreSQL server behind the database, as `SHOW` prints it. */
export async function serverSetting(database: ModeldockDatabase, name: string): Promise<string> {
  const result = await handleOf(database).execute(sql`select current_setting(${name}) as value`);
  return rowsOf<{ value: string }>(result)[0]!.value;
}
