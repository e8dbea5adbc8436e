/**
 * The server's configuration: the only module that reads `process.env` and `process.argv`.
 * Every value is validated once, here, with zod; a bad value stops the start with a message that
 * names the variable (or flag) and says what is expected.
 *
 * Flags (`--host`, `--port`, `--data-dir`, `--models-dir`) override their environment variables.
 * Secrets (tokens, API keys, database passwords) are accepted from the environment only: a
 * process's arguments are visible to every user of the machine.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import {
  DEFAULT_ENGINE_CONFIG,
  ModeldockError,
  findCharacterNotAllowedInKey,
  redactSecrets,
} from '@modeldock/engine';
import type { EngineConfig } from '@modeldock/engine';
import { decodeSecretKeyText } from './secrets/secret-key-source';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface ServerConfig {
  host: string;
  /** 0 asks the OS for a free port (tests). */
  port: number;
  /** Absolute; holds the embedded database (`pglite/`) and `logs/`. Created at load. */
  dataDir: string;
  /** Absolute; every downloaded file lands inside it. Created at load. */
  modelsDir: string;
  /** PostgreSQL connection string; null = embedded PGlite under `dataDir`. */
  databaseUrl: string | null;
  /** Folder holding the built web app; null = apps/web/build beside the server. */
  webDir: string | null;
  /** Extra origins (besides the server's own) allowed to call mutations and open WebSockets. */
  allowedOrigins: string[];
  /** Extra host names the server answers to when it listens on the LAN without an access token. */
  allowedHosts: string[];
  /** Required of every API call and WebSocket when set; null = anyone who reaches the port. */
  accessToken: string | null;
  logLevel: LogLevel;
  /** Longest a graceful stop may take before the process exits anyway. */
  shutdownTimeoutMs: number;
  /** Only the tunables the operator set; the engine's defaults apply to the rest. */
  engine: Partial<EngineConfig>;
  credentials: { huggingface: string | null; civitai: string | null };
  /** Base64 of the 32-byte key that encrypts saved API keys; null = `<dataDir>/secret.key`. */
  secretKey: string | null;
  /** Hub endpoints (mirrors, tests); null = the public sites. */
  huggingFaceEndpoint: string | null;
  civitaiEndpoint: string | null;
  /** Minutes between background library scans; 0 = only at start, after downloads and on request. */
  libraryScanIntervalMinutes: number;
}

interface SettingSpec {
  env: string;
  flag?: string;
  /** Older or common alternative names read when `env` is unset (e.g. HF_TOKEN). */
  aliases?: string[];
  description: string;
  secret?: boolean;
}

