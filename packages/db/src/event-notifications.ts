/**
 * `watchEvents`: stored job events as they are appended, by any process, each delivered once.
 *
 * PGlite has one process, so it is a local fan-out. On PostgreSQL each append also sends
 * NOTIFY on `modeldock_job_events` with "<instance>:<event id>"; every process LISTENs from the
 * moment it opens the database, skips its own notifications (already delivered locally) and loads
 * the others' events by id. After a reconnect, and every few seconds in case a notification was
 * lost, it catches up from the newest event it has seen.
 */
import type { Sql } from 'postgres';
import { createSystemClock, createTaskRunner } from '@modeldock/engine';
import type { Clock, Logger, StoredJobEvent } from '@modeldock/engine';
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

export interface PostgresNotificationOptions {
  logger?: Logger;
  /** How often to look for events whose notification never came. */
  pollIntervalMs?: number;
  clock?: Clock;
}

export const EVENT_CATCH_UP_TASK = 'job-event-catch-up';

const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

const DEFAULT_POLL_INTERVAL_MS = 5_000;

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

  /** Marks the stream as read up to `id` without delivering anything. */
  skipTo(id: bigint): void {
    if (id > this.newestId) this.newestId = id;
  }

  deliver(event: StoredJobEvent): void {
    if (this.delivered.has(event.id)) return;
    this.delivered.add(event.id);
    if (this.delivered.size > REMEMBERED_IDS)
      this.delivered.delete(this.delivered.values().next().value!);
    this.skipTo(BigInt(event.id));
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

/**
 * Starts listening before it resolves, so every event committed after openDatabase returns reaches
 * the watchers subscribed at that moment.
 */
export async function startPostgresEventNotifications(
  client: Sql,
  reader: StoredEventReader,
  options: PostgresNotificationOptions = {},
): Promise<EventNotifications> {
  const { logger, pollIntervalMs = DEFAULT_POLL_INTERVAL_MS } = options;
  const instanceId = createTimeOrderedId();
  const listeners = new ListenerSet(logger);
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
    if (sender === instanceId || !/^\d{1,19}$/.test(eventId) || closed) return;
    enqueue(async () => {
      // Nobody is watching: only remember how far the stream has gone.
      if (listeners.size === 0) return listeners.skipTo(BigInt(eventId));
      const event = await reader.getEvent(eventId);
      if (event && !closed) listeners.deliver(event);
    });
  }

  /** Runs on every (re)connect of the LISTEN connection: notifications sent meanwhile were lost. */
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

  /**
   * The safety net under NOTIFY: a notification can be lost (postgres.js gives up re-listening if
   * the server is down at that moment), so now and then look for what arrived unannounced.
   */
  async function sweep(): Promise<void> {
    if (closed) return;
    if (listeners.size > 0) catchUp();
    else enqueue(async () => listeners.skipTo(BigInt(await reader.latestEventId())));
    await queue;
  }

  listeners.skipTo(BigInt(await reader.latestEventId()));
  const listening = await client.listen(EVENT_CHANNEL, onNotification, catchUp);
  const tasks = createTaskRunner({
    clock: options.clock ?? createSystemClock(),
    logger: logger ?? silentLogger,
  });
  tasks.register({
    name: EVENT_CATCH_UP_TASK,
    schedule: { every: pollIntervalMs, firstAfter: pollIntervalMs },
    run: sweep,
  });
  tasks.start();

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

    watch: (listener) => listeners.add(listener),

    async close() {
      closed = true;
      await tasks.stop();
      listeners.clear();
      await listening.unlisten().catch(() => undefined);
      await queue;
    },
  };
}
