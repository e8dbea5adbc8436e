/**
 * Runs modeldock as users run it: the built server (`pnpm start`'s command and Node flags) as a
 * child process with its embedded database and production settings (private hosts allowed, the
 * Hugging Face endpoint pointed at the bench origin). One server per scenario; each run enqueues
 * over tRPC (WebSocket) and waits for the job's completed event. CPU is the server process's
 * /proc time over enqueue → completed; its peak RSS is reset before each run and read after it.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { JobEvent } from '@modeldock/engine';
import { connectWebSocket } from '../../e2e/api-client';
import type { WebSocketApi } from '../../e2e/api-client';
import { createServerFolders } from '../../support/server-process';
import type { TemporaryServerFolders } from '../../support/server-process';
import { cpuSecondsOf, peakRssOf, resetPeakRss } from '../measure/proc-stats';
import type { OriginProcess } from '../origin/origin-client';
import type { Scenario } from '../scenarios';
import { BENCH_FOLDER, scenarioRequests, WARMUP_FOLDER } from './modeldock-requests';
import { originUrlFor, ToolRunError } from './runner-api';
import type { RunContext, ToolMeasurement, ToolRunner } from './runner-api';
import { REPO_ROOT, SERVER_ENTRY, startScriptNodeFlags } from './start-command';

const LISTENING_LINE = /^modeldock listening on (http:\/\/\S+)\r?\n/m;
const START_TIMEOUT_MS = 120_000;
/** What a developer's shell may carry that would change the server under test. */
const IGNORED_ENVIRONMENT =
  /^(MODELDOCK_|DATABASE_URL$|HF_TOKEN$|HF_ENDPOINT$|CIVITAI_API_KEY$|NODE_OPTIONS$)/;
const FINISHED = new Set(['completed', 'failed', 'cancelled']);

interface RunningServer {
  child: ChildProcess;
  folders: TemporaryServerFolders;
  url: string;
  client: WebSocketApi;
  exited: Promise<void>;
  output: () => string;
}

function serverEnvironment(
  scenario: Scenario,
  origin: OriginProcess,
  folders: TemporaryServerFolders,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (!IGNORED_ENVIRONMENT.test(name)) env[name] = value;
  Object.assign(env, {
    MODELDOCK_HOST: '127.0.0.1',
    MODELDOCK_PORT: '0',
    MODELDOCK_DATA_DIR: folders.dataDir,
    MODELDOCK_MODELS_DIR: folders.modelsDir,
    MODELDOCK_ALLOW_PRIVATE_HOSTS: '1',
    MODELDOCK_HF_ENDPOINT: origin.hubUrl,
    MODELDOCK_LOG_LEVEL: 'warn',
  });
  if (scenario.connections !== null) {
    env.MODELDOCK_CONNECTIONS_PER_FILE = String(scenario.connections);
    env.MODELDOCK_CONNECTIONS_PER_HOST = String(Math.max(16, scenario.connections));
  }
  return env;
}

