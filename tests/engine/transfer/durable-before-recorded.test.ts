/**
 * Durable before recorded: only bytes written before an fsync started are reported after it ends,
 * one fsync at a time, on schedule, and a failed fsync or report stops the stream.
 */
import { describe, expect, it } from 'vitest';
import { DurableSync, SYNC_AFTER_BYTES } from '@modeldock/engine/internal/transfer/durable-sync';
import { ProgressLedger } from '@modeldock/engine/internal/transfer/progress-ledger';
import type { PartialFile } from '@modeldock/engine/internal/transfer/partial-file';
import type { DurableProgress } from '@modeldock/engine/internal/transfer/file-transfer-api';

const INTERVAL_MS = 1_000;

/** A file whose fsyncs finish only when the test says so (or fail when told to). */
function rig(options: { publishFails?: boolean } = {}) {
  let now = 0;
  const pending: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  const file = {
    sync: () => new Promise<void>((resolve, reject) => pending.push({ resolve, reject })),
  } as unknown as PartialFile;
  const ledger = ProgressLedger.single(0, { etag: '"v1"', lastModified: null }, 10 * SYNC_AFTER_BYTES);
  const published: DurableProgress[] = [];
  const clock = { now: () => now, sleep: async () => undefined };
  const sync = new DurableSync(file, ledger, clock, INTERVAL_MS, async (progress) => {
    if (options.publishFails) throw new Error('database is gone');
    published.push(progress);
  });
  /** Writes `bytes` more and tells the syncer. */
  const write = (bytes: number) => {
    ledger.written += bytes;
    sync.maybeSync(ledger.written);
  };
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  return {
    sync,
    ledger,
    published,
    write,
    advance: (ms: number) => void (now += ms),
    fsyncsStarted: () => pending.length,
    finishFsync: async (index: number) => {
      pending[index]!.resolve();
      await tick();
    },
    failFsync: async (index: number) => {
      pending[index]!.reject(new Error('EIO: fsync failed'));
      await tick();
    },
  };
}

describe('what an fsync reports', () => {
  it('reports the bytes written before it started, not those written while it ran', async () => {
    const r = rig();
    r.write(100);
    r.advance(INTERVAL_MS);
    r.write(100); // 200 written, fsync starts
    expect(r.fsyncsStarted()).toBe(1);
    r.write(300); // written while the fsync runs
    await r.finishFsync(0);
    expect(r.published.map((progress) => progress.bytesDone)).toEqual([200]);
    expect(r.ledger.durable).toBe(200);
  });

  it('runs one fsync at a time, however much is written meanwhile', async () => {
    const r = rig();
    r.write(1);
    r.write(SYNC_AFTER_BYTES);
    r.advance(5 * INTERVAL_MS);
    r.write(SYNC_AFTER_BYTES);
    r.write(SYNC_AFTER_BYTES);
    expect(r.fsyncsStarted()).toBe(1);
    await r.finishFsync(0);
    r.write(1);
    expect(r.fsyncsStarted()).toBe(2);
  });

  it('publishes nothing when the fsync made nothing new durable', async () => {
    const r = rig();
    const flushed = r.sync.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.fsyncsStarted()).toBe(1);
    await r.finishFsync(0);
    await flushed;
    expect(r.published).toEqual([]);
  });
});

describe('when an fsync is due', () => {
  it('waits a full interval from the last fsync', async () => {
    const r = rig();
    r.write(10);
    r.advance(INTERVAL_MS);
    r.write(10); // t = 1000: due
    await r.finishFsync(0);
    r.advance(INTERVAL_MS - 1);
    r.write(10); // t = 1999: not yet
    expect(r.fsyncsStarted()).toBe(1);
    r.advance(1);
    r.write(10); // t = 2000
    expect(r.fsyncsStarted()).toBe(2);
  });

  it('counts bytes again from where a discarded partial restarts', async () => {
    const r = rig();
    r.write(1);
    r.write(2 * SYNC_AFTER_BYTES);
    expect(r.fsyncsStarted()).toBe(1);
    await r.finishFsync(0);
    r.ledger.written = 0; // the partial was discarded
    r.write(10);
    r.write(SYNC_AFTER_BYTES - 1);
    expect(r.fsyncsStarted()).toBe(1);
    r.write(1);
    expect(r.fsyncsStarted()).toBe(2);
  });

  it('restarts the interval after a flush', async () => {
    const r = rig();
    r.write(10);
    r.advance(INTERVAL_MS - 100);
    const flushed = r.sync.flush();
    await new Promise((resolve) => setImmediate(resolve));
    await r.finishFsync(0);
    await flushed;
    expect(r.published.map((progress) => progress.bytesDone)).toEqual([10]);
    r.advance(100);
    r.write(10); // a full interval after the start, but only 100 ms after the flush
    expect(r.fsyncsStarted()).toBe(1);
  });
});

describe('failures stop the stream', () => {
  it('raises a failed background fsync at the next chunk and at the flush, not at settle', async () => {
    const r = rig();
    r.write(1);
    r.advance(INTERVAL_MS);
    r.write(1);
    await r.failFsync(0);
    await expect(r.sync.settle()).resolves.toBeUndefined();
    expect(() => r.write(1)).toThrowError('EIO: fsync failed');
    await expect(r.sync.flush()).rejects.toThrowError('EIO: fsync failed');
    expect(r.fsyncsStarted()).toBe(1);
    expect(r.published).toEqual([]);
  });

  it('raises a failed report the same way', async () => {
    const r = rig({ publishFails: true });
    r.write(1);
    r.advance(INTERVAL_MS);
    r.write(1);
    await r.finishFsync(0);
    expect(() => r.write(1)).toThrowError('database is gone');
  });
});
