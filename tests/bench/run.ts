/**
 * `pnpm bench`: modeldock against curl and aria2c on one local origin, in the same run, interleaved.
 *
 * For each scenario (scenarios.ts) every tool downloads the same files from the same origin process,
 * round after round (the starting tool rotates each round); each run's output is checked byte for
 * byte (SHA-256) after the clock stops, then deleted and flushed so the next run starts clean. The
 * table shows medians: MB/s, CPU seconds per GiB, peak RSS, the origin's own CPU per GiB, and
 * ratios against curl and aria2c; then whether each target of the issue is met. Everything is
 * written to .bench/last.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseBenchOptions, USAGE } from './bench-options';
import type { BenchOptions } from './bench-options';
import { checkOutputs } from './measure/output-check';
import type { ExpectedFile } from './measure/output-check';
import { hasGnuTime } from './measure/measured-command';
import { cpuSecondsOf } from './measure/proc-stats';
import { fileUrlPath, repoFileUrlPath } from './origin/origin-catalog';
import { startOriginProcess } from './origin/origin-client';
import type { OriginProcess } from './origin/origin-client';
import { summarise } from './report/run-results';
import type { RunRecord, ToolSummary } from './report/run-results';
import { machineDescription, scenarioForResults, writeResults } from './report/results-file';
import type { BenchResults, ScenarioResults } from './report/results-file';
import { scenarioTable, targetsTable } from './report/results-table';
import { judgeTargets } from './report/targets';
import type { TargetResult } from './report/targets';
import { createAria2Runner } from './runners/aria2-runner';
import { createCurlRunner } from './runners/curl-runner';
import { createEngineRunner } from './runners/engine-runner';
import { originUrlFor } from './runners/runner-api';
import type { RunContext, ToolName, ToolRunner } from './runners/runner-api';
import { createServerRunner } from './runners/server-runner';
import { runMetadataBench } from './metadata/metadata-refresh-bench';
import { runLibraryBench } from './library/library-bench';
import { runStartupMemoryBench } from './startup/startup-memory-bench';
import { REPO_ROOT } from './runners/start-command';
import { MB, MIB, originCatalogFor, scenariosFor } from './scenarios';
import type { Scenario } from './scenarios';

const log = (line: string) => process.stdout.write(`${line}\n`);
/** Pause after flushing the previous run's writes, so its disk work does not land on the next tool. */
const SETTLE_MS = 500;

function expectedFiles(scenario: Scenario, origin: OriginProcess): ExpectedFile[] {
  if (scenario.shape.kind === 'file') {
    const file = scenario.shape.file;
    return [{ name: file.path, sha256: origin.sha256[fileUrlPath(file)]! }];
  }
  const { repo } = scenario.shape;
  return repo.files.map((file) => ({
    name: file.path,
    sha256: origin.sha256[repoFileUrlPath(repo, file)]!,
  }));
}