async function startServer(
  scenario: Scenario,
  origin: OriginProcess,
  nodeFlags: string[],
): Promise<RunningServer> {
  const folders = await createServerFolders();
  const child = spawn(process.execPath, [...nodeFlags, SERVER_ENTRY], {
    cwd: REPO_ROOT,
    env: serverEnvironment(scenario, origin, folders),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (text: string) => {
    if (output.length < 256 * 1024) output += text;
  };
  child.stdout!.setEncoding('utf8').on('data', keep);
  child.stderr!.setEncoding('utf8').on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no URL within ${START_TIMEOUT_MS} ms`)),
        START_TIMEOUT_MS,
      );
      const check = () => {
        const match = LISTENING_LINE.exec(output);
        if (!match) return;
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve(match[1]!);
      };
      child.stdout!.on('data', check);
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error('the server exited before listening'));
      });
    });
    return { child, folders, url, client: connectWebSocket(url), exited, output: () => output };
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    await folders.remove();
    throw new ToolRunError(
      'modeldock-server',
      `${(error as Error).message}\n${output.slice(-4000)}`,
    );
  }
}

async function stopServer(server: RunningServer): Promise<void> {
  await server.client.close().catch(() => undefined);
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 20_000);
  await server.exited;
  clearTimeout(timer);
  await server.folders.remove();
}

/** Resolves with the job's final event; events that arrive before the job id is known are kept. */
function watchForEnd(server: RunningServer) {
  const seen: JobEvent[] = [];
  let wake: () => void = () => undefined;
  const subscription = server.client.api.downloads.events.subscribe(
    {},
    {
      onData: (tracked) => {
        seen.push(tracked.data);
        wake();
      },
    },
  );
  return {
    async finalEventOf(jobId: string, timeoutMs: number): Promise<JobEvent> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const end = seen.find(
          (event) => event.jobId === jobId && event.job !== null && FINISHED.has(event.job.status),
        );
        if (end) return end;
        seen.length = 0;
        if (Date.now() > deadline)
          throw new ToolRunError(
            'modeldock-server',
            `job ${jobId} did not finish within ${timeoutMs} ms`,
          );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1_000);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    },
    stop: () => subscription.unsubscribe(),
  };
}

/** A running server has served downloads before: one small download of the same kind, then a clean slate. */
async function warmUp(
  server: RunningServer,
  scenario: Scenario,
  origin: OriginProcess,
): Promise<void> {
  const warmup = scenarioRequests(scenario, originUrlFor(scenario, origin), origin).warmup;
  const watcher = watchForEnd(server);
  try {
    const { jobId } = await server.client.api.downloads.enqueue.mutate(warmup);
    const end = await watcher.finalEventOf(jobId, 120_000);
    if (end.job?.status !== 'completed') {
      throw new ToolRunError(
        'modeldock-server',
        `the warm-up download ended ${end.job?.status}: ${end.job?.error?.message ?? ''}`,
      );
    }
  } finally {
    watcher.stop();
  }
  await server.client.api.downloads.clearFinished.mutate();
  await rm(path.join(server.folders.modelsDir, WARMUP_FOLDER), { recursive: true, force: true });
}

export interface ServerRunnerOptions {
  /** Folder for a V8 CPU profile of each server (written when it stops), or null. */
  cpuProfileDir: string | null;
}

export function createServerRunner(options: ServerRunnerOptions): ToolRunner {
  const startFlags = startScriptNodeFlags();
  const nodeFlags = options.cpuProfileDir
    ? [...startFlags, '--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`]
    : startFlags;
  let server: RunningServer | null = null;
  return {
    name: 'modeldock-server',
    describe(scenario) {
      const connections =
        scenario.connections === null
          ? ''
          : `, MODELDOCK_CONNECTIONS_PER_FILE=${scenario.connections}`;
      return `built server (node ${[...startFlags, ''].join(' ')}apps/server/dist/main.js), embedded database, enqueue over tRPC, completion by event${connections}`;
    },
    skipReason: () => null,
    async prepareScenario(scenario, origin) {
      const started = await startServer(scenario, origin, nodeFlags);
      try {
        await warmUp(started, scenario, origin);
      } catch (error) {
        await stopServer(started);
        throw error;
      }
      server = started;
    },
    async run(context: RunContext): Promise<ToolMeasurement> {
      if (!server) throw new ToolRunError('modeldock-server', 'the server is not running');
      const running = server;
      const pid = running.child.pid!;
      const request = scenarioRequests(
        context.scenario,
        context.originUrl,
        context.origin,
      ).measured;
      const watcher = watchForEnd(running);
      try {
        // Let the subscription reach the server before the clock starts.
        await new Promise((resolve) => setTimeout(resolve, 200));
        const peakReset = resetPeakRss(pid);
        const cpuBefore = cpuSecondsOf(pid)!;
        const startedAt = performance.now();
        const { jobId } = await running.client.api.downloads.enqueue.mutate(request);
        const end = await watcher.finalEventOf(jobId, context.timeoutMs);
        const wallSeconds = (performance.now() - startedAt) / 1000;
        const cpuSeconds = cpuSecondsOf(pid)! - cpuBefore;
        const peakRssBytes = peakRssOf(pid) ?? 0;
        if (end.job?.status !== 'completed') {
          throw new ToolRunError(
            'modeldock-server',
            `job ${end.job?.status}: ${end.job?.error?.code ?? ''} ${end.job?.error?.message ?? ''}\n${running.output().slice(-4000)}`,
          );
        }
        return {
          wallSeconds,
          cpuSeconds,
          peakRssBytes,
          outputRoot: path.join(running.folders.modelsDir, BENCH_FOLDER),
          method: peakReset
            ? '/proc (stat, VmHWM reset per run)'
            : '/proc (stat, VmHWM since start)',
        };
      } finally {
        watcher.stop();
      }
    },
    async cleanUpRun() {
      if (!server) return;
      await server.client.api.downloads.clearFinished.mutate().catch(() => undefined);
      await rm(path.join(server.folders.modelsDir, BENCH_FOLDER), { recursive: true, force: true });
    },
    async finishScenario() {
      if (server) await stopServer(server);
      server = null;
    },
    async dispose() {
      if (server) await stopServer(server);
      server = null;
    },
  };
}
