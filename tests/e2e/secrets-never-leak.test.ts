/**
 * The secrets guarantee, end to end: distinctive fake keys are set through the API of the built
 * server (pointed at the fake Hugging Face and Civitai), then used for everything that needs
 * them — a gated and a private Hugging Face file, an LFS file through the CDN, a Civitai model that
 * requires a login, a Civitai signed URL that expires and is asked for again, a pasted Civitai
 * link and a pasted direct link with `?token=` — and for errors that are about them (a refused
 * key, a key that stops working before a queued job runs, a gated repository not granted, a
 * Civitai key Civitai does not know). Everything that leaves the server is captured — every API
 * answer over HTTP and WebSocket, every event, stdout/stderr, the downloads log, the process's
 * arguments and environment, every row of every table after it stops, the raw bytes of its data
 * and models folders, and what the fake CDN and hubs received — and no key appears in any of it,
 * in clear, hex or any base64 alignment. The CDN never sees an Authorization header.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { createTRPCClient, createWSClient, httpBatchLink, wsLink } from '@trpc/client';
import type { TRPCClient } from '@trpc/client';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@modeldock/db';
import { dumpAllTables } from '@modeldock/db/testing';
import type { JobEvent } from '@modeldock/engine';
import type { AppRouter } from '@modeldock/server';
import { startFileOrigin } from '../support/file-origin';
import type { FileOrigin } from '../support/file-origin';
import { createServerFolders, startServerProcess } from '../support/server-process';
import type { ServerProcess, TemporaryServerFolders } from '../support/server-process';
import { failureOf, listFiles, waitForJob } from './api-client';
import type { ApiFailure } from './api-client';
import {
  CIVITAI_KEY,
  downloadToCompletion,
  failedDownload,
  finishedJob,
  GATED_REPO,
  HF_KEY,
  LOGIN_FILE_ID,
  LOGIN_MODEL_ID,
  LOGIN_VERSION_ID,
  OPEN_FILE_ID,
  OPEN_MODEL_ID,
  PRIVATE_REPO,
  PUBLIC_REPO,
  startApiKeyHubs,
} from './api-key-hubs';
import type { ApiKeyHubs } from './api-key-hubs';
import { findSecrets } from './secret-forms';

/** A Hugging Face account that exists but was never granted the gated repository. */
const NOT_APPROVED_HF_KEY = 'hf_FAKEnotApprovedTOKEN0tests';
/** Keys the platforms do not know: saved while the platform was limiting requests. */
const UNKNOWN_HF_KEY = 'hf_FAKErevokedTOKEN0unknown';
const UNKNOWN_CIVITAI_KEY = 'civitai-FAKE-unknown-key-0modeldock0tests-000';
/** The secret inside a direct link a user pasted. */
const PASTED_SECRET = 'pastedFAKEsecret0modeldock0tests0PASTED';

const API_KEYS = [HF_KEY, CIVITAI_KEY, NOT_APPROVED_HF_KEY, UNKNOWN_HF_KEY, UNKNOWN_CIVITAI_KEY];
const KIB = 1024;

type Api = TRPCClient<AppRouter>;

interface Captured {
  httpAnswers: string[];
  webSocketMessages: string[];
  events: JobEvent[];
  failures: ApiFailure[];
}

let hubs: ApiKeyHubs;
let origin: FileOrigin;
let folders: TemporaryServerFolders;
let server: ServerProcess;
let http: Api;
let ws: Api;
let closeWebSocket: () => void;
const captured: Captured = { httpAnswers: [], webSocketMessages: [], events: [], failures: [] };

/** Every answer body the HTTP client receives, before tRPC decodes it. */
const recordingFetch = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
  const response = await fetch(input, init);
  captured.httpAnswers.push(await response.clone().text());
  return response;
}) as typeof fetch;

/** Every frame the WebSocket client receives. */
class RecordingWebSocket extends WebSocket {
  constructor(address: string | URL, protocols?: string | string[]) {
    super(address, protocols);
    this.on('message', (data) => captured.webSocketMessages.push(data.toString()));
  }
}

async function failure(call: Promise<unknown>): Promise<ApiFailure> {
  const result = await failureOf(call);
  captured.failures.push(result);
  return result;
}

