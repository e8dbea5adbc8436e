/**
 * The job list the page shows. The server is the only source of truth: the list is fetched with
 * `downloads.list` on load and every time the event stream (re)starts, and kept live from
 * `downloads.events` in between. Nothing lives only in the browser, so a refresh, a lost socket or a
 * server restart loses nothing.
 */
import { SvelteMap } from 'svelte/reactivity';
import { api } from '$lib/api/trpc-client';
import { ResumingSubscription } from '$lib/api/resuming-subscription';
import { describeApiError } from '$lib/api/api-error';
import type { Job, TrackedJobEvent } from '$lib/api/types';
import { queuePositions, sortActive, sortFinished } from './job-order';
import { JobListMerge } from './job-list-merge';

const LIST_PAGE_SIZE = 500;
/** Enough history for anyone; beyond this the oldest finished jobs are simply not shown. */
const LIST_MAX_PAGES = 20;

class JobsStore {
  readonly #jobs = new SvelteMap<string, Job>();
  readonly #merge = new JobListMerge(this.#jobs);
  #listGeneration = 0;
  readonly #stream = new ResumingSubscription<TrackedJobEvent>({
    open: (lastEventId, observer) => api.downloads.events.subscribe({ lastEventId }, observer),
    // The server is listening from here on: a list fetched now misses nothing.
    onStarted: () => {
      this.streamError = null;
      void this.refresh();
    },
    onData: (tracked) => this.#merge.receive(tracked.data),
    onError: (error) => {
      this.streamError = describeApiError(error).message;
    },
  });

  /** True once one list has arrived: before that, "no jobs" would be a guess. */
  loaded = $state(false);
  /** Why the last list request failed; the page keeps showing what it had. */
  loadError = $state<string | null>(null);
  /** Why the live event stream is not running, when the server refused it. */
  streamError = $state<string | null>(null);

  readonly all = $derived([...this.#jobs.values()]);
  readonly active = $derived(sortActive(this.all));
  readonly finished = $derived(sortFinished(this.all));
  readonly queuePositions = $derived(queuePositions(this.all));

  get(jobId: string): Job | undefined {
    return this.#jobs.get(jobId);
  }

  /** Starts listening and loads the list; returns a function that stops both. */
  start(): () => void {
    if (this.#stream.start()) void this.refresh();
    return () => this.stop();
  }

  stop(): void {
    this.#stream.stop();
  }

  /**
   * Replaces the list with the server's. Events that arrive meanwhile are applied at once and again
   * over the snapshot, so whichever of the two is newer wins for every job.
   */
  async refresh(): Promise<void> {
    // Only the latest request counts: an older one that answers late is stale.
    const generation = ++this.#listGeneration;
    this.#merge.beginSnapshot();
    try {
      const snapshot = await this.#fetchAll();
      if (generation !== this.#listGeneration) return;
      this.#merge.applySnapshot(snapshot);
      this.loaded = true;
      this.loadError = null;
    } catch (error) {
      if (generation !== this.#listGeneration) return;
      this.#merge.abandonSnapshot();
      this.loadError = describeApiError(error).message;
    }
  }

  /** Takes in a job the server just returned (from a mutation), unless something newer is already known. */
  upsert(job: Job): void {
    this.#merge.upsert(job);
  }

  async #fetchAll(): Promise<Job[]> {
    const jobs: Job[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < LIST_MAX_PAGES; page++) {
      const result: { items: Job[]; nextCursor: string | null } = await api.downloads.list.query({
        limit: LIST_PAGE_SIZE,
        cursor,
      });
      jobs.push(...result.items);
      cursor = result.nextCursor;
      if (!cursor) break;
    }
    return jobs;
  }
}

export const jobs = new JobsStore();
