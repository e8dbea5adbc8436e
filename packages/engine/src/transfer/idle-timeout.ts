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

/** Yields the body's chunks, counting only the time spent waiting for the next one. */
export async function* watchIdle(
  body: AsyncIterable<Uint8Array>,
  watchdog: IdleWatchdog,
): AsyncGenerator<Uint8Array> {
  const iterator = body[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      watchdog.arm();
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
      yield step.value;
    }
  } finally {
    if (!finished) await iterator.return?.();
  }
}
