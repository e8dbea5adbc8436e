/** What one run measured, and the per-tool summary (medians) of a scenario. */
import type { ScenarioId } from '../scenarios';
import { GIB, MB } from '../scenarios';
import type { ToolName } from '../runners/runner-api';

export interface RunRecord {
  scenario: ScenarioId;
  tool: ToolName;
  round: number;
  ok: boolean;
  /** Why the run does not count (a failure, or output with the wrong bytes). */
  problems: string[];
  wallSeconds: number | null;
  cpuSeconds: number | null;
  peakRssBytes: number | null;
  /** The origin's CPU over the same run (its cost for this tool's request pattern). */
  originCpuSeconds: number | null;
  originRequests: number | null;
  originBodyBytes: number | null;
  method: string | null;
  /** CPU seconds per thread (busiest first), when the tool reports them. */
  threads?: Array<{ name: string; cpuSeconds: number }>;
  /** Seconds spent verifying and finalising after the last byte, when the tool reports it. */
  verifyingSeconds?: number | null;
}

export interface ToolSummary {
  tool: ToolName;
  runs: number;
  okRuns: number;
  wallSeconds: number | null;
  megabytesPerSecond: number | null;
  cpuSecondsPerGib: number | null;
  peakRssBytes: number | null;
  originCpuSecondsPerGib: number | null;
  originRequests: number | null;
  /** Why there is no measurement (skipped tool, failed runs). */
  note: string | null;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function summarise(
  tool: ToolName,
  records: readonly RunRecord[],
  totalBytes: number,
  note: string | null,
): ToolSummary {
  const ok = records.filter((record) => record.ok);
  const of = (pick: (record: RunRecord) => number | null) =>
    median(ok.map(pick).filter((value): value is number => value !== null));
  const wallSeconds = of((record) => record.wallSeconds);
  const gib = totalBytes / GIB;
  const cpu = of((record) => record.cpuSeconds);
  const originCpu = of((record) => record.originCpuSeconds);
  const failures = records.filter((record) => !record.ok);
  return {
    tool,
    runs: records.length,
    okRuns: ok.length,
    wallSeconds,
    megabytesPerSecond: wallSeconds ? totalBytes / MB / wallSeconds : null,
    cpuSecondsPerGib: cpu === null ? null : cpu / gib,
    // Peak memory is a ceiling: the worst run counts.
    peakRssBytes: ok.length > 0 ? Math.max(...ok.map((record) => record.peakRssBytes ?? 0)) : null,
    originCpuSecondsPerGib: originCpu === null ? null : originCpu / gib,
    originRequests: of((record) => record.originRequests),
    note:
      note ??
      (failures.length > 0
        ? `${failures.length} failed: ${failures[0]!.problems[0] ?? 'unknown'}`
        : null),
  };
}
