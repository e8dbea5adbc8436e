/**
 * settings.apiKeys on the built server, pointed at the fake Hugging Face and Civitai: a key is
 * checked with the platform and saved encrypted; a refused key changes nothing; downloads use a
 * key the moment it is set and stop using it the moment it is removed; keys survive a restart;
 * the database row holds no clear key; a second server with the same data folder reads them; a
 * replaced key file makes them unreadable (said, not crashed); a key file others can read stops
 * the start. On PostgreSQL (TEST_DATABASE_URL), servers sharing MODELDOCK_SECRET_KEY share keys.
 */
import { randomBytes } from 'node:crypto';
import { chmod, cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@modeldock/db';
import { createScratchPostgresDatabase, dumpAllTables } from '@modeldock/db/testing';
import type { ScratchPostgresDatabase } from '@modeldock/db/testing';
import {
  createServerFolders,
  runServerUntilExit,
  startServerProcess,
} from '../support/server-process';
import type { ServerProcess, TemporaryServerFolders } from '../support/server-process';
import { connectHttp, failureOf, listFiles, waitFor } from './api-client';
import type { Api } from './api-client';
import {
  CIVITAI_KEY,
  downloadToCompletion,
  failedDownload,
  GATED_REPO,
  HF_KEY,
  LOGIN_FILE_ID,
  LOGIN_MODEL_ID,
  startApiKeyHubs,
} from './api-key-hubs';
import type { ApiKeyHubs } from './api-key-hubs';
import { findSecrets } from './secret-forms';

const UNKNOWN_HF_KEY = 'hf_FAKEunknownTOKEN0refused';
const KEYS = [HF_KEY, CIVITAI_KEY, UNKNOWN_HF_KEY];
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let hubs: ApiKeyHubs;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  hubs = await startApiKeyHubs();
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await hubs?.close();
});

async function startOn(
  folders: { dataDir: string; modelsDir: string },
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const server = await startServerProcess({ folders, env: { ...hubs.serverEnv, ...env } });
  cleanups.push(() => server.dispose());
  return server;
}

async function copyFolders(
  from: TemporaryServerFolders,
  options: { withKeyFile: boolean },
): Promise<TemporaryServerFolders> {
  const copy = await createServerFolders({ seedDatabase: false });
  cleanups.push(() => copy.remove());
  await cp(from.dataDir, copy.dataDir, {
    recursive: true,
    filter: (source) => options.withKeyFile || path.basename(source) !== 'secret.key',
  });
  return copy;
}

const gatedFile = `${GATED_REPO}/blob/main/gated.safetensors`;

function downloadGated(api: Api, folder: string) {
  return downloadToCompletion(api, { url: `${hubs.hub.url}/${gatedFile}`, folder });
}

