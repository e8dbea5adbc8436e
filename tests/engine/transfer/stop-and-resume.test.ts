/** Pause, cancel and lost leases stop the transfer at once and keep what is durable; progress resets the attempt budget. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ModeldockError, tempPathFor } from '@modeldock/engine';
import { transferFile } from '@modeldock/engine/internal/transfer/transfer-file';
import { errorForStatus, readErrorDetail } from '@modeldock/engine/internal/http/response-errors';
import { deterministicBytes, startFaultOrigin } from '../../support/fault-origin';
import type { FaultOrigin } from '../../support/fault-origin';
import { createHarness, failureOf, fileRecord, recorder } from './transfer-harness';
import type { Harness } from './transfer-harness';

let origin: FaultOrigin;
let harness: Harness;

beforeEach(async () => {
  origin = await startFaultOrigin();
  harness = await createHarness({ syncIntervalMs: 20 });
});
afterEach(async () => {
  await harness.dispose();
  await origin.close();
});

describe('stopping a transfer', () => {
  it('pauses with the job layer’s reason, records every written byte as durable, and resumes from it', async () => {
    const served = origin.setFile('/pause.bin', deterministicBytes(600_000, 111));
    origin.setThrottle(1_000_000);
    const file = fileRecord(served.url, { expectedSha256: served.sha256 });
    const pause = new AbortController();
    const record = recorder({
      onBytes: (bytes) => {
        if (bytes > 200_000 && !pause.signal.aborted)
          pause.abort(new ModeldockError('CANCELLED', 'Paused by the user'));
      },
    });
    const error = await failureOf(
      transferFile(file, harness.context({ signal: pause.signal }), record.callbacks),
    );
    expect(error).toMatchObject({ code: 'CANCELLED', message: 'Paused by the user' });
    const durable = record.lastDurable()!;
    const temp = await readFile(tempPathFor(path.join(harness.root, file.relativePath), file.id));
    expect(durable.bytesDone).toBe(temp.length);
    expect(durable.bytesDone).toBeGreaterThanOrEqual(200_000);
    expect(temp.equals(served.bytes.subarray(0, temp.length))).toBe(true);

    origin.setThrottle(null);
    const result = await transferFile(
      {
        ...file,
        bytesDone: durable.bytesDone,
        validator: durable.validator,
        bytesTotal: durable.bytesTotal,
      },
      harness.context(),
      recorder().callbacks,
    );
    expect(result.sha256).toBe(served.sha256);
    expect(origin.requestsTo('/pause.bin')[1]!.headers.range).toBe(`bytes=${durable.bytesDone}-`);
  });

  it('stops at once when onDurable fails (the lease was lost), without retrying', async () => {
    const served = origin.setFile('/lease.bin', deterministicBytes(600_000, 112));
    origin.setThrottle(2_000_000);
    const record = recorder();
    const callbacks = {
      ...record.callbacks,
      onDurable: async () => {
        throw new ModeldockError('LEASE_LOST', 'Another worker owns this job');
      },
    };
    const file = fileRecord(served.url);
    const error = await failureOf(transferFile(file, harness.context(), callbacks));
    expect(error).toMatchObject({ code: 'LEASE_LOST' });
    expect(origin.requestsTo('/lease.bin')).toHaveLength(1);
    expect(await stat(path.join(harness.root, file.relativePath)).catch(() => null)).toBeNull();
  });

  it('refuses to start when already stopped', async () => {
    const stopped = new AbortController();
    stopped.abort(new Error('shutdown'));
    const error = await failureOf(
      transferFile(
        fileRecord(`${origin.url}/x.bin`),
        harness.context({ signal: stopped.signal }),
        recorder().callbacks,
      ),
    );
    expect(error).toMatchObject({ code: 'CANCELLED' });
    expect(origin.requests).toHaveLength(0);
  });

  it('stops while waiting to retry', async () => {
    origin.script('/wait.bin', { kind: 'status', status: 503 });
    const stop = new AbortController();
    const context = harness.context({
      signal: stop.signal,
      clock: {
        now: () => Date.now(),
        sleep: (_ms, signal) =>
          new Promise<void>((_resolve, reject) => {
            signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
            stop.abort(new ModeldockError('SHUTDOWN', 'Server shutting down'));
          }),
      },
    });
    const error = await failureOf(
      transferFile(fileRecord(`${origin.url}/wait.bin`), context, recorder().callbacks),
    );
    expect(error).toMatchObject({ code: 'SHUTDOWN' });
  });
});

describe('the attempt budget', () => {
  it('counts only failures without progress: a connection that keeps dropping but advances still finishes', async () => {
    const served = origin.setFile('/drops.bin', deterministicBytes(400_000, 113));
    const faults = Array.from({ length: 8 }, (_, index) => ({
      kind: 'close-after' as const,
      bytes: 30_000 + index,
    }));
    origin.script('/drops.bin', ...faults);
    const result = await transferFile(
      fileRecord(served.url, { expectedSha256: served.sha256 }),
      harness.context({ config: { ...harness.config, syncIntervalMs: 0 } }),
      recorder().callbacks,
    );
    expect(result.sha256).toBe(served.sha256);
    expect(origin.requestsTo('/drops.bin').length).toBeGreaterThan(harness.config.maxAttempts);
  });
});

describe('status errors', () => {
  const context = {
    url: 'https://cdn.example.com/file.bin?sig=secret',
    nowMs: 0,
    credential: null,
    credentialSent: false,
  };

  it.each([
    [408, 'HTTP_ERROR', true],
    [400, 'HTTP_ERROR', false],
    [500, 'SERVER_ERROR', true],
    [501, 'SERVER_ERROR', false],
    [503, 'SERVER_ERROR', true],
  ])('%i → %s (retryable: %s)', (status, code, retryable) => {
    const error = errorForStatus(status, {}, context);
    expect(error).toMatchObject({ code, retryable, httpStatus: status });
    expect(error.message).not.toContain('secret');
  });

  it('reads the server’s explanation from JSON or text, never from HTML', async () => {
    const response = (body: string, type: string) => ({
      status: 400,
      headers: { 'content-type': type },
      body: (async function* () {
        yield Buffer.from(body);
      })(),
      dump: async () => undefined,
    });
    expect(
      await readErrorDetail(response('{"error":"Bad","message":"Very bad"}', 'application/json')),
    ).toBe('Very bad: Bad');
    expect(await readErrorDetail(response('{"other":1}', 'application/json'))).toBeNull();
    expect(await readErrorDetail(response('{broken', 'application/json'))).toBeNull();
    expect(await readErrorDetail(response('plain\nreason ?token=abc123', 'text/plain'))).toBe(
      'plain reason ?token=[redacted]',
    );
    expect(await readErrorDetail(response('<html>x</html>', 'text/html'))).toBeNull();
    expect(await readErrorDetail(response('<p>x</p>', 'text/plain'))).toBeNull();
    expect(await readErrorDetail(response('', 'text/plain'))).toBeNull();
  });
});
