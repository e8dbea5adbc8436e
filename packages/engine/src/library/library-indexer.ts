/**
 * The background indexer, a task on the engine's TaskRunner: a pass of `scanLibrary` when the
 * download manager starts, then one every `rescanIntervalMs`. It stays out of the way of
 * downloads: one file at a time, yielding to the event loop between chunks, and reading at most
 * `busyReadBytesPerSecond` while any job transfers.
 */
import type { Clock } from '../ports';
import { createTokenBucketLimiter } from '../transfer/token-bucket-limiter';
import type { TaskDefinition } from '../tasks/task';
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

/** The indexer as a background task (register it on a TaskRunner), plus a way to await a pass. */
export interface LibraryIndexTask extends TaskDefinition {
  /** Resolves with the report of the next pass to finish (for tests and diagnostics). */
  nextPass(): Promise<LibraryScanReport>;
}

export const LIBRARY_INDEX_TASK = 'library-index';

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function createLibraryIndexTask(
  ctx: LibraryIndexerContext,
  settings: Partial<LibraryIndexerSettings> = {},
): LibraryIndexTask {
  const { rescanIntervalMs, busyReadBytesPerSecond } = {
    ...DEFAULT_LIBRARY_INDEXER_SETTINGS,
    ...settings,
  };
  const limiter = createTokenBucketLimiter(busyReadBytesPerSecond, ctx.clock);
  const waiters: Array<(report: LibraryScanReport) => void> = [];

  return {
    name: LIBRARY_INDEX_TASK,
    // A single pass is not retried: the next start indexes again.
    schedule: rescanIntervalMs === null ? { once: 0 } : { every: rescanIntervalMs },
    failureMessage: 'could not update the local file index; trying again later',
    async run(signal) {
      const beforeRead = async (bytes: number): Promise<void> => {
        if (ctx.isBusy() && limiter.rate !== null) await limiter.take(bytes, signal);
        else await yieldToEventLoop();
      };
      const report = await scanLibrary(ctx, { signal, beforeRead });
      ctx.logger.info({ ...report }, 'local file index updated');
      for (const wake of waiters.splice(0)) wake(report);
    },
    nextPass() {
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}