describe('settings.apiKeys on the built server (embedded database)', () => {
  let folders: TemporaryServerFolders;
  let server: ServerProcess;
  let api: Api;

  beforeAll(async () => {
    folders = await createServerFolders();
    cleanups.push(() => folders.remove());
    server = await startOn(folders);
    api = connectHttp(server.url);
  });

  it('set checks the key with Hugging Face, saves it, and the next download uses it', async () => {
    const refused = await failedDownload(api, { url: `${hubs.hub.url}/${gatedFile}` });
    expect(refused.error?.code).toBe('GATED_REPO');
    expect(refused.error?.message).toMatch(/add your Hugging Face token in Settings/);
    expect(
      (await listFiles(folders.modelsDir)).filter((file) => file.endsWith('gated.safetensors')),
    ).toEqual([]);

    const view = await api.settings.apiKeys.set.mutate({ platform: 'huggingface', key: HF_KEY });
    expect(view).toEqual({
      platform: 'huggingface',
      last4: HF_KEY.slice(-4),
      createdAt: expect.stringMatching(ISO),
      validatedAt: expect.stringMatching(ISO),
      valid: true,
      message: 'Token works for Hugging Face account alice',
    });
    expect(await api.settings.apiKeys.list.query()).toEqual({ items: [view], environment: [] });

    // The check was a real call to the configured endpoint, with the key in its header only.
    const whoami = hubs.hub.requests.filter((request) => request.url === '/api/whoami-v2');
    expect(whoami.at(-1)?.headers.authorization).toBe(`Bearer ${HF_KEY}`);

    const job = await downloadGated(api, 'checkpoints');
    expect(job.files[0]!.sha256).toBe(hubs.hub.repo(GATED_REPO).file('gated.safetensors').sha256);
  });

  it('a key the platform rejects is INVALID_TOKEN, and the saved key stays as it was', async () => {
    const before = await api.settings.apiKeys.list.query();
    const failure = await failureOf(
      api.settings.apiKeys.set.mutate({ platform: 'huggingface', key: UNKNOWN_HF_KEY }),
    );
    expect(failure).toMatchObject({ modeldockCode: 'INVALID_TOKEN', httpStatus: 401 });
    expect(failure.message).toMatch(/Hugging Face rejected this token.*not saved/);
    expect(findSecrets(failure.message, KEYS, 'the error')).toEqual([]);
    expect(await api.settings.apiKeys.list.query()).toEqual(before);
  });

  it('bad input is refused with a message that never repeats the key', async () => {
    const spaced = `${CIVITAI_KEY} and more`;
    const withSpace = await failureOf(
      api.settings.apiKeys.set.mutate({ platform: 'civitai', key: spaced }),
    );
    expect(withSpace.modeldockCode).toBe('INVALID_INPUT');
    expect(withSpace.message).toMatch(/without spaces/);
    expect(withSpace.message).not.toContain(CIVITAI_KEY);
    // Issue 9.1: a zero-width space copied from a web page is refused, named, and nothing is saved.
    const zeroWidth = await failureOf(
      api.settings.apiKeys.set.mutate({
        platform: 'civitai',
        key: `${CIVITAI_KEY.slice(0, 4)}\u200b${CIVITAI_KEY.slice(4)}`,
      }),
    );
    expect(zeroWidth.modeldockCode).toBe('INVALID_INPUT');
    expect(zeroWidth.message).toMatch(
      /only visible ASCII.*U\+200B \(zero-width space\) at position 5/,
    );
    expect(zeroWidth.message).not.toContain(CIVITAI_KEY.slice(4));
    const platform = await failureOf(
      api.settings.apiKeys.set.mutate({ platform: 'github' as 'civitai', key: CIVITAI_KEY }),
    );
    expect(platform.modeldockCode).toBe('INVALID_INPUT');
    expect(platform.message).toMatch(/platform must be one of huggingface, civitai/);
    expect(platform.message).not.toContain(CIVITAI_KEY);
    expect((await api.settings.apiKeys.list.query()).items.map((item) => item.platform)).toEqual([
      'huggingface',
    ]);
  });

  it('Civitai: saved unchecked while it limits requests, validate checks it, remove stops its use at once', async () => {
    expect(
      (await failureOf(api.settings.apiKeys.validate.mutate({ platform: 'civitai' })))
        .modeldockCode,
    ).toBe('INVALID_STATE');

    hubs.civitai.rateLimitNext(1);
    const unchecked = await api.settings.apiKeys.set.mutate({
      platform: 'civitai',
      key: CIVITAI_KEY,
    });
    expect(unchecked).toMatchObject({ platform: 'civitai', valid: null, validatedAt: null });
    expect(unchecked.message).toMatch(/Civitai is limiting requests.*checks it again/);

    const checked = await api.settings.apiKeys.validate.mutate({ platform: 'civitai' });
    expect(checked).toMatchObject({
      valid: true,
      validatedAt: expect.stringMatching(ISO),
      message: 'API key works for Civitai account carol',
    });

    const job = await downloadToCompletion(api, { url: `civitai:${LOGIN_MODEL_ID}` });
    expect(job.files[0]!.sha256).toBe(hubs.civitai.fileSha256(LOGIN_FILE_ID));

    expect(await api.settings.apiKeys.remove.mutate({ platform: 'civitai' })).toEqual({
      removed: true,
    });
    const withoutKey = await failedDownload(api, {
      url: `civitai:${LOGIN_MODEL_ID}`,
      folder: 'elsewhere',
    });
    expect(withoutKey.error?.code).toBe('AUTH_REQUIRED');
    expect(withoutKey.error?.message).toMatch(/add one in Settings/);
    expect(await listFiles(path.join(folders.modelsDir, 'elsewhere'))).toEqual([]);
    expect(await api.settings.apiKeys.remove.mutate({ platform: 'civitai' })).toEqual({
      removed: false,
    });

    await api.settings.apiKeys.set.mutate({ platform: 'civitai', key: CIVITAI_KEY });
  });

  it('keys survive a restart; the rows hold no clear key; the key file is private', async () => {
    const before = await api.settings.apiKeys.list.query();
    expect(before.items.map((item) => [item.platform, item.valid])).toEqual([
      ['huggingface', true],
      ['civitai', true],
    ]);
    expect((await server.stop('SIGTERM')).code).toBe(0);

    const keyFile = path.join(folders.dataDir, 'secret.key');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const database = await openDatabase({ dataDir: folders.dataDir });
    try {
      const row = await database.apiKeys.get('huggingface');
      expect(row!.ciphertext.length).toBeGreaterThan(0);
      expect(findSecrets(row!.ciphertext, KEYS, 'the ciphertext')).toEqual([]);
      const dump = JSON.stringify(await dumpAllTables(database));
      expect(dump).toContain('api_keys');
      expect(findSecrets(dump, KEYS, 'the database')).toEqual([]);
    } finally {
      await database.close();
    }

    server = await startOn(folders);
    api = connectHttp(server.url);
    expect(await api.settings.apiKeys.list.query()).toEqual(before);
    await downloadGated(api, 'after-restart');
    await server.stop('SIGTERM');
  });

  it('a second server with a copy of the data folder (database and key file) reads the keys', async () => {
    const copy = await copyFolders(folders, { withKeyFile: true });
    const second = await startOn(copy);
    const secondApi = connectHttp(second.url);
    expect((await secondApi.settings.apiKeys.list.query()).items).toMatchObject([
      { platform: 'huggingface', valid: true },
      { platform: 'civitai', valid: true },
    ]);
    await downloadGated(secondApi, 'second-server');
    await second.stop('SIGTERM');
  });

  it('with the key file replaced, saved keys are unreadable: said in Settings, not used, no crash', async () => {
    const copy = await copyFolders(folders, { withKeyFile: false });
    const replaced = await startOn(copy);
    const replacedApi = connectHttp(replaced.url);
    const { items } = await replacedApi.settings.apiKeys.list.query();
    expect(items.map((item) => [item.platform, item.valid])).toEqual([
      ['huggingface', false],
      ['civitai', false],
    ]);
    for (const item of items) {
      expect(item.message).toContain('cannot be decrypted');
      expect(item.message).toContain(path.join(copy.dataDir, 'secret.key'));
      expect(item.message).toMatch(/enter the API key again in Settings/);
    }
    expect(replaced.output()).toMatch(/cannot be decrypted/);
    const refused = await failedDownload(replacedApi, {
      url: `${hubs.hub.url}/${gatedFile}`,
      folder: 'x',
    });
    expect(refused.error?.code).toBe('GATED_REPO');
    expect(await listFiles(path.join(copy.modelsDir, 'x'))).toEqual([]);

    // Entering the key again under the new secret key makes it work.
    expect(
      (await replacedApi.settings.apiKeys.set.mutate({ platform: 'huggingface', key: HF_KEY }))
        .valid,
    ).toBe(true);
    await downloadGated(replacedApi, 'key-entered-again');
    await replaced.stop('SIGTERM');

    // A key file other users can read stops the start, saying how to fix it.
    const keyFile = path.join(copy.dataDir, 'secret.key');
    await chmod(keyFile, 0o644);
    const refusedStart = await runServerUntilExit(copy, { env: hubs.serverEnv });
    expect(refusedStart.code).toBe(1);
    expect(refusedStart.output).toContain(`chmod 600 ${keyFile}`);
    expect(refusedStart.output).not.toContain((await readFile(keyFile, 'utf8')).trim());
  });
});

