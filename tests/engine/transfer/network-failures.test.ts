/** Failure cases 1–5: resets, silence, slow bodies, premature EOF, unreachable hosts. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { transferFile } from '@modeldock/engine/internal/transfer/transfer-file';
import { tempPathFor } from '@modeldock/engine';
import { deterministicBytes, startFaultOrigin } from '../../support/fault-origin';
import type { FaultOrigin } from '../../support/fault-origin';
import { createHarness, fileRecord, recorder } from './transfer-harness';
import type { Harness } from './transfer-harness';

let origin: FaultOrigin;
let harness: Harness;

beforeEach(async () => {
  origin = await startFaultOrigin();
  harness = await createHarness();
});
afterEach(async () => {
  await harness.dispose();
  await origin.close();
});

async function finalBytes(relativePath: string): Promise<Buffer> {
  return readFile(path.join(harness.root, relativePath));
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

describe('1. connection reset after N bytes', () => {
  it('resumes from the durable offset with Range + If-Range and never re-downloads the durable bytes', async () => {
    const size = 1_200_000;
    const served = origin.setFile('/reset.bin', deterministicBytes(size, 2));
    // The reset comes once the client has written at least 500 KB, so those bytes cannot be lost in flight.
    let received!: () => void;
    const written500k = new Promise<void>((resolve) => (received = resolve));
    origin.script('/reset.bin', { kind: 'reset-after', bytes: 600_000, before: written500k });
    const file = fileRecord(served.url, { expectedSha256: served.sha256 });
    const record = recorder({ onBytes: (bytes) => bytes >= 500_000 && received() });
    const result = await transferFile(file, harness.context(), record.callbacks);

    expect(result.sha256).toBe(served.sha256);
    expect((await finalBytes(file.relativePath)).equals(served.bytes)).toBe(true);
    const [first, second] = origin.requestsTo('/reset.bin');
    expect(first!.headers.range).toBeUndefined();
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(String(second!.headers.range))?.[1]);
    expect(resumedAt).toBeGreaterThanOrEqual(500_000);
    expect(resumedAt).toBeLessThanOrEqual(600_000);
    expect(second!.headers['if-range']).toBe(served.etag);
    expect(second!.status).toBe(206);
    // Bytes re-sent are only those the reset cut before they reached the disk.
    expect(origin.bytesSentFor('/reset.bin')).toBe(600_000 + (size - resumedAt));
    expect(record.stalled[0]).toMatchObject({
      code: expect.stringMatching(/NETWORK_ERROR|PREMATURE_EOF/),
    });
    expect(record.stalled.at(-1)).toBeNull();
  });

  it('records durable progress that never runs ahead of the bytes on disk', async () => {
    const served = origin.setFile('/durable.bin', deterministicBytes(256 * 1024, 3));
    const file = fileRecord(served.url);
    const tempPath = tempPathFor(path.join(harness.root, file.relativePath), file.id);
    const checks: Array<Promise<void>> = [];
    const record = recorder();
    const callbacks = {
      ...record.callbacks,
      onDurable: async (progress: { bytesDone: number }) => {
        const bytes = await readFile(tempPath);
        expect(bytes.length).toBeGreaterThanOrEqual(progress.bytesDone);
        expect(
          bytes
            .subarray(0, progress.bytesDone)
            .equals(served.bytes.subarray(0, progress.bytesDone)),
        ).toBe(true);
        checks.push(Promise.resolve());
        await record.callbacks.onDurable(progress as never);
      },
    };
    await transferFile(file, harness.context(), callbacks);
    expect(checks.length).toBeGreaterThan(1);
    const done = record.durable.map((progress) => progress.bytesDone);
    expect([...done].sort((a, b) => a - b)).toEqual(done);
  });
});

describe('2. connection open but silent', () => {
  it('fires the idle timeout, reports the stall, and resumes on a new connection', async () => {
    const served = origin.setFile('/silent.bin', deterministicBytes(200_000, 4));
    origin.script('/silent.bin', { kind: 'silent-after', bytes: 64 * 1024 });
    const file = fileRecord(served.url, { expectedSha256: served.sha256 });
    const record = recorder();
    const result = await transferFile(file, harness.context(), record.callbacks);
    expect(result.sha256).toBe(served.sha256);
    expect(record.stalled[0]).toMatchObject({ code: 'IDLE_TIMEOUT', attempt: 2 });
    expect(record.stalled[0]!.reason).toMatch(/No data .* stalled/);
    expect(Date.parse(record.stalled[0]!.nextAttemptAt)).not.toBeNaN();
    expect(origin.requestsTo('/silent.bin')[1]!.headers.range).toMatch(/^bytes=\d+-$/);
  });

  it('times out a server that never sends response headers', async () => {
    const served = origin.setFile('/mute.bin', deterministicBytes(10_000, 5));
    origin.script('/mute.bin', { kind: 'no-response' });
    const record = recorder();
    const result = await transferFile(fileRecord(served.url), harness.context(), record.callbacks);
    expect(result.sha256).toBe(served.sha256);
    expect(record.stalled[0]?.code).toBe('IDLE_TIMEOUT');
  });

  it('fails with IDLE_TIMEOUT once attempts without progress run out, keeping the partial for later', async () => {
    const served = origin.setFile('/dead.bin', deterministicBytes(100_000, 6));
    origin.script(
      '/dead.bin',
      { kind: 'silent-after', bytes: 0 },
      { kind: 'silent-after', bytes: 0 },
      { kind: 'silent-after', bytes: 0 },
      {
        kind: 'silent-after',
        bytes: 0,
      },
    );
    const file = fileRecord(served.url);
    await expect(transferFile(file, harness.context(), recorder().callbacks)).rejects.toMatchObject(
      {
        code: 'IDLE_TIMEOUT',
        message: expect.stringContaining('gave up after 4 attempts'),
      },
    );
    expect(origin.requestsTo('/dead.bin')).toHaveLength(4);
    expect(await exists(path.join(harness.root, file.relativePath))).toBe(false);
  });
});

describe('3. very slow but steady body', () => {
  it('is never killed while each byte arrives within the idle timeout', async () => {
    // 40 chunks, one every 25 ms: a second in total, twice the 500 ms idle timeout, with wide margins per gap.
    const served = origin.setFile('/slow.bin', deterministicBytes(40 * 256, 7));
    origin.script('/slow.bin', { kind: 'trickle', chunkBytes: 256, intervalMs: 25 });
    const record = recorder();
    const context = harness.context({ config: { ...harness.config, idleTimeoutMs: 500 } });
    const result = await transferFile(fileRecord(served.url), context, record.callbacks);
    expect(result.sha256).toBe(served.sha256);
    expect(origin.requestsTo('/slow.bin')).toHaveLength(1);
    expect(record.stalled).toEqual([]);
  });
});

describe('4. body shorter than Content-Length', () => {
  it('is retried as PREMATURE_EOF and the file completes correctly', async () => {
    const served = origin.setFile('/short.bin', deterministicBytes(120_000, 8));
    origin.script('/short.bin', { kind: 'close-after', bytes: 50_000 });
    const record = recorder();
    const result = await transferFile(fileRecord(served.url), harness.context(), record.callbacks);
    expect(result.sha256).toBe(served.sha256);
    expect(record.stalled[0]?.code).toBe('PREMATURE_EOF');
  });

  it('is never completed when every attempt ends early', async () => {
    const served = origin.setFile('/never.bin', deterministicBytes(120_000, 9));
    origin.script(
      '/never.bin',
      ...Array.from({ length: 4 }, () => ({ kind: 'close-after' as const, bytes: 0 })),
    );
    const file = fileRecord(served.url);
    await expect(transferFile(file, harness.context(), recorder().callbacks)).rejects.toMatchObject(
      { code: 'PREMATURE_EOF' },
    );
    expect(await exists(path.join(harness.root, file.relativePath))).toBe(false);
  });
});

describe('5. DNS failure and connection refused', () => {
  it('retries a refused connection a bounded number of times, then fails with the reason', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const file = fileRecord(`http://127.0.0.1:${port}/gone.bin`);
    const record = recorder();
    await expect(transferFile(file, harness.context(), record.callbacks)).rejects.toMatchObject({
      code: 'CONNECTION_REFUSED',
    });
    expect(record.stalled.filter((state) => state !== null)).toHaveLength(
      harness.config.maxAttempts - 1,
    );
    expect(harness.clock.sleeps).toHaveLength(harness.config.maxAttempts - 1);
  });

  it('reports a host name that does not resolve as DNS_FAILED', async () => {
    const file = fileRecord('http://no-such-host.invalid/model.bin');
    await expect(transferFile(file, harness.context(), recorder().callbacks)).rejects.toMatchObject(
      { code: 'DNS_FAILED' },
    );
  });
});

describe('waiting for a free connection to the host', () => {
  it('is not mistaken for a stall', async () => {
    const queued = await createHarness({ connectionsPerHost: 1, idleTimeoutMs: 300 });
    try {
      const first = origin.setFile('/first.bin', deterministicBytes(200_000, 10));
      const second = origin.setFile('/second.bin', deterministicBytes(200_000, 11));
      // Each body takes about 0.8 s: the second request waits for the only connection longer than the idle timeout.
      origin.setThrottle(250_000);
      const records = [recorder(), recorder()];
      const results = await Promise.all([
        transferFile(fileRecord(first.url), queued.context(), records[0]!.callbacks),
        transferFile(fileRecord(second.url), queued.context(), records[1]!.callbacks),
      ]);
      expect(results.map((result) => result.sha256)).toEqual([first.sha256, second.sha256]);
      expect(records.flatMap((record) => record.stalled)).toEqual([]);
    } finally {
      await queued.dispose();
    }
  });
});
