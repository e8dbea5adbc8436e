/**
 * Notifications through the API (startApp in-process, PGlite): destinations are checked (http(s),
 * event names, private addresses) with a 400 naming the field; a finished and a failed download
 * each reach the notification centre once and a webhook receiver in this test, which checks the
 * payloads and scans every request for the server's secrets (access token, API token, the
 * download URL's token); an ntfy topic gets only the event it chose; "send test" reaches it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookPayload } from '@modeldock/engine';
import { startApp } from '../../apps/server/src/app';
import type { AppHandle } from '../../apps/server/src/app';
import {
  createConfiguredDirectories,
  HELP_REQUESTED,
  parseServerConfig,
} from '../../apps/server/src/env';
import { startFileOrigin } from '../support/file-origin';
import type { FileOrigin } from '../support/file-origin';
import { connectHttp, failureOf, waitFor, waitForStatus } from './api-client';
import type { Api } from './api-client';

const ACCESS_TOKEN = 'access-token-0123456789abcdef';
const HF_TOKEN = 'hf_NotificationSecret0123456789';
const URL_TOKEN = 'urltoken-secret-987654321';
const quietConsole = { write: () => undefined };

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function startReceiver(): Promise<{
  url: string;
  received: Received[];
  failNext: number;
  close(): Promise<void>;
}> {
  const state = { received: [] as Received[], failNext: 0 };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      state.received.push({
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      if (state.failNext > 0) {
        state.failNext--;
        response.writeHead(503).end('busy');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

describe('notifications end to end (in-process server, PGlite)', () => {
  let root: string;
  let app: AppHandle;
  let api: Api;
  let origin: FileOrigin;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'modeldock-notify-'));
    origin = await startFileOrigin();
    receiver = await startReceiver();
    const parsed = parseServerConfig(
      [
        '--port',
        '0',
        '--data-dir',
        path.join(root, 'data'),
        '--models-dir',
        path.join(root, 'models'),
      ],
      {
        MODELDOCK_LOG_LEVEL: 'warn',
        // The origin and the receiver are on loopback: the operator's opt-in, as for LAN hosts.
        MODELDOCK_ALLOW_PRIVATE_HOSTS: '1',
        MODELDOCK_ACCESS_TOKEN: ACCESS_TOKEN,
        MODELDOCK_HF_TOKEN: HF_TOKEN,
      },
      root,
    );
    if (parsed === HELP_REQUESTED) throw new Error('unexpected help');
    createConfiguredDirectories(parsed);
    app = await startApp(parsed, { console: quietConsole });
    api = connectHttp(app.url, { authorization: `Bearer ${ACCESS_TOKEN}` });
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await receiver?.close();
    await origin?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('refuses a destination that is not http(s), names an unknown event or has no URL, with a 400 naming the field', async () => {
    const scheme = await failureOf(
      api.notifications.destinations.add.mutate({ kind: 'webhook', url: 'file:///etc/passwd' }),
    );
    expect(scheme).toMatchObject({ httpStatus: 400, modeldockCode: 'UNSUPPORTED_SCHEME' });
    expect(scheme.message).toMatch(/^url must be http or https/);
    const event = await failureOf(
      api.notifications.destinations.add.mutate({
        kind: 'webhook',
        url: `${receiver.url}/x`,
        events: ['download.exploded'],
      }),
    );
    expect(event).toMatchObject({ httpStatus: 400, modeldockCode: 'INVALID_INPUT' });
    expect(event.message).toMatch(/^events\.0: "download\.exploded" is not an event/);
    const kind = await failureOf(
      api.notifications.destinations.add.mutate({
        kind: 'email' as never,
        url: `${receiver.url}/x`,
      }),
    );
    expect(kind).toMatchObject({ httpStatus: 400 });
    expect(kind.message).toMatch(/^kind must be one of webhook, ntfy/);
    const markRead = await failureOf(api.notifications.markRead.mutate({} as never));
    expect(markRead.httpStatus).toBe(400);
    const test = await failureOf(
      api.notifications.destinations.test.mutate({ id: 'no-such-destination' }),
    );
    expect(test).toMatchObject({
      httpStatus: 404,
      modeldockCode: 'NOTIFICATION_DESTINATION_NOT_FOUND',
    });
    expect(await api.notifications.destinations.list.query()).toEqual([]);
  });

  it('notifies a finished and a failed download once each, to the centre, the webhook and the ntfy topic that chose it, without a secret', async () => {
    const webhook = await api.notifications.destinations.add.mutate({
      kind: 'webhook',
      url: `http://hook-user:hook-pass-123@127.0.0.1:${new URL(receiver.url).port}/hook?sig=hook-query-secret`,
    });
    expect(webhook.url).toBe(`${receiver.url}/hook?…`);
    const ntfy = await api.notifications.destinations.add.mutate({
      kind: 'ntfy',
      url: `${receiver.url}/models-topic`,
      events: ['download.failed'],
    });
    expect(ntfy.events).toEqual(['download.failed']);

    const file = origin.addFile('notify-me.dat', { size: 256 * 1024, seed: 5 });
    const done = await api.downloads.enqueue.mutate({
      url: `${file.url}?token=${URL_TOKEN}`,
      folder: 'loras',
    });
    await waitForStatus(api, done.jobId, 'completed');
    const failed = await api.downloads.enqueue.mutate({
      url: `${origin.url}/missing.dat?token=${URL_TOKEN}`,
      folder: 'loras',
    });
    await waitForStatus(api, failed.jobId, 'failed');

    await waitFor(() => receiver.received.length >= 3, 'three deliveries', 20_000);
    const page = await api.notifications.list.query({ limit: 10 });
    expect(page.unread).toBe(2);
    expect(page.items.map((item) => [item.event, item.subject.jobId])).toEqual([
      ['download.failed', failed.jobId],
      ['download.completed', done.jobId],
    ]);
    expect(page.items[1]!.message).toBe('loras/notify-me.dat (262.1 kB) is ready');

    const hooks = receiver.received.filter((request) => request.path.startsWith('/hook'));
    expect(hooks.map((request) => request.path)).toEqual([
      '/hook?sig=hook-query-secret',
      '/hook?sig=hook-query-secret',
    ]);
    const payloads = hooks.map((request) => JSON.parse(request.body) as WebhookPayload);
    expect(payloads.map((payload) => payload.event).sort()).toEqual([
      'download.completed',
      'download.failed',
    ]);
    const failure = payloads.find((payload) => payload.event === 'download.failed')!;
    expect(failure).toMatchObject({
      payloadVersion: 1,
      test: false,
      subject: { type: 'job', jobId: failed.jobId, status: 'failed' },
    });
    expect(failure.message).toBe(page.items[0]!.message);
    expect(failure.message.length).toBeGreaterThan(0);
    expect(hooks[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from('hook-user:hook-pass-123').toString('base64')}`,
    );
    expect(hooks[0]!.headers['content-type']).toBe('application/json');

    const topic = receiver.received.filter((request) => request.path === '/models-topic');
    expect(topic).toHaveLength(1);
    expect(topic[0]!.headers).toMatchObject({ tags: 'x,download.failed', priority: '4' });
    expect(topic[0]!.headers.title).toBe('Download failed: missing.dat');
    expect(topic[0]!.body).toBe(failure.message);

    for (const request of receiver.received) {
      const everything = `${request.path}\n${JSON.stringify(request.headers)}\n${request.body}`;
      for (const secret of [ACCESS_TOKEN, HF_TOKEN, URL_TOKEN])
        expect(everything).not.toContain(secret);
    }
    // Once each: nothing more arrives.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received).toHaveLength(3);

    expect(await api.notifications.markRead.mutate({ ids: [page.items[1]!.id] })).toEqual({
      marked: 1,
      unread: 1,
    });
    expect(await api.notifications.markRead.mutate({ all: true })).toEqual({
      marked: 1,
      unread: 0,
    });
    const destinations = await api.notifications.destinations.list.query();
    expect(
      destinations.every(
        (destination) => destination.lastSuccessAt !== null && destination.pendingDeliveries === 0,
      ),
    ).toBe(true);
    expect(JSON.stringify(destinations)).not.toMatch(/hook-pass-123|hook-query-secret|hook-user/);
  });

  it('"send test" reaches the destination, and a failure is answered with its reason and shown on it', async () => {
    const [webhook] = await api.notifications.destinations.list.query();
    const before = receiver.received.length;
    const ok = await api.notifications.destinations.test.mutate({ id: webhook!.id });
    expect(ok).toMatchObject({ ok: true, status: 200, error: null });
    expect(JSON.parse(receiver.received[before]!.body)).toMatchObject({
      test: true,
      title: 'modeldock test notification',
    });
    receiver.failNext = 1;
    const failed = await api.notifications.destinations.test.mutate({ id: webhook!.id });
    expect(failed).toMatchObject({
      ok: false,
      status: 503,
      error: `${receiver.url}/hook?… answered HTTP 503`,
    });
    expect(failed.destination.lastError).toBe(failed.error);
    expect(await api.notifications.destinations.remove.mutate({ id: webhook!.id })).toEqual({
      removed: true,
    });
    expect(
      (await api.notifications.destinations.list.query()).map((destination) => destination.kind),
    ).toEqual(['ntfy']);
  });
});
