/**
 * Keeps one map of jobs right when the same job arrives over three channels that race each other:
 * list snapshots (HTTP), mutation replies (HTTP) and live events (WebSocket). The rule is simple:
 * a newer `updatedAt` wins, removals are final, and events that arrive while a snapshot is in flight
 * are replayed over it. Plain TypeScript so it can be tested without a browser.
 */
import type { Job, JobEvent } from '../api/types';

export class JobListMerge {
  readonly #jobs: Map<string, Job>;
  /** Ids the server said are gone, so a snapshot or reply that raced the removal cannot bring them back. */
  readonly #removed = new Set<string>();
  /** Events received since a snapshot was requested, or null when none is in flight. */
  #eventsDuringSnapshot: JobEvent[] | null = null;

  /** `jobs` is the map the page renders from (a reactive map in the app). */
  constructor(jobs: Map<string, Job>) {
    this.#jobs = jobs;
  }

  /** Call before requesting a list: events from now on are kept to be replayed over its result. */
  beginSnapshot(): void {
    this.#eventsDuringSnapshot ??= [];
  }

  /** Replaces the map with the server's list, then replays the events that raced it. */
  applySnapshot(snapshot: Job[]): void {
    const raced = this.#eventsDuringSnapshot ?? [];
    this.#eventsDuringSnapshot = null;
    const ids = new Set(snapshot.map((job) => job.id));
    for (const id of [...this.#jobs.keys()]) if (!ids.has(id)) this.#jobs.delete(id);
    for (const job of snapshot) this.upsert(job);
    for (const event of raced) this.#apply(event);
  }

  /** The list request failed: stop keeping events; the map stays as it was, kept live by events. */
  abandonSnapshot(): void {
    this.#eventsDuringSnapshot = null;
  }

  receive(event: JobEvent): void {
    this.#eventsDuringSnapshot?.push(event);
    this.#apply(event);
  }

  /** Takes in a job unless it was removed or something newer is already known. */
  upsert(job: Job): void {
    if (this.#removed.has(job.id)) return;
    const known = this.#jobs.get(job.id);
    if (known && Date.parse(job.updatedAt) < Date.parse(known.updatedAt)) return;
    this.#jobs.set(job.id, job);
  }

  #apply(event: JobEvent): void {
    if (event.type === 'removed' || event.job === null) {
      this.#removed.add(event.jobId);
      this.#jobs.delete(event.jobId);
      return;
    }
    this.upsert(event.job);
  }
}
