/**
 * The Drizzle handle behind each opened database, kept out of the public object so nothing but
 * this package's own test helpers (./testing) can issue SQL through it.
 */
import type { Database } from './database';

const handles = new WeakMap<object, Database>();

export function rememberHandle(opened: object, db: Database): void {
  handles.set(opened, db);
}

export function handleOf(opened: object): Database {
  const db = handles.get(opened);
  if (!db) throw new Error('Not a database returned by openDatabase');
  return db;
}
