/**
 * guardPeerClose on undici itself, without the read-ahead that usually keeps its parser from
 * pausing: a body left unread while an HTTP/1.0 server closes (FIN) or resets (RST) the connection
 * used to throw `assert(!this.paused)` from a socket event and end the process (nodejs/undici#5360).
 * Each test holds the body until the server is done, the moment that crashed.
 */
import net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { Agent, buildConnector } from 'undici';
import type { Dispatcher } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { guardPeerClose } from '@modeldock/engine/internal/http/peer-close-guard';
import { deterministicBytes, startHttp10Origin } from '../../support/fault-origin';
import type { Http10Origin } from '../../support/fault-origin';

/** An agent wired like the engine's client: undici's connector, each connection guarded. */
function guardedAgent(): Agent {
  const connect = buildConnector({});
  return new Agent({
    connect: (options, callback) =>
      connect(options, (...args) => {
        if (args[0] === null) callback(null, guardPeerClose(args[1]));
        else callback(args[0], null);
      }),
  });
}

/** Lets the client's socket take in what the server handed to the OS (including its FIN or RST). */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20));
}

async function readAll(body: Dispatcher.ResponseData['body']): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

let agent: Agent;
let origin: Http10Origin;

beforeEach(async () => {
  agent = guardedAgent();
  origin = await startHttp10Origin();
});
afterEach(async () => {
  await agent.close();
  await origin.close();
});

async function requestHeld(path: string): Promise<Dispatcher.ResponseData> {
  const response = await agent.request({ origin: origin.url, path, method: 'GET' });
  await (
    await origin.request(origin.requests.length - 1)
  ).responded;
  await settle();
  return response;
}

describe('a body read only after the server closed the connection', () => {
  it.each([70_000, 100_000])('arrives whole (%i bytes with Content-Length)', async (size) => {
    const bytes = deterministicBytes(size, 31);
    origin.setFile('/model.bin', bytes);
    const response = await requestHeld('/model.bin');
    expect((await readAll(response.body)).equals(bytes)).toBe(true);
  });

  it.each([70_000, 100_000])('arrives whole (%i bytes ended by the close itself)', async (size) => {
    const bytes = deterministicBytes(size, 32);
    origin.setFile('/open-ended.bin', bytes);
    origin.script('/open-ended.bin', { kind: 'no-length' });
    const response = await requestHeld('/open-ended.bin');
    expect((await readAll(response.body)).equals(bytes)).toBe(true);
  });

  it('ends in an error, never as a complete body, when the server reset it', async () => {
    origin.setFile('/reset.bin', deterministicBytes(300_000, 33));
    origin.script('/reset.bin', { kind: 'reset-after', bytes: 70_000 });
    const response = await requestHeld('/reset.bin');
    // The kernel reports the reset, or an end short of Content-Length: an error either way.
    await expect(readAll(response.body)).rejects.toThrow(/reset|content-length/i);
  });

  it('reports a reset as a plain socket error that keeps ECONNRESET as its cause', async () => {
    const server = net.createServer((socket) => socket.on('error', () => undefined));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const socket = guardPeerClose(net.connect((server.address() as AddressInfo).port, '127.0.0.1'));
    const failed = new Promise<Error & { code?: string; cause?: { code?: string } }>((resolve) =>
      socket.once('error', resolve),
    );
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    socket.destroy(reset);
    const error = await failed;
    // undici treats an ECONNRESET code as "maybe the body is complete"; this one it fails with.
    expect(error.code).toBeUndefined();
    expect(error.message).toContain('reset the connection');
    expect(error.cause).toBe(reset);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

describe('a kept-alive connection the server closes while idle', () => {
  let server: net.Server;
  const sockets = new Set<Socket>();
  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('is not used for the next request: the close reaches undici at once', async () => {
    const closed: Array<Promise<void>> = [];
    server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      closed.push(new Promise((resolve) => socket.on('close', () => resolve())));
      socket.once('data', () => {
        // A keep-alive answer, then the server changes its mind and closes the idle connection.
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', () => socket.end());
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const first = await agent.request({ origin: url, path: '/', method: 'GET' });
    expect((await readAll(first.body)).toString()).toBe('ok');
    await closed[0];
    const second = await agent.request({ origin: url, path: '/', method: 'GET' });
    expect((await readAll(second.body)).toString()).toBe('ok');
    expect(closed).toHaveLength(2);
  });
});
