/**
 * The server's API key machinery in-process, against the fake Hugging Face and Civitai: the secret
 * box (AES-256-GCM bound to the platform), the secret key file (made once, 0600, refused when
 * others can read it or it is malformed), saved keys (encrypted, unreadable with another secret key
 * without a crash, seen by a second server), and Settings (checked before saving, refused keys
 * change nothing, unreachable platforms checked again later, the provider updated at once).
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createSystemClock,
  createTaskRunner,
  createUndiciHttpClient,
  isModeldockError,
  ModeldockError,
} from '@modeldock/engine';
import type { Logger, TaskRunner, UndiciHttpClient } from '@modeldock/engine';
import type {
  ApiKeyPlatform,
  ApiKeyStore,
  ApiKeySummary,
  EncryptedApiKey,
  StoredApiKey,
} from '@modeldock/db';
import { createSecretBox } from '../../apps/server/src/secrets/secret-box';
import {
  decodeSecretKeyText,
  loadSecretKey,
  secretKeyFilePath,
} from '../../apps/server/src/secrets/secret-key-source';
import { createStoredApiKeys } from '../../apps/server/src/credentials/stored-api-keys';
import type { StoredApiKeys } from '../../apps/server/src/credentials/stored-api-keys';
import { createApiKeySettings } from '../../apps/server/src/credentials/api-key-settings';
import type { ApiKeySettings } from '../../apps/server/src/credentials/api-key-settings';
import { createPlatformKeyCheck } from '../../apps/server/src/credentials/platform-key-check';
import type { PlatformKeyCheck } from '../../apps/server/src/credentials/platform-key-check';
import { savedKeyThenEnvironment } from '../../apps/server/src/credentials/credential-provider';
import { ConfigError, HELP_REQUESTED, parseServerConfig } from '../../apps/server/src/env';
import { startFakeHuggingFace } from '../support/fake-huggingface';
import type { FakeHuggingFace } from '../support/fake-huggingface';
import { startFakeCivitai } from '../support/fake-civitai';
import type { FakeCivitai } from '../support/fake-civitai';
import { waitFor } from '../e2e/api-client';

const HF_KEY = 'hf_FAKEinprocessTOKEN0tests';
const HF_OTHER_KEY = 'hf_FAKEsecondTOKEN0tests00';
const CIVITAI_KEY = 'civitai-FAKE-inprocess-key-0modeldock0tests-42';
const ENV_TOKEN = 'hf_FAKEenvironmentTOKEN0tests';

/** The db package's ApiKeyStore contract, in memory: the server code under test cannot tell. */
class MemoryApiKeyStore implements ApiKeyStore {
  readonly rows = new Map<ApiKeyPlatform, StoredApiKey>();

  async set(key: EncryptedApiKey, now: Date): Promise<ApiKeySummary> {
    const row: StoredApiKey = {
      platform: key.platform,
      ciphertext: Buffer.from(key.ciphertext),
      iv: Buffer.from(key.iv),
      authTag: Buffer.from(key.authTag),
      last4: key.last4,
      createdAt: now,
      validatedAt: null,
      valid: null,
      validationMessage: null,
    };
    this.rows.set(key.platform, row);
    return this.summaryOf(row);
  }
  async get(platform: ApiKeyPlatform) {
    const row = this.rows.get(platform);
    return row ? { ...row } : null;
  }
  async remove(platform: ApiKeyPlatform) {
    return this.rows.delete(platform);
  }
  async list() {
    return [...this.rows.values()].map((row) => this.summaryOf(row));
  }
  async markValidated(
    platform: ApiKeyPlatform,
    validation: { valid: boolean; message: string | null },
    now: Date,
  ) {
    const row = this.rows.get(platform);
    if (!row) return null;
    Object.assign(row, {
      valid: validation.valid,
      validationMessage: validation.message,
      validatedAt: now,
    });
    return this.summaryOf(row);
  }
  private summaryOf(row: StoredApiKey): ApiKeySummary {
    const { ciphertext: _c, iv: _i, authTag: _a, ...summary } = row;
    return { ...summary };
  }
}

