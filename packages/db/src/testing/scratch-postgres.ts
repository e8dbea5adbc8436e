/**
 * A throwaway database on a PostgreSQL server, so tests never touch anyone else's data: created
 * with a random name, dropped (connections and all) when the test is done.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

export interface ScratchPostgresDatabase {
  name: string;
  /** The admin URL with its database switched to the scratch one. */
  url: string;
  drop(): Promise<void>;
}

export async function createScratchPostgresDatabase(
  adminUrl: string,
): Promise<ScratchPostgresDatabase> {
  const name = `modeldock_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined, connect_timeout: 10 });
  try {
    // The name is ours and matches [a-z0-9_]: safe to splice into DDL, which takes no parameters.
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const dropper = postgres(adminUrl, {
        max: 1,
        onnotice: () => undefined,
        connect_timeout: 10,
      });
      try {
        await dropper.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await dropper.end();
      }
    },
  };
}