/**
 * A download its first step refuses (issue 9.7: the call answers, the job fails): the job's error,
 * kept with the call failures so it is searched for secrets like them.
 */
async function jobFailure(
  api: Api,
  input: Parameters<Api['downloads']['enqueue']['mutate']>[0],
): Promise<ApiFailure> {
  const job = await failedDownload(api, input);
  const result: ApiFailure = {
    message: job.error?.message ?? '',
    code: undefined,
    httpStatus: undefined,
    modeldockCode: job.error?.code,
  };
  captured.failures.push(result);
  return result;
}

beforeAll(async () => {
  hubs = await startApiKeyHubs();
  hubs.hub.addToken(NOT_APPROVED_HF_KEY, 'bob');
  origin = await startFileOrigin();
  folders = await createServerFolders();
  server = await startServerProcess({
    folders,
    env: {
      ...hubs.serverEnv,
      // Everything the server can say, so a leak in a debug line is caught too.
      MODELDOCK_LOG_LEVEL: 'debug',
      // One job at a time: a held download keeps the next one queued while its key changes.
      MODELDOCK_MAX_CONCURRENT_JOBS: '1',
    },
  });
  http = createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: `${server.url}/trpc`, fetch: recordingFetch })],
  });
  const wsClient = createWSClient({
    url: `${server.url.replace(/^http/, 'ws')}/trpc`,
    WebSocket: RecordingWebSocket as unknown as typeof globalThis.WebSocket,
  });
  ws = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] });
  const subscription = ws.downloads.events.subscribe(
    {},
    { onData: (event) => captured.events.push(event.data) },
  );
  closeWebSocket = () => {
    subscription.unsubscribe();
    void wsClient.close();
  };
});

afterAll(async () => {
  closeWebSocket?.();
  await server?.dispose();
  await folders?.remove();
  await origin?.close();
  await hubs?.close();
});

async function allFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

