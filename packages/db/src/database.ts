/**
 * The one Drizzle type the stores are written against. PGlite and postgres.js both produce a
 * PgDatabase, so every query is written once; only opening, migrating and LISTEN/NOTIFY differ.
 * Stores use the query builder rather than `execute`, whose result shape differs per driver.
 */
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';

export type Database = PgDatabase<PgQueryResultHKT>;

export type DatabaseDriver = 'pglite' | 'postgres';
