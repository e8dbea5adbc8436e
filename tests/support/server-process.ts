/**
 * Runs the *built* server (`node apps/server/dist/main.js`) as a child process for end-to-end
 * tests: port 0, temporary data and models folders, private hosts allowed (the test origins live
 * on 127.0.0.1) and short engine timings so the suite stays fast. It reads the one
 * `modeldock listening on <url>` line, can stop the server with SIGTERM or SIGKILL, and start it
 * again on the same folders.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SERVER_ENTRY = path.join(REPO_ROOT, 'apps/server/dist/main.js');

const LISTENING_LINE = /^modeldock listening on (http:\/\/\S+)\r?\n/m;

/** Timings short enough for tests on a busy 2-core machine, long enough not to flake. */
export const FAST_TEST_SETTINGS: Readonly<Record<string, string>> = {
  MODELDOCK_ALLOW_PRIVATE_HOSTS: '1',
  MODELDOCK_SYNC_INTERVAL_MS: '100',
  MODELDOCK_PROGRESS_INTERVAL_MS: '50',
  MODELDOCK_LEASE_MS: '3000',
  MODELDOCK_IDLE_TIMEOUT_MS: '5000',
  MODELDOCK_RETRY_BASE_DELAY_MS: '100',
  MODELDOCK_RETRY_MAX_DELAY_MS: '1000',
  MODELDOCK_SHUTDOWN_TIMEOUT_MS: '20000',
  MODELDOCK_LOG_LEVEL: 'info',
};

/** Variables a developer's shell may carry that would change what the server under test does. */
const INHERITED_BUT_IGNORED =
  /^(MODELDOCK_|DATABASE_URL$|HF_TOKEN$|CIVITAI_API_KEY$|NODE_OPTIONS$)/;

export interface ServerFolders {
  dataDir: string;
  modelsDir: string;
}

export interface ServerProcessOptions {
  folders?: ServerFolders;
  /** Extra environment for this server (e.g. DATABASE_URL). */
  env?: Record<string, string>;
  port?: number;
  startTimeoutMs?: number;
}

export interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess extends ServerFolders {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process wrote so far (stdout then stderr interleaved as received). */
  output(): string;
  exited: Promise<ExitResult>;
  /** SIGTERM (graceful) or SIGKILL (crash); resolves when the process is gone. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<ExitResult>;
  /** Kills the process if it still runs, and removes the folders if this helper created them. */
  dispose(): Promise<void>;
}

export interface TemporaryServerFolders extends ServerFolders {
  remove(): Promise<void>;
}

export interface FolderOptions {
  /**
   * Start from a copy of an embedded database that is already created and migrated (default true).
   * PGlite's first start costs seconds, tens of them on a busy 2-core machine; a copy costs little.
   * Pass false to exercise a truly first start.
   */
  seedDatabase?: boolean;
}

export async function createServerFolders(
  options: FolderOptions = {},
): Promise<TemporaryServerFolders> {
  const root = await mkdtemp(path.join(tmpdir(), 'modeldock-e2e-'));
  const folders = {
    dataDir: path.join(root, 'data'),
    modelsDir: path.join(root, 'models'),
    remove: () => rm(root, { recursive: true, force: true }),
  };
  if (options.seedDatabase ?? true) {
    await cp(await seededDatabase(), path.join(folders.dataDir, 'pglite'), { recursive: true });
  }
  return folders;
}

// ---------------------------------------------------------------------------------------------
// The seeded embedded database: made once by the built server itself (start, migrate, SIGTERM),
// kept in the temp folder under a name that changes with the migrations and the PGlite version,
// so a stale copy is never used. Older copies are removed when a new one is made.
// ---------------------------------------------------------------------------------------------

const SEED_PREFIX = 'modeldock-e2e-pglite-seed-';
let seedPromise: Promise<string> | null = null;

async function seedKey(): Promise<string> {
  const hash = createHash('sha256');
  const migrations = path.join(path.dirname(SERVER_ENTRY), 'drizzle');
  const pglitePackage = path.join(
    REPO_ROOT,
    'apps/server/node_modules/@electric-sql/pglite/package.json',
  );
  hash.update(await readFile(pglitePackage));
  for (const entry of (await readdir(migrations, { recursive: true })).sort()) {
    const full = path.join(migrations, entry);
    if ((await stat(full)).isFile()) hash.update(entry).update(await readFile(full));
  }
  return hash.digest('hex').slice(0, 16);
}

/** A short tag of this checkout's path: two checkouts on one machine keep separate seeds. */
function checkoutTag(): string {
  return createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 8);
}

