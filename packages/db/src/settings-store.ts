/**
 * Settings that outlive a restart, one JSON value per key. Values come back as `unknown`: the caller
 * owns their shape and validates what it reads (an older version may have written it).
 */
import { asc, eq, sql } from 'drizzle-orm';
import { ModeldockError } from '@modeldock/engine';
import type { Database } from './database';
import { withDatabaseErrors } from './database-errors';
import { settings } from './schema';

export interface SettingsStore {
  /** The stored value, or undefined when the key was never set. */
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown, now: Date): Promise<void>;
  /** True when a value was removed. */
  remove(key: string): Promise<boolean>;
  /** Every stored setting. */
  list(): Promise<Record<string, unknown>>;
}

const KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,200}$/;

function checkKey(key: string): void {
  if (!KEY_PATTERN.test(key)) {
    throw new ModeldockError(
      'INVALID_INPUT',
      `"${key.slice(0, 40)}" is not a setting name: use 1–200 letters, digits, "_", ".", ":" or "-".`,
    );
  }
}

/** Only plain JSON survives the round trip unchanged; anything else is refused rather than silently altered. */
function checkJson(key: string, value: unknown): void {
  if (value === undefined) {
    throw new ModeldockError(
      'INVALID_INPUT',
      `Setting "${key}" needs a value: use remove() to clear it.`,
    );
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new ModeldockError(
      'INVALID_INPUT',
      `Setting "${key}" is not JSON: ${(error as Error).message}`,
    );
  }
  if (text === undefined || !isDeepEqualJson(JSON.parse(text), value)) {
    throw new ModeldockError(
      'INVALID_INPUT',
      `Setting "${key}" must be plain JSON (no functions, dates, NaN or undefined fields).`,
    );
  }
}

function isDeepEqualJson(parsed: unknown, original: unknown): boolean {
  if (parsed === original) return true;
  if (
    typeof parsed !== 'object' ||
    typeof original !== 'object' ||
    parsed === null ||
    original === null
  )
    return false;
  if (Array.isArray(parsed) !== Array.isArray(original)) return false;
  if (Object.getPrototypeOf(original) !== Object.prototype && !Array.isArray(original))
    return false;
  const parsedKeys = Object.keys(parsed);
  const originalKeys = Object.keys(original);
  if (parsedKeys.length !== originalKeys.length) return false;
  return parsedKeys.every((key) =>
    isDeepEqualJson(
      (parsed as Record<string, unknown>)[key],
      (original as Record<string, unknown>)[key],
    ),
  );
}

export function createSettingsStore(db: Database): SettingsStore {
  return {
    async get(key) {
      return withDatabaseErrors('reading a setting', async () => {
        checkKey(key);
        const [row] = await db
          .select({ value: settings.value })
          .from(settings)
          .where(eq(settings.key, key));
        return row ? row.value : undefined;
      });
    },

    async set(key, value, now) {
      return withDatabaseErrors('saving a setting', async () => {
        checkKey(key);
        checkJson(key, value);
        // A bare null would be SQL NULL; JSON null is a value like any other.
        const json = value === null ? sql`'null'::jsonb` : value;
        await db
          .insert(settings)
          .values({ key, value: json, updatedAt: now })
          .onConflictDoUpdate({ target: settings.key, set: { value: json, updatedAt: now } });
      });
    },

    async remove(key) {
      return withDatabaseErrors('removing a setting', async () => {
        checkKey(key);
        const removed = await db
          .delete(settings)
          .where(eq(settings.key, key))
          .returning({ key: settings.key });
        return removed.length > 0;
      });
    },

    async list() {
      return withDatabaseErrors('listing settings', async () => {
        const rows = await db
          .select({ key: settings.key, value: settings.value })
          .from(settings)
          .orderBy(asc(settings.key));
        return Object.fromEntries(rows.map((row) => [row.key, row.value]));
      });
    },
  };
}