describe('a token given in the environment (MODELDOCK_HF_TOKEN)', () => {
  /** Another token of the same account, so which one a download sends can be told apart. */
  const SAVED_HF_KEY = 'hf_FAKEsavedTOKEN0modeldock';

  /** Downloads the gated file into `folder` and returns the one bearer the hub saw for it. */
  async function gatedDownloadBearer(api: Api, folder: string): Promise<string> {
    const seen = hubs.hub.requests.length;
    const job = await downloadGated(api, folder);
    expect(job.status).toBe('completed');
    const bearers = new Set(
      hubs.hub.requests
        .slice(seen)
        .filter((request) => request.url.includes('gated.safetensors'))
        .map((request) => request.headers.authorization),
    );
    expect(bearers.size).toBe(1);
    return [...bearers][0]!;
  }

  it('is listed by its last four characters, used until a key is saved, and used again once it is removed', async () => {
    const folders = await createServerFolders();
    cleanups.push(() => folders.remove());
    hubs.hub.addToken(SAVED_HF_KEY, 'alice');
    const server = await startOn(folders, { MODELDOCK_HF_TOKEN: HF_KEY });
    const api = connectHttp(server.url);

    const listed = await api.settings.apiKeys.list.query();
    expect(listed).toEqual({
      items: [],
      environment: [
        {
          platform: 'huggingface',
          last4: HF_KEY.slice(-4),
          variable: 'MODELDOCK_HF_TOKEN or HF_TOKEN',
          inUse: true,
        },
      ],
    });
    expect(findSecrets(JSON.stringify(listed), [...KEYS, SAVED_HF_KEY], 'the list')).toEqual([]);
    // Listed as in use because downloads do use it.
    expect(await gatedDownloadBearer(api, 'from-environment')).toBe(`Bearer ${HF_KEY}`);

    // A key saved in Settings comes first: the environment token is listed, not used.
    await api.settings.apiKeys.set.mutate({ platform: 'huggingface', key: SAVED_HF_KEY });
    expect((await api.settings.apiKeys.list.query()).environment).toMatchObject([
      { platform: 'huggingface', inUse: false },
    ]);
    expect(await gatedDownloadBearer(api, 'from-settings')).toBe(`Bearer ${SAVED_HF_KEY}`);

    await api.settings.apiKeys.remove.mutate({ platform: 'huggingface' });
    expect((await api.settings.apiKeys.list.query()).environment).toMatchObject([
      { platform: 'huggingface', inUse: true },
    ]);
    expect(await gatedDownloadBearer(api, 'from-environment-again')).toBe(`Bearer ${HF_KEY}`);
    await server.stop('SIGTERM');
  });
});

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL?.trim() || null;

