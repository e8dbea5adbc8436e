/**
 * Issue 9, item 11: the server's memory at start on the embedded database. The built server is
 * started as `pnpm start` does (same Node flags) on a new data folder, then again on the same one;
 * each run reports its peak resident memory (VmHWM) until it listens and its resident memory once
 * settled with an empty queue. The peer, when TEST_DATABASE_URL is set, is the same server on
 * PostgreSQL, measured in the same run. Targets: peak ≤ 300 MiB, settled ≤ 250 MiB.
 * Alone: `node --import tsx bench/startup/startup-memory-bench.ts [--quick]` in tests/.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { currentRssOf, peakRssOf } from '../measure/proc-stats';
import { REPO_ROOT, SERVER_ENTRY } from '../../support/server-process';

const MiB = 1024 * 1024;
const PEAK_TARGET = 300 * MiB;
const SETTLED_TARGET = 250 * MiB;

interface StartMeasure {
  label: string;
  peakBytes: number;
  settledBytes: number;
  startSeconds: number;
}

async function measureStart(
  label: string,
  dataDir: string,
  settleMs: number,
  extraEnv: Record<string, string> = {},
): Promise<StartMeasure> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--max-semi-space-size=1', SERVER_ENTRY], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      MODELDOCK_PORT: '0',
      MODELDOCK_DATA_DIR: dataDir,
      MODELDOCK_MODELS_DIR: path.join(dataDir, '..', 'models'),
      MODELDOCK_LOG_LEVEL: 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
  try {
    while (!output.includes('modeldock listening on')) {
      if (child.exitCode !== null) throw new Error(`${label}: the server exited: ${output}`);
      if (performance.now() - started > 300_000) throw new Error(`${label}: no start in 300 s`);
      await sleep(50);
    }
    const startSeconds = (performance.now() - started) / 1000;
    await sleep(settleMs);
    return {
      label,
      peakBytes: peakRssOf(child.pid!) ?? 0,
      settledBytes: currentRssOf(child.pid!) ?? 0,
      startSeconds,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;

export interface StartupMemoryResult {
  lines: string[];
  met: boolean;
}

export async function runStartupMemoryBench(quick = false): Promise<StartupMemoryResult> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'modeldock-startup-bench-'));
  const settleMs = quick ? 10_000 : 30_000;
  const measures: StartMeasure[] = [];
  try {
    const dataDir = path.join(root, 'data');
    measures.push(await measureStart('embedded, first start', dataDir, settleMs));
    measures.push(await measureStart('embedded, restart', dataDir, settleMs));
    const postgres = process.env.TEST_DATABASE_URL;
    if (postgres) {
      measures.push(
        await measureStart('PostgreSQL (peer)', path.join(root, 'pg-data'), settleMs, {
          DATABASE_URL: postgres,
        }),
      );
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  const peer = measures.find((measure) => measure.label.startsWith('PostgreSQL'));
  const lines = [
    `\nServer memory at start (settled = ${settleMs / 1000} s after listening, empty queue)`,
  ];
  let met = true;
  for (const measure of measures) {
    const embedded = !measure.label.startsWith('PostgreSQL');
    const ok =
      !embedded || (measure.peakBytes <= PEAK_TARGET && measure.settledBytes <= SETTLED_TARGET);
    met &&= ok;
    const ratio =
      peer && embedded
        ? ` (${(measure.peakBytes / peer.peakBytes).toFixed(1)}× the peer's peak)`
        : '';
    lines.push(
      `  ${measure.label.padEnd(24)} peak ${mib(measure.peakBytes).padStart(8)}  settled ${mib(measure.settledBytes).padStart(8)}  listening after ${measure.startSeconds.toFixed(1)} s${ratio}${embedded ? (ok ? '  [met]' : '  [NOT met]') : ''}`,
    );
  }
  lines.push(`  targets: embedded peak ≤ ${mib(PEAK_TARGET)}, settled ≤ ${mib(SETTLED_TARGET)}`);
  return { lines, met };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runStartupMemoryBench(process.argv.includes('--quick'));
  console.log(result.lines.join('\n'));
}
