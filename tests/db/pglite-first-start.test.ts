/**
 * A new embedded database is created in a child process (its ~500 MiB of WebAssembly heap dies
 * with the child), once: later opens find the cluster and start no child. A failing child is a
 * clear DATABASE_UNAVAILABLE with what it said.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '@modeldock/db';
import { SERVER_ENTRY } from '../support/server-process';
import { makeTempDataDir, removeTempDataDir } from './helpers/temp-data-dir';

const CHILD_SCRIPT = fileURLToPath(new URL('./helpers/initdb-child.mjs', import.meta.url));

let dataDir: string;
let marker: string;
const savedEnv = { ...process.env };

beforeEach(async () => {
  dataDir = await makeTempDataDir();
  marker = path.join(dataDir, '..', `${path.basename(dataDir)}.initdb-pid`);
  process.env.INITDB_MARKER = marker;
  process.env.INITDB_SERVER_ENTRY = SERVER_ENTRY;
});

afterEach(async () => {
  process.env = { ...savedEnv };
  rmSync(marker, { force: true });
  await removeTempDataDir(dataDir);
});

describe('the embedded database on its first start', () => {
  it('is created by a child process, then opened, migrated and usable here; a second open starts no child', async () => {
    const command = [process.execPath, CHILD_SCRIPT];
    const first = await openDatabase({ dataDir, pgliteInitdbCommand: command });
    try {
      expect(existsSync(marker)).toBe(true);
      expect(Number(readFileSync(marker, 'utf8'))).not.toBe(process.pid);
      expect(existsSync(path.join(dataDir, 'pglite', 'PG_VERSION'))).toBe(true);
      await first.settings.set('probe', 'yes', new Date());
    } finally {
      await first.close();
    }
    rmSync(marker);

    const second = await openDatabase({ dataDir, pgliteInitdbCommand: command });
    try {
      expect(existsSync(marker)).toBe(false);
      expect(await second.settings.get('probe')).toBe('yes');
    } finally {
      await second.close();
    }
    // A first start costs tens of seconds on a busy 2-core machine.
  }, 240_000);

  it("fails with DATABASE_UNAVAILABLE and the child's own words when the child fails", async () => {
    const failing = [
      process.execPath,
      '-e',
      'process.stderr.write("initdb: out of disk space"); process.exit(3)',
    ];
    await expect(openDatabase({ dataDir, pgliteInitdbCommand: failing })).rejects.toMatchObject({
      code: 'DATABASE_UNAVAILABLE',
      message: expect.stringMatching(/exit code 3.*initdb: out of disk space/),
    });
  });
});
