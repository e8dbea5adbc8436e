/**
 * aria2c as its users tune it for speed: `-x16 -s16 -k1M`, with `--checksum=sha-256=…` so it
 * verifies what it wrote (as modeldock does), and `--file-allocation=falloc` (aria2's advice for
 * ext4 and the like: its default, prealloc, writes the whole file once before downloading). Many
 * files go through one input file with `-j 8`. Installed from Debian when missing and running as
 * root; otherwise skipped with a note.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runMeasuredCommand } from '../measure/measured-command';
import type { Scenario } from '../scenarios';
import { fileUrls, ToolRunError } from './runner-api';
import type { RunContext, ToolMeasurement, ToolRunner } from './runner-api';

const PARALLEL_FILES = 8;

function aria2Version(): string | null {
  try {
    return execFileSync('aria2c', ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim();
  } catch {
    return null;
  }
}

/** aria2c's version, installing it from Debian first when missing and allowed; null with a reason otherwise. */
export function ensureAria2(log: (line: string) => void): {
  version: string | null;
  reason: string | null;
} {
  let version = aria2Version();
  if (version) return { version, reason: null };
  if (process.getuid?.() !== 0)
    return { version: null, reason: 'aria2c is not installed (apt-get install aria2)' };
  log('aria2c is missing: installing it with apt-get');
  const environment = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env: environment });
  spawnSync('apt-get', ['install', '-y', '-qq', 'aria2'], { stdio: 'ignore', env: environment });
  version = aria2Version();
  return version
    ? { version, reason: null }
    : { version: null, reason: 'aria2c is not installed and apt-get could not install it' };
}

export function createAria2Runner(
  log: (line: string) => void,
): ToolRunner & { version: string | null } {
  const { version, reason } = ensureAria2(log);
  const connections = (scenario: Scenario) => String(scenario.connections ?? 16);
  return {
    name: 'aria2c',
    version,
    describe(scenario) {
      const split = `-x${connections(scenario)} -s${connections(scenario)} -k1M --file-allocation=falloc`;
      return scenario.shape.kind === 'file'
        ? `aria2c ${split} --checksum=sha-256=<hex> <url>`
        : `aria2c ${split} -j ${PARALLEL_FILES} -i <list with checksum=sha-256=… per file>`;
    },
    skipReason() {
      return reason;
    },
    async run(context: RunContext): Promise<ToolMeasurement> {
      const urls = fileUrls(context.scenario, context.originUrl);
      const sha256 = new Map(context.expected.map((file) => [file.name, file.sha256]));
      const common = [
        `-x${connections(context.scenario)}`,
        `-s${connections(context.scenario)}`,
        '-k1M',
        '--file-allocation=falloc',
        '--allow-overwrite=true',
        '--auto-file-renaming=false',
        '--console-log-level=warn',
        '--summary-interval=0',
        '--download-result=hide',
        '--max-tries=1',
        '--check-certificate=false',
      ];
      let args: string[];
      if (context.scenario.shape.kind === 'file') {
        const { name, url } = urls[0]!;
        args = [
          ...common,
          '-d',
          context.outputDir,
          '-o',
          name,
          `--checksum=sha-256=${sha256.get(name)}`,
          url,
        ];
      } else {
        const list = path.join(context.scratchDir, 'aria2-input');
        const entries = urls.map(
          ({ name, url }) =>
            `${url}\n  dir=${context.outputDir}\n  out=${name}\n  checksum=sha-256=${sha256.get(name)}\n`,
        );
        await writeFile(list, entries.join(''));
        args = [...common, '-j', String(PARALLEL_FILES), '-i', list];
      }
      const measured = await runMeasuredCommand('aria2c', args, {
        cwd: context.scratchDir,
        timeoutMs: context.timeoutMs,
      });
      if (measured.exitCode !== 0)
        throw new ToolRunError(
          'aria2c',
          `exited with ${measured.exitCode}: ${measured.output.trim().slice(0, 500)}`,
        );
      return {
        wallSeconds: measured.wallSeconds,
        cpuSeconds: measured.cpuSeconds,
        peakRssBytes: measured.peakRssBytes,
        outputRoot: context.outputDir,
        method: measured.method,
      };
    },
    async dispose() {},
  };
}