async function settle(): Promise<void> {
  spawnSync('sync');
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

function timeoutFor(scenario: Scenario): number {
  // Generous: a timeout is a failed run, and a loaded machine is slow, not broken.
  return 60_000 + (scenario.totalBytes / (20 * MB)) * 1000;
}

function describeRun(record: RunRecord, totalBytes: number): string {
  if (!record.ok) return `FAILED: ${record.problems.join('; ').slice(0, 400)}`;
  const mbps = totalBytes / MB / record.wallSeconds!;
  const threads = record.threads
    ? ` (threads: ${record.threads
        .slice(0, 4)
        .map((thread) => `${thread.name} ${thread.cpuSeconds.toFixed(2)}`)
        .join(', ')})`
    : '';
  const verifying =
    record.verifyingSeconds == null ? '' : ` (verifying ${record.verifyingSeconds.toFixed(2)} s)`;
  return `${record.wallSeconds!.toFixed(2)} s${verifying}, ${mbps.toFixed(0)} MB/s, CPU ${record.cpuSeconds!.toFixed(2)} s${threads}, peak RSS ${((record.peakRssBytes ?? 0) / MIB).toFixed(0)} MiB, origin CPU ${(record.originCpuSeconds ?? 0).toFixed(2)} s`;
}

async function measureRun(
  runner: ToolRunner,
  scenario: Scenario,
  round: number,
  origin: OriginProcess,
  workRoot: string,
  expected: ExpectedFile[],
): Promise<RunRecord> {
  const scratchDir = await mkdtemp(path.join(workRoot, `${scenario.id}-${runner.name}-${round}-`));
  const outputDir = path.join(scratchDir, 'out');
  await mkdir(outputDir);
  const context: RunContext = {
    scenario,
    origin,
    originUrl: originUrlFor(scenario, origin),
    outputDir,
    scratchDir,
    expected,
    timeoutMs: timeoutFor(scenario),
  };
  const record: RunRecord = {
    scenario: scenario.id,
    tool: runner.name,
    round,
    ok: false,
    problems: [],
    wallSeconds: null,
    cpuSeconds: null,
    peakRssBytes: null,
    originCpuSeconds: null,
    originRequests: null,
    originBodyBytes: null,
    method: null,
  };
  await settle();
  const trafficBefore = await origin.traffic();
  const originCpuBefore = cpuSecondsOf(origin.pid);
  try {
    const measured = await runner.run(context);
    const originCpuAfter = cpuSecondsOf(origin.pid);
    const trafficAfter = await origin.traffic();
    Object.assign(record, {
      wallSeconds: measured.wallSeconds,
      cpuSeconds: measured.cpuSeconds,
      peakRssBytes: measured.peakRssBytes,
      method: measured.method,
      threads: measured.threads,
      verifyingSeconds: measured.verifyingSeconds,
      originCpuSeconds:
        originCpuBefore === null || originCpuAfter === null
          ? null
          : originCpuAfter - originCpuBefore,
      originRequests: trafficAfter.requests - trafficBefore.requests,
      originBodyBytes: trafficAfter.bodyBytes - trafficBefore.bodyBytes,
    });
    const check = await checkOutputs(measured.outputRoot, expected);
    record.ok = check.ok;
    record.problems = check.problems;
  } catch (error) {
    record.problems = [(error as Error).message];
  } finally {
    await runner.cleanUpRun?.().catch(() => undefined);
    await rm(scratchDir, { recursive: true, force: true });
  }
  log(`  round ${round} ${runner.name.padEnd(16)} ${describeRun(record, scenario.totalBytes)}`);
  return record;
}

async function runScenario(
  scenario: Scenario,
  runners: readonly ToolRunner[],
  options: BenchOptions,
  origin: OriginProcess,
  workRoot: string,
): Promise<ScenarioResults> {
  log(`\n# ${scenario.title}`);
  const expected = expectedFiles(scenario, origin);
  const skipped = new Map<ToolName, string>();
  const active: ToolRunner[] = [];
  for (const runner of runners) {
    const reason = runner.skipReason(scenario);
    if (reason) {
      skipped.set(runner.name, reason);
      log(`  ${runner.name}: skipped (${reason})`);
    } else {
      active.push(runner);
    }
  }
  const commands: ScenarioResults['commands'] = {};
  for (const runner of active) {
    commands[runner.name] = runner.describe(scenario);
    log(`  ${runner.name}: ${commands[runner.name]}`);
  }
  const prepared: ToolRunner[] = [];
  const runs: RunRecord[] = [];
  try {
    for (const runner of active) {
      try {
        await runner.prepareScenario?.(scenario, origin);
        prepared.push(runner);
      } catch (error) {
        skipped.set(runner.name, `could not start: ${(error as Error).message.split('\n')[0]}`);
        log(`  ${runner.name}: ${skipped.get(runner.name)}`);
      }
    }
    for (let round = 1; round <= options.rounds; round++) {
      for (const runner of rotate(prepared, round - 1)) {
        runs.push(await measureRun(runner, scenario, round, origin, workRoot, expected));
      }
    }
  } finally {
    for (const runner of prepared) await runner.finishScenario?.().catch(() => undefined);
  }
  const summaries: ToolSummary[] = runners.map((runner) =>
    summarise(
      runner.name,
      runs.filter((run) => run.tool === runner.name),
      scenario.totalBytes,
      skipped.get(runner.name) ?? null,
    ),
  );
  log(scenarioTable(scenario, summaries));
  return { scenario, commands, runs, summaries };
}

function createRunners(options: BenchOptions): {
  runners: ToolRunner[];
  versions: Record<string, string | null>;
} {
  const runners: ToolRunner[] = [];
  const versions: Record<string, string | null> = { node: process.version };
  const cpuProfileDir = options.cpuProfile ? path.join(REPO_ROOT, '.bench', 'profiles') : null;
  for (const tool of options.tools) {
    if (tool === 'modeldock-engine') runners.push(createEngineRunner({ cpuProfileDir }));
    if (tool === 'modeldock-server') runners.push(createServerRunner({ cpuProfileDir }));
    if (tool === 'curl') {
      const curl = createCurlRunner();
      versions.curl = curl.version;
      runners.push(curl);
    }
    if (tool === 'aria2c') {
      const aria2 = createAria2Runner(log);
      versions.aria2c = aria2.version;
      runners.push(aria2);
    }
  }
  return { runners, versions };
}

async function main(): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  if (options === 'help') {
    log(USAGE);
    return 0;
  }
  const startedAt = new Date();
  const loadBefore = os.loadavg()[0]!;
  const scenarios = scenariosFor(options.scenarios, options.quick);
  log(
    `modeldock bench: ${os.cpus().length} cores, Node ${process.version}, load ${loadBefore.toFixed(2)}, ${options.rounds} round(s)${options.quick ? ', quick' : ''}`,
  );
  if (!hasGnuTime())
    log(
      'note: /usr/bin/time is missing: CPU and memory of curl and aria2c are sampled from /proc every 20 ms',
    );
  const { runners, versions } = createRunners(options);
  if (options.cpuProfile) log('CPU profiles of the engine children and servers: .bench/profiles/');
  log('starting the origin (computing file hashes)…');
  const origin = await startOriginProcess(originCatalogFor(scenarios));
  const workRoot = await mkdtemp(path.join(os.tmpdir(), 'modeldock-bench-'));
  const stopOnSignal = () => {
    log('\ninterrupted: cleaning up');
    void Promise.allSettled([
      ...runners.map((runner) => runner.dispose()),
      origin.stop(),
      rm(workRoot, { recursive: true, force: true }),
    ]).then(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);

  const results: ScenarioResults[] = [];
  const targets: TargetResult[] = [];
  try {
    for (const scenario of scenarios) {
      const scenarioResults = await runScenario(scenario, runners, options, origin, workRoot);
      results.push(scenarioResults);
      targets.push(...judgeTargets(scenario.id, scenarioResults.summaries));
    }
  } finally {
    for (const runner of runners) await runner.dispose().catch(() => undefined);
    await origin.stop();
    await rm(workRoot, { recursive: true, force: true });
  }

  log(targetsTable(targets));
  // The metadata issue's target: batched lookups, paced to the hub's rate limit.
  const metadata = await runMetadataBench();
  log(metadata.lines.join('\n'));
  // The same through the database the server keeps metadata in.
  const metadataStored = await runMetadataBench(undefined, 'pglite');
  log(metadataStored.lines.join('\n'));
  // The library issue's targets: hashing vs openssl, rescan vs find, library.list p99.
  const library = await runLibraryBench(options.quick);
  log(library.lines.join('\n'));
  // Issue 9's start-up memory targets on the embedded database, beside PostgreSQL when configured.
  const startup = await runStartupMemoryBench(options.quick);
  log(startup.lines.join('\n'));
  const file = await writeResults(REPO_ROOT, {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    options,
    machine: machineDescription(loadBefore),
    tools: versions,
    scenarios: results.map((result) => ({
      ...result,
      scenario: scenarioForResults(result.scenario),
    })),
    targets,
  } satisfies BenchResults);
  log(`\nresults: ${path.relative(process.cwd(), file)}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
