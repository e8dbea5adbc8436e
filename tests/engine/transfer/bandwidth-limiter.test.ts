/** The token bucket, driven by a manual clock: bytes allowed are asserted against simulated time, never wall time. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createTokenBucketLimiter,
  takeFromAll,
} from '@modeldock/engine/internal/transfer/token-bucket-limiter';
import type { BandwidthLimiter } from '@modeldock/engine/internal/transfer/bandwidth';
import { transferFile } from '@modeldock/engine/internal/transfer/transfer-file';
import type { Clock } from '@modeldock/engine';
import { deterministicBytes, startFaultOrigin } from '../../support/fault-origin';
import type { FaultOrigin } from '../../support/fault-origin';
import { createHarness, fileRecord, recorder } from './transfer-harness';

interface ManualClock extends Clock {
  advance(ms: number): Promise<void>;
}

function manualClock(): ManualClock {
  let now = 0;
  let timers: Array<{ at: number; resolve: () => void }> = [];
  const settle = async (): Promise<void> => {
    for (let round = 0; round < 5; round++) await new Promise((resolve) => setImmediate(resolve));
  };
  return {
    now: () => now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        const timer = { at: now + ms, resolve };
        timers.push(timer);
        signal?.addEventListener(
          'abort',
          () => {
            timers = timers.filter((candidate) => candidate !== timer);
            reject(signal.reason);
          },
          { once: true },
        );
      }),
    advance: async (ms) => {
      const target = now + ms;
      await settle();
      for (;;) {
        const due = timers.filter((timer) => timer.at <= target).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        now = Math.max(now, due.at);
        timers = timers.filter((timer) => timer !== due);
        due.resolve();
        await settle();
      }
      now = target;
      await settle();
    },
  };
}

function track(promise: Promise<void>): { done: boolean; error: unknown } {
  const state = { done: false, error: undefined as unknown };
  promise.then(
    () => {
      state.done = true;
    },
    (error: unknown) => {
      state.error = error;
    },
  );
  return state;
}

const never = new AbortController().signal;

describe('token bucket limiter', () => {
  let clock: ManualClock;
  beforeEach(() => {
    clock = manualClock();
  });

  it('lets one burst through at once, then exactly the rate', async () => {
    const limiter = createTokenBucketLimiter(1000, clock);
    await limiter.take(1000, never);
    const next = track(limiter.take(500, never));
    await clock.advance(499);
    expect(next.done).toBe(false);
    await clock.advance(1);
    expect(next.done).toBe(true);
  });

  it('never allows more than burst + rate × time', async () => {
    const limiter = createTokenBucketLimiter(10_000, clock);
    let allowed = 0;
    let stop = false;
    const pump = (async () => {
      while (!stop) {
        await limiter.take(700, never);
        allowed += 700;
      }
    })();
    for (let second = 1; second <= 5; second++) {
      await clock.advance(1000);
      expect(allowed).toBeLessThanOrEqual(10_000 + 10_000 * second);
      expect(allowed).toBeGreaterThanOrEqual(10_000 * second - 700);
    }
    stop = true;
    await clock.advance(1000);
    await pump;
  });

  it('lets a chunk larger than the bucket through when full, and makes the next caller pay the debt', async () => {
    const limiter = createTokenBucketLimiter(1000, clock);
    await limiter.take(5000, never);
    const next = track(limiter.take(1, never));
    await clock.advance(3990);
    expect(next.done).toBe(false);
    await clock.advance(15);
    expect(next.done).toBe(true);
  });

  it('applies a new rate to connections already waiting', async () => {
    const limiter = createTokenBucketLimiter(100, clock);
    await limiter.take(100, never);
    const waiting = track(limiter.take(100, never));
    await clock.advance(10);
    expect(waiting.done).toBe(false);
    limiter.setRate(null);
    await clock.advance(0);
    expect(waiting.done).toBe(true);
    expect(limiter.rate).toBeNull();

    limiter.setRate(1000);
    expect(limiter.rate).toBe(1000);
    await limiter.take(1000, never);
    const slow = track(limiter.take(1000, never));
    limiter.setRate(1_000_000);
    await clock.advance(2);
    expect(slow.done).toBe(true);
  });

  it('serves waiters first come, first served', async () => {
    const limiter = createTokenBucketLimiter(100, clock);
    await limiter.take(100, never);
    const order: string[] = [];
    const first = limiter.take(100, never).then(() => order.push('first'));
    const second = limiter.take(10, never).then(() => order.push('second'));
    await clock.advance(1100);
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
  });

  it('rejects an aborted wait and lets the next waiter go', async () => {
    const limiter = createTokenBucketLimiter(100, clock);
    await limiter.take(100, never);
    const abort = new AbortController();
    const aborted = track(limiter.take(100, abort.signal));
    const after = track(limiter.take(50, never));
    abort.abort(new Error('paused'));
    await clock.advance(500);
    expect((aborted.error as Error).message).toBe('paused');
    expect(after.done).toBe(true);
    await expect(limiter.take(1, abort.signal)).rejects.toThrow('paused');
  });

  it('refuses a rate that is not a positive number', () => {
    expect(() => createTokenBucketLimiter(0, clock)).toThrow(RangeError);
    expect(() => createTokenBucketLimiter(null, clock).setRate(-5)).toThrow(RangeError);
  });

  it('takeFromAll waits on each limited limiter and skips unlimited ones', async () => {
    const calls: string[] = [];
    const recording = (name: string, rate: number | null): BandwidthLimiter => ({
      rate,
      setRate: () => undefined,
      take: async () => {
        calls.push(name);
      },
    });
    await takeFromAll(
      [recording('global', 10), recording('job', null), recording('other', 5)],
      1,
      never,
    );
    expect(calls).toEqual(['global', 'other']);
  });
});

describe('transfers draw every file byte from the limiters', () => {
  let origin: FaultOrigin;
  beforeEach(async () => {
    origin = await startFaultOrigin();
  });
  afterEach(async () => {
    await origin.close();
  });

  it('takes exactly the file size from the global and the job limiter', async () => {
    const harness = await createHarness();
    try {
      const taken = { global: 0, job: 0 };
      const counting = (key: keyof typeof taken): BandwidthLimiter => ({
        rate: 1e12,
        setRate: () => undefined,
        take: async (bytes) => {
          taken[key] += bytes;
        },
      });
      const served = origin.setFile('/limited.bin', deterministicBytes(250_000, 81));
      await transferFile(
        fileRecord(served.url),
        harness.context({ limiters: [counting('global'), counting('job')] }),
        recorder().callbacks,
      );
      expect(taken).toEqual({ global: 250_000, job: 250_000 });
    } finally {
      await harness.dispose();
    }
  });
});
