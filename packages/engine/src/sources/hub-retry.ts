/**
 * Retries a resolution step after a rate limit, a 5xx or a network failure. Civitai sends no
 * Retry-After with its 429, so the wait doubles from `baseDelayMs` up to `maxDelayMs` (1–30 s by
 * default); a Retry-After the hub did send is honoured up to the same cap.
 */
import { isModeldockError } from '../errors';
import type { Clock, Logger } from '../ports';

export interface HubRetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_HUB_RETRY: HubRetryPolicy = { attempts: 4, baseDelayMs: 1_000, maxDelayMs: 30_000 };

export interface RetryEnvironment {
  clock: Clock;
  logger: Logger;
  signal?: AbortSignal;
  /** Random number in [0, 1); injectable so a test can pin the jitter. */
  random?: () => number;
}

export function hubRetryDelayMs(policy: HubRetryPolicy, failedAttempt: number, retryAfter: number | undefined, random: number): number {
  if (retryAfter !== undefined) return Math.min(Math.max(retryAfter, 0), policy.maxDelayMs);
  const exponential = Math.min(policy.baseDelayMs * 2 ** (failedAttempt - 1), policy.maxDelayMs);
  // Jitter keeps several waiting resolutions from hitting the hub again in the same instant.
  return Math.max(policy.baseDelayMs, Math.round(exponential * (0.5 + random / 2)));
}

export async function withHubRetries<T>(
  label: string,
  policy: HubRetryPolicy,
  environment: RetryEnvironment,
  work: () => Promise<T>,
): Promise<T> {
  const random = environment.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const retryable = isModeldockError(error) && error.retryable;
      if (!retryable || attempt >= policy.attempts || environment.signal?.aborted) throw error;
      const delay = hubRetryDelayMs(policy, attempt, error.retryAfterMs, random());
      environment.logger.warn({ label, code: error.code, attempt, delayMs: delay }, 'hub request failed; retrying');
      await environment.clock.sleep(delay, environment.signal);
    }
  }
}
