/**
 * When to try again and how long to wait: exponential backoff with full jitter (capped), the
 * server's Retry-After honoured up to a cap, and no retry on client errors other than 408 and 429.
 */
import type { EngineConfig } from '../config';
import type { ModeldockError } from '../errors';

type RetryConfig = Pick<EngineConfig, 'retryBaseDelayMs' | 'retryMaxDelayMs' | 'retryAfterCapMs'>;

/** Civitai and others send 429 without Retry-After: wait at least this long, growing to the max. */
const RATE_LIMIT_MIN_DELAY_MS = 1_000;
const RATE_LIMIT_MAX_DELAY_MS = 30_000;

/** Retry-After as milliseconds from `nowMs`: delta-seconds or an HTTP-date; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Every HTTP-date form (RFC 9110 §5.6.7) carries hh:mm:ss; Date.parse alone reads almost anything
  // ("abc 120" is the year 120) and would turn garbage into "retry now".
  const date = /\d\d:\d\d:\d\d/.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowMs);
}

/** Statuses where asking again later may succeed. */
export function isRetryableStatus(status: number): boolean {
  if (status === 408 || status === 429) return true;
  return status >= 500 && status <= 599 && status !== 501 && status !== 505;
}

/**
 * Milliseconds to wait before attempt `failures + 1`, where `failures` (from 1) counts consecutive
 * failed attempts. `random` returns [0, 1) and is injectable so tests are deterministic.
 */
export function retryDelayMs(
  failures: number,
  error: Pick<ModeldockError, 'code' | 'retryAfterMs'>,
  config: RetryConfig,
  random: () => number = Math.random,
): number {
  if (error.retryAfterMs !== undefined)
    return Math.min(Math.max(0, error.retryAfterMs), config.retryAfterCapMs);
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  if (error.code === 'RATE_LIMITED') {
    const ceiling = Math.min(RATE_LIMIT_MAX_DELAY_MS, RATE_LIMIT_MIN_DELAY_MS * 2 ** exponent);
    return RATE_LIMIT_MIN_DELAY_MS + Math.floor(random() * (ceiling - RATE_LIMIT_MIN_DELAY_MS));
  }
  const ceiling = Math.min(config.retryMaxDelayMs, config.retryBaseDelayMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
}
