/**
 * The job event stream. Status changes (created, status, updated, removed) are stored first so a
 * reconnecting client can replay them, and carry the stored id; progress events are live only and
 * carry `<lastStoredId>.<n>`, so "after 42.7" still means "after stored event 42".
 */
import { ModeldockError } from '../errors';
import { toJobSummary } from '../job-model';
import type { JobRecord, LiveProgress, NodePresence } from '../job-model';
import type { JobStore, Logger, StoredJobEvent, Clock } from '../ports';
import type { JobEvent, JobEventListener } from './download-manager-api';

const REPLAY_PAGE_SIZE = 500;
const EVENT_ID = /^(\d+)(?:\.\d+)?$/;

export type StoredEventType = 'created' | 'status' | 'updated';

export class JobEventHub {
  private readonly listeners = new Set<JobEventListener>();
  private lastStoredId = 0n;
  private progressCounter = 0;

  constructor(
    private readonly store: JobStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly presence: NodePresence | null = null,
  ) {}

  /** Continues the numbering after what the store already holds. */
  async init(): Promise<void> {
    this.noteStoredId(await this.store.latestEventId());
  }

  subscribe(listener: JobEventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Stores a change of `job` and publishes it. Returns the stored event's id. */
  async record(type: StoredEventType, job: JobRecord, live?: LiveProgress): Promise<string> {
    const summary = toJobSummary(job, live, undefined, this.presence ?? undefined);
    const stored = await this.store.appendEvent(job.id, type, summary, new Date(this.clock.now()));
    this.noteStoredId(stored.id);
    this.publish({ id: stored.id, jobId: job.id, type, job: summary });
    return stored.id;
  }

  async recordRemoved(jobId: string): Promise<void> {
    const stored = await this.store.appendEvent(jobId, 'removed', null, new Date(this.clock.now()));
    this.noteStoredId(stored.id);
    this.publish({ id: stored.id, jobId, type: 'removed', job: null });
  }

  /** A live progress event between stored ones; never stored. */
  publishProgress(job: JobRecord, live: LiveProgress): void {
    if (this.listeners.size === 0) return;
    this.progressCounter++;
    this.publish({
      id: `${this.lastStoredId}.${this.progressCounter}`,
      jobId: job.id,
      type: 'progress',
      job: toJobSummary(job, live, undefined, this.presence ?? undefined),
    });
  }

  /** Stored events after the integer part of `lastEventId`, oldest first. */
  async eventsAfter(lastEventId: string, jobId?: string): Promise<JobEvent[]> {
    const match = EVENT_ID.exec(lastEventId.trim());
    if (!match) {
      throw new ModeldockError(
        'INVALID_INPUT',
        `"${lastEventId.slice(0, 40)}" is not an event id: send back the id of the last event received, such as "42" or "42.7"`,
      );
    }
    const events: JobEvent[] = [];
    let after = BigInt(match[1]!).toString();
    for (;;) {
      const page = await this.store.listEventsAfter(after, jobId, REPLAY_PAGE_SIZE);
      events.push(...page.map(toJobEvent));
      if (page.length < REPLAY_PAGE_SIZE) break;
      after = page[page.length - 1]!.id;
    }
    return events;
  }

  private noteStoredId(id: string): void {
    const value = BigInt(id);
    // Appends from concurrent callers may come back out of order: the numbering only moves forward.
    if (value > this.lastStoredId) {
      this.lastStoredId = value;
      this.progressCounter = 0;
    }
  }

  private publish(event: JobEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.warn(
          { jobId: event.jobId, eventId: event.id, message: error instanceof Error ? error.message : String(error) },
          'job event listener failed',
        );
      }
    }
  }
}

function toJobEvent(stored: StoredJobEvent): JobEvent {
  return { id: stored.id, jobId: stored.jobId, type: stored.type, job: stored.job };
}
