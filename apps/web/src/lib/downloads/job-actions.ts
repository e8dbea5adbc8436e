/**
 * What the page asks the server to do with jobs. Each call returns the server's error as a value to
 * show, and hands any job the server returns to the store at once, ahead of its event.
 */
import { api } from '../api/trpc-client';
import { attempt } from '../api/outcome';
import type { Outcome } from '../api/outcome';
import type { BandwidthLimits, EnqueueInput, EnqueueResult, Job } from '../api/types';
import { jobs } from '$lib/downloads/jobs.svelte';

export type { Outcome } from '../api/outcome';

async function jobCall(work: () => Promise<Job>): Promise<Outcome<Job>> {
  const outcome = await attempt(work);
  if (outcome.ok) jobs.upsert(outcome.value);
  return outcome;
}

/** The "created" event normally brings a new job; fetching it covers a socket that is down. */
export function fetchJobIntoList(jobId: string): void {
  void attempt(() => api.downloads.get.query({ jobId })).then((fetched) => {
    if (fetched.ok) jobs.upsert(fetched.value);
  });
}

export type JobCommand = 'pause' | 'resume' | 'cancel' | 'retry' | 'moveToTop';

export function runJobCommand(command: JobCommand, jobId: string): Promise<Outcome<Job>> {
  return jobCall(() => api.downloads[command].mutate({ jobId }));
}

export function setPriority(jobId: string, priority: number): Promise<Outcome<Job>> {
  return jobCall(() => api.downloads.setPriority.mutate({ jobId, priority }));
}

/** A per-job cap in bytes per second; null removes it. */
export function setJobBandwidthLimit(
  jobId: string,
  bytesPerSecond: number | null,
): Promise<Outcome<Job>> {
  return jobCall(() => api.downloads.setBandwidthLimit.mutate({ jobId, bytesPerSecond }));
}

/** Deletes the files a failed or cancelled multi-file job completed; the job says so afterwards. */
export function rollbackJob(jobId: string): Promise<Outcome<Job>> {
  return jobCall(() => api.downloads.rollback.mutate({ jobId }));
}

export async function enqueue(input: EnqueueInput): Promise<Outcome<EnqueueResult>> {
  const outcome = await attempt(() => api.downloads.enqueue.mutate(input));
  if (outcome.ok) fetchJobIntoList(outcome.value.jobId);
  return outcome;
}

/** Takes one finished job off the list (its completed files stay). */
export async function removeJob(jobId: string): Promise<Outcome<{ removed: true }>> {
  const outcome = await attempt(() => api.downloads.remove.mutate({ jobId }));
  if (outcome.ok) await jobs.refresh();
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
