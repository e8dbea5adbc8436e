/**
 * The embedded database: PGlite (PostgreSQL compiled to WebAssembly) in `<dataDir>/pglite`, locked
 * against a second process, migrated on open.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { ModeldockError } from '@modeldock/engine';
import type { Logger } from '@modeldock/engine';
import type { Database } from './database';
import { describeDatabaseError } from './database-errors';
import { acquirePgliteLockWaiting, LOCK_FILE_NAME } from './pglite-lock';
import { initdbInChild, needsInitdb } from './pglite-first-start';

/**
 * PostgreSQL's settings for the embedded server. Its default 128 MB of shared buffers live in the
 * WebAssembly heap and are all touched, about a third of the server's resident memory; modeldock's
 * tables are a few megabytes, so 16 MB holds them (measured: a started database from 350 to 220 MiB).
 */
export const PGLITE_SETTINGS: Readonly<Record<string, string>> = { shared_buffers: '16MB' };

/** PGlite's start parameters with modeldock's settings: the same for the server and its initdb child. */
export function pgliteStartParams(): string[] {
  return [
    ...PGlite.defaultStartParams,
    ...Object.entries(PGLITE_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
  ];
}

export interface PgliteOpenOptions {
  /**
   * How to start this program again to create a new database in a child process (see
   * pglite-first-start.ts); without it, a new database is created in this process.
   */
  initdbCommand?: readonly string[];
}

export interface PgliteDatabase {
  db: Database;
  close(): Promise<void>;
}

export async function openPgliteDatabase(
  dataDir: string,
  migrationsFolder: string,
  logger?: Logger,
  options: PgliteOpenOptions = {},
): Promise<PgliteDatabase> {
  const root = path.resolve(dataDir);
  try {
    mkdirSync(root, { recursive: true });
  } catch (error) {
    throw new ModeldockError(
      'DATABASE_UNAVAILABLE',
      `Cannot create the data directory ${root}: ${describeDatabaseError(error)}`,
      { cause: error },
    );
  }
  const lock = await acquirePgliteLockWaiting(path.join(root, LOCK_FILE_NAME), {
    dataDir: root,
    // A supervisor restarting at once after kill -9 finds the old process still exiting.
    onWaiting: (owner, waitMs) =>
      logger?.warn(
        { pid: owner.pid, dataDir: root },
        `Waiting up to ${Math.round(waitMs / 1000)} s for the previous modeldock process (pid ${owner.pid}), which is exiting, to release ${root}`,
      ),
  });
  let client: PGlite | undefined;
  const pgliteDir = path.join(root, 'pglite');
  try {
    if (options.initdbCommand && needsInitdb(pgliteDir)) {
      logger?.info({ dataDir: root }, 'creating the embedded database (first start)');
      await initdbInChild(pgliteDir, options.initdbCommand);
    }
    client = await PGlite.create(pgliteDir, { startParams: pgliteStartParams() });
    const db = drizzle({ client });
    await migrate(db, { migrationsFolder });
    const opened = client;
    return {
      db,
      async close() {
        try {
          await opened.close();
        } finally {
          lock.release();
        }
      },
    };
  } catch (error) {
    await client?.close().catch(() => undefined);
    lock.release();
    throw new ModeldockError(
      'DATABASE_UNAVAILABLE',
      `Cannot open the embedded database in ${path.join(root, 'pglite')}: ${describeDatabaseError(error)}`,
      { cause: error },
    );
  }
}
