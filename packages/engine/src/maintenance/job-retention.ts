/**
 * Job retention: a task on the runner clears finished jobs from the list once they are older than
 * Settings → Retention says (completed and cancelled: 24 hours by default, or never; failed: 7 days,
 * or until the user removes them), and prunes the stored events of jobs that are gone. Clearing never
 * deletes a completed file, and the library keeps every entry a download made.
 */
import type { DownloadManager } from '../jobs/download-manager-api';
import type { Clock, Logger } from '../ports';
import type { TaskRunner } from '../tasks/task-runner';
import type { AppSettingsService } from '../settings/app-settings-service';

export const JOB_RETENTION_TASK = 'job-retention';
const EVERY_MS = 10 * 60_000;
const HOUR_MS = 3_600_000;
/** A 'removed' event is replayed to clients for this long after the job went. */
const REMOVED_EVENTS_KEPT_MS = 24 * HOUR_MS;

export interface JobRetentionOptions {
  settings: AppSettingsService;
  manager: Pick<DownloadManager, 'clearExpired'>;
  runner: TaskRunner;
  clock: Clock;
  logger: Logger;
  everyMs?: number;
}

export interface JobRetention {
  /** Clears what has expired now (tests; the runner does it every 10 minutes). */
  sweep(): Promise<{ removed: number; eventsPruned: number }>;
  stop(): Promise<void>;
}

export function startJobRetention(options: JobRetentionOptions): JobRetention {
  const { settings, clock } = options;
  async function sweep() {
    const { retention } = settings.current();
    const now = clock.now();
    return options.manager.clearExpired({
      finishedBefore: retention.finishedJobsHours === null ? null : new Date(now - retention.finishedJobsHours * HOUR_MS),
      failedBefore: new Date(now - retention.failedJobsDays * 24 * HOUR_MS),
      eventsBefore: new Date(now - REMOVED_EVENTS_KEPT_MS),
    });
  }
  options.runner.register({
    name: JOB_RETENTION_TASK,
    schedule: { every: options.everyMs ?? EVERY_MS },
    failureMessage: 'could not clear expired jobs',
    async run() {
      await sweep();
    },
  });
  return { sweep, stop: () => options.runner.remove(JOB_RETENTION_TASK) };
}
