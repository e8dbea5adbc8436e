/**
 * Entry point (`pnpm start` → node apps/server/dist/main.js). Reads the configuration, starts the
 * app, prints exactly one plain line — `modeldock listening on http://127.0.0.1:8787` — that
 * people and tests read, and stops gracefully on SIGTERM / SIGINT. Everything else on stdout is
 * JSON log lines.
 *
 * Exit codes: 0 after a graceful stop, 1 when the server could not start or stop cleanly,
 * 2 for a configuration error, 130 after a second interrupt.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isModeldockError, redactSecrets } from '@modeldock/engine';
import { pgliteStartParams, runInitdbIfAsked } from '@modeldock/db';
import { ConfigError, HELP_REQUESTED, helpText, loadServerConfig } from './env';
import type { ServerConfig } from './env';
import { startApp } from './app';
import type { AppHandle } from './app';
import { exitGracefullyOnSignals } from './shutdown';

process.setSourceMapsEnabled(true);

/** The bundle ships its migrations beside it (build.mjs copies them); in development the db package finds its own. */
function bundledMigrationsFolder(): string | undefined {
  const folder = fileURLToPath(new URL('./drizzle', import.meta.url));
  return existsSync(folder) ? folder : undefined;
}

function fail(message: string, code: number): never {
  process.stderr.write(`modeldock: ${redactSecrets(message)}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  // Started again by ourselves only to create a new embedded database (see pglite-first-start.ts).
  if (await runInitdbIfAsked(pgliteStartParams())) return;
  let config: ServerConfig | typeof HELP_REQUESTED;
  try {
    config = loadServerConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message, 2);
    throw error;
  }
  if (config === HELP_REQUESTED) {
    process.stdout.write(helpText());
    return;
  }

  let app: AppHandle;
  try {
    app = await startApp(config, {
      migrationsFolder: bundledMigrationsFolder(),
      pgliteInitdbCommand: [process.execPath, ...process.execArgv, process.argv[1]!],
    });
  } catch (error) {
    if (isModeldockError(error)) fail(`${error.message} [${error.code}]`, 1);
    throw error;
  }

  const { stopAndExit } = exitGracefullyOnSignals({
    close: () => app.close(),
    logger: app.loggers.server,
    timeoutMs: config.shutdownTimeoutMs,
  });

  const crash = (error: unknown) => {
    app.loggers.server.fatal({ err: error }, 'Unexpected error');
    stopAndExit(1, { reason: 'unexpected error' });
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);

  // Printed only once a stop signal is handled: whoever reads this line may send SIGTERM at once,
  // and before the handlers exist that signal would kill the process mid-start.
  process.stdout.write(`modeldock listening on ${app.url}\n`);
  if (app.warning) process.stderr.write(`modeldock: ${app.warning}\n`);
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  fail(`could not start: ${message}`, 1);
});
