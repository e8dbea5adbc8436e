/**
 * The speed targets, judged on medians measured in the same run against the same origin:
 * - 1 GiB with SHA-256 verified: at least 1.8 × curl's throughput;
 * - throttled origin, 16 connections: at least 95 % of connections × per-connection rate;
 * - 1000 × 1 MiB as one job: at most 1.25 × the time of `curl -Z --parallel-max 8`;
 * - 4 GiB file: peak RSS at most 128 MiB.
 * Each is judged for the engine alone and for the running server.
 */
import type { ScenarioId } from '../scenarios';
import { MB, MIB, THROTTLE_BYTES_PER_SECOND, THROTTLED_CONNECTIONS } from '../scenarios';
import type { ToolName } from '../runners/runner-api';
import type { ToolSummary } from './run-results';

export interface TargetResult {
  scenario: ScenarioId;
  tool: ToolName;
  target: string;
  measured: string;
  /** null when it could not be judged (a tool missing or failed). */
  met: boolean | null;
}

const MODELDOCK: ToolName[] = ['modeldock-engine', 'modeldock-server'];
export const THROUGHPUT_VS_CURL = 1.8;
export const THROTTLED_SHARE_OF_IDEAL = 0.95;
export const SMALL_FILES_TIME_VS_CURL = 1.25;
export const PEAK_RSS_LIMIT_BYTES = 128 * MIB;

function fixed(value: number, digits = 2): string {
  return value.toFixed(digits);
}

export function judgeTargets(
  scenario: ScenarioId,
  summaries: readonly ToolSummary[],
): TargetResult[] {
  const byTool = new Map(summaries.map((summary) => [summary.tool, summary]));
  const curl = byTool.get('curl');
  const results: TargetResult[] = [];
  for (const tool of MODELDOCK) {
    const ours = byTool.get(tool);
    if (!ours) continue;
    switch (scenario) {
      case 'file-1g': {
        const target = `≥ ${THROUGHPUT_VS_CURL}× curl's MB/s`;
        if (ours.megabytesPerSecond === null || !curl?.megabytesPerSecond) {
          results.push({ scenario, tool, target, measured: 'not measured', met: null });
        } else {
          const ratio = ours.megabytesPerSecond / curl.megabytesPerSecond;
          results.push({
            scenario,
            tool,
            target,
            measured: `${fixed(ratio)}× (${fixed(ours.megabytesPerSecond, 0)} vs ${fixed(curl.megabytesPerSecond, 0)} MB/s)`,
            met: ratio >= THROUGHPUT_VS_CURL,
          });
        }
        break;
      }
      case 'throttled-16': {
        const ideal = (THROTTLED_CONNECTIONS * THROTTLE_BYTES_PER_SECOND) / MB;
        const target = `≥ ${THROTTLED_SHARE_OF_IDEAL * 100} % of ${fixed(ideal, 0)} MB/s`;
        if (ours.megabytesPerSecond === null) {
          results.push({ scenario, tool, target, measured: 'not measured', met: null });
        } else {
          const share = ours.megabytesPerSecond / ideal;
          results.push({
            scenario,
            tool,
            target,
            measured: `${fixed(share * 100, 1)} % (${fixed(ours.megabytesPerSecond, 0)} MB/s)`,
            met: share >= THROTTLED_SHARE_OF_IDEAL,
          });
        }
        break;
      }
      case 'small-files': {
        const target = `≤ ${SMALL_FILES_TIME_VS_CURL}× curl -Z's time`;
        if (ours.wallSeconds === null || !curl?.wallSeconds) {
          results.push({ scenario, tool, target, measured: 'not measured', met: null });
        } else {
          const ratio = ours.wallSeconds / curl.wallSeconds;
          results.push({
            scenario,
            tool,
            target,
            measured: `${fixed(ratio)}× (${fixed(ours.wallSeconds)} vs ${fixed(curl.wallSeconds)} s)`,
            met: ratio <= SMALL_FILES_TIME_VS_CURL,
          });
        }
        break;
      }
      case 'file-4g-memory': {
        const target = `peak RSS ≤ ${PEAK_RSS_LIMIT_BYTES / MIB} MiB`;
        if (ours.peakRssBytes === null) {
          results.push({ scenario, tool, target, measured: 'not measured', met: null });
        } else {
          results.push({
            scenario,
            tool,
            target,
            measured: `${fixed(ours.peakRssBytes / MIB, 0)} MiB`,
            met: ours.peakRssBytes <= PEAK_RSS_LIMIT_BYTES,
          });
        }
        break;
      }
    }
  }
  return results;
}
