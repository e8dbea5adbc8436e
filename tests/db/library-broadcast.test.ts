/**
 * db.libraryBroadcast: library news between processes sharing PostgreSQL (each "process" its own
 * openDatabase). A message reaches the other process and not its sender; one too long for NOTIFY is
 * refused, not sent. (The embedded database's channel is silent: one process.)
 */
import { tmpdir } from 'node:os';
import { afterEach, expect, it } from 'vitest';
import { openDatabase } from '@modeldock/db';
import type { ModeldockDatabase } from '@modeldock/db';
import { createScratchPostgresDatabase } from '@modeldock/db/testing';
import type { ScratchPostgresDatabase } from '@modeldock/db/testing';
import { describeWithPostgres } from './helpers/postgres-tier';

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describeWithPostgres('library news between processes on PostgreSQL', (adminUrl) => {
  let scratch: ScratchPostgresDatabase | undefined;
  const opened: ModeldockDatabase[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((database) => database.close()));
    await scratch?.drop();
    scratch = undefined;
  });

  it('reaches the other process, never the sender; a message too long is refused', async () => {
    scratch = await createScratchPostgresDatabase(adminUrl);
    const a = await openDatabase({ dataDir: tmpdir(), databaseUrl: scratch.url });
    opened.push(a);
    const b = await openDatabase({ dataDir: tmpdir(), databaseUrl: scratch.url });
    opened.push(b);
    const heardByA: string[] = [];
    const heardByB: string[] = [];
    a.libraryBroadcast.watch((message) => heardByA.push(message));
    b.libraryBroadcast.watch((message) => heardByB.push(message));
    expect(await a.libraryBroadcast.send('{"type":"entries","ids":["x"]}')).toBe(true);
    await until(() => heardByB.length === 1, 'B to hear A');
    expect(heardByB).toEqual(['{"type":"entries","ids":["x"]}']);
    expect(await a.libraryBroadcast.send('x'.repeat(8_000))).toBe(false);
    expect(await b.libraryBroadcast.send('from b')).toBe(true);
    await until(() => heardByA.length === 1, 'A to hear B');
    expect(heardByA).toEqual(['from b']);
    expect(heardByB).toEqual(['{"type":"entries","ids":["x"]}']);
  });
});
