/**
 * PostgreSQL through postgres.js, for several processes sharing one queue. Migrations run under a
 * session advisory lock on a connection of their own, so processes starting together migrate one
 * after the other instead of racing to create the same tables.
 */
import postgres from 'postgres';
import type { Sql } from 'postgres';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { ModeldockError, registerSecret } from '@modeldock/engine';
import { describeDatabaseError } from './database-errors';
import type { Database } from './database';

/** Arbitrary, fixed: the advisory lock key every modeldock process migrates under. */
const MIGRATION_LOCK_KEY = '7426531902114';
const CONNECT_TIMEOUT_SECONDS = 10;
const POOL_SIZE = 10;

export interface PostgresDatabase {
  db: Database;
  client: Sql;
  close(): Promise<void>;
}

/** host:port/database, never the user name or password: safe for messages and logs. */
export function describeDatabaseUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    return `${url.hostname || 'localhost'}:${url.port || '5432'}${url.pathname || '/'}`;
  } catch {
    return 'the configured server';
  }
}

function checkDatabaseUrl(databaseUrl: string): void {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new ModeldockError(
      'INVALID_INPUT',
      'DATABASE_URL is not a URL: use postgres://user:password@host:5432/database.',
    );
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ModeldockError(
      'INVALID_INPUT',
      `DATABASE_URL must start with postgres:// or postgresql:// (got ${url.protocol}//).`,
    );
  }
  if (url.password) registerSecret(decodeURIComponent(url.password));
}

function connect(databaseUrl: string, max: number): Sql {
  return postgres(databaseUrl, {
    max,
    connect_timeout: CONNECT_TIMEOUT_SECONDS,
    // "relation already exists, skipping" and the like are not for the user's console.
    onnotice: () => undefined,
  });
}

async function migrateUnderLock(databaseUrl: string, migrationsFolder: string): Promise<void> {
  // One connection: a session advisory lock belongs to the connection that took it.
  const client = connect(databaseUrl, 1);
  try {
    await client.unsafe(`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
    try {
      await migrate(drizzle({ client }), { migrationsFolder });
    } finally {
      await client
        .unsafe(`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`)
        .catch(() => undefined);
    }
  } finally {
    await client.end();
  }
}

export async function openPostgresDatabase(
  databaseUrl: string,
  migrationsFolder: string,
): Promise<PostgresDatabase> {
  checkDatabaseUrl(databaseUrl);
  const where = describeDatabaseUrl(databaseUrl);
  try {
    await migrateUnderLock(databaseUrl, migrationsFolder);
  } catch (error) {
    throw new ModeldockError(
      'DATABASE_UNAVAILABLE',
      `Cannot use PostgreSQL at ${where}: ${describeDatabaseError(error)}. Check DATABASE_URL and that the server is running.`,
      { cause: error },
    );
  }
  const client = connect(databaseUrl, POOL_SIZE);
  return {
    db: drizzle({ client }),
    client,
    async close() {
      await client.end({ timeout: 5 });
    },
  };
}
