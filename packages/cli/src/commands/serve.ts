/**
 * `modeldock serve`: starts the server in the foreground, as `pnpm start` does (same entry, same
 * Node flags), passing its flags (--host --port --data-dir --models-dir) through. It needs a
 * modeldock checkout that has been built: the server is not part of this package.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { reportError } from '../command-context';
import { usageError } from '../exit-codes';

const ENTRY = path.join('apps', 'server', 'dist', 'main.js');

/** apps/server/dist/main.js in the checkout this command runs from, or the one the current folder is in. */
export function findServerEntry(): string | null {
  const starts = [path.dirname(fileURLToPath(import.meta.url)), process.cwd()];
  for (const start of starts) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, ENTRY);
      if (existsSync(candidate)) return candidate;
      if (path.dirname(dir) === dir) break;
    }
  }
  return null;
}

function serve(args: string[], json: boolean): void {
  const entry = findServerEntry();
  if (!entry) {
    reportError(
      usageError(
        `modeldock serve starts the server of a modeldock checkout, and none was found here: run it inside the checkout after \`pnpm build\` (or run \`pnpm start\` there).`,
      ),
      json,
    );
    process.exit(2);
  }
  const child = spawn(process.execPath, ['--max-semi-space-size=1', entry, ...args], {
    stdio: 'inherit',
    cwd: path.resolve(path.dirname(entry), '..', '..', '..'),
  });
  // The server stops gracefully on SIGINT/SIGTERM itself; the terminal already sent Ctrl-C to it.
  const forward = (signal: NodeJS.Signals) => () => {
    if (child.exitCode === null) child.kill(signal);
  };
  process.on('SIGTERM', forward('SIGTERM'));
  process.on('SIGINT', () => undefined);
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 1)));
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'Start the modeldock server in the foreground (same as `pnpm start` in the checkout)',
    )
    .allowUnknownOption()
    .helpOption(false)
    .argument(
      '[serverFlags...]',
      'passed to the server: --host --port --data-dir --models-dir, --help for all',
    )
    .action((serverFlags: string[], _options: unknown, command: Command) => {
      serve(serverFlags, command.optsWithGlobals<{ json?: boolean }>().json === true);
    });
}
