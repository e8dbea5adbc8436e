/**
 * The server's configuration: the only module that reads `process.env` and `process.argv`.
 * What can be set is declared once in `settings/settings.ts`; here the flags and variables are
 * read and validated against it, and a bad value stops the start with a message that names the
 * variable (or flag) and says what is expected.
 *
 * Flags (`--host`, `--port`, `--data-dir`, `--models-dir`) override their environment variables.
 * Secrets (tokens, API keys, database passwords) are accepted from the environment only: a
 * process's arguments are visible to every user of the machine.
 */
import { mkdirSync } from 'node:fs';
import type { z } from 'zod';
import { DEFAULT_ENGINE_CONFIG, ModeldockError, redactSecrets } from '@modeldock/engine';
import {
  SETTING_NAMES,
  declarationOf,
  defaultTextOf,
  environmentVariablesOf,
  settingsSchema,
  toServerConfig,
} from './settings/settings';
import type { ServerConfig, SettingName } from './settings/settings';

export type { ServerConfig, SettingName } from './settings/settings';
export { SETTINGS, environmentVariablesOf, nodeNameFromHost } from './settings/settings';
export { ACCESS_TOKEN_MIN_DISTINCT, ACCESS_TOKEN_MIN_LENGTH } from './settings/setting-values';

export type LogLevel = ServerConfig['logLevel'];
type RawSettings = Partial<Record<SettingName, string>>;

// ---------------------------------------------------------------------------------------------
// Reading the sources.
// ---------------------------------------------------------------------------------------------

/** Raised for a bad setting; `main` prints the message and exits with status 2. */
export class ConfigError extends ModeldockError {
  constructor(message: string) {
    super('INVALID_INPUT', message);
    this.name = 'ConfigError';
  }
}

export const HELP_REQUESTED = Symbol('help requested');

const FLAGS = SETTING_NAMES.flatMap((name) => declarationOf(name).flag ?? []);

function flagToSetting(flag: string): SettingName | undefined {
  return SETTING_NAMES.find((name) => declarationOf(name).flag === flag);
}

function readFlags(argv: readonly string[]): RawSettings | typeof HELP_REQUESTED {
  const raw: RawSettings = {};
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    if (argument === '--help' || argument === '-h') return HELP_REQUESTED;
    if (!argument.startsWith('--')) {
      throw new ConfigError(
        `Unexpected argument "${argument}". Run with --help to see the options.`,
      );
    }
    const equals = argument.indexOf('=');
    const flag = equals === -1 ? argument : argument.slice(0, equals);
    const setting = flagToSetting(flag);
    if (!setting) {
      // Never echo the value: someone may have tried --token=<secret>.
      throw new ConfigError(
        `Unknown option ${flag}. Options: ${FLAGS.join(', ')} (secrets such as tokens and DATABASE_URL are read from the environment only).`,
      );
    }
    const value = equals === -1 ? argv[++index] : argument.slice(equals + 1);
    if (value === undefined || (equals === -1 && value.startsWith('--'))) {
      throw new ConfigError(`Option ${flag} needs a value, e.g. ${flag}=${exampleFor(setting)}`);
    }
    raw[setting] = value;
  }
  return raw;
}

function exampleFor(setting: SettingName): string {
  return defaultTextOf(setting) ?? '…';
}

function readEnvironment(env: Readonly<Record<string, string | undefined>>): RawSettings {
  const raw: RawSettings = {};
  for (const name of SETTING_NAMES) {
    for (const variable of environmentVariablesOf(name)) {
      const value = env[variable];
      // An empty variable means "not set": shells and compose files often export VAR= by accident.
      if (value !== undefined && value.trim() !== '') {
        raw[name] = value;
        break;
      }
    }
  }
  return raw;
}

function describeSource(setting: SettingName, fromFlag: boolean): string {
  const declaration = declarationOf(setting);
  return fromFlag && declaration.flag ? declaration.flag : declaration.env;
}

function formatProblems(error: z.ZodError, flags: RawSettings, raw: RawSettings): string {
  const lines = error.issues.map((issue) => {
    const setting = issue.path[0] as SettingName;
    const value = raw[setting];
    const shown =
      declarationOf(setting).secret || value === undefined
        ? ''
        : ` (got "${redactSecrets(value)}")`;
    return `  ${describeSource(setting, setting in flags)} ${issue.message}${shown}`;
  });
  return `Invalid configuration:\n${lines.join('\n')}`;
}

/** Validates flags and environment into a configuration; pure (no disk access). */
export function parseServerConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): ServerConfig | typeof HELP_REQUESTED {
  const flags = readFlags(argv);
  if (flags === HELP_REQUESTED) return HELP_REQUESTED;
  const raw = { ...readEnvironment(env), ...flags };
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(formatProblems(parsed.error, flags, raw));
  const config = toServerConfig(parsed.data, cwd);
  const { engine } = config;
  if (
    (engine.retryBaseDelayMs ?? DEFAULT_ENGINE_CONFIG.retryBaseDelayMs) >
    (engine.retryMaxDelayMs ?? DEFAULT_ENGINE_CONFIG.retryMaxDelayMs)
  ) {
    throw new ConfigError(
      'Invalid configuration:\n  MODELDOCK_RETRY_BASE_DELAY_MS must not be larger than MODELDOCK_RETRY_MAX_DELAY_MS',
    );
  }
  return config;
}

/** Creates the data and models folders, with a message that names the folder when it cannot. */
export function createConfiguredDirectories(config: ServerConfig): void {
  for (const [label, directory] of [
    ['data', config.dataDir],
    ['models', config.modelsDir],
  ] as const) {
    try {
      mkdirSync(directory, { recursive: true });
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new ConfigError(
        `Cannot create the ${label} folder ${directory} (${reason}). Choose another with --${label === 'data' ? 'data-dir' : 'models-dir'}.`,
      );
    }
  }
}

/** Reads this process's flags and environment, validates them and creates the folders. */
export function loadServerConfig(): ServerConfig | typeof HELP_REQUESTED {
  const config = parseServerConfig(process.argv.slice(2), process.env, process.cwd());
  if (config !== HELP_REQUESTED) createConfiguredDirectories(config);
  return config;
}

/** The `--help` text, generated from the declarations so it cannot drift from what is read. */
export function helpText(): string {
  const rows = SETTING_NAMES.map((name) => {
    const declaration = declarationOf(name);
    const names = [declaration.flag, ...environmentVariablesOf(name)].filter(Boolean).join(', ');
    const fallback = defaultTextOf(name);
    return `  ${names}\n      ${declaration.help}${fallback ? ` Default: ${fallback}.` : ''}`;
  });
  const usage = FLAGS.map((flag) => `[${flag} ${flag.slice(2).split('-').at(-1)!.toUpperCase()}]`);
  return `Usage: node apps/server/dist/main.js ${usage.join(' ')}\n\nSettings (flag, environment variable):\n${rows.join('\n')}\n`;
}