/** Everything that can be configured, documented once; `--help` prints this table. */
export const SETTINGS = {
  host: {
    env: 'MODELDOCK_HOST',
    flag: '--host',
    description: 'Address to listen on (default 127.0.0.1; 0.0.0.0 for the LAN).',
  },
  port: {
    env: 'MODELDOCK_PORT',
    flag: '--port',
    description: 'Port to listen on (default 8787; 0 = any free port).',
  },
  dataDir: {
    env: 'MODELDOCK_DATA_DIR',
    flag: '--data-dir',
    description: 'Embedded database and logs (default ./data).',
  },
  modelsDir: {
    env: 'MODELDOCK_MODELS_DIR',
    flag: '--models-dir',
    description: 'Models root: every download lands inside it (default ./models).',
  },
  databaseUrl: {
    env: 'DATABASE_URL',
    description:
      'postgres://… to use PostgreSQL instead of the embedded database (lets several processes share jobs).',
    secret: true,
  },
  webDir: {
    env: 'MODELDOCK_WEB_DIR',
    description: 'Folder of the built web app (default apps/web/build).',
  },
  allowedOrigins: {
    env: 'MODELDOCK_ALLOWED_ORIGINS',
    description:
      'Comma-separated extra origins allowed to change things, e.g. http://localhost:5173 for the web dev server.',
  },
  allowedHosts: {
    env: 'MODELDOCK_ALLOWED_HOSTS',
    description:
      'Comma-separated host names the server answers to on the LAN without an access token, besides its IP addresses and its own name (e.g. gpu-box.lan).',
  },
  accessToken: {
    env: 'MODELDOCK_ACCESS_TOKEN',
    description:
      'Token every API call and WebSocket must carry (Authorization: Bearer <token>; the web app asks for it once and keeps a cookie). At least 24 characters of some variety, e.g. openssl rand -hex 24. Default: none, anyone who can reach the port can use the server.',
    secret: true,
  },
  logLevel: {
    env: 'MODELDOCK_LOG_LEVEL',
    description: 'trace, debug, info (default), warn, error, fatal or silent.',
  },
  shutdownTimeoutMs: {
    env: 'MODELDOCK_SHUTDOWN_TIMEOUT_MS',
    description: 'Longest a graceful stop may take, in ms (default 15000).',
  },
  libraryScanIntervalMinutes: {
    env: 'MODELDOCK_LIBRARY_SCAN_INTERVAL_MINUTES',
    description: 'Minutes between background scans of the models folder (default 30; 0 = only at start, after downloads and on request).',
  },
  maxConcurrentJobs: {
    env: 'MODELDOCK_MAX_CONCURRENT_JOBS',
    description: `Jobs downloading at once (default ${DEFAULT_ENGINE_CONFIG.maxConcurrentJobs}).`,
  },
  connectionsPerFile: {
    env: 'MODELDOCK_CONNECTIONS_PER_FILE',
    description: `Connections for one large file (default ${DEFAULT_ENGINE_CONFIG.connectionsPerFile}).`,
  },
  connectionsPerHost: {
    env: 'MODELDOCK_CONNECTIONS_PER_HOST',
    description: `Connections to one host across all jobs (default ${DEFAULT_ENGINE_CONFIG.connectionsPerHost}).`,
  },
  segmentThresholdBytes: {
    env: 'MODELDOCK_SEGMENT_THRESHOLD_BYTES',
    description: `Files larger than this use several connections (default ${DEFAULT_ENGINE_CONFIG.segmentThresholdBytes}).`,
  },
  idleTimeoutMs: {
    env: 'MODELDOCK_IDLE_TIMEOUT_MS',
    description: `A connection silent this long is retried, in ms (default ${DEFAULT_ENGINE_CONFIG.idleTimeoutMs}).`,
  },
  minSpeedBps: {
    env: 'MODELDOCK_MIN_SPEED_BPS',
    description: `A connection slower than this many bytes per second over MODELDOCK_MIN_SPEED_WINDOW_MS counts as stalled; 0 turns the rule off (default ${DEFAULT_ENGINE_CONFIG.minSpeedBps}).`,
  },
  minSpeedWindowMs: {
    env: 'MODELDOCK_MIN_SPEED_WINDOW_MS',
    description: `The window the minimum speed is judged over, in ms (default ${DEFAULT_ENGINE_CONFIG.minSpeedWindowMs}).`,
  },
  diskReserveBytes: {
    env: 'MODELDOCK_DISK_RESERVE_BYTES',
    description: `Free space downloads never use, in bytes; a body of unknown length stops before it (default ${DEFAULT_ENGINE_CONFIG.diskReserveBytes}, 1 GiB).`,
  },
  maxAttempts: {
    env: 'MODELDOCK_MAX_ATTEMPTS',
    description: `Attempts per file before a job fails (default ${DEFAULT_ENGINE_CONFIG.maxAttempts}).`,
  },
  retryBaseDelayMs: {
    env: 'MODELDOCK_RETRY_BASE_DELAY_MS',
    description: `First retry delay, in ms (default ${DEFAULT_ENGINE_CONFIG.retryBaseDelayMs}).`,
  },
  retryMaxDelayMs: {
    env: 'MODELDOCK_RETRY_MAX_DELAY_MS',
    description: `Longest retry delay, in ms (default ${DEFAULT_ENGINE_CONFIG.retryMaxDelayMs}).`,
  },
  syncIntervalMs: {
    env: 'MODELDOCK_SYNC_INTERVAL_MS',
    description: `fsync and record progress at least this often, in ms (default ${DEFAULT_ENGINE_CONFIG.syncIntervalMs}).`,
  },
  progressIntervalMs: {
    env: 'MODELDOCK_PROGRESS_INTERVAL_MS',
    description: `Least gap between progress events of a job, in ms (default ${DEFAULT_ENGINE_CONFIG.progressIntervalMs}).`,
  },
  leaseMs: {
    env: 'MODELDOCK_LEASE_MS',
    description: `How long a worker's claim on a job lasts without renewal, in ms (default ${DEFAULT_ENGINE_CONFIG.leaseMs}).`,
  },
  staleAfterMs: {
    env: 'MODELDOCK_STALE_AFTER_MS',
    description: `A running job without progress this long is retried, in ms (default ${DEFAULT_ENGINE_CONFIG.staleAfterMs}).`,
  },
  globalBandwidthLimitBps: {
    env: 'MODELDOCK_BANDWIDTH_LIMIT_BPS',
    description:
      'Global bandwidth limit in bytes per second (default unlimited; changeable in the app).',
  },
  allowPrivateHosts: {
    env: 'MODELDOCK_ALLOW_PRIVATE_HOSTS',
    description:
      'Allow downloads from loopback, private and link-local addresses (LAN mirrors, tests). Default off.',
  },
  huggingFaceEndpoint: {
    env: 'MODELDOCK_HF_ENDPOINT',
    aliases: ['HF_ENDPOINT'],
    description: 'Hugging Face endpoint, for a mirror (default https://huggingface.co).',
  },
  civitaiEndpoint: {
    env: 'MODELDOCK_CIVITAI_ENDPOINT',
    description: 'Civitai endpoint (default https://civitai.com).',
  },
  huggingfaceToken: {
    env: 'MODELDOCK_HF_TOKEN',
    aliases: ['HF_TOKEN'],
    description: 'Hugging Face access token for gated or private repositories.',
    secret: true,
  },
  civitaiApiKey: {
    env: 'MODELDOCK_CIVITAI_API_KEY',
    aliases: ['CIVITAI_API_KEY'],
    description: 'Civitai API key for models that require a login.',
    secret: true,
  },
  secretKey: {
    env: 'MODELDOCK_SECRET_KEY',
    description:
      'Base64 of 32 random bytes (openssl rand -base64 32) that encrypts API keys saved in Settings; give every server sharing one PostgreSQL the same. Default: <data-dir>/secret.key, made at first start.',
    secret: true,
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;
type RawSettings = Partial<Record<SettingName, string>>;

/** The environment variables a setting is read from, in the order they are tried. */
export function environmentVariablesOf(name: SettingName): string[] {
  const spec: SettingSpec = SETTINGS[name];
  return [spec.env, ...(spec.aliases ?? [])];
}

// ---------------------------------------------------------------------------------------------
// Value parsers: each error message says what is expected, never echoes a secret.
// ---------------------------------------------------------------------------------------------

function wholeNumber(min: number, max: number) {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, `must be a whole number from ${min} to ${max}`)
        .max(max, `must be a whole number from ${min} to ${max}`),
    );
}

