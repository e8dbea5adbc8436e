/**
 * `waitForJob`: resolves with the job once it completes, rejects with a ModeldockClientError when it
 * fails or is cancelled. It listens to the job's events and reads the job at once and again once the
 * subscription is running, so a job that finished before the call is not missed.
 */
import type { TRPCClient } from '@trpc/client';
import type { AppRouter, Job } from './api-types';
import { jobFailure, ModeldockClientError, toModeldockClientError } from './errors';

export interface WaitForJobOptions {
  /** Called with the job's latest state on every event (progress included). */
  onProgress?: (job: Job) => void;
  /** Stops waiting (rejects with kind 'aborted'); the job itself goes on. */
  signal?: AbortSignal;
}

const FINISHED: ReadonlySet<Job['status']> = new Set(['completed', 'failed', 'cancelled']);

export function waitForJob(
  api: TRPCClient<AppRouter>,
  url: string,
  jobId: string,
  options: WaitForJobOptions = {},
): Promise<Job> {
  const { onProgress, signal } = options;
  return new Promise<Job>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      subscription.unsubscribe();
      signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const consider = (job: Job) => {
      if (settled) return;
      onProgress?.(job);
      if (!FINISHED.has(job.status)) return;
      finish(() => (job.status === 'completed' ? resolve(job) : reject(jobFailure(job))));
    };
    const readJob = () =>
      api.downloads.get
        .query({ jobId })
        .then(consider)
        .catch((error: unknown) => finish(() => reject(toModeldockClientError(error, url))));
    const onAbort = () =>
      finish(() =>
        reject(
          new ModeldockClientError('CANCELLED', `Stopped waiting for job ${jobId}.`, {
            kind: 'aborted',
          }),
        ),
      );

    const subscription = api.downloads.events.subscribe(
      { jobId },
      {
        // Listening from here on: one read now covers whatever happened before.
        onStarted: () => void readJob(),
        onData: (tracked) => {
          if (tracked.data.job) consider(tracked.data.job);
          else
            finish(() =>
              reject(
                new ModeldockClientError('JOB_NOT_FOUND', `Job ${jobId} was removed.`, {
                  kind: 'api',
                }),
              ),
            );
        },
        onError: (error) => finish(() => reject(toModeldockClientError(error, url))),
      },
    );
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    // Also at once over HTTP: an unknown job or an unreachable server is reported without waiting
    // for a WebSocket that may never open.
    void readJob();
  });
}
