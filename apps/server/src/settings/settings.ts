/**
 * Every setting of the server, each declared once (see `declare-setting.ts`). Adding a setting is
 * one entry here: `--help`, validation, `ServerConfig` and the README tables follow from it
 * (`pnpm --filter @modeldock/server settings-tables` rewrites the tables; a test checks them).
 */
import { hostname } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_ENGINE_CONFIG, isValidNodeName } from '@modeldock/engine';
import type { EngineConfig } from '@modeldock/engine';
import { setting } from './declare-setting';
import type { CredentialPlatform, SettingDeclaration } from './declare-setting';
import {
  accessTokenValue,
  booleanFlag,
  databaseUrl,
  endpointUrl,
  hostName,
  hostNameList,
  keyValue,
  logLevel,
  nodeName,
  nonEmptyPath,
  originList,
  secretKeyValue,
  wholeNumber,
} from './setting-values';

export const SETTINGS = {
  host: setting(hostName, {
    env: 'MODELDOCK_HOST',
    flag: '--host',
    default: '127.0.0.1',
    help: 'Address to listen on (`0.0.0.0` for the LAN).',
    inMainReadme: true,
  }),
  port: setting(wholeNumber(0, 65535), {
    env: 'MODELDOCK_PORT',
    flag: '--port',
    default: 8787,
    help: 'Port to listen on (`0` = any free port).',
    inMainReadme: true,
  }),
  dataDir: setting(nonEmptyPath, {
    env: 'MODELDOCK_DATA_DIR',
    flag: '--data-dir',
    default: './data',
    folder: true,
    help: 'The embedded database (`pglite/`), `logs/downloads.log` and `secret.key`.',
    inMainReadme: true,
  }),
  modelsDir: setting(nonEmptyPath, {
    env: 'MODELDOCK_MODELS_DIR',
    flag: '--models-dir',
    default: './models',
    folder: true,
    help: 'The models root: every download lands inside it.',
    inMainReadme: true,
  }),
  databaseUrl: setting(databaseUrl, {
    env: 'DATABASE_URL',
    secret: true,
    help: 'postgres://…: use PostgreSQL instead of the embedded database (several processes can share it).',
    inMainReadme: true,
  }),
  webDir: setting(nonEmptyPath, {
    env: 'MODELDOCK_WEB_DIR',
    folder: true,
    defaultText: 'apps/web/build',
    help: 'Folder of the built web app.',
  }),
  allowedOrigins: setting(originList, {
    env: 'MODELDOCK_ALLOWED_ORIGINS',
    default: [],
    help: 'Extra origins allowed to change things (comma-separated, e.g. http://localhost:5173 for the web dev server).',
  }),
  allowedHosts: setting(hostNameList, {
    env: 'MODELDOCK_ALLOWED_HOSTS',
    default: [],
    help: 'Extra host names (comma-separated, e.g. gpu-box.lan) a LAN server without a token answers to.',
    inMainReadme: true,
  }),
  accessToken: setting(accessTokenValue, {
    env: 'MODELDOCK_ACCESS_TOKEN',
    secret: true,
    defaultText: 'none (anyone who reaches the port)',
    help: 'Token every API call and WebSocket must carry (a bearer token; the web app asks once and keeps a cookie): 24+ characters, 10 different, e.g. `openssl rand -hex 24`. Set it before MODELDOCK_HOST=0.0.0.0.',
    inMainReadme: true,
  }),
  logLevel: setting(logLevel, {
    env: 'MODELDOCK_LOG_LEVEL',
    default: 'info',
    help: 'Console log level: trace, debug, info, warn, error, fatal or silent (`downloads.log` always records info and above).',
  }),
  shutdownTimeoutMs: setting(wholeNumber(100, 600_000), {
    env: 'MODELDOCK_SHUTDOWN_TIMEOUT_MS',
    default: 15_000,
    help: 'Longest a graceful stop may take, in ms.',
  }),
  nodeName: setting(nodeName, {
    env: 'MODELDOCK_NODE_NAME',
    default: () => nodeNameFromHost(hostname()),
    defaultText: 'the host name',
    help: "This worker's name: it runs jobs for any node and jobs added for this node (`node` on enqueue, `modeldock add --node`).",
    inMainReadme: true,
  }),
  libraryScanIntervalMinutes: setting(wholeNumber(0, 10_080), {
    env: 'MODELDOCK_LIBRARY_SCAN_INTERVAL_MINUTES',
    default: 30,
    help: 'Default interval of the scheduled library scan, in minutes, until one is saved in Settings → Schedule (0 = off by default; a scan still runs at start, after downloads and on request).',
    inMainReadme: true,
  }),
  maxConcurrentJobs: setting(wholeNumber(1, 64), {
    env: 'MODELDOCK_MAX_CONCURRENT_JOBS',
    engine: true,
    help: 'Jobs downloading at once.',
  }),
  connectionsPerFile: setting(wholeNumber(1, 32), {
    env: 'MODELDOCK_CONNECTIONS_PER_FILE',
    engine: true,
    help: 'Connections for one large file.',
  }),
  connectionsPerHost: setting(wholeNumber(1, 256), {
    env: 'MODELDOCK_CONNECTIONS_PER_HOST',
    engine: true,
    help: 'Connections to one host across all jobs.',
  }),
  segmentThresholdBytes: setting(wholeNumber(1024, Number.MAX_SAFE_INTEGER), {
    env: 'MODELDOCK_SEGMENT_THRESHOLD_BYTES',
    engine: true,
    defaultText: `${DEFAULT_ENGINE_CONFIG.segmentThresholdBytes} (64 MiB)`,
    help: 'Files larger than this many bytes use several connections.',
  }),
  idleTimeoutMs: setting(wholeNumber(50, 3_600_000), {
    env: 'MODELDOCK_IDLE_TIMEOUT_MS',
    engine: true,
    help: 'A connection silent this long is retried, in ms.',
  }),
  minSpeedBps: setting(wholeNumber(0, 1e9), {
    env: 'MODELDOCK_MIN_SPEED_BPS',
    engine: true,
    help: 'A connection slower than this many bytes per second over MODELDOCK_MIN_SPEED_WINDOW_MS counts as stalled; 0 turns the rule off.',
  }),
  minSpeedWindowMs: setting(wholeNumber(1000, 3_600_000), {
    env: 'MODELDOCK_MIN_SPEED_WINDOW_MS',
    engine: true,
    help: 'The window the minimum speed is judged over, in ms.',
  }),
  diskReserveBytes: setting(wholeNumber(0, Number.MAX_SAFE_INTEGER), {
    env: 'MODELDOCK_DISK_RESERVE_BYTES',
    engine: true,
    defaultText: `${DEFAULT_ENGINE_CONFIG.diskReserveBytes} (1 GiB)`,
    help: 'Free space downloads never use, in bytes; a body of unknown length stops before it.',
  }),
  maxAttempts: setting(wholeNumber(1, 1000), {
    env: 'MODELDOCK_MAX_ATTEMPTS',
    engine: true,
    help: 'Attempts per file before a job fails.',
  }),
  retryBaseDelayMs: setting(wholeNumber(1, 3_600_000), {
    env: 'MODELDOCK_RETRY_BASE_DELAY_MS',
    engine: true,
    help: 'First retry delay, in ms (at most MODELDOCK_RETRY_MAX_DELAY_MS).',
  }),
  retryMaxDelayMs: setting(wholeNumber(1, 86_400_000), {
    env: 'MODELDOCK_RETRY_MAX_DELAY_MS',
    engine: true,
    help: 'Longest retry delay, in ms.',
  }),
  syncIntervalMs: setting(wholeNumber(10, 600_000), {
    env: 'MODELDOCK_SYNC_INTERVAL_MS',
    engine: true,
    help: 'fsync and record progress at least this often, in ms.',
  }),
  progressIntervalMs: setting(wholeNumber(10, 60_000), {
    env: 'MODELDOCK_PROGRESS_INTERVAL_MS',
    engine: true,
    help: 'Least gap between progress events of a job, in ms.',
  }),
  leaseMs: setting(wholeNumber(500, 3_600_000), {
    env: 'MODELDOCK_LEASE_MS',
    engine: true,
    help: "How long a worker's claim on a job lasts without renewal, in ms; another process takes over after it lapses.",
  }),
  staleAfterMs: setting(wholeNumber(1000, 86_400_000), {
    env: 'MODELDOCK_STALE_AFTER_MS',
    engine: true,
    defaultText: `${DEFAULT_ENGINE_CONFIG.staleAfterMs} (10 min)`,
    help: 'A running job without progress this long is retried, in ms.',
  }),
  globalBandwidthLimitBps: setting(wholeNumber(1, 1e12), {
    env: 'MODELDOCK_BANDWIDTH_LIMIT_BPS',
    engine: true,
    defaultText: 'unlimited',
    help: 'Default global bandwidth limit in bytes per second, until one is set in the app (which is stored and wins).',
  }),
  allowPrivateHosts: setting(booleanFlag, {
    env: 'MODELDOCK_ALLOW_PRIVATE_HOSTS',
    engine: true,
    defaultText: 'off',
    help: 'Allow downloads from loopback, private and link-local addresses (LAN mirrors, tests).',
    inMainReadme: true,
  }),
  huggingFaceEndpoint: setting(endpointUrl, {
    env: 'MODELDOCK_HF_ENDPOINT',
    aliases: ['HF_ENDPOINT'],
    defaultText: 'https://huggingface.co',
    help: 'Hugging Face endpoint, for a mirror.',
    inMainReadme: true,
  }),
  civitaiEndpoint: setting(endpointUrl, {
    env: 'MODELDOCK_CIVITAI_ENDPOINT',
    defaultText: 'https://civitai.com',
    help: 'Civitai endpoint, for a mirror.',
    inMainReadme: true,
  }),
  huggingfaceToken: setting(keyValue, {
    env: 'MODELDOCK_HF_TOKEN',
    aliases: ['HF_TOKEN'],
    secret: true,
    credential: 'huggingface',
    help: 'Hugging Face access token for gated or private repositories, used while none is saved in Settings.',
  }),
  civitaiApiKey: setting(keyValue, {
    env: 'MODELDOCK_CIVITAI_API_KEY',
    aliases: ['CIVITAI_API_KEY'],
    secret: true,
    credential: 'civitai',
    help: 'Civitai API key for models that require a login, used while none is saved in Settings.',
  }),
  secretKey: setting(secretKeyValue, {
    env: 'MODELDOCK_SECRET_KEY',
    secret: true,
    defaultText: '`secret.key` in the data folder, made at first start',
    help: 'Base64 of 32 random bytes (`openssl rand -base64 32`) that encrypts saved API keys; the same for every server sharing a database.',
    inMainReadme: true,
  }),
};

