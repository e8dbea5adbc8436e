/**
 * What the page asks the server to do. Each call returns the server's error as a value to show,
 * and hands any job the server returns to the store at once, ahead of its event.
 */
import { api } from './trpc-client';
import { describeApiError } from './api-error';
import type { ApiErrorView } from './api-error';
import type { BandwidthLimits, EnqueueInput, EnqueueResult, Job } from './types';
import { jobs } from '$lib/stores/jobs.svelte';

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ApiErrorView };

async function attempt<T>(work: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error: describeApiError(error) };
  }
}

async function jobCall(work: () => Promise<Job>): Promise<Outcome<Job>> {
  const outcome = await attempt(work);
  if (outcome.ok) jobs.upsert(outcome.value);
  return outcome;
}

export type JobCommand = 'pause' | 'resume' | 'cancel' | 'retry' | 'moveToTop';

export function runJobCommand(command: JobCommand, jobId: string): Promise<Outcome<Job>> {
  return jobCall(() => api.downloads[command].mutate({ jobId }));
}

export function setPriority(jobId: string, priority: number): Promise<Outcome<Job>> {
  return jobCall(() => api.downloads.setPriority.mutate({ jobId, priority }));
}

export async function enqueue(input: EnqueueInput): Promise<Outcome<EnqueueResult>> {
  const outcome = await attempt(() => api.downloads.enqueue.mutate(input));
  if (outcome.ok) {
    // The "created" event normally brings the job; fetching it covers a socket that is down.
    void attempt(() => api.downloads.get.query({ jobId: outcome.value.jobId })).then((fetched) => {
      if (fetched.ok) jobs.upsert(fetched.value);
    });
  }
  return outcome;
}

export async function clearFinished(): Promise<Outcome<{ removed: number }>> {
  const outcome = await attempt(() => api.downloads.clearFinished.mutate());
  if (outcome.ok) await jobs.refresh();
  return outcome;
}

export function getBandwidthLimits(): Promise<Outcome<BandwidthLimits>> {
  return attempt(() => api.downloads.limits.query());
}

export function setGlobalBandwidthLimit(
  bytesPerSecond: number | null,
): Promise<Outcome<BandwidthLimits>> {
  return attempt(() => api.downloads.setGlobalBandwidthLimit.mutate({ bytesPerSecond }));
}
