/**
 * Idle timeout, not total timeout: a connection is stalled only when it delivers no byte for
 * `idleTimeoutMs` while we are waiting for one. Time spent waiting on the bandwidth limiter or the
 * disk does not count, and a slow but steady body is never killed.
 */
import { ModeldockError } from '../errors';
import { describeUrl } from '../http/http-url';

export class IdleWatchdog {
  #timer: NodeJS.Timeout | null = null;
  #armed = false;
  #fired = false;

  constructor(
    private readonly timeoutMs: number,
    private readonly onIdle: () => void,
  ) {}

  get fired(): boolean {
    return this.#fired;
  }

  /** Starts (or restarts) the countdown: we are now waiting for the network. */
  arm(): void {
    if (this.#fired) return;
    this.#armed = true;
    if (this.#timer) this.#timer.refresh();
    else this.#timer = setTimeout(() => this.#expire(), this.timeoutMs);
  }

  /** Stops counting: a byte arrived, or we are busy with something other than the network. */
  disarm(): void {
    this.#armed = false;
  }

  #expire(): void {
    if (!this.#armed || this.#fired) return;
    this.#fired = true;
    this.onIdle();
  }

  dispose(): void {
    this.#armed = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}

export function idleTimeoutError(url: string, timeoutMs: number): ModeldockError {
  const seconds = timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`;
  return new ModeldockError(
    'IDLE_TIMEOUT',
    `No data from ${describeUrl(url)} for ${seconds}: the connection stalled. modeldock will reconnect and resume.`,
    { retryable: true },
  );
}

/**
 * The minimum-speed rule: a trickle (one byte every two seconds) never trips the idle timeout, so
 * the bytes per second of time spent waiting on the connection are judged too, over whole windows.
 */
export interface MinSpeedRule {
  bytesPerSecond: number;
  windowMs: number;
  /** The engine's clock, in milliseconds. */
  now: () => number;
  url: string;
}

export function tooSlowError(
  url: string,
  rule: Pick<MinSpeedRule, 'bytesPerSecond' | 'windowMs'>,
): ModeldockError {
  return new ModeldockError(
    'IDLE_TIMEOUT',
    `Data from ${describeUrl(url)} came at under ${rule.bytesPerSecond} bytes per second for ${Math.round(rule.windowMs / 1000)} s: the connection stalled. modeldock will reconnect and resume.`,
    { retryable: true, details: { tooSlow: true } },
  );
}

/** Yields the body's chunks, counting only the time spent waiting for the next one. */
export async function* watchIdle(
  body: AsyncIterable<Uint8Array>,
  watchdog: IdleWatchdog,
  minSpeed?: MinSpeedRule,
): AsyncGenerator<Uint8Array> {
  const iterator = body[Symbol.asyncIterator]();
  let finished = false;
  let windowWaitedMs = 0;
  let windowBytes = 0;
  try {
    for (;;) {
      watchdog.arm();
      const waitStart = minSpeed?.now() ?? 0;
      let step: IteratorResult<Uint8Array>;
      try {
        step = await iterator.next();
      } finally {
        watchdog.disarm();
      }
      if (step.done) {
        finished = true;
        return;
      }
      if (minSpeed && minSpeed.bytesPerSecond > 0) {
        windowWaitedMs += minSpeed.now() - waitStart;
        windowBytes += step.value.length;
        if (windowWaitedMs >= minSpeed.windowMs) {
          if ((windowBytes * 1000) / windowWaitedMs < minSpeed.bytesPerSecond) {
            throw tooSlowError(minSpeed.url, minSpeed);
          }
          windowWaitedMs = 0;
          windowBytes = 0;
        }
      }
      yield step.value;
    }
  } finally {
    if (!finished) await iterator.return?.();
  }
}
