/**
 * Requests to one platform (Civitai, Hugging Face) spaced to a few per second, and held back for
 * everyone after a 429: Civitai sends no Retry-After, so the pause doubles from 1 s up to 30 s.
 * One pacer per platform is shared by every metadata call in the process, so a batch of a thousand
 * models cannot outrun the limit however it is split.
 */
import { isModeldockError } from '../../errors';
import type { Clock } from '../../ports';
import { hubRetryDelayMs } from '../../sources/hub-retry';
import type { HubRetryPolicy } from '../../sources/hub-retry';

export interface PacerWait {
  platform: string;
  /** How long this call waits before trying again. */
  delayMs: number;
  reason: 'rate-limited' | 'server-error';
  attempt: number;
}

export interface PlatformPacerOptions {
  platform: string;
  clock: Clock;
  /** Most requests started per second (default 4). */
  requestsPerSecond?: number;
  /** Retries after 429, 5xx and network failures; default 6 tries, 1 s doubling to 30 s. */
  retry?: Partial<HubRetryPolicy>;
  random?: () => number;
}

export interface PlatformPacer {
  readonly platform: string;
  /**
   * Runs `work` in the next free slot; a retryable failure (429, 5xx, network) waits and tries again,
   * telling `onWait` so a task can show that it is waiting.
   */
  run<T>(work: () => Promise<T>, options?: { signal?: AbortSignal; onWait?: (wait: PacerWait) => void }): Promise<T>;
  /** Requests started so far (tests and the benchmark count them). */
  readonly started: number;
}

export const METADATA_RETRY: HubRetryPolicy = { attempts: 6, baseDelayMs: 1_000, maxDelayMs: 30_000 };

export function createPlatformPacer(options: PlatformPacerOptions): PlatformPacer {
  const intervalMs = 1_000 / Math.max(0.1, options.requestsPerSecond ?? 4);
  const policy: HubRetryPolicy = { ...METADATA_RETRY, ...options.retry };
  const random = options.random ?? Math.random;
  const clock = options.clock;
  /** No request before this (a back-off after a 429 or 5xx). */
  let nextSlotAt = 0;
  /** When the last request actually started: the next one waits a full interval after it. */
  let lastStartAt = Number.NEGATIVE_INFINITY;
  let turns: Promise<void> = Promise.resolve();
  let started = 0;

  /**
   * Callers take turns in order; each waits a full interval after the previous one really started
   * (a timer that fired late on a busy machine must not let the next request follow too closely,
   * which the hub would answer with a 429 and a back-off of seconds).
   */
  async function takeSlot(signal?: AbortSignal): Promise<void> {
    const turn = turns.then(async () => {
      signalCheck(signal);
      const wait = Math.max(lastStartAt + intervalMs, nextSlotAt) - clock.now();
      if (wait > 0) await clock.sleep(wait, signal);
      lastStartAt = clock.now();
    });
    turns = turn.catch(() => undefined);
    await turn;
    started++;
  }

  return {
    platform: options.platform,
    get started() {
      return started;
    },
    async run(work, runOptions = {}) {
      for (let attempt = 1; ; attempt++) {
        signalCheck(runOptions.signal);
        await takeSlot(runOptions.signal);
        try {
          return await work();
        } catch (error) {
          const retryable = isModeldockError(error) && error.retryable;
          if (!retryable || attempt >= policy.attempts || runOptions.signal?.aborted) throw error;
          const delayMs = hubRetryDelayMs(policy, attempt, error.retryAfterMs, random());
          // The whole platform waits: the next request of any caller would only meet the same 429.
          nextSlotAt = Math.max(nextSlotAt, clock.now() + delayMs);
          runOptions.onWait?.({
            platform: options.platform,
            delayMs,
            reason: error.code === 'RATE_LIMITED' ? 'rate-limited' : 'server-error',
            attempt,
          });
        }
      }
    },
  };
}

function signalCheck(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new Error('aborted');
}