type Declared = typeof SETTINGS;
export type SettingName = keyof Declared;
export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

/** A setting's declaration without its literal types, for code that handles every setting alike. */
export function declarationOf(name: SettingName): SettingDeclaration {
  return SETTINGS[name] as SettingDeclaration;
}

type ValueOf<K extends SettingName> = z.output<Declared[K]['schema']>;
type NamesWhere<Shape> = { [K in SettingName]: Declared[K] extends Shape ? K : never }[SettingName];
export type EngineSettingName = NamesWhere<{ engine: true }>;
type CredentialSettingName = NamesWhere<{ credential: CredentialPlatform }>;
type OwnFieldName = Exclude<SettingName, EngineSettingName | CredentialSettingName>;

/** The validated configuration: one field per setting (null when unset and without a default). */
export type ServerConfig = {
  -readonly [K in OwnFieldName]: Declared[K] extends { default: unknown }
    ? ValueOf<K>
    : ValueOf<K> | null;
} & {
  /** Only the tunables the operator set; the engine's defaults apply to the rest. */
  engine: Partial<EngineConfig>;
  /** Keys from the environment, used while none is saved in Settings. */
  credentials: Record<CredentialPlatform, string | null>;
};

// An engine setting is named as its EngineConfig field and holds a value that field accepts.
const engineSettingsFitTheEngine: {
  [K in EngineSettingName]: ValueOf<K>;
} extends Pick<EngineConfig, EngineSettingName>
  ? true
  : never = true;
