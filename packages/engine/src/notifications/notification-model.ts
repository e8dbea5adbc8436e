/**
 * What a notification is: one of a fixed set of events (the names are public: API, webhooks, ntfy
 * tags), a title and message a person reads, and a small summary of the job or task it is about.
 * A notification is recorded once (its `dedupeKey`), shown in the in-app centre, and delivered to
 * every outgoing destination that wants its event through a durable outbox.
 */

export const NOTIFICATION_EVENTS = [
  'download.completed',
  'download.failed',
  'bundle.partial',
  'maintenance.report',
  'key.invalid',
] as const;

export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export const DESTINATION_KINDS = ['webhook', 'ntfy'] as const;
export type DestinationKind = (typeof DESTINATION_KINDS)[number];

/** Plain JSON about what the notification is about: the job or task summary. Never a secret. */
export type NotificationSubject = Record<string, unknown>;

export interface NotificationInput {
  event: NotificationEvent;
  title: string;
  message: string;
  subject: NotificationSubject;
  /** Recording the same key twice records it once (e.g. the job's stored status event). */
  dedupeKey: string;
}

export interface NotificationRecord extends NotificationInput {
  id: string;
  createdAt: Date;
  readAt: Date | null;
}

export interface DestinationInput {
  kind: DestinationKind;
  /** Stored as given; shown and logged only through `describeDestinationUrl`. */
  url: string;
  /** Empty: every event. */
  events: NotificationEvent[];
}

export interface DestinationRecord extends DestinationInput {
  id: string;
  createdAt: Date;
  lastSuccessAt: Date | null;
  lastErrorAt: Date | null;
  /** Already redacted. */
  lastError: string | null;
  /** Deliveries still to be tried. */
  pendingDeliveries: number;
  /** Deliveries given up after the last attempt. */
  failedDeliveries: number;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface DeliveryRecord {
  id: string;
  notificationId: string;
  destinationId: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
}

/** A delivery taken by one worker, with what it needs to send it. */
export interface ClaimedDelivery {
  delivery: DeliveryRecord;
  notification: NotificationRecord;
  destination: DestinationRecord;
}

export type DeliveryOutcome =
  | { ok: true }
  /** `retryAt` null: attempts are used up, the delivery is given up. `error` is already redacted. */
  | { ok: false; error: string; retryAt: Date | null };

export interface NotificationPageQuery {
  limit: number;
  /** The id of the last notification of the previous page: the page holds older ones. */
  before?: string | null;
}

/** Where notifications, destinations and the outbox are kept (packages/db; memory in tests). */
export interface NotificationStore {
  /**
   * Records the notification and, in the same step, one pending delivery (due `now`) for every
   * destination whose events include it. Null when its `dedupeKey` was recorded before.
   */
  addNotification(input: NotificationInput, now: Date): Promise<NotificationRecord | null>;
  /** Newest first. */
  listNotifications(query: NotificationPageQuery): Promise<NotificationRecord[]>;
  countUnread(): Promise<number>;
  /** Marks unread ones read; returns how many changed. */
  markRead(ids: string[] | 'all', now: Date): Promise<number>;

  listDestinations(): Promise<DestinationRecord[]>;
  getDestination(id: string): Promise<DestinationRecord | null>;
  addDestination(input: DestinationInput, now: Date): Promise<DestinationRecord>;
  /** Removes it with its deliveries; false when there was none. */
  removeDestination(id: string): Promise<boolean>;
  /** Notes a test's outcome (or any send outside the outbox) on the destination. */
  recordDestinationOutcome(
    id: string,
    outcome: { ok: true } | { ok: false; error: string },
    now: Date,
  ): Promise<void>;

  /**
   * Takes up to `limit` pending deliveries due by `now` (or whose lease lapsed) for `workerId`,
   * counting the attempt; two workers never take the same one while its lease holds.
   */
  claimDueDeliveries(
    workerId: string,
    now: Date,
    leaseMs: number,
    limit: number,
  ): Promise<ClaimedDelivery[]>;
  /** Records the attempt's outcome on the delivery and its destination (if `workerId` still holds it). */
  finishDelivery(id: string, workerId: string, outcome: DeliveryOutcome, now: Date): Promise<void>;
}

export function isNotificationEvent(value: unknown): value is NotificationEvent {
  return (NOTIFICATION_EVENTS as readonly unknown[]).includes(value);
}

/** Whether a destination wants an event (no events chosen: all of them). */
export function destinationWants(
  destination: Pick<DestinationInput, 'events'>,
  event: NotificationEvent,
): boolean {
  return destination.events.length === 0 || destination.events.includes(event);
}