const BOOLEAN_WORDS: Record<string, boolean> = {
  '1': true,
  true: true,
  yes: true,
  on: true,
  '0': false,
  false: false,
  no: false,
  off: false,
};

const booleanFlag = z
  .string()
  .trim()
  .toLowerCase()
  .refine((value) => value in BOOLEAN_WORDS, 'must be 1/true/yes/on or 0/false/no/off')
  .transform((value) => BOOLEAN_WORDS[value]!);

const nonEmptyPath = z.string().trim().min(1, 'must not be empty');

const hostName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .regex(
    /^[A-Za-z0-9.:\-[\]%]+$/,
    'must be an IP address or a host name such as 127.0.0.1, 0.0.0.0 or localhost',
  )
  // `[::1]` as written in a URL is the address ::1.
  .transform((value) => value.replace(/^\[(.*)\]$/, '$1'));

const databaseUrl = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const parsed = new URL(value);
      return (
        (parsed.protocol === 'postgres:' || parsed.protocol === 'postgresql:') &&
        parsed.hostname !== ''
      );
    } catch {
      return false;
    }
  }, 'must be a PostgreSQL connection string such as postgres://127.0.0.1:5432/modeldock (add user and password as usual)');

const originList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  )
  .pipe(
    z.array(
      z.string().refine((origin) => {
        try {
          const parsed = new URL(origin);
          return (
            (parsed.protocol === 'http:' || parsed.protocol === 'https:') &&
            parsed.origin === origin.replace(/\/$/, '')
          );
        } catch {
          return false;
        }
      }, 'must be origins such as http://localhost:5173 (scheme, host and port only), separated by commas'),
    ),
  )
  .transform((origins) => origins.map((origin) => new URL(origin).origin));

const hostNameList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim().toLowerCase())
      .filter(Boolean),
  )
  .pipe(
    z.array(
      z
        .string()
        .regex(
          /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/,
          'must be host names such as gpu-box.lan (no scheme, port or path), separated by commas',
        ),
    ),
  );