void engineSettingsFitTheEngine;

/** Checks every setting's text; a value left unset stays undefined (defaults come after). */
export const settingsSchema = z.object(
  Object.fromEntries(
    SETTING_NAMES.map((name) => [name, declarationOf(name).schema.optional()]),
  ) as { [K in SettingName]: z.ZodOptional<Declared[K]['schema']> },
);

export type SettingValues = z.output<typeof settingsSchema>;

function defaultOf(declaration: SettingDeclaration): unknown {
  const fallback = declaration.default;
  if (fallback === undefined) return null;
  return typeof fallback === 'function' ? (fallback as () => unknown)() : fallback;
}

/** The config object, each setting placed as its declaration says. */
export function toServerConfig(values: SettingValues, cwd: string): ServerConfig {
  const config: Record<string, unknown> = {};
  const engine: Record<string, unknown> = {};
  const credentials: Record<string, unknown> = {};
  for (const name of SETTING_NAMES) {
    const declaration = declarationOf(name);
    const given: unknown = values[name];
    if (declaration.engine) {
      if (given !== undefined) engine[name] = given;
      continue;
    }
    let value = given === undefined ? defaultOf(declaration) : given;
    if (declaration.folder && typeof value === 'string') value = path.resolve(cwd, value);
    if (declaration.credential) credentials[declaration.credential] = value;
    else config[name] = value;
  }
  return { ...config, engine, credentials } as ServerConfig;
}

/** How a setting's default reads: its own words, the engine's value, the declared value, or none. */
export function defaultTextOf(name: SettingName): string | null {
  const declaration = declarationOf(name);
  if (declaration.defaultText) return declaration.defaultText;
  if (declaration.engine) return String(DEFAULT_ENGINE_CONFIG[name as keyof EngineConfig]);
  const fallback = declaration.default;
  if (fallback === undefined || typeof fallback === 'function') return null;
  if (Array.isArray(fallback)) return fallback.length === 0 ? null : fallback.join(',');
  return String(fallback);
}

/** The environment variables a setting is read from, in the order they are tried. */
export function environmentVariablesOf(name: SettingName): string[] {
  const declaration = declarationOf(name);
  return [declaration.env, ...(declaration.aliases ?? [])];
}

/** The host name as a worker name: characters a node name cannot hold become "-". */
export function nodeNameFromHost(host: string): string {
  const name = host
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 63);
  return isValidNodeName(name) ? name : 'modeldock';
}
