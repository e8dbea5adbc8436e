/**
 * The engine's NotificationStore over `notifications`, `notification_destinations` and the outbox
 * `notification_deliveries`. A notification is inserted once per dedupe key (a second process
 * seeing the same job event inserts nothing), and its deliveries are written in the same
 * transaction. Deliveries are claimed with `FOR UPDATE SKIP LOCKED` and a lease, like jobs.
 */
import { and, asc, desc, eq, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm';
import { destinationWants } from '@modeldock/engine';
import type {
  ClaimedDelivery,
  DestinationRecord,
  NotificationRecord,
  NotificationStore,
} from '@modeldock/engine';
import type { Database } from '../database';
import { withDatabaseErrors } from '../database-errors';
import { notificationDeliveries, notificationDestinations, notifications } from '../schema';
import { createTimeOrderedId } from '../time-ordered-id';

type NotificationRow = typeof notifications.$inferSelect;
type DestinationRow = typeof notificationDestinations.$inferSelect;

function toNotificationRecord(row: NotificationRow): NotificationRecord {
  return {
    id: row.id,
    event: row.event,
    title: row.title,
    message: row.message,
    subject: row.subject,
    dedupeKey: row.dedupeKey,
    createdAt: row.createdAt,
    readAt: row.readAt,
  };
}

function toDestinationRecord(
  row: DestinationRow,
  counts: { pending: number; failed: number } = { pending: 0, failed: 0 },
): DestinationRecord {
  return {
    id: row.id,
    kind: row.kind,
    url: row.url,
    events: row.events,
    createdAt: row.createdAt,
    lastSuccessAt: row.lastSuccessAt,
    lastErrorAt: row.lastErrorAt,
    lastError: row.lastError,
    pendingDeliveries: counts.pending,
    failedDeliveries: counts.failed,
  };
}

export function createNotificationStore(db: Database): NotificationStore {
  // Spelled out: inside a subquery drizzle would leave the outer column unqualified.
  const deliveryCount = (status: 'pending' | 'failed') =>
    sql<number>`(select count(*) from notification_deliveries d where d.destination_id = notification_destinations.id and d.status = ${status})`.mapWith(
      Number,
    );

  async function readDestinations(id?: string): Promise<DestinationRecord[]> {
    const rows = await db
      .select({
        row: notificationDestinations,
        pending: deliveryCount('pending'),
        failed: deliveryCount('failed'),
      })
      .from(notificationDestinations)
      .where(id === undefined ? undefined : eq(notificationDestinations.id, id))
      .orderBy(asc(notificationDestinations.createdAt), asc(notificationDestinations.id));
    return rows.map(({ row, pending, failed }) => toDestinationRecord(row, { pending, failed }));
  }

  return {
    addNotification(input, now) {
      return withDatabaseErrors('recording a notification', () =>
        db.transaction(async (tx) => {
          const [row] = await tx
            .insert(notifications)
            .values({
              id: createTimeOrderedId(),
              event: input.event,
              title: input.title,
              message: input.message,
              subject: input.subject,
              dedupeKey: input.dedupeKey,
              createdAt: now,
            })
            .onConflictDoNothing({ target: notifications.dedupeKey })
            .returning();
          if (!row) return null;
          const destinations = await tx.select().from(notificationDestinations);
          const wanted = destinations.filter((destination) =>
            destinationWants(destination, input.event),
          );
          if (wanted.length > 0) {
            await tx.insert(notificationDeliveries).values(
              wanted.map((destination) => ({
                id: createTimeOrderedId(),
                notificationId: row.id,
                destinationId: destination.id,
                status: 'pending' as const,
                attempts: 0,
                nextAttemptAt: now,
                createdAt: now,
              })),
            );
          }
          return toNotificationRecord(row);
        }),
      );
    },

    listNotifications(query) {
      return withDatabaseErrors('listing notifications', async () => {
        const rows = await db
          .select()
          .from(notifications)
          .where(query.before ? lt(notifications.id, query.before) : undefined)
          .orderBy(desc(notifications.id))
          .limit(query.limit);
        return rows.map(toNotificationRecord);
      });
    },

    countUnread() {
      return withDatabaseErrors('counting unread notifications', async () => {
        const [row] = await db
          .select({ value: sql<number>`count(*)`.mapWith(Number) })
          .from(notifications)
          .where(isNull(notifications.readAt));
        return row?.value ?? 0;
      });
    },

    markRead(ids, now) {
      return withDatabaseErrors('marking notifications read', async () => {
        if (ids !== 'all' && ids.length === 0) return 0;
        const rows = await db
          .update(notifications)
          .set({ readAt: now })
          .where(
            ids === 'all'
              ? isNull(notifications.readAt)
              : and(isNull(notifications.readAt), inArray(notifications.id, ids)),
          )
          .returning({ id: notifications.id });
        return rows.length;
      });
    },

    listDestinations() {
      return withDatabaseErrors('listing notification destinations', () => readDestinations());
    },

    getDestination(id) {
      return withDatabaseErrors('reading a notification destination', async () => {
        const [record] = await readDestinations(id);
        return record ?? null;
      });
    },

    addDestination(input, now) {
      return withDatabaseErrors('adding a notification destination', async () => {
        const [row] = await db
          .insert(notificationDestinations)
          .values({
            id: createTimeOrderedId(),
            kind: input.kind,
            url: input.url,
            events: input.events,
            createdAt: now,
          })
          .returning();
        return toDestinationRecord(row!);
      });
    },

    removeDestination(id) {
      return withDatabaseErrors('removing a notification destination', async () => {
        const rows = await db
          .delete(notificationDestinations)
          .where(eq(notificationDestinations.id, id))
          .returning({ id: notificationDestinations.id });
        return rows.length > 0;
      });
    },

    recordDestinationOutcome(id, outcome, now) {
      return withDatabaseErrors('recording a notification destination’s outcome', async () => {
        await db
          .update(notificationDestinations)
          .set(outcome.ok ? { lastSuccessAt: now } : { lastErrorAt: now, lastError: outcome.error })
          .where(eq(notificationDestinations.id, id));
      });
    },

    claimDueDeliveries(workerId, now, leaseMs, limit) {
      return withDatabaseErrors('taking due notification deliveries', () =>
        db.transaction(async (tx) => {
          const candidates = await tx
            .select({ id: notificationDeliveries.id })
            .from(notificationDeliveries)
            .where(
              and(
                eq(notificationDeliveries.status, 'pending'),
                lte(notificationDeliveries.nextAttemptAt, now),
                or(
                  isNull(notificationDeliveries.leaseExpiresAt),
                  lte(notificationDeliveries.leaseExpiresAt, now),
                ),
              ),
            )
            .orderBy(asc(notificationDeliveries.nextAttemptAt), asc(notificationDeliveries.id))
            .limit(limit)
            .for('update', { skipLocked: true });
          if (candidates.length === 0) return [];
          const claimed = await tx
            .update(notificationDeliveries)
            .set({
              leaseOwner: workerId,
              leaseExpiresAt: new Date(now.getTime() + leaseMs),
              attempts: sql`${notificationDeliveries.attempts} + 1`,
            })
            .where(
              inArray(
                notificationDeliveries.id,
                candidates.map((candidate) => candidate.id),
              ),
            )
            .returning();
          const notificationRows = await tx
            .select()
            .from(notifications)
            .where(
              inArray(notifications.id, [...new Set(claimed.map((row) => row.notificationId))]),
            );
          const destinationRows = await tx
            .select()
            .from(notificationDestinations)
            .where(
              inArray(notificationDestinations.id, [
                ...new Set(claimed.map((row) => row.destinationId)),
              ]),
            );
          const notificationById = new Map(
            notificationRows.map((row) => [row.id, toNotificationRecord(row)]),
          );
          const destinationById = new Map(
            destinationRows.map((row) => [row.id, toDestinationRecord(row)]),
          );
          return claimed
            .sort(
              (a, b) =>
                a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime() || a.id.localeCompare(b.id),
            )
            .map((row): ClaimedDelivery => ({
              delivery: {
                id: row.id,
                notificationId: row.notificationId,
                destinationId: row.destinationId,
                status: row.status,
                attempts: row.attempts,
                nextAttemptAt: row.nextAttemptAt,
                lastError: row.lastError,
              },
              notification: notificationById.get(row.notificationId)!,
              destination: destinationById.get(row.destinationId)!,
            }));
        }),
      );
    },

    finishDelivery(id, workerId, outcome, now) {
      return withDatabaseErrors('recording a notification delivery', () =>
        db.transaction(async (tx) => {
          const mine = and(
            eq(notificationDeliveries.id, id),
            eq(notificationDeliveries.leaseOwner, workerId),
          );
          if (outcome.ok) {
            const [row] = await tx
              .delete(notificationDeliveries)
              .where(mine)
              .returning({ destinationId: notificationDeliveries.destinationId });
            if (row) {
              await tx
                .update(notificationDestinations)
                .set({ lastSuccessAt: now })
                .where(eq(notificationDestinations.id, row.destinationId));
            }
            return;
          }
          const [row] = await tx
            .update(notificationDeliveries)
            .set({
              status: outcome.retryAt ? 'pending' : 'failed',
              nextAttemptAt: outcome.retryAt ?? now,
              lastError: outcome.error,
              leaseOwner: null,
              leaseExpiresAt: null,
            })
            .where(mine)
            .returning({ destinationId: notificationDeliveries.destinationId });
          if (row) {
            await tx
              .update(notificationDestinations)
              .set({ lastErrorAt: now, lastError: outcome.error })
              .where(eq(notificationDestinations.id, row.destinationId));
          }
        }),
      );
    },
  };
}
