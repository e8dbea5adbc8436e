/**
 * A per-connection rate limit for the throttled origin: each TCP connection may send
 * `bytesPerSecond`, with at most `burstBytes` saved up while it was idle. The allowance is computed
 * from elapsed time, so late timers never lower the average rate, and sending runs ahead of it by
 * at most one chunk.
 */
export class ConnectionPace {
  #credit: number;
  #updatedAt: number;

  constructor(
    readonly bytesPerSecond: number,
    readonly burstBytes: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#credit = burstBytes;
    this.#updatedAt = now();
  }

  /** Spends `bytes`; returns how many milliseconds to wait before sending them (0 = now). */
  take(bytes: number): number {
    const now = this.now();
    const earned = ((now - this.#updatedAt) / 1000) * this.bytesPerSecond;
    this.#updatedAt = now;
    this.#credit = Math.min(this.burstBytes, this.#credit + earned) - bytes;
    return this.#credit >= 0 ? 0 : (-this.#credit / this.bytesPerSecond) * 1000;
  }
}
