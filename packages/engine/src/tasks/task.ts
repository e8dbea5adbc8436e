/**
 * What a background task is: a name, when it runs, and `run(signal, progress)`. The runner
 * (task-runner.ts) owns the timers, the backoff after failures, the log lines and the stop.
 */

/** When a task runs. Times are milliseconds on the runner's clock. */
export type TaskSchedule =
  /** Periodically: `firstAfter` after start (default 0), then `every` after each run ends. */
  | { every: number; firstAfter?: number }
  /** Once, `after` from registration; retried with backoff until it succeeds, then removed. */
  | { once: number }
  /**
   * Periodically, at start and then after a wait computed when each run ends (e.g. until the next
   * edge of a time window).
   */
  | { delay: () => number }
  /** Only when `trigger(name)` is called. */
  | { onTrigger: true };

/** The wait after the n-th failure in a row: `firstMs · 2^(n-1)`, at most `maxMs`. */
export interface Backoff {
  firstMs: number;
  maxMs: number;
}

/** Where a run reports how far it has come; the last report shows in `TaskRunner.status()`. */
export interface BackgroundTaskProgress {
  report(progress: { done?: number; total?: number; message?: string }): void;
}

/**
 * `'retry'`: nothing went wrong, but the work is not done (e.g. a platform did not answer yet);
 * the next run follows the backoff like a failure, without a warning in the log.
 */
export type BackgroundTaskOutcome = void | 'retry';

export interface BackgroundTask {
  /** Unique among the runner's tasks; the `task` field of its log lines. */
  name: string;
  schedule: TaskSchedule;
  /**
   * The wait after failed runs. Without it a periodic task runs again at its next interval and a
   * one-off task is not retried.
   */
  backoff?: Backoff;
  /** The warning logged when a run fails (default: "background task failed"). */
  failureMessage?: string;
  /**
   * The work. `signal` aborts when the task is removed or the runner stops; a run should return
   * soon after. Throwing is a failure: logged, then retried per `backoff`.
   */
  run(signal: AbortSignal, progress: BackgroundTaskProgress): Promise<BackgroundTaskOutcome>;
}

export interface BackgroundTaskStatus {
  name: string;
  running: boolean;
  /** Runs started so far. */
  runs: number;
  /** Failed (or 'retry') runs in a row. */
  failures: number;
  /** When the next run is due; null while running or waiting for a trigger. */
  nextRunAt: number | null;
  lastError: string | null;
  progress: { done?: number; total?: number; message?: string } | null;
}

export function backoffDelay(failures: number, backoff: Backoff): number {
  return Math.min(backoff.firstMs * 2 ** Math.min(Math.max(failures - 1, 0), 30), backoff.maxMs);
}
