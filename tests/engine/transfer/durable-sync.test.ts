/** The background fsync: due every interval, and also after SYNC_AFTER_BYTES, so the last one is short. */
import { describe, expect, it } from 'vitest';
import { DurableSync, SYNC_AFTER_BYTES } from '@modeldock/engine/internal/transfer/durable-sync';
import type { PartialFile } from '@modeldock/engine/internal/transfer/partial-file';
import type { ProgressLedger } from '@modeldock/engine/internal/transfer/progress-ledger';

const INTERVAL_MS = 1_000;

/** A DurableSync over fakes that count fsyncs; the clock moves only when told to. */
function syncWithFakes() {
  let now = 0;
  let fsyncs = 0;
  const file = { sync: async () => void fsyncs++ } as unknown as PartialFile;
  const ledger = {
    captureWritten: () => ({ single: 0, segments: [] }),
    commit: () => false,
  } as unknown as ProgressLedger;
  const clock = { now: () => now, sleep: async () => undefined };
  const sync = new DurableSync(file, ledger, clock, INTERVAL_MS, async () => undefined);
  return {
    sync,
    fsyncs: () => fsyncs,
    advance: (ms: number) => void (now += ms),
    /** Lets a background fsync finish. */
    settle: () => sync.settle(),
  };
}

describe('DurableSync', () => {
  it('starts an fsync once SYNC_AFTER_BYTES were written, before the interval is up', async () => {
    const fake = syncWithFakes();
    fake.sync.maybeSync(0);
    fake.sync.maybeSync(SYNC_AFTER_BYTES - 1);
    await fake.settle();
    expect(fake.fsyncs()).toBe(0);
    fake.sync.maybeSync(SYNC_AFTER_BYTES);
    await fake.settle();
    expect(fake.fsyncs()).toBe(1);
    // Counted from where the last fsync started.
    fake.sync.maybeSync(2 * SYNC_AFTER_BYTES - 1);
    await fake.settle();
    expect(fake.fsyncs()).toBe(1);
    fake.sync.maybeSync(2 * SYNC_AFTER_BYTES);
    await fake.settle();
    expect(fake.fsyncs()).toBe(2);
  });

  it('counts from the first write of a resumed file, not from byte 0', async () => {
    const fake = syncWithFakes();
    fake.sync.maybeSync(10 * SYNC_AFTER_BYTES);
    await fake.settle();
    expect(fake.fsyncs()).toBe(0);
  });

  it('still syncs every interval when few bytes arrive', async () => {
    const fake = syncWithFakes();
    fake.sync.maybeSync(1);
    fake.advance(INTERVAL_MS);
    fake.sync.maybeSync(2);
    await fake.settle();
    expect(fake.fsyncs()).toBe(1);
  });
});
