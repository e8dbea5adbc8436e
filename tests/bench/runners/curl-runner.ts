/**
 * curl as users run it: `curl -o` for one file; for many files one `curl -Z --parallel-max 8`
 * with a config file of url/output pairs. It does not hash. It does not run the throttled scenario:
 * one connection cannot go past the origin's per-connection limit.
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runMeasuredCommand } from '../measure/measured-command';
import type { Scenario } from '../scenarios';
import { fileUrls, ToolRunError } from './runner-api';
import type { RunContext, ToolMeasurement, ToolRunner } from './runner-api';

const PARALLEL_MAX = 8;

function curlVersion(): string | null {
  try {
    return execFileSync('curl', ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim();
  } catch {
    return null;
  }
}

export function createCurlRunner(): ToolRunner & { version: string | null } {
  const version = curlVersion();
  return {
    name: 'curl',
    version,
    describe(scenario) {
      return scenario.shape.kind === 'file'
        ? 'curl -o <file> <url>'
        : `curl -Z --parallel-max ${PARALLEL_MAX} --config <url/output list>`;
    },
    skipReason(scenario: Scenario) {
      if (!version) return 'curl is not installed';
      if (scenario.origin === 'throttled')
        return 'one connection: capped by the per-connection limit';
      return null;
    },
    async run(context: RunContext): Promise<ToolMeasurement> {
      const urls = fileUrls(context.scenario, context.originUrl);
      const common = ['--silent', '--show-error', '--fail'];
      let args: string[];
      if (context.scenario.shape.kind === 'file') {
        args = [...common, '-o', path.join(context.outputDir, urls[0]!.name), urls[0]!.url];
      } else {
        const config = path.join(context.scratchDir, 'curl-config');
        const lines = urls.map(
          ({ name, url }) => `url = "${url}"\noutput = "${path.join(context.outputDir, name)}"\n`,
        );
        await writeFile(config, lines.join(''));
        args = [...common, '-Z', '--parallel-max', String(PARALLEL_MAX), '--config', config];
      }
      const measured = await runMeasuredCommand('curl', args, {
        cwd: context.outputDir,
        timeoutMs: context.timeoutMs,
      });
      if (measured.exitCode !== 0)
        throw new ToolRunError(
          'curl',
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
