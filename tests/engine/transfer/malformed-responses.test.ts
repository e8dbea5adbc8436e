/**
 * No input from a server takes the process down: a raw TCP origin answers with broken HTTP in every
 * way the parser can see (not HTTP, cut headers, bad headers, bad chunking, resets and closes at each
 * stage), and each download ends in a ModeldockError with a stable code, never an exception escaping
 * from a socket event (vitest fails the run on any uncaught error).
 */
import net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModeldockError } from '@modeldock/engine';
import { transferFile } from '@modeldock/engine/internal/transfer/transfer-file';
import { createHarness, failureOf, fileRecord, recorder } from './transfer-harness';
import type { Harness } from './transfer-harness';

type Reply = (socket: Socket) => void;

const HEAD_200 = 'HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n';

const REPLIES: Array<[string, Reply]> = [
  ['not HTTP at all', (socket) => socket.end('SSH-2.0-OpenSSH_9.6\r\n')],
  ['an empty reply', (socket) => socket.end()],
  ['headers cut off by a close', (socket) => socket.end(`${HEAD_200}Content-Len`)],
  [
    'headers cut off by a reset',
    (socket) => socket.write(HEAD_200, () => socket.resetAndDestroy()),
  ],
  ['a header line without a colon', (socket) => socket.end(`${HEAD_200}Broken\r\n\r\nbody`)],
  [
    'two different Content-Lengths',
    (socket) => socket.end(`${HEAD_200}Content-Length: 4\r\nContent-Length: 5\r\n\r\nbody`),
  ],
  ['a negative Content-Length', (socket) => socket.end(`${HEAD_200}Content-Length: -4\r\n\r\n`)],
  [
    'a chunk size that is not hex',
    (socket) => socket.end(`${HEAD_200}Transfer-Encoding: chunked\r\n\r\nZZ\r\nbody\r\n0\r\n\r\n`),
  ],
  [
    'chunked body cut off by a close',
    (socket) => socket.end(`${HEAD_200}Transfer-Encoding: chunked\r\n\r\n1000\r\nabc`),
  ],
  [
    'a body cut off by a reset',
    (socket) =>
      socket.write(`${HEAD_200}Content-Length: 100000\r\n\r\n${'x'.repeat(50_000)}`, () =>
        socket.resetAndDestroy(),
      ),
  ],
  [
    'headers larger than any sane server sends',
    (socket) => socket.end(`${HEAD_200}X-Big: ${'a'.repeat(256 * 1024)}\r\n\r\n`),
  ],
  [
    'a status code out of range',
    (socket) => socket.end('HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n'),
  ],
];

let harness: Harness;
let server: net.Server;
const sockets = new Set<Socket>();
let url = '';
let reply: Reply = (socket) => socket.end();

beforeEach(async () => {
  harness = await createHarness({ maxAttempts: 2 });
  server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', () => reply(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/model.bin`;
});
afterEach(async () => {
  await harness.dispose();
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('broken HTTP from a server', () => {
  it.each(REPLIES)('%s ends in a ModeldockError', async (_name, broken) => {
    reply = broken;
    const error = await failureOf(
      transferFile(fileRecord(url), harness.context(), recorder().callbacks),
    );
    expect(error).toBeInstanceOf(ModeldockError);
    expect(error.code).toMatch(
      /^(NETWORK_ERROR|PREMATURE_EOF|HTTP_ERROR|SERVER_ERROR|IDLE_TIMEOUT|SIZE_MISMATCH)$/,
    );
  });
});
