/**
 * What every command's action gets: how to reach the server, whether to answer in JSON, and where
 * to write. `runAction` wraps an action so that whatever it throws ends as `message [CODE]` (or a
 * JSON error document) and an exit status, never a stack trace.
 */
import type { Command } from 'commander';
import type { ModeldockClient } from '@modeldock/client';
import { connectionFrom, openClient } from './connection';
import type { Connection } from './connection';
import { EXIT, toCliError } from './exit-codes';
import type { CliError, ExitCode } from './exit-codes';

export interface GlobalOptions {
  url?: string;
  json?: boolean;
}

export interface CommandContext {
  json: boolean;
  connection: Connection;
  /** Opened at first use, closed when the action ends. */
  client(): ModeldockClient;
  /** A line for people on stdout (nothing in --json mode). */
  say(text: string): void;
  /** The one JSON document of --json mode. */
  printJson(value: unknown): void;
  /** A note on stderr: it never mixes into what a script reads from stdout. */
  note(text: string): void;
}

export function createCommandContext(
  options: GlobalOptions,
): CommandContext & { close(): Promise<void> } {
  const connection = connectionFrom(options.url);
  const json = options.json === true;
  let client: ModeldockClient | null = null;
  return {
    json,
    connection,
    client: () => (client ??= openClient(connection)),
    say: (text) => {
      if (!json) process.stdout.write(`${text}\n`);
    },
    printJson: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    note: (text) => process.stderr.write(`${text}\n`),
    close: async () => {
      await client?.close().catch(() => undefined);
    },
  };
}

export function reportError(error: CliError, json: boolean): void {
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ error: { code: error.code, message: error.message, exitCode: error.exitCode } }, null, 2)}\n`,
    );
  } else {
    process.stderr.write(`modeldock: ${error.message} [${error.code}]\n`);
  }
}

export type Action<Args extends unknown[]> = (
  context: CommandContext,
  ...args: Args
) => Promise<ExitCode | void>;

/**
 * Commander calls actions with (…arguments, options, command); this hands the action the context
 * and its own arguments, and exits with the status it returns (or that its error maps to).
 */
export function runAction<Args extends unknown[]>(action: Action<Args>) {
  return async (...received: unknown[]): Promise<void> => {
    const command = received[received.length - 1] as Command;
    const args = received.slice(0, -1) as Args;
    const globals = command.optsWithGlobals<GlobalOptions>();
    const context = createCommandContext(globals);
    let exitCode: ExitCode;
    try {
      exitCode = (await action(context, ...args)) ?? EXIT.ok;
    } catch (error) {
      const failure = toCliError(error);
      reportError(failure, context.json);
      exitCode = failure.exitCode;
    } finally {
      await context.close();
    }
    process.exit(exitCode);
  };
}
