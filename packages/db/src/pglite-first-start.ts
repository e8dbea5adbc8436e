/**
 * The embedded database's first start: PostgreSQL's initdb, compiled to WebAssembly, leaves about
 * 500 MiB of heap behind that the process holds for a minute or more (a first start peaked at
 * 700 MiB, a later start of the same database at 230 MiB). So when the data folder is new, the
 * cluster is created in a short-lived child process, and that memory dies with it.
 *
 * The child is the caller's own program started again with `PGLITE_INITDB_ENV` naming the folder;
 * its entry point calls `runInitdbIfAsked()` first thing.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';

export const PGLITE_INITDB_ENV = 'MODELDOCK_PGLITE_INITDB_DIR';
/** The last part of what the child wrote to stderr, kept for the error when it fails. */
const STDERR_TAIL_BYTES = 2_000;

/** Whether `pgliteDir` holds no database cluster yet. */
export function needsInitdb(pgliteDir: string): boolean {
  return !existsSync(path.join(pgliteDir, 'PG_VERSION'));
}

/** Creates the cluster in this process (the child's whole job), with the server's own start parameters. */
export async function initdbHere(pgliteDir: string, startParams: readonly string[]): Promise<void> {
  const client = await PGlite.create(pgliteDir, { startParams: [...startParams] });
  await client.close();
}

/**
 * Runs `command` (e.g. `[process.execPath, 'dist/main.js']`) with the folder in its environment and
 * waits for it; rejects with what it wrote to stderr when it fails.
 */
export function initdbInChild(pgliteDir: string, command: readonly string[]): Promise<void> {
  const [program, ...args] = command;
  if (!program) return Promise.reject(new Error('No command given to create the database with'));
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      env: { ...process.env, [PGLITE_INITDB_ENV]: pgliteDir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr = (stderr + text).slice(-STDERR_TAIL_BYTES);
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `creating the database in a child process failed (${signal ?? `exit code ${code}`})${stderr ? `: ${stderr.trim()}` : ''}`,
          ),
        );
    });
  });
}

/**
 * For an entry point: when this process was started to create a database, creates it and returns
 * true (the caller then exits); otherwise returns false at once.
 */
export async function runInitdbIfAsked(startParams: readonly string[]): Promise<boolean> {
  const pgliteDir = process.env[PGLITE_INITDB_ENV];
  if (!pgliteDir) return false;
  await initdbHere(pgliteDir, startParams);
  return true;
}
