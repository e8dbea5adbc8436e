/**
 * Runs a command-line tool and measures it as a whole: wall time around the process, and its CPU
 * seconds and peak RSS from the kernel's rusage through GNU time (`/usr/bin/time -f`), exact even
 * for the last milliseconds. Without GNU time, /proc is sampled every 20 ms instead (the final
 * instants are then missed, and the table says so).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cpuSecondsOf, peakRssOf } from './proc-stats';

const GNU_TIME = '/usr/bin/time';
const SAMPLE_MS = 20;

export interface CommandMeasurement {
  wallSeconds: number;
  cpuSeconds: number;
  peakRssBytes: number;
  exitCode: number | null;
  /** The tool's own stderr (and stdout), for error messages. */
  output: string;
  /** 'rusage' (exact) or 'sampled'. */
  method: 'rusage' | 'sampled';
}

export interface CommandOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** The run is abandoned (and the tool killed) after this long. */
  timeoutMs: number;
}

export function hasGnuTime(): boolean {
  return existsSync(GNU_TIME);
}

function collect(child: ReturnType<typeof spawn>): () => string {
  let output = '';
  const keep = (chunk: Buffer) => {
    // A tool stuck printing must not grow the bench's memory without bound.
    if (output.length < 64 * 1024) output += chunk.toString('utf8');
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => output;
}

export async function runMeasuredCommand(
  command: string,
  args: string[],
  options: CommandOptions,
): Promise<CommandMeasurement> {
  const useGnuTime = hasGnuTime();
  const reportPath = path.join(tmpdir(), `modeldock-bench-time-${process.pid}-${Date.now()}.txt`);
  const [file, argv] = useGnuTime
    ? [GNU_TIME, ['-f', '%U %S %M', '-o', reportPath, command, ...args]]
    : [command, args];
  const startedAt = performance.now();
  const child = spawn(file, argv, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collect(child);
  let sampledCpu = 0;
  let sampledPeak = 0;
  const sampler = useGnuTime
    ? null
    : setInterval(() => {
        sampledCpu = cpuSecondsOf(child.pid!) ?? sampledCpu;
        sampledPeak = Math.max(sampledPeak, peakRssOf(child.pid!) ?? 0);
      }, SAMPLE_MS);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  }).finally(() => {
    clearTimeout(timer);
    if (sampler) clearInterval(sampler);
  });
  const wallSeconds = (performance.now() - startedAt) / 1000;
  if (!useGnuTime) {
    return {
      wallSeconds,
      cpuSeconds: sampledCpu,
      peakRssBytes: sampledPeak,
      exitCode,
      output: output(),
      method: 'sampled',
    };
  }
  const report = await readFile(reportPath, 'utf8').catch(() => '');
  await rm(reportPath, { force: true });
  // GNU time prefixes "Command exited with non-zero status N" on its own line; the numbers are last.
  const numbers = /(\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+)\s*$/.exec(report.trim());
  if (!numbers)
    throw new Error(`GNU time gave no measurement for ${command}: ${report.trim() || output()}`);
  return {
    wallSeconds,
    cpuSeconds: Number(numbers[1]) + Number(numbers[2]),
    peakRssBytes: Number(numbers[3]) * 1024,
    exitCode,
    output: output(),
    method: 'rusage',
  };
}
