/** Plain-text tables for the terminal: one per scenario, then the targets. */
import { MIB } from '../scenarios';
import type { Scenario } from '../scenarios';
import type { ToolSummary } from './run-results';
import type { TargetResult } from './targets';

function cell(value: number | null, digits: number): string {
  return value === null ? '—' : value.toFixed(digits);
}

function formatRows(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((text, column) =>
          column === 0 ? text.padEnd(widths[column]!) : text.padStart(widths[column]!),
        )
        .join('  '),
    )
    .join('\n');
}

/** Throughput ratio of each tool against a peer measured in the same run. */
function ratio(summary: ToolSummary, peer: ToolSummary | undefined): string {
  if (!peer?.megabytesPerSecond || summary.megabytesPerSecond === null || peer === summary)
    return '—';
  return `${(summary.megabytesPerSecond / peer.megabytesPerSecond).toFixed(2)}×`;
}

export function scenarioTable(scenario: Scenario, summaries: readonly ToolSummary[]): string {
  const curl = summaries.find((summary) => summary.tool === 'curl');
  const aria2 = summaries.find((summary) => summary.tool === 'aria2c');
  const rows = [
    [
      'tool',
      'runs',
      'time s',
      'MB/s',
      'CPU s/GiB',
      'peak RSS MiB',
      'vs curl',
      'vs aria2c',
      'origin CPU s/GiB',
      'origin reqs',
    ],
  ];
  const notes: string[] = [];
  for (const summary of summaries) {
    rows.push([
      summary.tool,
      `${summary.okRuns}/${summary.runs}`,
      cell(summary.wallSeconds, 2),
      cell(summary.megabytesPerSecond, 0),
      cell(summary.cpuSecondsPerGib, 2),
      cell(summary.peakRssBytes === null ? null : summary.peakRssBytes / MIB, 0),
      ratio(summary, curl),
      ratio(summary, aria2),
      cell(summary.originCpuSecondsPerGib, 2),
      cell(summary.originRequests, 0),
    ]);
    if (summary.note) notes.push(`  ${summary.tool}: ${summary.note}`);
  }
  return [`\n## ${scenario.title}`, formatRows(rows), ...notes].join('\n');
}

export function targetsTable(results: readonly TargetResult[]): string {
  if (results.length === 0) return '';
  const rows = [['scenario', 'tool', 'target', 'measured', 'met']];
  for (const result of results) {
    rows.push([
      result.scenario,
      result.tool,
      result.target,
      result.measured,
      result.met === null ? 'n/a' : result.met ? 'yes' : 'NO',
    ]);
  }
  return `\n## Targets\n${formatRows(rows)}`;
}
