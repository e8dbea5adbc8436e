/**
 * Transfer speed as a sliding-window average: the bytes received over the last few seconds divided
 * by the time they took, so one fast or slow chunk does not make the number (and the ETA) jump.
 */
const DEFAULT_WINDOW_MS = 5_000;
/** Samples closer together than this are merged, which bounds memory at a few dozen samples. */
const SAMPLE_RESOLUTION_MS = 100;

interface Sample {
  at: number;
  totalBytes: number;
}

export class SpeedMeter {
  private readonly samples: Sample[];
  private totalBytes = 0;

  constructor(
    startedAt: number,
    private readonly windowMs = DEFAULT_WINDOW_MS,
  ) {
    this.samples = [{ at: startedAt, totalBytes: 0 }];
  }

  /** Counts bytes that just arrived. */
  add(bytes: number, now: number): void {
    if (bytes <= 0) return;
    this.totalBytes += bytes;
    const last = this.samples[this.samples.length - 1]!;
    if (now - last.at < SAMPLE_RESOLUTION_MS && this.samples.length > 1) {
      last.totalBytes = this.totalBytes;
      last.at = Math.max(last.at, now);
    } else {
      this.samples.push({ at: now, totalBytes: this.totalBytes });
    }
    this.trim(now);
  }

  /** Bytes per second over the window ending now (0 once bytes stop for a whole window). */
  bytesPerSecond(now: number): number {
    this.trim(now);
    const baseline = this.samples[0]!;
    const elapsedMs = now - baseline.at;
    if (elapsedMs <= 0) return 0;
    return ((this.totalBytes - baseline.totalBytes) * 1000) / elapsedMs;
  }

  private trim(now: number): void {
    const windowStart = now - this.windowMs;
    // Keep the last sample at or before the window start as the baseline, so the window stays full.
    while (this.samples.length > 1 && this.samples[1]!.at <= windowStart) this.samples.shift();
    const baseline = this.samples[0]!;
    if (baseline.at < windowStart && this.samples.length === 1) {
      baseline.at = windowStart;
    }
  }
}
