/**
 * The notifications domain: `publish` records a notification once (in-app centre) and queues it for
 * every destination that wants its event; the outbox task sends them. Destinations are added,
 * removed and tested here. Nothing a caller does here can fail the work that raised the
 * notification: `publish` logs a store failure and returns null.
 */
import { randomUUID } from 'node:crypto';
import { ModeldockError, describeError } from '../errors';
import type { Clock, HttpClient, Logger } from '../ports';
import type { TaskRunner } from '../tasks/task-runner';
import type { JobEventListener } from '../jobs/download-manager-api';
import {
  assertResolvedHostAllowed,
  describeDestinationUrl,
  registerDestinationSecrets,
  validateDestinationInput,
} from './destination-input';
import type { ResolveAll } from '../http/address-guard';
import {
  keyInvalidNotification,
  maintenanceNotification,
  notificationForJobEvent,
} from './notification-inputs';
import type { KeyInvalidReport, MaintenanceReport } from './notification-inputs';
import type {
  DestinationRecord,
  NotificationEvent,
  NotificationInput,
  NotificationRecord,
  NotificationStore,
} from './notification-model';
import { DEFAULT_DELIVERY_POLICY, deliverDue, sendNotification } from './outbox';
import type { DeliveryPolicy } from './outbox';

export const NOTIFICATION_DELIVERY_TASK = 'notification-delivery';
const MAX_PAGE = 200;
const DEFAULT_PAGE = 50;
const ID = /^[A-Za-z0-9-]{1,64}$/;

export interface NotificationView {
  id: string;
  event: NotificationEvent;
  title: string;
  message: string;
  subject: Record<string, unknown>;
  /** ISO times. */
  createdAt: string;
  readAt: string | null;
  read: boolean;
}

export interface DestinationView {
  id: string;
  kind: DestinationRecord['kind'];
  /** Without user info; a query shows as `?…`. */
  url: string;
  /** Empty: every event. */
  events: NotificationEvent[];
  createdAt: string;
  lastSuccessAt: string | null;
  lastErrorAt: string | null;
  lastError: string | null;
  pendingDeliveries: number;
  failedDeliveries: number;
}

export interface NotificationPage {
  items: NotificationView[];
  unread: number;
  nextCursor: string | null;
}

export interface DestinationTestResult {
  ok: boolean;
  /** The HTTP status the destination answered, when it answered. */
  status: number | null;
  error: string | null;
  destination: DestinationView;
}

export interface NotificationsPorts {
  store: NotificationStore;
  /** The engine's guarded client: the same private-address rules as downloads. */
  http: HttpClient;
  clock: Clock;
  logger: Logger;
  /** Runs the outbox; without it deliveries wait for `deliverDue()`. */
  tasks?: TaskRunner;
  /** This process's lease owner id, for claiming deliveries. */
  workerId: string;
  /** The operator's opt-in for LAN addresses (MODELDOCK_ALLOW_PRIVATE_HOSTS). */
  allowPrivateHosts: boolean;
  delivery?: Partial<DeliveryPolicy>;
  /** Resolves a destination's host name when it is added (refused when private); none: not checked until delivery. */
  resolveAll?: ResolveAll;
}

export interface Notifications {
  /** Records a notification and queues its deliveries; null when already recorded or on a store failure (logged). */
  publish(input: NotificationInput): Promise<NotificationView | null>;
  /** maintenance.report: N updates, N previews recovered, N models missing. */
  reportMaintenance(report: MaintenanceReport): Promise<NotificationView | null>;
  /** key.invalid: a saved API key its platform refused. */
  reportKeyInvalid(report: KeyInvalidReport): Promise<NotificationView | null>;
  /** Publishes download.completed / download.failed / bundle.partial for jobs this process finishes. */
  watchJobs(source: { subscribe(listener: JobEventListener): () => void }): () => void;

  list(query?: { limit?: number; cursor?: string | null }): Promise<NotificationPage>;
  markRead(target: { ids: string[] } | { all: true }): Promise<{ marked: number; unread: number }>;

  destinations: {
    list(): Promise<DestinationView[]>;
    add(input: { kind: unknown; url: unknown; events?: unknown }): Promise<DestinationView>;
    remove(id: string): Promise<{ removed: boolean }>;
    /** Sends a test notification at once (not through the outbox) and records the outcome. */
    test(id: string): Promise<DestinationTestResult>;
  };

