/**
 * The `modeldock` command. Each action exits by itself with its status (command-context.ts); what
 * reaches here is a parse error (exit 2), --help or --version (exit 0).
 */
import { CommanderError } from 'commander';
import { reportError } from './command-context';
import { EXIT, toCliError, usageError } from './exit-codes';
import { buildProgram } from './program';

const program = buildProgram();

function wantsJson(argv: string[]): boolean {
  return argv.includes('--json');
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    if (
      error.exitCode === 0 ||
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version'
    ) {
      process.exit(EXIT.ok);
    }
    // "error: unknown option '--foo'" → "unknown option '--foo'", with where to look.
    const message = error.message.replace(/^error:\s*/i, '');
    const help = "Run 'modeldock --help' (or 'modeldock <command> --help') for usage.";
    reportError(usageError(`${message}. ${help}`.replace(/\.\. /, '. ')), wantsJson(process.argv));
    process.exit(EXIT.usage);
  }
  const failure = toCliError(error);
  reportError(failure, wantsJson(process.argv));
  process.exit(failure.exitCode);
}