const endpointUrl = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const parsed = new URL(value);
      return (
        (parsed.protocol === 'http:' || parsed.protocol === 'https:') &&
        !parsed.username &&
        !parsed.password
      );
    } catch {
      return false;
    }
  }, 'must be an http(s) URL such as https://huggingface.co (no user or password in it)')
  .transform((value) => value.replace(/\/+$/, ''));

const secretValue = z.string().trim().min(1, 'must not be empty');

/** A hub key or token: it travels in an HTTP header, so visible ASCII only, and the message says where. */
const keyValue = secretValue.superRefine((key, ctx) => {
  const refused = findCharacterNotAllowedInKey(key);
  if (refused) {
    ctx.addIssue({
      code: 'custom',
      message: `must hold only visible ASCII characters (an HTTP header cannot carry the others): it has ${refused.description}`,
    });
  }
});

export const ACCESS_TOKEN_MIN_LENGTH = 24;
/** `aaaa…` or `1212…` is long but guessable: a token needs at least this many different characters. */
export const ACCESS_TOKEN_MIN_DISTINCT = 10;

const accessTokenValue = z
  .string()
  .trim()
  .min(
    ACCESS_TOKEN_MIN_LENGTH,
    `must be at least ${ACCESS_TOKEN_MIN_LENGTH} characters; make one with \`openssl rand -hex 24\``,
  )
  .max(1024, 'must be at most 1024 characters')
  // Printable ASCII only: it travels in an HTTP header, where anything else is mangled or refused.
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
  .refine(
    (token) => new Set(token).size >= ACCESS_TOKEN_MIN_DISTINCT,
    `is too easy to guess: it must use at least ${ACCESS_TOKEN_MIN_DISTINCT} different characters; make one with \`openssl rand -hex 24\``,
  );

const secretKeyValue = z
  .string()
  .trim()
  .refine(
    (value) => decodeSecretKeyText(value) !== null,
    'must be the base64 of 32 random bytes, e.g. the output of `openssl rand -base64 32`',
  );

const settingsSchema = z.object({
  host: hostName.default('127.0.0.1'),
  port: wholeNumber(0, 65535).default(8787),
  dataDir: nonEmptyPath.default('./data'),
  modelsDir: nonEmptyPath.default('./models'),
  databaseUrl: databaseUrl.optional(),
  webDir: nonEmptyPath.optional(),
  allowedOrigins: originList.default([]),
  allowedHosts: hostNameList.default([]),
  accessToken: accessTokenValue.optional(),
  logLevel: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], {
      error: 'must be one of trace, debug, info, warn, error, fatal, silent',
    })
    .default('info'),
  shutdownTimeoutMs: wholeNumber(100, 600_000).default(15_000),
  libraryScanIntervalMinutes: wholeNumber(0, 10_080).default(30),
  maxConcurrentJobs: wholeNumber(1, 64).optional(),
  connectionsPerFile: wholeNumber(1, 32).optional(),
  connectionsPerHost: wholeNumber(1, 256).optional(),
  segmentThresholdBytes: wholeNumber(1024, Number.MAX_SAFE_INTEGER).optional(),
  idleTimeoutMs: wholeNumber(50, 3_600_000).optional(),
  minSpeedBps: wholeNumber(0, 1e9).optional(),
  minSpeedWindowMs: wholeNumber(1000, 3_600_000).optional(),
  diskReserveBytes: wholeNumber(0, Number.MAX_SAFE_INTEGER).optional(),
  maxAttempts: wholeNumber(1, 1000).optional(),
  retryBaseDelayMs: wholeNumber(1, 3_600_000).optional(),
  retryMaxDelayMs: wholeNumber(1, 86_400_000).optional(),
  syncIntervalMs: wholeNumber(10, 600_000).optional(),
  progressIntervalMs: wholeNumber(10, 60_000).optional(),
  leaseMs: wholeNumber(500, 3_600_000).optional(),
  staleAfterMs: wholeNumber(1000, 86_400_000).optional(),
  globalBandwidthLimitBps: wholeNumber(1, 1e12).optional(),
  allowPrivateHosts: booleanFlag.optional(),
  huggingFaceEndpoint: endpointUrl.optional(),
  civitaiEndpoint: endpointUrl.optional(),
  huggingfaceToken: keyValue.optional(),
  civitaiApiKey: keyValue.optional(),
  secretKey: secretKeyValue.optional(),
});

