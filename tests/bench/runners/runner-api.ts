/** What every tool runner does for the bench: run one scenario once, into a folder, and measure it. */
import type { OriginProcess } from '../origin/origin-client';
import type { ExpectedFile } from '../measure/output-check';
import type { Scenario } from '../scenarios';

export const TOOL_NAMES = ['modeldock-engine', 'modeldock-server', 'curl', 'aria2c'] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

export interface RunContext {
  scenario: Scenario;
  origin: OriginProcess;
  /** URL of the listener the scenario uses (plain or throttled). */
  originUrl: string;
  /** An empty folder for this run's output; removed after the check. */
  outputDir: string;
  /** A folder beside it for lists and configs (not checked); removed after the run. */
  scratchDir: string;
  /** Files the run must produce, with their SHA-256. */
  expected: ExpectedFile[];
  timeoutMs: number;
}

export interface ToolMeasurement {
  /** From the start of the download to the last file complete (verified, for tools that verify). */
  wallSeconds: number;
  /** User + system CPU of the tool's process(es) over the download. */
  cpuSeconds: number;
  peakRssBytes: number;
  /** Where the output landed (checked, then removed). */
  outputRoot: string;
  /** How CPU and memory were measured, for the report's footnotes. */
  method: string;
  /** Where the CPU went, thread by thread, when the tool can tell (the engine child). */
  threads?: Array<{ name: string; cpuSeconds: number }>;
  /** Seconds from the job entering 'verifying' to completed, when the tool reports it. */
  verifyingSeconds?: number | null;
}

export interface ToolRunner {
  readonly name: ToolName;
  /** How the tool is driven, shown under the table. */
  describe(scenario: Scenario): string;
  /** Why the tool does not run this scenario, or null. */
  skipReason(scenario: Scenario): string | null;
  /** Once per scenario, before its rounds (e.g. starting a server). */
  prepareScenario?(scenario: Scenario, origin: OriginProcess): Promise<void>;
  run(context: RunContext): Promise<ToolMeasurement>;
  /** After each run's check: leave nothing behind for the next tool. */
  cleanUpRun?(): Promise<void>;
  finishScenario?(): Promise<void>;
  dispose(): Promise<void>;
}

export class ToolRunError extends Error {
  constructor(tool: ToolName, message: string) {
    super(`${tool}: ${message}`);
    this.name = 'ToolRunError';
  }
}

/** The origin listener a scenario downloads from: repositories live on the Hugging Face endpoint. */
export function originUrlFor(scenario: Scenario, origin: OriginProcess): string {
  if (scenario.shape.kind === 'repository') return origin.hubUrl;
  return scenario.origin === 'throttled' ? origin.throttledUrl : origin.plainUrl;
}

/** Direct URLs of a scenario's files on the given listener. */
export function fileUrls(
  scenario: Scenario,
  originUrl: string,
): Array<{ name: string; url: string }> {
  if (scenario.shape.kind === 'file') {
    const { path } = scenario.shape.file;
    return [{ name: path, url: `${originUrl}/files/${path}` }];
  }
  const { repo } = scenario.shape;
  return repo.files.map((file) => ({
    name: file.path,
    url: `${originUrl}/${repo.id}/resolve/${repo.commit}/${file.path}`,
  }));
}
