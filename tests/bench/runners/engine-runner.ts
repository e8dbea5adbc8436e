/**
 * Runs modeldock's engine for the bench: bundles engine-child.ts once (with the esbuild that builds
 * the server, so the child loads like the built server, without a TypeScript loader in its memory),
 * then starts one child per run with `pnpm start`'s Node flags and times it from enqueue to completed.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Scenario } from '../scenarios';
import { ToolRunError } from './runner-api';
import type { RunContext, ToolMeasurement, ToolRunner } from './runner-api';
import type { EngineChildMessage, EngineParentMessage, EngineRunRequest } from './engine-child';
import { BENCH_FOLDER, scenarioRequests } from './modeldock-requests';
import { REPO_ROOT, startScriptNodeFlags } from './start-command';

const CHILD_SOURCE = fileURLToPath(new URL('./engine-child.ts', import.meta.url));
const BUNDLE_PATH = path.join(REPO_ROOT, '.bench', 'engine-child.cjs');

/** The part of esbuild's API used here. */
interface Bundler {
  build(options: Record<string, unknown>): Promise<unknown>;
}

export async function bundleEngineChild(): Promise<string> {
  // The server's build tool; the tests package has no esbuild of its own.
  const requireFromServer = createRequire(path.join(REPO_ROOT, 'apps/server/package.json'));
  const esbuild = (await import(requireFromServer.resolve('esbuild'))) as Bundler;
  await mkdir(path.dirname(BUNDLE_PATH), { recursive: true });
  await esbuild.build({
    entryPoints: [CHILD_SOURCE],
    outfile: BUNDLE_PATH,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'warning',
  });
  return BUNDLE_PATH;
}

/** Engine settings for a scenario: the product's defaults, with the scenario's connection count. */
export function engineConfigFor(scenario: Scenario): EngineRunRequest['config'] {
  return scenario.connections === null
    ? {}
    : {
        connectionsPerFile: scenario.connections,
        connectionsPerHost: Math.max(16, scenario.connections),
      };
}

function nextMessage(child: ChildProcess): Promise<EngineChildMessage> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: EngineChildMessage) => {
      cleanup();
      resolve(message);
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(
        new ToolRunError(
          'modeldock-engine',
          `the engine process exited (${code ?? signal}) before answering`,
        ),
      );
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

export interface EngineRunnerOptions {
  /** Folder for a V8 CPU profile of each run (`--cpu-prof`), or null. */
  cpuProfileDir: string | null;
}

export function createEngineRunner(options: EngineRunnerOptions): ToolRunner {
  let bundle: Promise<string> | null = null;
  const nodeFlags = startScriptNodeFlags();
  const childFlags = options.cpuProfileDir
    ? [...nodeFlags, '--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`]
    : nodeFlags;
  return {
    name: 'modeldock-engine',
    describe(scenario) {
      const connections =
        scenario.connections === null
          ? 'default connections'
          : `${scenario.connections} connections per file`;
      return `createDownloadManager in a child process (node ${[...nodeFlags, ''].join(' ')}engine-child), in-memory job store, ${connections}`;
    },
    skipReason: () => null,
    async run(context: RunContext): Promise<ToolMeasurement> {
      bundle ??= bundleEngineChild();
      const script = await bundle;
      const requests = scenarioRequests(context.scenario, context.originUrl, context.origin);
      const request: EngineRunRequest = {
        modelsRoot: context.outputDir,
        enqueue: requests.measured,
        warmup: requests.warmup,
        config: engineConfigFor(context.scenario),
        huggingFaceEndpoint: context.origin.hubUrl,
      };
      const child = fork(script, [], {
        execArgv: childFlags,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        cwd: context.scratchDir,
      });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const timer = setTimeout(() => child.kill('SIGKILL'), context.timeoutMs);
      try {
        const ready = nextMessage(child);
        child.send({ type: 'run', request } satisfies EngineParentMessage);
        const first = await ready;
        if (first.type === 'failed') throw new ToolRunError('modeldock-engine', first.message);
        const done = nextMessage(child);
        child.send({ type: 'go' } satisfies EngineParentMessage);
        const result = await done;
        if (result.type !== 'done')
          throw new ToolRunError(
            'modeldock-engine',
            result.type === 'failed' ? result.message : 'unexpected answer',
          );
        await exited;
        return {
          wallSeconds: result.wallSeconds,
          cpuSeconds: result.cpuSeconds,
          peakRssBytes: result.peakRssBytes,
          outputRoot: path.join(context.outputDir, BENCH_FOLDER),
          method: 'in-process (cpuUsage, resourceUsage), warm',
          threads: result.threads,
          verifyingSeconds: result.verifyingSeconds,
        };
      } finally {
        clearTimeout(timer);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      }
    },
    async dispose() {},
  };
}