describe('no secret leaves the server', () => {
  it('keys set through the API are used for downloads and errors, and appear nowhere', async () => {
    // ---- Keys in, over both transports ------------------------------------------------------
    expect(
      (await http.settings.apiKeys.set.mutate({ platform: 'huggingface', key: HF_KEY })).valid,
    ).toBe(true);
    expect(
      (await ws.settings.apiKeys.set.mutate({ platform: 'civitai', key: CIVITAI_KEY })).valid,
    ).toBe(true);
    expect((await ws.settings.apiKeys.validate.mutate({ platform: 'civitai' })).valid).toBe(true);
    expect((await http.settings.apiKeys.list.query()).items).toHaveLength(2);
    expect((await ws.settings.apiKeys.list.query()).items).toHaveLength(2);

    // ---- Downloads that need them -----------------------------------------------------------
    await downloadToCompletion(http, {
      url: `${hubs.hub.url}/${GATED_REPO}/blob/main/gated.safetensors`,
      folder: 'gated',
    });
    await downloadToCompletion(http, {
      url: `${hubs.hub.url}/${PRIVATE_REPO}/resolve/main/private.safetensors`,
      folder: 'private',
    });
    // An LFS file: the hub answers with a redirect to the CDN, which must not get the token.
    await downloadToCompletion(http, {
      url: `${hubs.hub.url}/${PUBLIC_REPO}/blob/main/public.gguf`,
      folder: 'public',
    });
    const login = await downloadToCompletion(http, { url: `civitai:${LOGIN_MODEL_ID}` });
    expect(login.files[0]!.sha256).toBe(hubs.civitai.fileSha256(LOGIN_FILE_ID));
    // The signed storage URL runs out mid-job: the download link is asked again, with the key.
    const downloadLinkCalls = () =>
      hubs.civitai.requests.filter((request) => request.url.startsWith(`/api/download/models/201`))
        .length;
    const callsBefore = downloadLinkCalls();
    hubs.cdn.expireOnNextRequest();
    const reResolved = await downloadToCompletion(http, { url: `civitai:${OPEN_MODEL_ID}` });
    expect(reResolved.files[0]!.sha256).toBe(hubs.civitai.fileSha256(OPEN_FILE_ID));
    expect(downloadLinkCalls() - callsBefore).toBeGreaterThanOrEqual(3);
    // A pasted Civitai link carrying the key: the key is dropped, the saved one is used.
    await downloadToCompletion(ws, {
      url: `${hubs.civitai.url}/api/download/models/${LOGIN_VERSION_ID}?token=${CIVITAI_KEY}`,
      folder: 'pasted',
    });

    // ---- A pasted direct link with a secret holds the only slot; meanwhile a queued private
    // ---- Hugging Face job finds its key replaced by one Hugging Face does not know. ----------
    const held = origin.addFile('held.bin', { size: 256 * KIB, seed: 7 });
    origin.holdAfter(32 * KIB);
    const { jobId: heldJob } = await http.downloads.enqueue.mutate({
      url: `${held.url}?token=${PASTED_SECRET}`,
      folder: 'direct',
    });
    await waitForJob(http, heldJob, (job) => job.bytesDone > 0, 'the held download to start');
    const { jobId: queuedJob } = await http.downloads.enqueue.mutate({
      url: `${hubs.hub.url}/${PRIVATE_REPO}/resolve/main/private.safetensors`,
      folder: 'private-later',
    });
    // Its first step (issue 9.7) resolves it with the key that works, then it waits its turn;
    // only then is the key replaced, so the rate limit below meets the check of the new key.
    await waitForJob(
      http,
      queuedJob,
      (job) => job.status === 'queued' && job.phase === null && job.files.length === 1,
      'the private job to be resolved and waiting its turn',
    );
    hubs.hub.rateLimitNext(1);
    const unchecked = await http.settings.apiKeys.set.mutate({
      platform: 'huggingface',
      key: UNKNOWN_HF_KEY,
    });
    expect(unchecked.valid).toBeNull();
    origin.release();
    const heldDone = await finishedJob(http, heldJob);
    expect(heldDone.status, JSON.stringify(heldDone.error)).toBe('completed');
    const failedJob = await finishedJob(http, queuedJob);
    expect(failedJob.status).toBe('failed');
    expect(failedJob.error?.code ?? failedJob.files[0]?.error?.code).toMatch(
      /INVALID_TOKEN|AUTH_REQUIRED|REPO_NOT_FOUND/,
    );

    // ---- Errors about keys ------------------------------------------------------------------
    const invalid = await jobFailure(http, {
      url: `${hubs.hub.url}/${GATED_REPO}/blob/main/gated.safetensors`,
      folder: 'gated-again',
    });
    expect(invalid.modeldockCode).toBe('INVALID_TOKEN');
    expect((await ws.settings.apiKeys.validate.mutate({ platform: 'huggingface' })).valid).toBe(
      false,
    );
    const refused = await failure(
      http.settings.apiKeys.set.mutate({ platform: 'huggingface', key: UNKNOWN_HF_KEY }),
    );
    expect(refused.modeldockCode).toBe('INVALID_TOKEN');
    await http.settings.apiKeys.set.mutate({ platform: 'huggingface', key: NOT_APPROVED_HF_KEY });
    const notApproved = await jobFailure(ws, {
      url: `${hubs.hub.url}/${GATED_REPO}/blob/main/gated.safetensors`,
      folder: 'gated-again',
    });
    expect(notApproved.modeldockCode).toBe('GATED_NOT_APPROVED');
    hubs.civitai.rateLimitNext(1);
    await http.settings.apiKeys.set.mutate({ platform: 'civitai', key: UNKNOWN_CIVITAI_KEY });
    const civitaiRefused = await jobFailure(http, {
      url: `civitai:${LOGIN_MODEL_ID}`,
      folder: 'again',
    });
    expect(civitaiRefused.modeldockCode).toBe('INVALID_TOKEN');
    expect(civitaiRefused.message).toMatch(/Civitai rejected the API key/);
    // The refused downloads wrote nothing.
    for (const folder of ['gated-again', 'again']) {
      expect(await listFiles(path.join(folders.modelsDir, folder))).toEqual([]);
    }

    // ---- What the process shows about itself while it runs ----------------------------------
    const pid = server.child.pid!;
    const cmdline = await readFile(`/proc/${pid}/cmdline`);
    const environ = await readFile(`/proc/${pid}/environ`);
    const processArguments = server.child.spawnargs.join(' ');

    // ---- Stop, then everything it left behind -----------------------------------------------
    expect((await server.stop('SIGTERM')).code).toBe(0);
    const output = server.output();
    const downloadsLog = await readFile(path.join(folders.dataDir, 'logs/downloads.log'), 'utf8');
    const database = await openDatabase({ dataDir: folders.dataDir });
    let tables: Record<string, string[]>;
    try {
      tables = await dumpAllTables(database);
    } finally {
      await database.close();
    }
    const keyFile = path.join(folders.dataDir, 'secret.key');
    const secretKeyText = (await readFile(keyFile, 'utf8')).trim();
    const signatures = hubs.cdn.requests
      .map((request) => new URL(request.url, hubs.cdn.url).searchParams.get('X-Amz-Signature'))
      .filter((signature): signature is string => Boolean(signature));

    // The captures are not empty: each one saw the scenario it is meant to witness.
    expect(captured.events.some((event) => event.job?.status === 'completed')).toBe(true);
    expect(captured.events.some((event) => event.job?.status === 'failed')).toBe(true);
    expect(captured.webSocketMessages.length).toBeGreaterThan(10);
    expect(captured.httpAnswers.length).toBeGreaterThan(10);
    expect(output).toMatch(/API key saved/);
    expect(output).toMatch(/hub request/);
    expect(downloadsLog).toMatch(/failed|INVALID_TOKEN|AUTH/i);
    expect(tables['public.api_keys']).toHaveLength(2);
    expect(tables['public.jobs']!.length).toBeGreaterThanOrEqual(8);
    expect(signatures.length).toBeGreaterThan(0);
    const sentBearer = [...hubs.hub.requests, ...hubs.civitai.requests].map(
      (request) => request.headers.authorization,
    );
    expect(sentBearer).toContain(`Bearer ${HF_KEY}`);
    expect(sentBearer).toContain(`Bearer ${CIVITAI_KEY}`);
    expect(hubs.cdn.requests.some((request) => request.url.includes('civitai%2F'))).toBe(true);
    expect(hubs.cdn.requests.some((request) => request.url.includes('lfs%2F'))).toBe(true);

    // ---- The verdict ------------------------------------------------------------------------
    const everySecret = [...API_KEYS, PASTED_SECRET, secretKeyText, ...signatures];
    const keysAndKeyFile = [...API_KEYS, PASTED_SECRET, secretKeyText];
    const leaks: string[] = [
      ...findSecrets(captured.httpAnswers.join('\n'), everySecret, 'HTTP answers'),
      ...findSecrets(captured.webSocketMessages.join('\n'), everySecret, 'WebSocket frames'),
      ...findSecrets(JSON.stringify(captured.events), everySecret, 'job events'),
      ...findSecrets(JSON.stringify(captured.failures), everySecret, 'API errors'),
      ...findSecrets(output, everySecret, 'stdout/stderr'),
      ...findSecrets(downloadsLog, everySecret, 'the downloads log'),
      ...findSecrets(cmdline, everySecret, '/proc/<pid>/cmdline'),
      ...findSecrets(environ, everySecret, '/proc/<pid>/environ'),
      ...findSecrets(processArguments, everySecret, 'the process arguments'),
      ...findSecrets(JSON.stringify(tables), everySecret, 'the database tables'),
    ];
    for (const file of [
      ...(await allFiles(folders.dataDir)),
      ...(await allFiles(folders.modelsDir)),
    ]) {
      // The key file holds the secret key, and only that.
      const secrets = file === keyFile ? API_KEYS : everySecret;
      leaks.push(...findSecrets(await readFile(file), secrets, file));
    }
    // What reached the storage hosts: no key, no Authorization at all.
    for (const request of hubs.cdn.requests) {
      expect(request.headers.authorization, request.url).toBeUndefined();
      leaks.push(...findSecrets(JSON.stringify(request), keysAndKeyFile, 'a CDN request'));
    }
    // The hubs get a key in the Authorization header only, never in a URL.
    for (const request of [...hubs.hub.requests, ...hubs.civitai.requests]) {
      leaks.push(...findSecrets(request.url, keysAndKeyFile, 'a hub request URL'));
    }
    // The direct origin gets the link as pasted, and no platform key.
    for (const request of origin.requests) {
      expect(request.headers.authorization).toBeUndefined();
      leaks.push(...findSecrets(JSON.stringify(request), API_KEYS, 'a direct origin request'));
    }
    expect(leaks).toEqual([]);
  });
});