async function makeSeed(seedDir: string): Promise<void> {
  const folders = await createServerFolders({ seedDatabase: false });
  try {
    const server = await startServerProcess({ folders });
    const exit = await server.stop('SIGTERM');
    if (exit.code !== 0)
      throw new Error(`Seeding the embedded database failed:\n${server.output()}`);
    const staged = `${seedDir}.${process.pid}.${Date.now()}`;
    await rename(path.join(folders.dataDir, 'pglite'), staged);
    // Another test process may have finished first: then its copy is used and ours discarded.
    await rename(staged, seedDir).catch(() => rm(staged, { recursive: true, force: true }));
  } finally {
    await folders.remove();
  }
  const current = path.basename(seedDir);
  // Only this checkout's older copies: another checkout's tests may be copying theirs right now.
  const ours = `${SEED_PREFIX}${checkoutTag()}-`;
  for (const name of await readdir(tmpdir())) {
    if (name.startsWith(ours) && !name.startsWith(current)) {
      await rm(path.join(tmpdir(), name), { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

const SEED_LOCK_STALE_MS = 5 * 60_000;

/** One process makes the seed while the others wait for it, rather than all paying for it at once. */
async function makeSeedOnce(seedDir: string): Promise<void> {
  const lockDir = `${seedDir}.lock`;
  const deadline = Date.now() + SEED_LOCK_STALE_MS;
  while (!existsSync(path.join(seedDir, 'PG_VERSION'))) {
    try {
      await mkdir(lockDir);
    } catch {
      const age =
        Date.now() -
        (await stat(lockDir).then(
          (info) => info.mtimeMs,
          () => Date.now(),
        ));
      // A maker that died leaves its lock behind: take over once it is clearly abandoned.
      if (age > SEED_LOCK_STALE_MS || Date.now() > deadline)
        await rm(lockDir, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    try {
      if (!existsSync(path.join(seedDir, 'PG_VERSION'))) await makeSeed(seedDir);
    } finally {
      await rm(lockDir, { recursive: true, force: true });
    }
  }
}

function seededDatabase(): Promise<string> {
  seedPromise ??= (async () => {
    requireBuiltServer();
    const seedDir = path.join(tmpdir(), `${SEED_PREFIX}${checkoutTag()}-${await seedKey()}`);
    await makeSeedOnce(seedDir);
    return seedDir;
  })();
  seedPromise.catch(() => (seedPromise = null));
  return seedPromise;
}

function requireBuiltServer(): void {
  if (!existsSync(SERVER_ENTRY)) {
    throw new Error(
      `${SERVER_ENTRY} is missing: run \`pnpm build\` (the root \`pnpm test\` does) before the e2e tests`,
    );
  }
}

/** The environment a server under test runs with (FAST_TEST_SETTINGS, its folders, port 0). */
export function childEnvironment(
  folders: ServerFolders,
  options: ServerProcessOptions,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!INHERITED_BUT_IGNORED.test(name)) env[name] = value;
  }
  return {
    ...env,
    ...FAST_TEST_SETTINGS,
    MODELDOCK_HOST: '127.0.0.1',
    MODELDOCK_PORT: String(options.port ?? 0),
    MODELDOCK_DATA_DIR: folders.dataDir,
    MODELDOCK_MODELS_DIR: folders.modelsDir,
    ...options.env,
  };
}

function spawnServer(folders: ServerFolders, options: ServerProcessOptions) {
  requireBuiltServer();
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    cwd: REPO_ROOT,
    env: childEnvironment(folders, options),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (output += text));
  const exited = new Promise<ExitResult>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, exited, output: () => output };
}

/** Starts the built server and waits for its URL; rejects with its output when it exits first. */
export async function startServerProcess(
  options: ServerProcessOptions = {},
): Promise<ServerProcess> {
  const ownFolders = options.folders ? null : await createServerFolders();
  const folders: ServerFolders = options.folders ?? ownFolders!;
  const { child, exited, output } = spawnServer(folders, options);
  // Generous: on a busy 2-core machine a start can take tens of seconds, and a timeout is a failure.
  const timeoutMs = options.startTimeoutMs ?? 90_000;

  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`The server did not print its URL within ${timeoutMs} ms. Output:\n${output()}`),
      );
    }, timeoutMs);
    const onData = () => {
      const match = LISTENING_LINE.exec(output());
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    exited.then((result) => {
      clearTimeout(timer);
      reject(
        new Error(
          `The server exited (${result.code ?? result.signal}) before listening. Output:\n${output()}`,
        ),
      );
    });
  });

  let url: string;
  try {
    url = await listening;
  } catch (error) {
    await ownFolders?.remove();
    throw error;
  }

  return {
    ...folders,
    url,
    port: Number(new URL(url).port),
    child,
    output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    async dispose() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      await ownFolders?.remove();
    },
  };
}

/** Runs the server expecting it to exit by itself (e.g. a refused start); returns how and what it said. */
export async function runServerUntilExit(
  folders: ServerFolders,
  options: ServerProcessOptions = {},
  timeoutMs = 30_000,
): Promise<ExitResult & { output: string }> {
  const { child, exited, output } = spawnServer(folders, options);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const result = await exited;
  clearTimeout(timer);
  return { ...result, output: output() };
}
