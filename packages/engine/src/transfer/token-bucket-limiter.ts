/**
 * The BandwidthLimiter: a token bucket refilled at `rate` bytes per second holding at most one
 * burst's worth. Waiters are served first come, first served; a chunk bigger than the burst is let
 * through once the bucket is full and paid back as debt, so the average never exceeds the rate.
 * Changing the rate takes effect at once, also for connections already waiting.
 */
import type { Clock } from '../ports';
import type { BandwidthLimiter } from './bandwidth';

interface Waiter {
  bytes: number;
  signal: AbortSignal;
  resolve: () => void;
  reject: (reason: unknown) => void;
  onAbort: () => void;
}

export interface TokenBucketOptions {
  /** Seconds of traffic the bucket holds when full; default 1. */
  burstSeconds?: number;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

function validRate(rate: number | null): number | null {
  if (rate === null) return null;
  if (!Number.isFinite(rate) || rate <= 0)
    throw new RangeError(`Bandwidth limit must be a positive number, got ${rate}`);
  return rate;
}

class TokenBucketLimiter implements BandwidthLimiter {
  #rate: number | null;
  #tokens = 0;
  #updatedAt: number;
  readonly #waiters: Waiter[] = [];
  #timer: AbortController | null = null;
  readonly #clock: Clock;
  readonly #burstSeconds: number;

  constructor(rate: number | null, clock: Clock, options: TokenBucketOptions) {
    this.#clock = clock;
    this.#burstSeconds = options.burstSeconds ?? 1;
    this.#rate = validRate(rate);
    this.#updatedAt = clock.now();
    this.#tokens = this.#capacity();
  }

  get rate(): number | null {
    return this.#rate;
  }

  #capacity(): number {
    return this.#rate === null ? 0 : Math.max(1, this.#rate * this.#burstSeconds);
  }

  #refill(): void {
    const now = this.#clock.now();
    if (this.#rate !== null) {
      const elapsedSeconds = Math.max(0, now - this.#updatedAt) / 1000;
      this.#tokens = Math.min(this.#capacity(), this.#tokens + elapsedSeconds * this.#rate);
    }
    this.#updatedAt = now;
  }

  /** Takes the tokens when enough are there; a chunk larger than the bucket needs a full bucket. */
  #tryConsume(bytes: number): boolean {
    if (this.#rate === null) return true;
    const needed = Math.min(bytes, this.#capacity());
    if (this.#tokens + 1e-9 < needed) return false;
    this.#tokens -= bytes;
    return true;
  }

  take(bytes: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(abortReason(signal));
    if (this.#waiters.length === 0) {
      this.#refill();
      if (this.#tryConsume(bytes)) return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        bytes,
        signal,
        resolve,
        reject,
        onAbort: () => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(abortReason(signal));
          if (index === 0) this.#reschedule();
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#serve();
    });
  }

  setRate(bytesPerSecond: number | null): void {
    const rate = validRate(bytesPerSecond);
    this.#refill();
    const wasUnlimited = this.#rate === null;
    this.#rate = rate;
    this.#tokens = wasUnlimited ? this.#capacity() : Math.min(this.#tokens, this.#capacity());
    this.#reschedule();
  }

  #reschedule(): void {
    this.#timer?.abort();
    this.#timer = null;
    this.#serve();
  }

  #serve(): void {
    if (this.#timer) return;
    this.#refill();
    for (;;) {
      const head = this.#waiters[0];
      if (!head) return;
      if (!this.#tryConsume(head.bytes)) break;
      this.#waiters.shift();
      head.signal.removeEventListener('abort', head.onAbort);
      head.resolve();
    }
    const head = this.#waiters[0]!;
    const rate = this.#rate!;
    const missing = Math.min(head.bytes, this.#capacity()) - this.#tokens;
    const waitMs = Math.max(1, Math.ceil((missing / rate) * 1000));
    const timer = new AbortController();
    this.#timer = timer;
    this.#clock.sleep(waitMs, timer.signal).then(
      () => {
        if (this.#timer !== timer) return;
        this.#timer = null;
        this.#serve();
      },
      () => {
        // Cancelled by a rate change or the head leaving; #reschedule already took over.
      },
    );
  }
}

export function createTokenBucketLimiter(
  bytesPerSecond: number | null,
  clock: Clock,
  options: TokenBucketOptions = {},
): BandwidthLimiter {
  return new TokenBucketLimiter(bytesPerSecond, clock, options);
}

/** Waits on every limiter in order (global first, then the job's own). */
export async function takeFromAll(
  limiters: readonly BandwidthLimiter[],
  bytes: number,
  signal: AbortSignal,
): Promise<void> {
  for (const limiter of limiters) {
    if (limiter.rate !== null) await limiter.take(bytes, signal);
  }
}
