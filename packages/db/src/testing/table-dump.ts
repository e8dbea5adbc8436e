/** Every row of every table as JSON text, for tests that look for what must never be stored. */
import { sql } from 'drizzle-orm';
import { handleOf } from '../database-handles';
import type { ModeldockDatabase } from '../open-database';

/** `execute` answers with an array on postgres.js and with `{ rows }` on PGlite. */
export function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows: T[] }).rows ?? []);
}

/** Table name (schema-qualified) → each row as `row_to_json` text, all schemas but the system ones. */
export async function dumpAllTables(
  database: ModeldockDatabase,
): Promise<Record<string, string[]>> {
  const db = handleOf(database);
  const tables = rowsOf<{ table_schema: string; table_name: string }>(
    await db.execute(
      sql`select table_schema, table_name from information_schema.tables
          where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')
          order by table_schema, table_name`,
    ),
  );
  const dump: Record<string, string[]> = {};
  for (const { table_schema: schema, table_name: name } of tables) {
    const rows = rowsOf<{ row: string }>(
      await db.execute(
        sql`select row_to_json(t)::text as row from ${sql.identifier(schema)}.${sql.identifier(name)} t`,
      ),
    );
    dump[`${schema}.${name}`] = rows.map((row) => row.row);
  }
  return dump;
}
