/**
 * The background indexer: a pass of `scanLibrary` when the download manager starts, then one every
 * `rescanIntervalMs`. It stays out of the way of downloads: one file at a time, yielding to the event
 * loop between chunks, and reading at most `busyReadBytesPerSecond` while any job transfers.
 */
import type { Clock } from '../ports';
import { createTokenBucketLimiter } from '../transfer/token-bucket-limiter';
import { describeError } from '../jobs/job-log';
import type { LibraryContext } from './library-context';
import { scanLibrary } from './library-scan';
import type { LibraryScanReport } from './library-scan';

export interface LibraryIndexerSettings {
  /** Pause between two passes; null = a single pass at start. */
  rescanIntervalMs: number | null;
  /** Hashing read rate while downloads run, bytes per second; null = unthrottled. */
  busyReadBytesPerSecond: number | null;
}

export const DEFAULT_LIBRARY_INDEXER_SETTINGS: LibraryIndexerSettings = {
  rescanIntervalMs: 30 * 60_000,
  busyReadBytesPerSecond: 32 * 1024 * 1024,
};

export interface LibraryIndexerContext extends LibraryContext {
  clock: Clock;
  /** True while downloads are transferring. */
  isBusy(): boolean;
}

export interface LibraryIndexer {
  /** Starts the passes in the background; the first begins at once. */
  start(): void;
  /** Aborts the pass in progress and waits for it to stop. */
  stop(): Promise<void>;
  /** Resolves with the report of the next pass to finish (for tests and diagnostics). */
  nextPass(): Promise<LibraryScanReport>;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function createLibraryIndexer(
  ctx: LibraryIndexerContext,
  settings: Partial<LibraryIndexerSettings> = {},
): LibraryIndexer {
  const { rescanIntervalMs, busyReadBytesPerSecond } = {
    ...DEFAULT_LIBRARY_INDEXER_SETTINGS,
    ...settings,
  };
  const controller = new AbortController();
  const limiter = createTokenBucketLimiter(busyReadBytesPerSecond, ctx.clock);
  let running: Promise<void> | null = null;
  let waiters: Array<(report: LibraryScanReport) => void> = [];

  async function beforeRead(bytes: number): Promise<void> {
    if (ctx.isBusy() && limiter.rate !== null) await limiter.take(bytes, controller.signal);
    else await yieldToEventLoop();
  }

  async function onePass(): Promise<void> {
    try {
      const report = await scanLibrary(ctx, { signal: controller.signal, beforeRead });
      ctx.logger.info({ ...report }, 'local file index updated');
      for (const wake of waiters.splice(0)) wake(report);
    } catch (error) {
      if (controller.signal.aborted) return;
      ctx.logger.warn(
        { message: describeError(error) },
        'could not update the local file index; trying again later',
      );
    }
  }

  async function run(): Promise<void> {
    while (!controller.signal.aborted) {
      await onePass();
      if (rescanIntervalMs === null) return;
      try {
        await ctx.clock.sleep(rescanIntervalMs, controller.signal);
      } catch {
        return;
      }
    }
  }

  return {
    start() {
      running ??= run();
    },
    async stop() {
      controller.abort(new Error('stopping'));
      waiters = [];
      await running;
    },
    nextPass() {
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}
