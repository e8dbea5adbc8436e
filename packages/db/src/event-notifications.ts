/**
 * `watchEvents`: stored job events as they are appended, by any process, each delivered once.
 *
 * PGlite has one process, so it is a local fan-out. On PostgreSQL each append also sends
 * NOTIFY on `modeldock_job_events` with "<instance>:<event id>"; every process LISTENs, skips its
 * own (already delivered locally) and loads the others' events by id. After a reconnect the
 * listener catches up from the newest event it delivered, since notifications sent while it was
 * away are lost.
 */
import type { Sql } from 'postgres';
import type { Logger, StoredJobEvent } from '@modeldock/engine';
import { createTimeOrderedId } from './time-ordered-id';

export const EVENT_CHANNEL = 'modeldock_job_events';

export type StoredEventListener = (event: StoredJobEvent) => void;

export interface EventNotifications {
  /** The job store calls this once an event is stored. */
  published(event: StoredJobEvent): Promise<void>;
  /** Returns an unsubscribe. */
  watch(listener: StoredEventListener): () => void;
  close(): Promise<void>;
}

/** What the PostgreSQL listener reads back from the store. */
export interface StoredEventReader {
  getEvent(eventId: string): Promise<StoredJobEvent | null>;
  listEventsAfter(afterId: string, jobId?: string, limit?: number): Promise<StoredJobEvent[]>;
  latestEventId(): Promise<string>;
}

/** Ids delivered recently: enough to de-duplicate a catch-up against what arrived live. */
const REMEMBERED_IDS = 4096;
const CATCH_UP_PAGE = 500;

class ListenerSet {
  private readonly listeners = new Set<StoredEventListener>();
  private readonly delivered = new Set<string>();
  /** The newest event id delivered, where a catch-up starts. */
  newestId = 0n;

  constructor(private readonly logger: Logger | undefined) {}

  get size(): number {
    return this.listeners.size;
  }

  add(listener: StoredEventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  clear(): void {
    this.listeners.clear();
  }

  deliver(event: StoredJobEvent): void {
    if (this.delivered.has(event.id)) return;
    this.delivered.add(event.id);
    if (this.delivered.size > REMEMBERED_IDS)
      this.delivered.delete(this.delivered.values().next().value!);
    const id = BigInt(event.id);
    if (id > this.newestId) this.newestId = id;
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        // One broken watcher must not keep the event from the others.
        this.logger?.warn(
          { jobId: event.jobId, message: (error as Error)?.message },
          'job event watcher failed',
        );
      }
    }
  }
}

export function createLocalEventNotifications(logger?: Logger): EventNotifications {
  const listeners = new ListenerSet(logger);
  return {
    async published(event) {
      listeners.deliver(event);
    },
    watch: (listener) => listeners.add(listener),
    async close() {
      listeners.clear();
    },
  };
}

export function createPostgresEventNotifications(
  client: Sql,
  reader: StoredEventReader,
  logger?: Logger,
): EventNotifications {
  const instanceId = createTimeOrderedId();
  const listeners = new ListenerSet(logger);
  let listening: Promise<{ unlisten(): Promise<void> }> | null = null;
  let closed = false;
  // Loads run one after another so watchers see events in the order they were announced.
  let queue: Promise<void> = Promise.resolve();

  function enqueue(work: () => Promise<void>): void {
    queue = queue.then(work).catch((error: unknown) => {
      logger?.warn(
        { message: (error as Error)?.message },
        'could not load a job event announced by another process',
      );
    });
  }

  function onNotification(payload: string): void {
    const separator = payload.lastIndexOf(':');
    const sender = payload.slice(0, separator);
    const eventId = payload.slice(separator + 1);
    if (sender === instanceId || !/^\d+$/.test(eventId)) return;
    enqueue(async () => {
      const event = await reader.getEvent(eventId);
      if (event && !closed) listeners.deliver(event);
    });
  }

  function catchUp(): void {
    enqueue(async () => {
      let after = listeners.newestId.toString();
      for (;;) {
        const page = await reader.listEventsAfter(after, undefined, CATCH_UP_PAGE);
        for (const event of page) if (!closed) listeners.deliver(event);
        if (page.length < CATCH_UP_PAGE) return;
        after = page[page.length - 1]!.id;
      }
    });
  }

  async function startListening(): Promise<{ unlisten(): Promise<void> }> {
    // Events appended from now on are wanted: start from the newest stored one, then LISTEN; the
    // catch-up that follows every (re)connect covers what was appended while LISTEN was starting.
    const latest = BigInt(await reader.latestEventId());
    if (latest > listeners.newestId) listeners.newestId = latest;
    return client.listen(EVENT_CHANNEL, onNotification, catchUp);
  }

  return {
    async published(event) {
      listeners.deliver(event);
      try {
        await client.notify(EVENT_CHANNEL, `${instanceId}:${event.id}`);
      } catch (error) {
        // The event is stored: others still see it when they reconnect or replay from the store.
        logger?.warn(
          { jobId: event.jobId, message: (error as Error)?.message },
          'could not announce a job event to other processes',
        );
      }
    },

    watch(listener) {
      const unsubscribe = listeners.add(listener);
      if (!listening && !closed) {
        listening = startListening();
        listening.catch((error: unknown) => {
          listening = null;
          logger?.warn(
            { message: (error as Error)?.message },
            'could not listen for job events from other processes',
          );
        });
      }
      return unsubscribe;
    },

    async close() {
      closed = true;
      listeners.clear();
      const current = listening;
      listening = null;
      if (current) {
        try {
          await (await current).unlisten();
        } catch {
          // The connection is going away anyway.
        }
      }
      await queue;
    },
  };
}
