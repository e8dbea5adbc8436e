/** `.bench/last.json` at the repository root (gitignored): everything the run measured. */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BenchOptions } from '../bench-options';
import type { Scenario } from '../scenarios';
import type { ToolName } from '../runners/runner-api';
import type { RunRecord, ToolSummary } from './run-results';
import type { TargetResult } from './targets';

export interface ScenarioResults {
  scenario: Scenario;
  commands: Partial<Record<ToolName, string>>;
  runs: RunRecord[];
  summaries: ToolSummary[];
}

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  options: BenchOptions;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryBytes: number;
    node: string;
    kernel: string;
    /** 1-minute load average before and after: other work on the machine skews every tool alike. */
    loadAverage: { before: number; after: number };
  };
  tools: Record<string, string | null>;
  scenarios: Array<
    Omit<ScenarioResults, 'scenario'> & { scenario: Omit<Scenario, 'shape'> & { files: number } }
  >;
  targets: TargetResult[];
}

export function machineDescription(loadBefore: number): BenchResults['machine'] {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryBytes: os.totalmem(),
    node: process.version,
    kernel: os.release(),
    loadAverage: { before: loadBefore, after: os.loadavg()[0]! },
  };
}

/** The scenario without its file list (1000 entries say nothing the count does not). */
export function scenarioForResults(scenario: Scenario) {
  const { shape, ...rest } = scenario;
  return { ...rest, files: shape.kind === 'file' ? 1 : shape.repo.files.length };
}

export async function writeResults(repoRoot: string, results: BenchResults): Promise<string> {
  const file = path.join(repoRoot, '.bench', 'last.json');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}
