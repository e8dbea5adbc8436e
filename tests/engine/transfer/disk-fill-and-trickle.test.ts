/**
 * A source must not be able to fill the disk or hold a slot forever (issue 9, item 3): a
 * decompression bomb is refused, a body of unknown length stops at the free space less the
 * reserve, and a trickle slower than the minimum speed counts as a stall.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { transferFile } from '@modeldock/engine/internal/transfer/transfer-file';
import { createNodeFileSystem } from '@modeldock/engine/internal/fs/node-file-system';
import { watchIdle, IdleWatchdog } from '@modeldock/engine/internal/transfer/idle-timeout';
import {
  capBody,
  expandsTooMuch,
  RATIO_CHECK_AFTER_BYTES,
} from '@modeldock/engine/internal/transfer/body-limits';
import { deterministicBytes, startFaultOrigin } from '../../support/fault-origin';
import type { FaultOrigin } from '../../support/fault-origin';
import { faultFileSystem } from '../../support/fault-file-system';
import { createHarness, failureOf, fileRecord, recorder } from './transfer-harness';
import type { Harness } from './transfer-harness';

let origin: FaultOrigin;
let harness: Harness | null = null;

beforeEach(async () => {
  origin = await startFaultOrigin();
});
afterEach(async () => {
  await harness?.dispose();
  harness = null;
  await origin.close();
});

describe('a compressed body that expands like a bomb', () => {
  it('is refused once it passes 100-fold, without a retry, long before it is written whole', async () => {
    // 40 MiB of zeros gzip to about 40 KB: a thousandfold.
    const served = origin.setFile('/bomb.safetensors', Buffer.alloc(40 * 1024 * 1024));
    origin.script('/bomb.safetensors', { kind: 'encoded', encoding: 'gzip' });
    harness = await createHarness();
    const record = recorder();
    const error = await failureOf(
      transferFile(fileRecord(served.url), harness.context(), record.callbacks),
    );
    expect(error).toMatchObject({ code: 'HTTP_ERROR', retryable: false });
    expect(error.message).toMatch(/expanded more than 100-fold/);
    expect(origin.requestsTo('/bomb.safetensors')).toHaveLength(1);
    // At most the bytes before the check tripped reached the disk.
    expect(Math.max(0, ...record.received)).toBeLessThanOrEqual(
      RATIO_CHECK_AFTER_BYTES + 1024 * 1024,
    );
  });

  it('lets an ordinary compressed body through, and judges the ratio only past 16 MiB', () => {
    expect(expandsTooMuch(100_000, RATIO_CHECK_AFTER_BYTES)).toBe(false);
    expect(expandsTooMuch(1_000, RATIO_CHECK_AFTER_BYTES + 1)).toBe(true);
    expect(expandsTooMuch(RATIO_CHECK_AFTER_BYTES, RATIO_CHECK_AFTER_BYTES * 2)).toBe(false);
  });
});

describe('a body of unknown length', () => {
  it('stops at the free space less the reserve, keeps what it wrote, and does not retry', async () => {
    const served = origin.setFile('/endless.bin', deterministicBytes(3_000_000, 301));
    origin.script('/endless.bin', { kind: 'unknown-length' });
    // 2 MB free with a 1 MB reserve: 1 MB may be written.
    const disk = faultFileSystem(createNodeFileSystem(), { freeBytes: 2_000_000 });
    harness = await createHarness({ diskReserveBytes: 1_000_000 }, disk);
    const record = recorder();
    const error = await failureOf(
      transferFile(fileRecord(served.url), harness.context(), record.callbacks),
    );
    expect(error).toMatchObject({ code: 'DISK_FULL', retryable: false });
    expect(error.message).toMatch(/without saying how much more would come/);
    expect(origin.requestsTo('/endless.bin')).toHaveLength(1);
    expect(Math.max(0, ...record.received)).toBeLessThanOrEqual(1_000_000);
  });

  it('completes when it fits', async () => {
    const served = origin.setFile('/short.bin', deterministicBytes(200_000, 302));
    origin.script('/short.bin', { kind: 'unknown-length' });
    harness = await createHarness({ diskReserveBytes: 1_000_000 });
    const result = await transferFile(
      fileRecord(served.url, { expectedSha256: served.sha256 }),
      harness.context(),
      recorder().callbacks,
    );
    expect(result).toMatchObject({ sha256: served.sha256, bytesTotal: 200_000 });
  });

  it('capBody yields up to the limit and throws on the chunk that crosses it', async () => {
    async function* chunks() {
      yield new Uint8Array(400);
      yield new Uint8Array(400);
      yield new Uint8Array(400);
    }
    const seen: number[] = [];
    const run = (async () => {
      for await (const chunk of capBody(chunks(), 1000, (bytes) => new Error(`over at ${bytes}`)))
        seen.push(chunk.length);
    })();
    await expect(run).rejects.toThrow('over at 1200');
    expect(seen).toEqual([400, 400]);
  });
});

describe('the minimum-speed rule', () => {
  /** A body whose chunks each take `waitMs` of (fake) network time. */
  function fakeBody(chunks: number[], clock: { now: number }, waitMs: number) {
    return {
      async *[Symbol.asyncIterator]() {
        for (const size of chunks) {
          clock.now += waitMs;
          yield new Uint8Array(size);
        }
      },
    };
  }

  it('stalls a connection that averages under the minimum over a whole window, on an injected clock', async () => {
    const clock = { now: 0 };
    const watchdog = new IdleWatchdog(60_000, () => undefined);
    // 2 bytes every 2 s: alive for the idle timeout, far under 1 KB/s.
    const body = watchIdle(fakeBody(Array(100).fill(2), clock, 2_000), watchdog, {
      bytesPerSecond: 1024,
      windowMs: 60_000,
      now: () => clock.now,
      url: 'https://cdn.example/trickle.bin',
    });
    let received = 0;
    const run = (async () => {
      for await (const chunk of body) received += chunk.length;
    })();
    await expect(run).rejects.toMatchObject({
      code: 'IDLE_TIMEOUT',
      retryable: true,
      message: expect.stringMatching(/under 1024 bytes per second for 60 s/),
    });
    // Judged when the first whole window (30 chunks of 2 s) is over, not before.
    expect(clock.now).toBe(60_000);
    expect(received).toBe(58);
    watchdog.dispose();
  });

  it('lets a slow but sufficient connection run, window after window', async () => {
    const clock = { now: 0 };
    const watchdog = new IdleWatchdog(60_000, () => undefined);
    // 2 KB per second.
    const body = watchIdle(fakeBody(Array(200).fill(2048), clock, 1_000), watchdog, {
      bytesPerSecond: 1024,
      windowMs: 60_000,
      now: () => clock.now,
      url: 'https://cdn.example/slow.bin',
    });
    let received = 0;
    for await (const chunk of body) received += chunk.length;
    expect(received).toBe(200 * 2048);
    watchdog.dispose();
  });

  it('makes a real trickle reconnect and then fail as stalled, rather than hold the slot', async () => {
    const served = origin.setFile('/trickle.bin', deterministicBytes(100_000, 303));
    const trickle = { kind: 'trickle', chunkBytes: 10, intervalMs: 20 } as const;
    origin.script('/trickle.bin', trickle, trickle, trickle);
    harness = await createHarness({ minSpeedBps: 5_000, minSpeedWindowMs: 200, maxAttempts: 2 });
    const record = recorder();
    const error = await failureOf(
      transferFile(fileRecord(served.url), harness.context(), record.callbacks),
    );
    expect(error).toMatchObject({ code: 'IDLE_TIMEOUT' });
    expect(error.message).toMatch(/under 5000 bytes per second.*gave up after 2 attempts/);
    // Stalled, reconnected (resuming after what had arrived), stalled again: the attempts ran out.
    expect(record.stalled.filter(Boolean)[0]).toMatchObject({ code: 'IDLE_TIMEOUT' });
    expect(origin.requestsTo('/trickle.bin').length).toBe(2);
  });
});
