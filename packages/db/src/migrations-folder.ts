/**
 * Where the SQL migrations live. From source that is this package's drizzle/ folder; a bundled
 * server has no package folder beside it and passes the copy it ships instead.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModeldockError } from '@modeldock/engine';

export const DEFAULT_MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle', import.meta.url));

export function checkMigrationsFolder(folder: string): string {
  const resolved = path.resolve(folder);
  if (!existsSync(path.join(resolved, 'meta', '_journal.json'))) {
    throw new ModeldockError(
      'DATABASE_UNAVAILABLE',
      `No database migrations in ${resolved} (meta/_journal.json is missing). Reinstall modeldock, or point migrationsFolder at packages/db/drizzle.`,
    );
  }
  return resolved;
}