const logged: string[] = [];
const logger: Logger = {
  debug: (fields, message) => logged.push(JSON.stringify({ fields, message })),
  info: (fields, message) => logged.push(JSON.stringify({ fields, message })),
  warn: (fields, message) => logged.push(JSON.stringify({ fields, message })),
  error: (fields, message) => logged.push(JSON.stringify({ fields, message })),
};

async function failureOf(work: Promise<unknown>): Promise<ModeldockError> {
  try {
    await work;
  } catch (error) {
    if (isModeldockError(error)) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'modeldock-api-keys-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function freshDataDir(): Promise<string> {
  const dir = path.join(root, randomBytes(6).toString('hex'));
  await mkdir(dir);
  return dir;
}

describe('secret box', () => {
  const box = createSecretBox(randomBytes(32));

  it('opens what it sealed, with a fresh IV every time and no clear text in the ciphertext', () => {
    const first = box.seal(HF_KEY, 'modeldock:api-key:huggingface');
    const second = box.seal(HF_KEY, 'modeldock:api-key:huggingface');
    expect(box.open(first, 'modeldock:api-key:huggingface')).toBe(HF_KEY);
    expect(first.iv.equals(second.iv)).toBe(false);
    expect(first.ciphertext.equals(second.ciphertext)).toBe(false);
    expect(first.ciphertext.includes(Buffer.from(HF_KEY))).toBe(false);
    expect(first.iv).toHaveLength(12);
    expect(first.authTag).toHaveLength(16);
  });

  it('does not open a value bound to something else, sealed with another key, or altered', () => {
    const sealed = box.seal(CIVITAI_KEY, 'modeldock:api-key:civitai');
    expect(box.open(sealed, 'modeldock:api-key:huggingface')).toBeNull();
    expect(createSecretBox(randomBytes(32)).open(sealed, 'modeldock:api-key:civitai')).toBeNull();
    const altered = { ...sealed, ciphertext: Buffer.from(sealed.ciphertext) };
    altered.ciphertext[0]! ^= 1;
    expect(box.open(altered, 'modeldock:api-key:civitai')).toBeNull();
    expect(box.open({ ...sealed, iv: Buffer.alloc(3) }, 'modeldock:api-key:civitai')).toBeNull();
  });

  it('refuses a key of the wrong length', () => {
    expect(() => createSecretBox(randomBytes(16))).toThrow(/32 bytes/);
  });
});

describe('the secret key file', () => {
  it('is made once with 32 random bytes, readable by its owner only, and read back the same', async () => {
    const dataDir = await freshDataDir();
    const first = await loadSecretKey({ dataDir, environmentKey: null });
    expect(first.created).toBe(true);
    expect(first.bytes).toHaveLength(32);
    expect(first.origin).toBe(secretKeyFilePath(dataDir));
    const info = await stat(secretKeyFilePath(dataDir));
    expect(info.mode & 0o777).toBe(0o600);
    expect(decodeSecretKeyText(await readFile(secretKeyFilePath(dataDir), 'utf8'))).toEqual(
      first.bytes,
    );
    const again = await loadSecretKey({ dataDir, environmentKey: null });
    expect(again.created).toBe(false);
    expect(again.bytes.equals(first.bytes)).toBe(true);
  });

  it('is made by exactly one of several processes starting at once; all use that one', async () => {
    const dataDir = await freshDataDir();
    const loads = await Promise.all(
      Array.from({ length: 4 }, () => loadSecretKey({ dataDir, environmentKey: null })),
    );
    expect(loads.filter((load) => load.created)).toHaveLength(1);
    for (const load of loads) expect(load.bytes.equals(loads[0]!.bytes)).toBe(true);
    expect(await readdir(dataDir)).toEqual(['secret.key']);
  });

  it('stops the start when other users can read it, saying how to fix it', async () => {
    const dataDir = await freshDataDir();
    await loadSecretKey({ dataDir, environmentKey: null });
    const file = secretKeyFilePath(dataDir);
    const content = (await readFile(file, 'utf8')).trim();
    await chmod(file, 0o644);
    const error = await failureOf(loadSecretKey({ dataDir, environmentKey: null }));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain(`chmod 600 ${file}`);
    expect(error.message).toContain('644');
    expect(error.message).not.toContain(content);
    await chmod(file, 0o600);
    await expect(loadSecretKey({ dataDir, environmentKey: null })).resolves.toBeTruthy();
  });

  it('stops the start when it holds something else, or is not a file', async () => {
    const dataDir = await freshDataDir();
    const file = secretKeyFilePath(dataDir);
    await writeFile(file, 'not a key at all\n', { mode: 0o600 });
    const malformed = await failureOf(loadSecretKey({ dataDir, environmentKey: null }));
    expect(malformed.code).toBe('INVALID_INPUT');
    expect(malformed.message).toMatch(/does not hold a modeldock secret key.*Restore it/);
    // 16 bytes of valid base64 are still not a key.
    await writeFile(file, `${randomBytes(16).toString('base64')}\n`, { mode: 0o600 });
    expect((await failureOf(loadSecretKey({ dataDir, environmentKey: null }))).message).toMatch(
      /does not hold/,
    );

    const otherDir = await freshDataDir();
    await mkdir(secretKeyFilePath(otherDir));
    expect(
      (await failureOf(loadSecretKey({ dataDir: otherDir, environmentKey: null }))).message,
    ).toMatch(/is not a file/);
  });

  it('comes from MODELDOCK_SECRET_KEY when set, and then no file is made', async () => {
    const dataDir = await freshDataDir();
    const bytes = randomBytes(32);
    const key = await loadSecretKey({ dataDir, environmentKey: bytes.toString('base64') });
    expect(key.bytes.equals(bytes)).toBe(true);
    expect(key.origin).toBe('MODELDOCK_SECRET_KEY');
    expect(await readdir(dataDir)).toEqual([]);
    // base64url is the same key.
    expect(decodeSecretKeyText(bytes.toString('base64url'))?.equals(bytes)).toBe(true);
  });

  it('MODELDOCK_SECRET_KEY that is not 32 bytes of base64 is a configuration error that does not echo it', () => {
    const bad = 'c2hvcnQta2V5LXZhbHVlLWhlcmU=';
    let error: unknown;
    try {
      parseServerConfig([], { MODELDOCK_SECRET_KEY: bad }, root);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('MODELDOCK_SECRET_KEY');
    expect((error as Error).message).toContain('openssl rand -base64 32');
    expect((error as Error).message).not.toContain(bad);
    const good = randomBytes(32).toString('base64');
    const config = parseServerConfig([], { MODELDOCK_SECRET_KEY: good }, root);
    expect(config !== HELP_REQUESTED && config.secretKey).toBe(good);
  });
});

describe('saved keys and Settings, against the fake hubs', () => {
  let hub: FakeHuggingFace;
  let civitai: FakeCivitai;
  let http: UndiciHttpClient;
  let store: MemoryApiKeyStore;
  let secretKey: Buffer;
  let saved: StoredApiKeys;
  let settings: ApiKeySettings;
  let check: PlatformKeyCheck;
  const open: ApiKeySettings[] = [];
  let tasks: TaskRunner;

  beforeAll(async () => {
    hub = await startFakeHuggingFace();
    civitai = await startFakeCivitai();
    hub.addToken(HF_KEY, 'alice');
    hub.addToken(HF_OTHER_KEY, 'bob');
    civitai.addApiKey(CIVITAI_KEY, 'carol');
    http = createUndiciHttpClient({
      allowPrivateHosts: true,
      idleTimeoutMs: 5_000,
      connectionsPerHost: 4,
    });
  });

  afterAll(async () => {
    await http.close();
    await hub.close();
    await civitai.close();
  });

  function checkThrough(endpoints: { huggingface: string | null; civitai: string | null }) {
    return createPlatformKeyCheck({
      http,
      clock: createSystemClock(),
      logger,
      endpoints,
      timeoutMs: 5_000,
    });
  }

  function newSettings(keys: StoredApiKeys, keyCheck = check, firstMs = 60_000) {
    const created = createApiKeySettings({
      keys,
      check: keyCheck,
      logger,
      tasks,
      recheckDelays: { firstMs, maxMs: firstMs * 4 },
    });
    open.push(created);
    return created;
  }

  beforeEach(() => {
    tasks = createTaskRunner({ clock: createSystemClock(), logger });
    tasks.start();
    store = new MemoryApiKeyStore();
    secretKey = randomBytes(32);
    saved = createStoredApiKeys({
      store,
      box: createSecretBox(secretKey),
      secretKeyOrigin: '/data/secret.key',
      logger,
    });
    check = checkThrough({ huggingface: hub.url, civitai: civitai.url });
    settings = newSettings(saved);
    logged.length = 0;
  });

  afterEach(async () => {
    for (const each of open.splice(0)) await each.close();
    await tasks.stop();
    const text = logged.join('\n');
    for (const key of [HF_KEY, HF_OTHER_KEY, CIVITAI_KEY]) expect(text).not.toContain(key);
  });

  it('saves a key the platform accepts, encrypted, and the provider hands it out at once', async () => {
    const provider = savedKeyThenEnvironment(saved, async () => null);
    expect(await provider('huggingface')).toBeNull();
    const view = await settings.set('huggingface', HF_KEY);
    expect(view).toEqual({
      platform: 'huggingface',
      last4: HF_KEY.slice(-4),
      createdAt: expect.any(String),
      validatedAt: expect.any(String),
      valid: true,
      message: 'Token works for Hugging Face account alice',
    });
    expect(await provider('huggingface')).toBe(HF_KEY);
    const row = store.rows.get('huggingface')!;
    for (const part of [row.ciphertext, row.iv, row.authTag]) {
      expect(part.includes(Buffer.from(HF_KEY))).toBe(false);
    }
    expect(JSON.stringify(await settings.list())).not.toContain(HF_KEY);
    // The check went to the configured endpoint, with the key in the header only.
    const whoami = hub.requests.filter((request) => request.url === '/api/whoami-v2').at(-1)!;
    expect(whoami.headers.authorization).toBe(`Bearer ${HF_KEY}`);
  });

  it('refuses a key the platform rejects with INVALID_TOKEN and keeps the key it had', async () => {
    await settings.set('civitai', CIVITAI_KEY);
    const before = { ...store.rows.get('civitai')! };
    const wrong = 'civitai-FAKE-wrong-key-0modeldock0tests-00';
    const error = await failureOf(settings.set('civitai', wrong));
    expect(error.code).toBe('INVALID_TOKEN');
    expect(error.message).toMatch(/Civitai rejected this API key.*not saved/);
    expect(error.message).not.toContain(wrong);
    expect(store.rows.get('civitai')).toEqual(before);
    expect(await saved.current('civitai')).toBe(CIVITAI_KEY);
  });

  it('saves a key unchecked while the platform limits requests, says so, and checks it again later', async () => {
    const patient = newSettings(saved, check, 50);
    civitai.rateLimitNext(1);
    const view = await patient.set('civitai', CIVITAI_KEY);
    expect(view.valid).toBeNull();
    expect(view.validatedAt).toBeNull();
    expect(view.message).toMatch(
      /Saved, not checked yet: Civitai is limiting requests.*checks it again/,
    );
    // Usable meanwhile: a download may well work.
    expect(await saved.current('civitai')).toBe(CIVITAI_KEY);
    const checked = await waitFor(
      async () => (await patient.list()).items.find((item) => item.valid !== null),
      'the scheduled check',
      10_000,
      20,
    );
    expect(checked).toMatchObject({
      platform: 'civitai',
      valid: true,
      message: expect.stringMatching(/carol/),
    });
  });

  it('a key saved unchecked that the platform rejects when checked again is marked invalid', async () => {
    const patient = newSettings(saved, check, 50);
    const unknown = 'hf_FAKEunknownTOKEN0later0tests';
    hub.rateLimitNext(1);
    expect((await patient.set('huggingface', unknown)).valid).toBeNull();
    const checked = await waitFor(
      async () => (await patient.list()).items.find((item) => item.valid !== null),
      'the scheduled check',
      10_000,
      20,
    );
    expect(checked.valid).toBe(false);
    expect(checked.message).toMatch(/rejected/);
  });

  it('a working key the platform later refuses raises key.invalid once, without the key', async () => {
    const refusals: { platform: string; version: string; reason: string }[] = [];
    let answer: 'accepted' | 'rejected' = 'accepted';
    const scripted: PlatformKeyCheck = async () =>
      answer === 'accepted'
        ? { outcome: 'accepted', message: 'Hugging Face accepted the token (alice)' }
        : { outcome: 'rejected', message: 'Hugging Face rejected the token' };
    const watched = createApiKeySettings({ keys: saved, check: scripted, logger, tasks, onKeyRefused: (refusal) => refusals.push(refusal) });
    open.push(watched);
    expect((await watched.set('huggingface', HF_KEY)).valid).toBe(true);
    await watched.validate('huggingface');
    expect(refusals).toEqual([]);
    answer = 'rejected';
    expect((await watched.validate('huggingface')).valid).toBe(false);
    // Already known to be refused: no second notification.
    await watched.validate('huggingface');
    expect(refusals).toEqual([{ platform: 'huggingface', version: expect.any(String), reason: 'Hugging Face rejected the token' }]);
    expect(JSON.stringify(refusals)).not.toContain(HF_KEY);
  });

  it('an unreachable platform: saved unchecked on set, a typed error on validate, the key kept', async () => {
    const unreachable = checkThrough({ huggingface: 'http://127.0.0.1:1', civitai: null });
    const offline = newSettings(saved, unreachable);
    const view = await offline.set('huggingface', HF_KEY);
    expect(view.valid).toBeNull();
    expect(view.message).toMatch(/could not be asked whether the key works/);
    const error = await failureOf(offline.validate('huggingface'));
    expect(error.code).toBe('CONNECTION_REFUSED');
    expect(error.message).toMatch(/Could not check the Hugging Face API key.*kept as it was/);
    expect(await saved.current('huggingface')).toBe(HF_KEY);
    // Back online: validate records the answer.
    const online = await settings.validate('huggingface');
    expect(online).toMatchObject({ valid: true, message: expect.stringMatching(/alice/) });
  });

  it('validate asks again and records the answer; without a saved key it is INVALID_STATE', async () => {
    expect((await failureOf(settings.validate('civitai'))).code).toBe('INVALID_STATE');
    await settings.set('huggingface', HF_KEY);
    const first = await settings.list();
    const again = await settings.validate('huggingface');
    expect(again.valid).toBe(true);
    expect(Date.parse(again.validatedAt!)).toBeGreaterThanOrEqual(
      Date.parse(first.items[0]!.validatedAt!),
    );
  });

  it('remove forgets the key at once: the provider falls back to the environment token', async () => {
    const provider = savedKeyThenEnvironment(saved, async (kind) =>
      kind === 'huggingface' ? ENV_TOKEN : null,
    );
    expect(await provider('huggingface')).toBe(ENV_TOKEN);
    await settings.set('huggingface', HF_KEY);
    expect(await provider('huggingface')).toBe(HF_KEY);
    expect(await settings.remove('huggingface')).toEqual({ removed: true });
    expect(await provider('huggingface')).toBe(ENV_TOKEN);
    expect(await settings.remove('huggingface')).toEqual({ removed: false });
    expect((await settings.list()).items).toEqual([]);
  });

  it('a key saved under another secret key is reported unreadable, not used, and can be set again', async () => {
    await settings.set('huggingface', HF_KEY);
    const replacedKeyFile = createStoredApiKeys({
      store,
      box: createSecretBox(randomBytes(32)),
      secretKeyOrigin: '/data/secret.key',
      logger,
    });
    await replacedKeyFile.loadAll();
    const afterReplacement = newSettings(replacedKeyFile);
    const [view] = (await afterReplacement.list()).items;
    expect(view).toMatchObject({ platform: 'huggingface', valid: false });
    expect(view!.message).toMatch(
      /cannot be decrypted with this server's secret key \(\/data\/secret\.key\).*enter the API key again/,
    );
    expect(logged.join('\n')).toMatch(/cannot be decrypted/);
    const provider = savedKeyThenEnvironment(replacedKeyFile, async () => ENV_TOKEN);
    expect(await provider('huggingface')).toBe(ENV_TOKEN);
    expect(await afterReplacement.validate('huggingface')).toMatchObject({ valid: false });
    // Entering it again under the new secret key makes it usable.
    expect((await afterReplacement.set('huggingface', HF_KEY)).valid).toBe(true);
    expect(await provider('huggingface')).toBe(HF_KEY);
  });

  it('a ciphertext moved to another platform row does not decrypt (bound to its platform)', async () => {
    await settings.set('huggingface', HF_KEY);
    const row = store.rows.get('huggingface')!;
    store.rows.set('civitai', { ...row, platform: 'civitai' });
    const reader = createStoredApiKeys({
      store,
      box: createSecretBox(secretKey),
      secretKeyOrigin: 'MODELDOCK_SECRET_KEY',
      logger,
    });
    expect(await reader.current('huggingface')).toBe(HF_KEY);
    expect(await reader.current('civitai')).toBeNull();
  });

  it('a second server with the same secret key reads keys the first one saves, replaces and removes', async () => {
    const second = createStoredApiKeys({
      store,
      box: createSecretBox(secretKey),
      secretKeyOrigin: 'MODELDOCK_SECRET_KEY',
      logger,
      refreshMs: 0,
    });
    expect(await second.current('huggingface')).toBeNull();
    await settings.set('huggingface', HF_KEY);
    expect(await second.current('huggingface')).toBe(HF_KEY);
    await settings.set('huggingface', HF_OTHER_KEY);
    expect(await second.current('huggingface')).toBe(HF_OTHER_KEY);
    await settings.remove('huggingface');
    expect(await second.current('huggingface')).toBeNull();
  });

  it('keeps using the key it read when the database cannot be read for a moment', async () => {
    const flaky = createStoredApiKeys({
      store,
      box: createSecretBox(secretKey),
      secretKeyOrigin: 'x',
      logger,
      refreshMs: 0,
    });
    await settings.set('civitai', CIVITAI_KEY);
    expect(await flaky.current('civitai')).toBe(CIVITAI_KEY);
    const get = store.get.bind(store);
    store.get = async () => {
      throw new ModeldockError('DATABASE_UNAVAILABLE', 'database went away');
    };
    try {
      expect(await flaky.current('civitai')).toBe(CIVITAI_KEY);
      // Nothing read before: the failure is the caller's to see.
      const fresh = createStoredApiKeys({
        store,
        box: createSecretBox(secretKey),
        secretKeyOrigin: 'x',
        logger,
      });
      expect((await failureOf(fresh.current('civitai'))).code).toBe('DATABASE_UNAVAILABLE');
    } finally {
      store.get = get;
    }
  });

  it('start() checks keys saved unchecked; close() stops checks that are scheduled', async () => {
    civitai.rateLimitNext(1);
    await settings.set('civitai', CIVITAI_KEY);
    expect((await settings.list()).items[0]!.valid).toBeNull();
    // A restart: a new Settings over the same keys checks the unchecked one right away.
    const restarted = newSettings(saved);
    await restarted.start();
    await waitFor(
      async () => (await restarted.list()).items[0]!.valid === true,
      'the check at start',
      10_000,
      20,
    );

    civitai.rateLimitNext(1);
    const closing = newSettings(saved, check, 200);
    await closing.set('civitai', CIVITAI_KEY);
    const before = civitai.requests.length;
    await closing.close();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(civitai.requests.length).toBe(before);
  });
});
