/** The command line: global options, every command, and help that shows both. */
import { Command, Option } from 'commander';
import { registerAdd } from './commands/add';
import { registerDoctor } from './commands/doctor';
import { registerJobCommands } from './commands/jobs';
import { registerKeyCommands } from './commands/keys';
import { registerLibraryCommands } from './commands/library';
import { registerServe } from './commands/serve';
import { DEFAULT_URL } from './connection';
import { VERSION } from './version';

export function buildProgram(): Command {
  const program = new Command('modeldock')
    .description('Download AI model files through a modeldock server: queued, resumable, verified.')
    .version(VERSION, '-V, --version')
    .addOption(new Option('--url <url>', `the server (default: $MODELDOCK_URL or ${DEFAULT_URL})`))
    .option('--json', 'print one JSON document (JSON lines for watch) instead of text')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .addHelpText(
      'after',
      `
Environment:
  MODELDOCK_URL           the server, when --url is not given
  MODELDOCK_ACCESS_TOKEN  the server's access token (from the environment only, never an argument)

Exit status: 0 done, 1 a job or check failed, 2 bad usage, 3 server unreachable, 4 access token refused.`,
    )
    // Parse errors become exit 2 with the usual "message [CODE]" line (see main.ts).
    .exitOverride()
    .configureOutput({ outputError: () => undefined });

  registerAdd(program);
  registerJobCommands(program);
  registerLibraryCommands(program);
  registerKeyCommands(program);
  registerDoctor(program);
  registerServe(program);
  return program;
}
