/**
 * A token bucket implementing `BandwidthLimiter`: every connection it limits draws from the same
 * bucket, so the sum stays under the rate. The rate can change while transfers run; waiters re-check
 * it in short slices, so lifting or raising a limit takes effect at once.
 */
import type { Clock } from '../ports';
import type { BandwidthLimiter } from '../transfer/bandwidth';

/** Longest single wait before the rate is looked at again. */
const MAX_WAIT_SLICE_MS = 250;

export function createTokenBucketLimiter(clock: Clock, initialRate: number | null): BandwidthLimiter {
  let rate = normaliseRate(initialRate);
  let tokens = 0;
  let lastRefill = clock.now();

  function refill(): void {
    const now = clock.now();
    const elapsed = Math.max(0, now - lastRefill);
    lastRefill = now;
    if (rate === null) {
      tokens = 0;
      return;
    }
    // One second of burst at most: an idle connection cannot save up a flood.
    tokens = Math.min(rate, tokens + (elapsed * rate) / 1000);
  }

  return {
    get rate() {
      return rate;
    },
    setRate(bytesPerSecond: number | null) {
      refill();
      rate = normaliseRate(bytesPerSecond);
      if (rate !== null) tokens = Math.min(tokens, rate);
    },
    async take(bytes: number, signal: AbortSignal) {
      signal.throwIfAborted();
      if (rate === null || bytes <= 0) return;
      refill();
      // Going into debt lets a chunk larger than the bucket pass; the debt is paid by waiting.
      tokens -= bytes;
      while (rate !== null && tokens < 0) {
        const waitMs = Math.min(MAX_WAIT_SLICE_MS, Math.max(1, Math.ceil((-tokens / rate) * 1000)));
        await clock.sleep(waitMs, signal);
        refill();
      }
    },
  };
}

function normaliseRate(bytesPerSecond: number | null): number | null {
  if (bytesPerSecond === null || !Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return null;
  return bytesPerSecond;
}
