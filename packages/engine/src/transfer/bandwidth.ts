/** A token bucket shared by every connection it limits; the rate can change while transfers run. */
export interface BandwidthLimiter {
  /** Resolves when `bytes` may be consumed; rejects when `signal` aborts. */
  take(bytes: number, signal: AbortSignal): Promise<void>;
  /** null = unlimited. */
  setRate(bytesPerSecond: number | null): void;
  readonly rate: number | null;
}