const ENGINE_SETTINGS = [
  'maxConcurrentJobs',
  'connectionsPerFile',
  'connectionsPerHost',
  'segmentThresholdBytes',
  'idleTimeoutMs',
  'minSpeedBps',
  'minSpeedWindowMs',
  'diskReserveBytes',
  'maxAttempts',
  'retryBaseDelayMs',
  'retryMaxDelayMs',
  'syncIntervalMs',
  'progressIntervalMs',
  'leaseMs',
  'staleAfterMs',
  'globalBandwidthLimitBps',
  'allowPrivateHosts',
] as const satisfies readonly (SettingName & keyof EngineConfig)[];

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

function flagToSetting(flag: string): SettingName | undefined {
  return (Object.keys(SETTINGS) as SettingName[]).find((name) => {
    const spec: SettingSpec = SETTINGS[name];
    return spec.flag === flag;
  });
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
        `Unknown option ${flag}. Options: --host, --port, --data-dir, --models-dir (secrets such as tokens and DATABASE_URL are read from the environment only).`,
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
  switch (setting) {
    case 'host':
      return '127.0.0.1';
    case 'port':
      return '8787';
    case 'dataDir':
      return './data';
    default:
      return './models';
  }
}

function readEnvironment(env: Readonly<Record<string, string | undefined>>): RawSettings {
  const raw: RawSettings = {};
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
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
  const spec: SettingSpec = SETTINGS[setting];
  return fromFlag && spec.flag ? spec.flag : spec.env;
}

function formatProblems(error: z.ZodError, flags: RawSettings, raw: RawSettings): string {
  const lines = error.issues.map((issue) => {
    const setting = issue.path[0] as SettingName;
    const spec: SettingSpec = SETTINGS[setting];
    const value = raw[setting];
    const shown = spec.secret || value === undefined ? '' : ` (got "${redactSecrets(value)}")`;
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
  const settings = parsed.data;

  const engine: Partial<EngineConfig> = {};
  for (const name of ENGINE_SETTINGS) {
    const value = settings[name];
    if (value !== undefined) (engine as Record<string, unknown>)[name] = value;
  }
  if (
    (engine.retryBaseDelayMs ?? DEFAULT_ENGINE_CONFIG.retryBaseDelayMs) >
    (engine.retryMaxDelayMs ?? DEFAULT_ENGINE_CONFIG.retryMaxDelayMs)
  ) {
    throw new ConfigError(
      'Invalid configuration:\n  MODELDOCK_RETRY_BASE_DELAY_MS must not be larger than MODELDOCK_RETRY_MAX_DELAY_MS',
    );
  }

  return {
    host: settings.host,
    port: settings.port,
    dataDir: path.resolve(cwd, settings.dataDir),
    modelsDir: path.resolve(cwd, settings.modelsDir),
    databaseUrl: settings.databaseUrl ?? null,
    webDir: settings.webDir ? path.resolve(cwd, settings.webDir) : null,
    allowedOrigins: settings.allowedOrigins,
    allowedHosts: settings.allowedHosts,
    accessToken: settings.accessToken ?? null,
    logLevel: settings.logLevel,
    shutdownTimeoutMs: settings.shutdownTimeoutMs,
    engine,
    credentials: {
      huggingface: settings.huggingfaceToken ?? null,
      civitai: settings.civitaiApiKey ?? null,
    },
    secretKey: settings.secretKey ?? null,
    huggingFaceEndpoint: settings.huggingFaceEndpoint ?? null,
    civitaiEndpoint: settings.civitaiEndpoint ?? null,
    libraryScanIntervalMinutes: settings.libraryScanIntervalMinutes,
  };
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

/** The `--help` text, generated from SETTINGS so it cannot drift from what is read. */
export function helpText(): string {
  const rows = (Object.keys(SETTINGS) as SettingName[]).map((name) => {
    const spec: SettingSpec = SETTINGS[name];
    const names = [spec.flag, ...environmentVariablesOf(name)].filter(Boolean).join(', ');
    return `  ${names}\n      ${spec.description}`;
  });
  return `Usage: node apps/server/dist/main.js [--host H] [--port P] [--data-dir DIR] [--models-dir DIR]\n\nSettings (flag, environment variable):\n${rows.join('\n')}\n`;
}
