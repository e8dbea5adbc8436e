/** Ways a notification gets lost, for testing that events still arrive. */
import postgres from 'postgres';
import { handleOf } from '../database-handles';
import type { ModeldockDatabase } from '../open-database';
import { jobEvents } from '../schema';

/** Stores an event the way a process that crashed before its NOTIFY would have: silently. */
export async function appendEventWithoutNotification(
  database: ModeldockDatabase,
  jobId: string,
  now: Date,
): Promise<string> {
  const [row] = await handleOf(database)
    .insert(jobEvents)
    .values({ jobId, type: 'updated', job: null, createdAt: now })
    .returning({ id: jobEvents.id });
  return row!.id.toString();
}

/**
 * Ends, server-side, every connection LISTENing on one database, as a network cut would. postgres.js
 * LISTENs for every channel of a client on one connection (job events and `libraryBroadcast` share
 * it), and pg_stat_activity shows only its last statement, which may be the other channel's LISTEN:
 * the connection is found by any LISTEN/UNLISTEN, not by the job-event channel's name.
 */
export async function cutListenConnections(
  adminUrl: string,
  databaseName: string,
): Promise<number> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined, connect_timeout: 10 });
  try {
    const rows = await admin<{ pid: number }[]>`
      select pg_terminate_backend(pid) as terminated, pid from pg_stat_activity
      where datname = ${databaseName} and query ~* ${'^\\s*(un)?listen\\s'} and pid <> pg_backend_pid()`;
    return rows.length;
  } finally {
    await admin.end();
  }
}
