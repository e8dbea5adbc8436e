/**
 * Servers that close the connection after each response (HTTP/1.0 such as `python3 -m http.server`,
 * or `Connection: close`). undici 7 asserted its parser was not paused when such a connection ended
 * or was reset, so a body read slower than it arrived crashed the whole process from a socket event.
 * Each test holds the body unread (a closed bandwidth gate) until the server has closed or reset
 * the connection — the moment that crashed — and then expects a verified file. A reader that busy
 * must also keep the bytes that arrived before an early close, not lose them with the connection.
 * (The read-ahead queue now absorbs bodies this small; peer-close-guard.test.ts holds undici's own
 * body, which still pauses its parser once that queue is full.)
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { transferFile } from '@modeldock/engine/internal/transfer/transfer-file';
import type { BandwidthLimiter } from '@modeldock/engine/internal/transfer/bandwidth';
import {
  deterministicBytes,
  sha256Hex,
  startFaultOrigin,
  startHttp10Origin,
} from '../../support/fault-origin';
import type { FaultOrigin, Http10Origin } from '../../support/fault-origin';
import { createHarness, fileRecord, recorder } from './transfer-harness';
import type { Harness } from './transfer-harness';

let harness: Harness;

beforeEach(async () => {
  harness = await createHarness();
});
afterEach(async () => {
  await harness.dispose();
});

interface Gate {
  limiter: BandwidthLimiter;
  /** Resolves when the first body bytes asked to pass (the response has started). */
  asked: Promise<void>;
  open(): void;
}

/** A limiter that lets no byte through until opened, so the body waits unread meanwhile. */
function closedGate(): Gate {
  let open!: () => void;
  let asked!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const askedOnce = new Promise<void>((resolve) => (asked = resolve));
  return {
    asked: askedOnce,
    open,
    limiter: {
      rate: 1,
      setRate: () => undefined,
      take: async (_bytes, signal) => {
        asked();
        await Promise.race([
          opened,
          new Promise((_resolve, reject) =>
            signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
          ),
        ]);
      },
    },
  };
}

/** Lets the client's socket take in what the server handed to the OS (including its FIN or RST). */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20));
}

describe('an HTTP/1.0 origin that closes the connection after each response', () => {
  let origin: Http10Origin;
  beforeEach(async () => {
    origin = await startHttp10Origin();
  });
  afterEach(async () => {
    await origin.close();
  });

  // Sizes where the server's FIN arrives while the parser is paused on the body's last bytes.
  it.each([70_000, 100_000, 150_000])(
    'downloads a %i-byte file whose connection closed before the body was read',
    async (size) => {
      const served = origin.setFile('/model.bin', deterministicBytes(size, size));
      const gate = closedGate();
      const file = fileRecord(served.url);
      const transfer = transferFile(
        file,
        harness.context({ limiters: [gate.limiter] }),
        recorder().callbacks,
      );
      await (
        await origin.request(0)
      ).responded;
      await settle();
      gate.open();
      const result = await transfer;
      expect(result.sha256).toBe(served.sha256);
      expect(sha256Hex(await readFile(path.join(harness.root, file.relativePath)))).toBe(
        served.sha256,
      );
      expect(origin.requests).toHaveLength(1);
    },
  );

  it('turns a reset while the body waits unread into a retry, then a verified file', async () => {
    const served = origin.setFile('/reset.bin', deterministicBytes(300_000, 7));
    origin.script('/reset.bin', { kind: 'reset-after', bytes: 70_000 });
    const gate = closedGate();
    const record = recorder();
    const transfer = transferFile(
      fileRecord(served.url),
      harness.context({ limiters: [gate.limiter] }),
      record.callbacks,
    );
    await (
      await origin.request(0)
    ).responded;
    await settle();
    gate.open();
    const result = await transfer;
    expect(result.sha256).toBe(served.sha256);
    expect(origin.requests.map((request) => request.fault)).toEqual(['reset-after', 'serve']);
    // The reset is a failure worth retrying, never a body taken as complete.
    expect(record.stalled[0]?.code).toMatch(/^(NETWORK_ERROR|PREMATURE_EOF)$/);
  });

  it('never treats a reset as the end of the body, even when the bytes are read at once', async () => {
    const served = origin.setFile('/cut.bin', deterministicBytes(400_000, 8));
    origin.script('/cut.bin', { kind: 'reset-after', bytes: 100_000 });
    const record = recorder();
    const result = await transferFile(fileRecord(served.url), harness.context(), record.callbacks);
    expect(result.sha256).toBe(served.sha256);
    expect(origin.requests).toHaveLength(2);
  });
});

describe('a keep-alive server that closes mid-body while the reader is busy', () => {
  let origin: FaultOrigin;
  beforeEach(async () => {
    origin = await startFaultOrigin();
  });
  afterEach(async () => {
    await origin.close();
  });

  it('keeps every byte that arrived before the close: the resume starts after all of them', async () => {
    const served = origin.setFile('/early.bin', deterministicBytes(400_000, 21));
    origin.script('/early.bin', { kind: 'close-after', bytes: 200_000 });
    const gate = closedGate();
    const transfer = transferFile(
      fileRecord(served.url),
      harness.context({ limiters: [gate.limiter] }),
      recorder().callbacks,
    );
    await gate.asked;
    await origin.requestsTo('/early.bin')[0]!.finished;
    await settle();
    gate.open();
    expect((await transfer).sha256).toBe(served.sha256);
    const [first, resumed] = origin.requestsTo('/early.bin');
    expect(first!.bytesSent).toBe(200_000);
    expect(resumed!.headers.range).toBe('bytes=200000-');
  });
});

const hasPython = spawnSync('python3', ['--version']).status === 0;

describe.skipIf(!hasPython)('python3 -m http.server', () => {
  let folder: string;
  let server: ChildProcess;
  let baseUrl: string;

  beforeEach(async () => {
    folder = await mkdtemp(path.join(os.tmpdir(), 'modeldock-python-origin-'));
    server = spawn(
      'python3',
      ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', folder],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    baseUrl = await new Promise<string>((resolve, reject) => {
      let output = '';
      server.stdout!.on('data', (data: Buffer) => {
        output += data.toString();
        const match = /port (\d+)/.exec(output);
        if (match) resolve(`http://127.0.0.1:${match[1]}`);
      });
      server.once('exit', (code) => reject(new Error(`python3 http.server exited (${code})`)));
    });
  });
  afterEach(async () => {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill();
    await exited;
    await rm(folder, { recursive: true, force: true });
  });

  it.each([70_000, 100_000])(
    'downloads a %i-byte file read after the server closed the connection',
    async (size) => {
      const bytes = deterministicBytes(size, 11);
      await writeFile(path.join(folder, 'model.bin'), bytes);
      const gate = closedGate();
      const transfer = transferFile(
        fileRecord(`${baseUrl}/model.bin`),
        harness.context({ limiters: [gate.limiter] }),
        recorder().callbacks,
      );
      // python sends a body this small at once and closes; give it a moment before reading.
      await gate.asked;
      await new Promise((resolve) => setTimeout(resolve, 100));
      gate.open();
      expect((await transfer).sha256).toBe(sha256Hex(bytes));
    },
  );
});
