/** The engine's NotificationStore in memory, for unit tests (packages/db has the SQL one). */
import { destinationWants } from '@modeldock/engine';
import type {
  ClaimedDelivery,
  DeliveryRecord,
  DestinationRecord,
  NotificationRecord,
  NotificationStore,
} from '@modeldock/engine';

interface StoredDelivery extends DeliveryRecord {
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
}

type StoredDestination = Omit<DestinationRecord, 'pendingDeliveries' | 'failedDeliveries'>;

export class MemoryNotificationStore implements NotificationStore {
  readonly notifications: NotificationRecord[] = [];
  readonly destinations: StoredDestination[] = [];
  readonly deliveries: StoredDelivery[] = [];
  private counter = 0;

  /** Ids sort like the SQL store's UUIDv7: by creation. */
  private nextId(): string {
    this.counter++;
    return `00000000-0000-7000-8000-${this.counter.toString().padStart(12, '0')}`;
  }

  async addNotification(input: Parameters<NotificationStore['addNotification']>[0], now: Date) {
    if (this.notifications.some((row) => row.dedupeKey === input.dedupeKey)) return null;
    const record: NotificationRecord = {
      ...input,
      id: this.nextId(),
      createdAt: new Date(now),
      readAt: null,
    };
    this.notifications.push(record);
    for (const destination of this.destinations) {
      if (!destinationWants(destination, input.event)) continue;
      this.deliveries.push({
        id: this.nextId(),
        notificationId: record.id,
        destinationId: destination.id,
        status: 'pending',
        attempts: 0,
        nextAttemptAt: new Date(now),
        lastError: null,
        leaseOwner: null,
        leaseExpiresAt: null,
      });
    }
    return { ...record };
  }

  async listNotifications(query: { limit: number; before?: string | null }) {
    return this.notifications
      .filter((row) => !query.before || row.id < query.before)
      .sort((a, b) => (a.id < b.id ? 1 : -1))
      .slice(0, query.limit)
      .map((row) => ({ ...row }));
  }

  async countUnread() {
    return this.notifications.filter((row) => row.readAt === null).length;
  }

  async markRead(ids: string[] | 'all', now: Date) {
    let marked = 0;
    for (const row of this.notifications) {
      if (row.readAt !== null || (ids !== 'all' && !ids.includes(row.id))) continue;
      row.readAt = new Date(now);
      marked++;
    }
    return marked;
  }

  private withCounts(destination: StoredDestination): DestinationRecord {
    const mine = this.deliveries.filter((row) => row.destinationId === destination.id);
    return {
      ...destination,
      events: [...destination.events],
      pendingDeliveries: mine.filter((row) => row.status === 'pending').length,
      failedDeliveries: mine.filter((row) => row.status === 'failed').length,
    };
  }

  async listDestinations() {
    return this.destinations.map((row) => this.withCounts(row));
  }

  async getDestination(id: string) {
    const row = this.destinations.find((candidate) => candidate.id === id);
    return row ? this.withCounts(row) : null;
  }

  async addDestination(input: Parameters<NotificationStore['addDestination']>[0], now: Date) {
    const row: StoredDestination = {
      ...input,
      events: [...input.events],
      id: this.nextId(),
      createdAt: new Date(now),
      lastSuccessAt: null,
      lastErrorAt: null,
      lastError: null,
    };
    this.destinations.push(row);
    return this.withCounts(row);
  }

  async removeDestination(id: string) {
    const index = this.destinations.findIndex((row) => row.id === id);
    if (index < 0) return false;
    this.destinations.splice(index, 1);
    for (let i = this.deliveries.length - 1; i >= 0; i--) {
      if (this.deliveries[i]!.destinationId === id) this.deliveries.splice(i, 1);
    }
    return true;
  }

  async recordDestinationOutcome(
    id: string,
    outcome: { ok: true } | { ok: false; error: string },
    now: Date,
  ) {
    const row = this.destinations.find((candidate) => candidate.id === id);
    if (!row) return;
    if (outcome.ok) row.lastSuccessAt = new Date(now);
    else Object.assign(row, { lastErrorAt: new Date(now), lastError: outcome.error });
  }

  async claimDueDeliveries(workerId: string, now: Date, leaseMs: number, limit: number) {
    const due = this.deliveries
      .filter(
        (row) =>
          row.status === 'pending' &&
          row.nextAttemptAt <= now &&
          (row.leaseExpiresAt === null || row.leaseExpiresAt <= now),
      )
      .sort(
        (a, b) => a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime() || (a.id < b.id ? -1 : 1),
      )
      .slice(0, limit);
    return due.map((row): ClaimedDelivery => {
      row.leaseOwner = workerId;
      row.leaseExpiresAt = new Date(now.getTime() + leaseMs);
      row.attempts++;
      const { leaseOwner: _owner, leaseExpiresAt: _expires, ...delivery } = row;
      return {
        delivery: { ...delivery, nextAttemptAt: new Date(row.nextAttemptAt) },
        notification: { ...this.notifications.find((n) => n.id === row.notificationId)! },
        destination: this.withCounts(this.destinations.find((d) => d.id === row.destinationId)!),
      };
    });
  }

  async finishDelivery(
    id: string,
    workerId: string,
    outcome: Parameters<NotificationStore['finishDelivery']>[2],
    now: Date,
  ) {
    const index = this.deliveries.findIndex((row) => row.id === id && row.leaseOwner === workerId);
    if (index < 0) return;
    const row = this.deliveries[index]!;
    const destination = this.destinations.find((candidate) => candidate.id === row.destinationId);
    if (outcome.ok) {
      this.deliveries.splice(index, 1);
      if (destination) destination.lastSuccessAt = new Date(now);
      return;
    }
    Object.assign(row, {
      status: outcome.retryAt ? 'pending' : 'failed',
      nextAttemptAt: new Date(outcome.retryAt ?? now),
      lastError: outcome.error,
      leaseOwner: null,
      leaseExpiresAt: null,
    });
    if (destination)
      Object.assign(destination, { lastErrorAt: new Date(now), lastError: outcome.error });
  }
}
