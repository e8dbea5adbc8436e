/**
 * The 'scan' refresh task: one `scanLibrary` pass run by the task worker. It stays out of the way of
 * downloads (yielding to the event loop between chunks, and reading at most `busyReadBytesPerSecond`
 * while any job transfers or verifies). Resumed after a restart, it keeps the progress it had: the
 * files it recorded before are unchanged now and not hashed again, so only the rest is counted on.
 */
import type { Clock } from '../ports';
import { createTokenBucketLimiter } from '../transfer/token-bucket-limiter';
import type { TaskHandler } from '../tasks/refresh/refresh-task-worker';
import { scanLibrary } from './library-scan';
import type { LibraryScanContext, LibraryScanReport } from './library-scan';

export const SCAN_TASK_KIND = 'scan';

export interface ScanTaskContext extends LibraryScanContext {
  clock: Clock;
  /** True while downloads transfer or verify. */
  isDownloading(): boolean;
  /** Hashing read rate while downloads run; null = unthrottled. */
  busyReadBytesPerSecond: number | null;
  onScanned(report: LibraryScanReport): void;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function scanTaskHandler(ctx: ScanTaskContext): TaskHandler {
  const limiter = createTokenBucketLimiter(ctx.busyReadBytesPerSecond, ctx.clock);
  return async (run) => {
    const resumedFrom = run.task.attempts > 1 ? run.task.done : 0;
    const beforeRead = async (bytes: number) => {
      if (ctx.isDownloading() && limiter.rate !== null) await limiter.take(bytes, run.signal);
      else await yieldToEventLoop();
    };
    const report = await scanLibrary(ctx, {
      signal: run.signal,
      beforeRead,
      onProgress: ({ done, total, current }) =>
        run.progress({ done: resumedFrom + done, total: resumedFrom + total, current }),
      onItemError: (error) => run.itemError(error),
    });
    run.progress({ current: null });
    ctx.logger.info({ ...report }, 'library scanned');
    ctx.onScanned(report);
  };
}