describe.skipIf(!TEST_DATABASE_URL)(
  'settings.apiKeys across servers sharing PostgreSQL and MODELDOCK_SECRET_KEY',
  () => {
    let scratch: ScratchPostgresDatabase;
    let root: string;

    beforeAll(async () => {
      scratch = await createScratchPostgresDatabase(TEST_DATABASE_URL!);
      cleanups.push(() => scratch.drop());
      root = await mkdtemp(path.join(tmpdir(), 'modeldock-e2e-keys-pg-'));
      cleanups.push(() => rm(root, { recursive: true, force: true }));
    });

    function folderFor(name: string) {
      return { dataDir: path.join(root, `data-${name}`), modelsDir: path.join(root, 'models') };
    }

    it('a key set on one server is used by the other; a server with another secret key reports it unreadable', async () => {
      const sharedKey = randomBytes(32).toString('base64');
      const env = { DATABASE_URL: scratch.url, MODELDOCK_SECRET_KEY: sharedKey };
      const [first, second] = await Promise.all([
        startOn(folderFor('a'), env),
        startOn(folderFor('b'), env),
      ]);
      const firstApi = connectHttp(first.url);
      const secondApi = connectHttp(second.url);
      await firstApi.settings.apiKeys.set.mutate({ platform: 'huggingface', key: HF_KEY });
      expect((await secondApi.settings.apiKeys.list.query()).items).toMatchObject([
        { platform: 'huggingface', valid: true },
      ]);
      // The second server read "no key" at its start; it reads the row again within seconds.
      const { jobId } = await waitFor(
        () =>
          secondApi.downloads.enqueue.mutate({
            url: `${hubs.hub.url}/${gatedFile}`,
            folder: 'checkpoints',
          }),
        'the second server to use the key set on the first',
        30_000,
        500,
      );
      await waitFor(
        async () => (await secondApi.downloads.get.query({ jobId })).status === 'completed',
        'the download on the second server',
      );
      // No key file was made: the key came from the environment.
      await expect(stat(path.join(folderFor('a').dataDir, 'secret.key'))).rejects.toThrow();

      const other = await startOn(folderFor('c'), {
        DATABASE_URL: scratch.url,
        MODELDOCK_SECRET_KEY: randomBytes(32).toString('base64'),
      });
      const [item] = (await connectHttp(other.url).settings.apiKeys.list.query()).items;
      expect(item).toMatchObject({ platform: 'huggingface', valid: false });
      expect(item!.message).toMatch(/cannot be decrypted.*\(MODELDOCK_SECRET_KEY\)/);
      for (const server of [first, second, other]) await server.stop('SIGTERM');
    });
  },
);
