/**
 * Follows job events from the server: one job until it finishes, or every job until stopped. It
 * reads the current state once the subscription is running, so nothing that happened between the
 * call and the subscription is missed; the client's WebSocket reconnects by itself and resumes
 * after the last event delivered.
 */
import { toModeldockClientError } from '@modeldock/client';
import type { Job, ModeldockClient } from '@modeldock/client';
import type { JobRenderer, WatchedEvent } from './renderers';

const FINISHED: ReadonlySet<Job['status']> = new Set(['completed', 'failed', 'cancelled']);

export function isFinished(job: Job): boolean {
  return FINISHED.has(job.status);
}

export interface WatchOptions {
  /** One job: the watch ends when it finishes (or is removed). Absent: every job, until `signal`. */
  jobId?: string;
  renderer: JobRenderer;
  signal?: AbortSignal;
}

/** Resolves with the watched job once it finishes (null when watching every job and stopped). */
export function watchJobs(client: ModeldockClient, options: WatchOptions): Promise<Job | null> {
  const { jobId, renderer, signal } = options;
  return new Promise<Job | null>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      subscription.unsubscribe();
      signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const consider = (event: WatchedEvent) => {
      if (settled) return;
      renderer.event(event);
      if (!jobId || event.jobId !== jobId) return;
      if (!event.job) finish(() => resolve(null));
      else if (isFinished(event.job)) finish(() => resolve(event.job));
    };
    const readCurrent = async () => {
      try {
        if (jobId) {
          consider({ type: 'current', jobId, job: await client.downloads.get.query({ jobId }) });
        } else {
          const { items } = await client.downloads.list.query({
            status: ['queued', 'running', 'paused', 'verifying'],
            limit: 500,
          });
          for (const job of [...items].reverse()) consider({ type: 'current', jobId: job.id, job });
        }
      } catch (error) {
        finish(() => reject(toModeldockClientError(error, client.apiUrl)));
      }
    };
    const onAbort = () => finish(() => resolve(null));

    const subscription = client.downloads.events.subscribe(
      { jobId },
      {
        onStarted: () => void readCurrent(),
        onData: (tracked) =>
          consider({
            id: tracked.id,
            type: tracked.data.type,
            jobId: tracked.data.jobId,
            job: tracked.data.job,
          }),
        onError: (error) => finish(() => reject(toModeldockClientError(error, client.apiUrl))),
        onConnectionStateChange: (state) => {
          if (state.state === 'connecting' && state.error) {
            renderer.message(`connection lost (${state.error.message}); reconnecting…`);
          }
        },
      },
    );
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
