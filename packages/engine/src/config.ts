/** Engine tunables with the defaults a user gets; the server maps its configuration onto these. */
export interface EngineConfig {
  /** Jobs transferring at once in this process. */
  maxConcurrentJobs: number;
  /** Files above this size are split across connections when the origin supports ranges. */
  segmentThresholdBytes: number;
  /** Connections for one file. */
  connectionsPerFile: number;
  /** Connections to one host across all jobs. */
  connectionsPerHost: number;
  /** A connection that delivers no byte for this long is stalled. */
  idleTimeoutMs: number;
  /**
   * A connection slower than this (bytes per second of time spent waiting on it) over
   * `minSpeedWindowMs` is stalled too: a trickle must not hold a download slot forever. 0 = off.
   */
  minSpeedBps: number;
  minSpeedWindowMs: number;
  /**
   * Free space downloads never use (bytes): a job that would eat into it does not start, and a body
   * of unknown length is stopped before it does.
   */
  diskReserveBytes: number;
  /** Attempts per file before the job fails (network errors, 5xx, 429). */
  maxAttempts: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** Longest Retry-After the engine will honour before capping. */
  retryAfterCapMs: number;
  maxRedirects: number;
  /** fsync and record progress at least this often while bytes flow. */
  syncIntervalMs: number;
  /** Minimum gap between progress events for one job (coalescing). */
  progressIntervalMs: number;
  leaseMs: number;
  /** A running job with no progress for this long is marked stale and retried. */
  staleAfterMs: number;
  /** Global bandwidth limit in bytes per second, null = unlimited. */
  globalBandwidthLimitBps: number | null;
  /** Allow URLs that resolve to loopback, private or link-local addresses. */
  allowPrivateHosts: boolean;
}

export const DEFAULT_ENGINE_CONFIG: EngineConfig = {
  maxConcurrentJobs: 3,
  segmentThresholdBytes: 64 * 1024 * 1024,
  connectionsPerFile: 8,
  connectionsPerHost: 16,
  idleTimeoutMs: 30_000,
  minSpeedBps: 1024,
  minSpeedWindowMs: 60_000,
  diskReserveBytes: 1024 * 1024 * 1024,
  maxAttempts: 8,
  retryBaseDelayMs: 1_000,
  retryMaxDelayMs: 60_000,
  retryAfterCapMs: 5 * 60_000,
  maxRedirects: 10,
  syncIntervalMs: 1_000,
  progressIntervalMs: 100,
  leaseMs: 30_000,
  staleAfterMs: 10 * 60_000,
  globalBandwidthLimitBps: null,
  allowPrivateHosts: false,
};

export function resolveEngineConfig(overrides: Partial<EngineConfig> = {}): EngineConfig {
  return { ...DEFAULT_ENGINE_CONFIG, ...overrides };
}
