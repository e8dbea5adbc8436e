/**
 * The HTTP/WebSocket listener in-process, with a stand-in download manager: API and static paths on
 * one port, a clear error when the port is taken, and no new connection once it stops accepting.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { DownloadManager, ModelLibrary, Notifications, RefreshTasks } from '@modeldock/engine';
import { startListener } from '../../apps/server/src/http/listener';
import type { Listener } from '../../apps/server/src/http/listener';
import { createOriginGuard } from '../../apps/server/src/http/origin-guard';
import { createAccessGate } from '../../apps/server/src/http/access-gate';
import { createJobEventHub } from '../../apps/server/src/events/job-event-hub';
import { connectHttp } from '../e2e/api-client';

const manager = {
  subscribe: () => () => undefined,
  eventsAfter: async () => [],
  getBandwidthLimits: () => ({ globalBps: 1234 }),
  setGlobalBandwidthLimit: (globalBps: number | null) => ({ globalBps }),
} as unknown as DownloadManager;
/** Never called by these tests: they exercise the listener, not the library. */
const library = {} as ModelLibrary;
const tasks = {} as RefreshTasks;
const notifications = {} as Notifications;

type ListenerLogger = Parameters<typeof startListener>[0]['logger'];
const silentLogger = { error() {}, warn() {}, info() {}, debug() {} } as unknown as ListenerLogger;

function start(port = 0): Promise<Listener> {
  return startListener({
    host: '127.0.0.1',
    port,
    context: {
      manager,
      events: createJobEventHub(manager),
      library,
      tasks,
      notifications,
      database: 'pglite',
      version: 'test',
    },
    originGuard: createOriginGuard({ listenHost: '127.0.0.1', allowedOrigins: [] }),
    accessGate: createAccessGate({ token: null }),
    serveStaticFile: async (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('static');
    },
    logger: silentLogger,
  });
}

describe('listener', () => {
  const open: Listener[] = [];
  afterEach(async () => {
    for (const listener of open.splice(0)) await listener.close();
  });

  it('serves the API at /trpc and everything else as static files, on one port', async () => {
    const listener = await start();
    open.push(listener);
    expect(listener.url).toBe(`http://127.0.0.1:${listener.port}`);
    const api = connectHttp(listener.url);
    expect(await api.health.query()).toEqual({
      ok: true,
      version: 'test',
      database: 'pglite',
      node: null,
      workers: [],
    });
    expect(await api.downloads.limits.query()).toMatchObject({ globalBps: 1234, source: 'manual' });
    expect(await (await fetch(`${listener.url}/anything/else`)).text()).toBe('static');
  });

  it('refuses WebSocket upgrades outside /trpc', async () => {
    const listener = await start();
    open.push(listener);
    const status = await new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(`ws://127.0.0.1:${listener.port}/elsewhere`);
      socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.once('error', reject);
    });
    expect(status).toBe(404);
  });

  it('says which port is taken and how to choose another', async () => {
    const blocker = http.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      await expect(start(port)).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(
          new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is already in use.*--port`),
        ),
      });
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('once stopping, still answers a call it already received but takes no new connection', async () => {
    const listener = await start();
    open.push(listener);
    const body = JSON.stringify({ bytesPerSecond: 5000 });
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = http.request(
        `${listener.url}/trpc/downloads.setGlobalBandwidthLimit`,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (incoming) => {
          let text = '';
          incoming.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body: text }));
        },
      );
      request.on('error', reject);
      // Headers go now; the body only after the server has started to stop.
      request.flushHeaders();
      setTimeout(() => {
        listener.stopAccepting();
        request.end(body);
      }, 100);
    });
    const answered = await response;
    expect(answered.status).toBe(200);
    expect(JSON.parse(answered.body)).toMatchObject({ result: { data: { globalBps: 5000, manualBps: 5000, source: 'manual' } } });
    await expect(fetch(`${listener.url}/trpc/health`)).rejects.toThrow();
  });
});