  /** One pass over the outbox; returns how many deliveries were attempted. */
  deliverDue(signal?: AbortSignal): Promise<number>;
  /** Registers the outbox task on `tasks`, and registers stored URLs' secrets for redaction. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

function toNotificationView(record: NotificationRecord): NotificationView {
  return {
    id: record.id,
    event: record.event,
    title: record.title,
    message: record.message,
    subject: record.subject,
    createdAt: record.createdAt.toISOString(),
    readAt: record.readAt?.toISOString() ?? null,
    read: record.readAt !== null,
  };
}

export function toDestinationView(record: DestinationRecord): DestinationView {
  return {
    id: record.id,
    kind: record.kind,
    url: describeDestinationUrl(record.url),
    events: [...record.events],
    createdAt: record.createdAt.toISOString(),
    lastSuccessAt: record.lastSuccessAt?.toISOString() ?? null,
    lastErrorAt: record.lastErrorAt?.toISOString() ?? null,
    lastError: record.lastError,
    pendingDeliveries: record.pendingDeliveries,
    failedDeliveries: record.failedDeliveries,
  };
}

function destinationNotFound(id: string): ModeldockError {
  return new ModeldockError(
    'NOTIFICATION_DESTINATION_NOT_FOUND',
    `No notification destination has the id ${ID.test(id) ? id : '(not an id)'}`,
  );
}

export function createNotifications(ports: NotificationsPorts): Notifications {
  const { store, http, clock, logger, tasks, workerId, allowPrivateHosts } = ports;
  const policy: DeliveryPolicy = { ...DEFAULT_DELIVERY_POLICY, ...ports.delivery };
  const now = () => new Date(clock.now());
  let started = false;

  async function publish(input: NotificationInput): Promise<NotificationView | null> {
    try {
      const record = await store.addNotification(input, now());
      if (!record) return null;
      logger.info({ notificationId: record.id, event: record.event }, 'notification recorded');
      if (started) tasks?.trigger(NOTIFICATION_DELIVERY_TASK);
      return toNotificationView(record);
    } catch (error) {
      logger.warn(
        { event: input.event, message: describeError(error) },
        'could not record a notification',
      );
      return null;
    }
  }

  async function destinationView(id: string): Promise<DestinationView> {
    const record = ID.test(id) ? await store.getDestination(id) : null;
    if (!record) throw destinationNotFound(id);
    return toDestinationView(record);
  }

  const outbox = (signal?: AbortSignal) =>
    deliverDue({ store, http, clock, logger, workerId, policy }, signal);

  return {
    publish,
    reportMaintenance: (report) =>
      publish(maintenanceNotification(report, `maintenance:${randomUUID()}`)),
    reportKeyInvalid: (report) => publish(keyInvalidNotification(report)),

    watchJobs(source) {
      return source.subscribe((event) => {
        const input = notificationForJobEvent(event);
        // Not awaited: the job's own work never waits for its notification.
        if (input) void publish(input);
      });
    },

    async list(query = {}) {
      const limit = Math.min(Math.max(Math.trunc(query.limit ?? DEFAULT_PAGE), 1), MAX_PAGE);
      const before = query.cursor ?? null;
      if (before !== null && !ID.test(before)) {
        throw new ModeldockError(
          'INVALID_INPUT',
          'cursor must be the nextCursor of a previous page',
        );
      }
      const [rows, unread] = await Promise.all([
        store.listNotifications({ limit: limit + 1, before }),
        store.countUnread(),
      ]);
      const items = rows.slice(0, limit).map(toNotificationView);
      return {
        items,
        unread,
        nextCursor: rows.length > limit ? items[items.length - 1]!.id : null,
      };
    },

    async markRead(target) {
      let ids: string[] | 'all';
      if ('all' in target) {
        ids = 'all';
      } else {
        ids = target.ids.filter((id) => ID.test(id));
      }
      const marked = ids === 'all' || ids.length > 0 ? await store.markRead(ids, now()) : 0;
      return { marked, unread: await store.countUnread() };
    },

    destinations: {
      async list() {
        return (await store.listDestinations()).map(toDestinationView);
      },
      async add(raw) {
        const input = validateDestinationInput(raw, { allowPrivateHosts });
        if (ports.resolveAll)
          await assertResolvedHostAllowed(new URL(input.url), allowPrivateHosts, ports.resolveAll);
        const record = await store.addDestination(input, now());
        logger.info(
          {
            destinationId: record.id,
            kind: record.kind,
            url: describeDestinationUrl(record.url),
            events: record.events,
          },
          'notification destination added',
        );
        return toDestinationView(record);
      },
      async remove(id) {
        const removed = ID.test(id) ? await store.removeDestination(id) : false;
        if (removed) logger.info({ destinationId: id }, 'notification destination removed');
        return { removed };
      },
      async test(id) {
        const destination = ID.test(id) ? await store.getDestination(id) : null;
        if (!destination) throw destinationNotFound(id);
        const sample: NotificationRecord = {
          id: `test-${randomUUID()}`,
          event: 'download.completed',
          title: 'modeldock test notification',
          message: 'Notifications from modeldock reach this destination.',
          subject: { type: 'test' },
          dedupeKey: 'test',
          createdAt: now(),
          readAt: null,
        };
        const result = await sendNotification(http, destination, sample, {
          timeoutMs: policy.timeoutMs,
          test: true,
        });
        await store.recordDestinationOutcome(
          destination.id,
          result.ok ? { ok: true } : { ok: false, error: result.error },
          now(),
        );
        return {
          ok: result.ok,
          status: result.status,
          error: result.ok ? null : result.error,
          destination: await destinationView(destination.id),
        };
      },
    },

    deliverDue: outbox,

    async start() {
      for (const destination of await store.listDestinations()) {
        try {
          registerDestinationSecrets(new URL(destination.url));
        } catch {
          // Stored URLs were checked when added; nothing to register for one that no longer parses.
        }
      }
      started = true;
      tasks?.register({
        name: NOTIFICATION_DELIVERY_TASK,
        schedule: { every: policy.pollMs, firstAfter: 0 },
        failureMessage: 'delivering notifications failed',
        run: async (signal) => {
          await outbox(signal);
        },
      });
    },

    async stop() {
      started = false;
      await tasks?.remove(NOTIFICATION_DELIVERY_TASK);
    },
  };
}
