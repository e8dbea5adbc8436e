/** The server's configuration (apps/server/src/env.ts): defaults, flags over environment, clear errors. */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE_CONFIG } from '@modeldock/engine';
import {
  ConfigError,
  HELP_REQUESTED,
  createConfiguredDirectories,
  helpText,
  parseServerConfig,
} from '../../apps/server/src/env';
import type { ServerConfig } from '../../apps/server/src/env';
import {
  SETTING_NAMES,
  declarationOf,
  defaultTextOf,
  environmentVariablesOf,
} from '../../apps/server/src/settings/settings';
import {
  mainSettingsTable,
  serverSettingsTable,
  tableIn,
} from '../../apps/server/src/settings/settings-tables';

const CWD = '/srv/modeldock';

function parse(argv: string[], env: Record<string, string> = {}): ServerConfig {
  const config = parseServerConfig(argv, env, CWD);
  if (config === HELP_REQUESTED) throw new Error('unexpected help');
  return config;
}

function problemOf(argv: string[], env: Record<string, string> = {}): string {
  try {
    parseServerConfig(argv, env, CWD);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected a configuration error');
}

describe('server configuration', () => {
  it('uses safe defaults: loopback, port 8787, ./data and ./models made absolute, engine defaults untouched', () => {
    const config = parse([]);
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8787,
      dataDir: path.join(CWD, 'data'),
      modelsDir: path.join(CWD, 'models'),
      databaseUrl: null,
      webDir: null,
      allowedOrigins: [],
      accessToken: null,
      logLevel: 'info',
      engine: {},
      credentials: { huggingface: null, civitai: null },
    });
  });

  it('reads the environment and lets flags override it, in both --flag value and --flag=value forms', () => {
    const env = {
      MODELDOCK_HOST: '0.0.0.0',
      MODELDOCK_PORT: '9000',
      MODELDOCK_DATA_DIR: '/var/lib/md',
      MODELDOCK_MODELS_DIR: 'm',
    };
    expect(parse([], env)).toMatchObject({
      host: '0.0.0.0',
      port: 9000,
      dataDir: '/var/lib/md',
      modelsDir: path.join(CWD, 'm'),
    });
    const config = parse(
      ['--port', '0', '--data-dir=/tmp/d', '--models-dir', '/tmp/m', '--host=::1'],
      env,
    );
    expect(config).toMatchObject({ host: '::1', port: 0, dataDir: '/tmp/d', modelsDir: '/tmp/m' });
  });

  it('maps the engine tunables it was given, and only those', () => {
    const config = parse([], {
      MODELDOCK_ALLOW_PRIVATE_HOSTS: 'yes',
      MODELDOCK_MAX_CONCURRENT_JOBS: '5',
      MODELDOCK_CONNECTIONS_PER_FILE: '4',
      MODELDOCK_IDLE_TIMEOUT_MS: '2500',
      MODELDOCK_BANDWIDTH_LIMIT_BPS: '1000000',
    });
    expect(config.engine).toEqual({
      allowPrivateHosts: true,
      maxConcurrentJobs: 5,
      connectionsPerFile: 4,
      idleTimeoutMs: 2500,
      globalBandwidthLimitBps: 1_000_000,
    });
    expect(parse([], { MODELDOCK_ALLOW_PRIVATE_HOSTS: 'off' }).engine.allowPrivateHosts).toBe(
      false,
    );
  });

  it('treats an empty variable as unset', () => {
    expect(parse([], { MODELDOCK_PORT: '', DATABASE_URL: '  ' })).toMatchObject({
      port: 8787,
      databaseUrl: null,
    });
  });

  it('names the variable or flag and what is expected when a value is bad', () => {
    expect(problemOf([], { MODELDOCK_PORT: 'eighty' })).toMatch(
      /MODELDOCK_PORT must be a whole number from 0 to 65535 \(got "eighty"\)/,
    );
    expect(problemOf(['--port', '70000'])).toMatch(/--port must be a whole number from 0 to 65535/);
    expect(problemOf([], { MODELDOCK_ALLOW_PRIVATE_HOSTS: 'maybe' })).toMatch(
      /MODELDOCK_ALLOW_PRIVATE_HOSTS must be 1\/true\/yes\/on or 0\/false\/no\/off/,
    );
    expect(problemOf([], { MODELDOCK_MAX_CONCURRENT_JOBS: '0' })).toMatch(
      /MODELDOCK_MAX_CONCURRENT_JOBS must be a whole number from 1/,
    );
    expect(problemOf([], { MODELDOCK_LOG_LEVEL: 'loud' })).toMatch(
      /MODELDOCK_LOG_LEVEL must be one of trace, debug/,
    );
    expect(problemOf([], { MODELDOCK_ALLOWED_ORIGINS: 'http://a.test/path' })).toMatch(
      /MODELDOCK_ALLOWED_ORIGINS must be origins/,
    );
    expect(
      problemOf([], { MODELDOCK_RETRY_BASE_DELAY_MS: '5000', MODELDOCK_RETRY_MAX_DELAY_MS: '100' }),
    ).toMatch(/RETRY_BASE_DELAY_MS must not be larger than MODELDOCK_RETRY_MAX_DELAY_MS/);
  });

  it('reports every bad value at once', () => {
    const message = problemOf([], { MODELDOCK_PORT: '-1', MODELDOCK_LEASE_MS: 'soon' });
    expect(message).toContain('MODELDOCK_PORT');
    expect(message).toContain('MODELDOCK_LEASE_MS');
  });

  it('accepts a PostgreSQL URL and never echoes a database password or a token in an error', () => {
    expect(parse([], { DATABASE_URL: 'postgres://md:pw@127.0.0.1:5432/md' }).databaseUrl).toBe(
      'postgres://md:pw@127.0.0.1:5432/md',
    );
    const message = problemOf([], { DATABASE_URL: 'mysql://root:hunter2secret@db/x' });
    expect(message).toMatch(/DATABASE_URL must be a PostgreSQL connection string/);
    expect(message).not.toContain('hunter2secret');
  });

  it('refuses secrets as command-line flags without repeating them', () => {
    const message = problemOf(['--hf-token=hf_abcdefghijklmnop']);
    expect(message).toMatch(/Unknown option --hf-token/);
    expect(message).toMatch(/read from the environment only/);
    expect(message).not.toContain('hf_abcdefghijklmnop');
    expect(problemOf(['--port'])).toMatch(/Option --port needs a value/);
    expect(problemOf(['serve'])).toMatch(/Unexpected argument "serve"/);
  });

  it('takes tokens from the environment, including the common HF_TOKEN / CIVITAI_API_KEY names', () => {
    expect(
      parse([], { HF_TOKEN: 'hf_fromalias', MODELDOCK_CIVITAI_API_KEY: 'civ-key-1' }).credentials,
    ).toEqual({
      huggingface: 'hf_fromalias',
      civitai: 'civ-key-1',
    });
    expect(
      parse([], { HF_TOKEN: 'alias', MODELDOCK_HF_TOKEN: 'primary' }).credentials.huggingface,
    ).toBe('primary');
  });

  it('refuses a hub token with a character HTTP headers cannot carry, naming it and where it is (issue 9.1)', () => {
    const zeroWidth = problemOf([], { HF_TOKEN: 'hf_abc\u200bdefghij' });
    expect(zeroWidth).toMatch(/HF_TOKEN/);
    expect(zeroWidth).toMatch(/only visible ASCII.*U\+200B \(zero-width space\) at position 7/);
    expect(zeroWidth).not.toContain('hf_abc');
    expect(problemOf([], { MODELDOCK_CIVITAI_API_KEY: 'civ\u0100key' })).toMatch(
      /MODELDOCK_CIVITAI_API_KEY .*U\+0100 at position 4/,
    );
    expect(problemOf([], { MODELDOCK_HF_TOKEN: 'hf\u007fkey' })).toMatch(
      /U\+007F \(DEL\) at position 3/,
    );
  });

  it('takes the access token from the environment only, and refuses a short one without echoing it', () => {
    expect(parse([]).accessToken).toBeNull();
    expect(parse([], { MODELDOCK_ACCESS_TOKEN: ' 0123456789abcdef01234567 ' }).accessToken).toBe(
      '0123456789abcdef01234567',
    );
    // 23 characters: one short of the minimum.
    const short = problemOf([], { MODELDOCK_ACCESS_TOKEN: 'tooShort9secret-abcdefg' });
    expect(short).toMatch(/MODELDOCK_ACCESS_TOKEN must be at least 24 characters/);
    expect(short).toMatch(/openssl rand -hex 24/);
    expect(short).not.toContain('tooShort9secret');
    // Long enough but of little variety: nine different characters.
    const plain = problemOf([], { MODELDOCK_ACCESS_TOKEN: '123456789123456789123456789' });
    expect(plain).toMatch(/MODELDOCK_ACCESS_TOKEN is too easy to guess: .*10 different characters/);
    expect(plain).toMatch(/openssl rand -hex 24/);
    expect(plain).not.toContain('123456789123');
    expect(parse([], { MODELDOCK_ACCESS_TOKEN: '1234567890123456789012345' }).accessToken).toBe(
      '1234567890123456789012345',
    );
    const spaced = problemOf([], { MODELDOCK_ACCESS_TOKEN: 'has a space inside it ok' });
    expect(spaced).toMatch(/MODELDOCK_ACCESS_TOKEN must be printable ASCII/);
    expect(spaced).not.toContain('has a space');
    const asFlag = problemOf(['--access-token=0123456789abcdef01234567']);
    expect(asFlag).toMatch(/Unknown option --access-token/);
    expect(asFlag).not.toContain('0123456789abcdef01234567');
  });

  it('prints help generated from the settings table', () => {
    expect(parseServerConfig(['--help'], {}, CWD)).toBe(HELP_REQUESTED);
    const help = helpText();
    for (const name of [
      '--data-dir',
      'MODELDOCK_MODELS_DIR',
      'DATABASE_URL',
      'MODELDOCK_ALLOW_PRIVATE_HOSTS',
      'HF_TOKEN',
      'MODELDOCK_ACCESS_TOKEN',
    ]) {
      expect(help).toContain(name);
    }
    expect(help).toContain(String(DEFAULT_ENGINE_CONFIG.maxConcurrentJobs));
  });

  it('derives help, the engine tunables and the config object from each setting declared once', () => {
    const help = helpText();
    const env: Record<string, string> = {};
    for (const name of SETTING_NAMES) {
      const declaration = declarationOf(name);
      // --help names every variable and alias and says the default of each setting that has one.
      for (const variable of environmentVariablesOf(name)) expect(help).toContain(variable);
      const fallback = defaultTextOf(name);
      if (fallback) expect(help).toContain(`${declaration.help} Default: ${fallback}.`);
      if (declaration.engine) {
        env[declaration.env] = ['on', '4', '2000'].find(
          (text) => declaration.schema.safeParse(text).success,
        )!;
      }
    }
    // Every engine setting reaches config.engine under its own name; nothing else does.
    const engineNames = SETTING_NAMES.filter((name) => declarationOf(name).engine);
    expect(Object.keys(parse([], env).engine).sort()).toEqual([...engineNames].sort());
    expect(Object.keys(parse([]).engine)).toEqual([]);
    // Every other setting is a field of the config object (credentials are grouped by platform).
    const config = parse([]);
    for (const name of SETTING_NAMES) {
      const declaration = declarationOf(name);
      if (declaration.engine) continue;
      if (declaration.credential) expect(config.credentials).toHaveProperty(declaration.credential);
      else expect(config).toHaveProperty(name);
    }
    // The flags the unknown-option message lists are the declared ones.
    expect(problemOf(['--nope=1'])).toContain('--host, --port, --data-dir, --models-dir');
  });

  it("the READMEs' settings tables are the ones the declarations generate", async () => {
    // On a mismatch: pnpm --filter @modeldock/server settings-tables
    const cells = (table: string | null) =>
      (table ?? '')
        .split('\n')
        .filter((line) => !/^\|[\s|-]+\|$/.test(line))
        .map((line) => line.split('|').map((cell) => cell.trim()));
    const repo = path.resolve(import.meta.dirname, '../..');
    const mainReadme = await readFile(path.join(repo, 'README.md'), 'utf8');
    const serverReadme = await readFile(path.join(repo, 'apps/server/README.md'), 'utf8');
    expect(cells(tableIn(mainReadme))).toEqual(cells(mainSettingsTable()));
    expect(cells(tableIn(serverReadme))).toEqual(cells(serverSettingsTable()));
    for (const name of SETTING_NAMES) {
      expect(serverSettingsTable()).toContain(`\`${declarationOf(name).env}\``);
    }
  });

  describe('folders', () => {
    let root: string;
    afterEach(async () => {
      if (root) await rm(root, { recursive: true, force: true });
    });

    it('creates the data and models folders, and names the folder it cannot create', async () => {
      root = await mkdtemp(path.join(tmpdir(), 'modeldock-config-'));
      const config = parse([
        '--data-dir',
        path.join(root, 'a/data'),
        '--models-dir',
        path.join(root, 'b/models'),
      ]);
      createConfiguredDirectories(config);
      expect((await stat(config.dataDir)).isDirectory()).toBe(true);
      expect((await stat(config.modelsDir)).isDirectory()).toBe(true);

      const aFile = path.join(root, 'not-a-folder');
      await writeFile(aFile, 'x');
      const blocked = parse([
        '--data-dir',
        path.join(aFile, 'data'),
        '--models-dir',
        path.join(root, 'm'),
      ]);
      expect(() => createConfiguredDirectories(blocked)).toThrow(
        /Cannot create the data folder .*not-a-folder\/data \(ENOTDIR\)/,
      );
    });
  });
});
