/**
 * Issue 9.7 through the server: `downloads.enqueue` answers while the Hugging Face API has not
 * answered yet (a hub that holds every request until the test lets it go); the job shows its first
 * step (`phase: resolving`), and the hub's answer (the repository does not exist) fails the job with
 * its code, visible through `downloads.get` and the job's events. Bad input is still refused by the
 * call itself, recording nothing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerFolders, startServerProcess } from '../support/server-process';
import type { ServerProcess, TemporaryServerFolders } from '../support/server-process';
import { connectHttp, failureOf, waitFor, waitForStatus } from './api-client';

type Api = ReturnType<typeof connectHttp>;

let folders: TemporaryServerFolders;
let server: ServerProcess;
let api: Api;
let hub: http.Server;
let hubUrl: string;
const held: http.ServerResponse[] = [];
let holding = true;

beforeAll(async () => {
  hub = http.createServer((_request, response) => {
    if (holding) held.push(response);
    else notFound(response);
  });
  await new Promise<void>((resolve) => hub.listen(0, '127.0.0.1', resolve));
  hubUrl = `http://127.0.0.1:${(hub.address() as AddressInfo).port}`;
  folders = await createServerFolders();
  server = await startServerProcess({ folders, env: { MODELDOCK_HF_ENDPOINT: hubUrl } });
  api = connectHttp(server.url);
}, 180_000);

afterAll(async () => {
  holding = false;
  for (const response of held.splice(0)) notFound(response);
  const exit = await server?.stop('SIGTERM');
  await new Promise((resolve) => hub?.close(resolve));
  await folders?.remove();
  expect(exit?.code, server?.output()).toBe(0);
});

function notFound(response: http.ServerResponse): void {
  response.writeHead(404, { 'content-type': 'application/json', 'x-error-code': 'RepoNotFound' });
  response.end(JSON.stringify({ error: 'Repository not found' }));
}

describe('enqueue through the server (issue 9.7)', () => {
  it("answers before the hub does; the job resolves, then fails with the hub's code", async () => {
    const { jobId, attached } = await api.downloads.enqueue.mutate({
      url: `${hubUrl}/org/held-model`,
      folder: 'checkpoints',
    });
    expect(attached).toBe(false);
    await waitFor(() => held.length > 0, 'the hub to be asked');
    const resolving = await api.downloads.get.query({ jobId });
    expect(resolving).toMatchObject({ status: 'running', phase: { step: 'resolving' }, files: [] });

    holding = false;
    for (const response of held.splice(0)) notFound(response);
    const failed = await waitForStatus(api, jobId, 'failed', 30_000);
    expect(failed.error?.code).toBe('REPO_NOT_FOUND');
    expect(failed.phase).toBeNull();
  });

  it('refuses input it can judge without the network, recording nothing', async () => {
    const before = (await api.downloads.list.query({})).items.length;
    const refused = await failureOf(
      api.downloads.enqueue.mutate({ url: `${hubUrl}/org/model`, priority: -1 }),
    );
    expect(refused).toMatchObject({ httpStatus: 400, modeldockCode: 'INVALID_INPUT' });
    const unsupported = await failureOf(
      api.downloads.enqueue.mutate({ url: 'ftp://example.com/a.bin' }),
    );
    expect(unsupported).toMatchObject({ httpStatus: 400, modeldockCode: 'UNSUPPORTED_SCHEME' });
    expect((await api.downloads.list.query({})).items).toHaveLength(before);
  });
});
