/**
 * The notification store's contract, run on memory, PGlite and PostgreSQL (two connections): one
 * record per dedupe key even when two processes add it at once, deliveries only for destinations
 * that want the event, newest-first pages and read marks, and an outbox whose deliveries two
 * workers never both hold, retried at their time and given up when told.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { NotificationInput, NotificationStore } from '@modeldock/engine';

const T0 = Date.parse('2031-05-06T07:08:09.000Z');
const at = (ms: number) => new Date(T0 + ms);
const LEASE = 60_000;

export interface TwoNotificationStores {
  /** The store as process A sees it. */
  a: NotificationStore;
  /** As process B sees it: another connection on PostgreSQL. */
  b: NotificationStore;
}

function input(
  key: string,
  event: NotificationInput['event'] = 'download.completed',
): NotificationInput {
  return {
    event,
    title: `title ${key}`,
    message: `message ${key}`,
    subject: { type: 'job', jobId: key },
    dedupeKey: key,
  };
}

export function describeNotificationStore(
  name: string,
  open: () => Promise<TwoNotificationStores>,
): void {
  describe(`notification store: ${name}`, () => {
    let a: NotificationStore;
    let b: NotificationStore;
    beforeEach(async () => {
      ({ a, b } = await open());
    });

    it('records a dedupe key once, even when two processes add it at the same moment', async () => {
      const hook = await a.addDestination(
        { kind: 'webhook', url: 'https://hooks.example/x', events: [] },
        at(0),
      );
      const results = await Promise.all([
        a.addNotification(input('job:1:event:7'), at(1)),
        b.addNotification(input('job:1:event:7'), at(1)),
      ]);
      expect(results.filter((result) => result !== null)).toHaveLength(1);
      expect(await a.addNotification(input('job:1:event:7'), at(2))).toBeNull();
      const [stored] = await b.listNotifications({ limit: 10 });
      expect(stored).toMatchObject({
        event: 'download.completed',
        title: 'title job:1:event:7',
        message: 'message job:1:event:7',
        subject: { type: 'job', jobId: 'job:1:event:7' },
        dedupeKey: 'job:1:event:7',
        readAt: null,
      });
      expect(stored!.createdAt).toEqual(at(1));
      expect((await a.getDestination(hook.id))!.pendingDeliveries).toBe(1);
    });

    it('queues a delivery only for destinations that want the event (none chosen: all)', async () => {
      const all = await a.addDestination(
        { kind: 'webhook', url: 'https://hooks.example/all', events: [] },
        at(0),
      );
      const failures = await a.addDestination(
        {
          kind: 'ntfy',
          url: 'https://ntfy.example/topic',
          events: ['download.failed', 'key.invalid'],
        },
        at(1),
      );
      await a.addNotification(input('n1', 'download.completed'), at(2));
      await a.addNotification(input('n2', 'download.failed'), at(3));
      const destinations = await b.listDestinations();
      expect(destinations.map((destination) => destination.id)).toEqual([all.id, failures.id]);
      expect(destinations[1]).toMatchObject({
        kind: 'ntfy',
        url: 'https://ntfy.example/topic',
        events: ['download.failed', 'key.invalid'],
        lastSuccessAt: null,
        lastError: null,
      });
      expect(destinations.map((destination) => destination.pendingDeliveries)).toEqual([2, 1]);
      const claimed = await a.claimDueDeliveries('A', at(3), LEASE, 10);
      expect(claimed.map((item) => [item.destination.id, item.notification.dedupeKey])).toEqual([
        [all.id, 'n1'],
        [all.id, 'n2'],
        [failures.id, 'n2'],
      ]);
    });

    it('lists newest first in pages, counts unread and marks read by id or all', async () => {
      const ids: string[] = [];
      for (let n = 0; n < 5; n++) ids.push((await a.addNotification(input(`k${n}`), at(n)))!.id);
      const first = await b.listNotifications({ limit: 2 });
      expect(first.map((row) => row.dedupeKey)).toEqual(['k4', 'k3']);
      const second = await b.listNotifications({ limit: 2, before: first[1]!.id });
      expect(second.map((row) => row.dedupeKey)).toEqual(['k2', 'k1']);
      expect(await a.countUnread()).toBe(5);
      expect(await a.markRead([ids[0]!, ids[1]!, 'no-such-id'], at(10))).toBe(2);
      expect(await b.markRead([ids[0]!], at(11))).toBe(0);
      expect(await a.countUnread()).toBe(3);
      const [oldest] = await a.listNotifications({ limit: 1, before: ids[1]! });
      expect(oldest!.readAt).toEqual(at(10));
      expect(await b.markRead('all', at(12))).toBe(3);
      expect(await a.countUnread()).toBe(0);
      expect(await a.markRead([], at(13))).toBe(0);
    });

    it('never gives one delivery to two workers claiming at once, and counts each attempt', async () => {
      await a.addDestination(
        { kind: 'webhook', url: 'https://hooks.example/x', events: [] },
        at(0),
      );
      for (let n = 0; n < 12; n++) await a.addNotification(input(`c${n}`), at(n));
      const [mine, theirs] = await Promise.all([
        a.claimDueDeliveries('A', at(100), LEASE, 8),
        b.claimDueDeliveries('B', at(100), LEASE, 8),
      ]);
      const idsA = mine.map((item) => item.delivery.id);
      const idsB = theirs.map((item) => item.delivery.id);
      expect(idsA.length + idsB.length).toBe(12);
      expect(new Set([...idsA, ...idsB]).size).toBe(12);
      expect([...mine, ...theirs].every((item) => item.delivery.attempts === 1)).toBe(true);
      // Held by their leases: nothing more to take until they lapse.
      expect(await a.claimDueDeliveries('A', at(100 + LEASE - 1), LEASE, 20)).toEqual([]);
      const retaken = await b.claimDueDeliveries('B', at(100 + LEASE), LEASE, 20);
      expect(retaken).toHaveLength(12);
      expect(retaken.every((item) => item.delivery.attempts === 2)).toBe(true);
    });

    it('records a success, a retry at its time, and a delivery given up; another worker changes nothing', async () => {
      const hook = await a.addDestination(
        { kind: 'webhook', url: 'https://hooks.example/x', events: [] },
        at(0),
      );
      await a.addNotification(input('ok'), at(1));
      await a.addNotification(input('retry'), at(2));
      await a.addNotification(input('give-up'), at(3));
      const claimed = await a.claimDueDeliveries('A', at(10), LEASE, 10);
      const byKey = new Map(claimed.map((item) => [item.notification.dedupeKey, item.delivery.id]));

      await b.finishDelivery(byKey.get('ok')!, 'B', { ok: true }, at(11));
      expect((await a.getDestination(hook.id))!.lastSuccessAt).toBeNull();
      await a.finishDelivery(byKey.get('ok')!, 'A', { ok: true }, at(12));
      await a.finishDelivery(
        byKey.get('retry')!,
        'A',
        { ok: false, error: 'HTTP 503', retryAt: at(5_000) },
        at(13),
      );
      await a.finishDelivery(
        byKey.get('give-up')!,
        'A',
        { ok: false, error: 'HTTP 410', retryAt: null },
        at(14),
      );

      const destination = (await b.getDestination(hook.id))!;
      expect(destination).toMatchObject({
        lastError: 'HTTP 410',
        pendingDeliveries: 1,
        failedDeliveries: 1,
      });
      expect(destination.lastSuccessAt).toEqual(at(12));
      expect(destination.lastErrorAt).toEqual(at(14));
      expect(await b.claimDueDeliveries('B', at(4_999), LEASE, 10)).toEqual([]);
      const [again] = await b.claimDueDeliveries('B', at(5_000), LEASE, 10);
      expect(again).toMatchObject({
        notification: { dedupeKey: 'retry' },
        delivery: { attempts: 2, lastError: 'HTTP 503' },
      });
      // B holds it now; the one given up is never taken again.
      expect(await a.claimDueDeliveries('A', at(5_000 + LEASE - 1), LEASE, 10)).toEqual([]);
    });

    it('notes a test outcome on the destination and removes a destination with its deliveries', async () => {
      const hook = await a.addDestination(
        { kind: 'webhook', url: 'https://u:p@hooks.example/x?token=1', events: ['key.invalid'] },
        at(0),
      );
      await a.recordDestinationOutcome(hook.id, { ok: false, error: 'refused' }, at(1));
      expect(await b.getDestination(hook.id)).toMatchObject({
        url: 'https://u:p@hooks.example/x?token=1',
        lastError: 'refused',
      });
      await a.recordDestinationOutcome(hook.id, { ok: true }, at(2));
      expect((await b.getDestination(hook.id))!.lastSuccessAt).toEqual(at(2));
      await a.addNotification(input('k', 'key.invalid'), at(3));
      expect(await b.removeDestination(hook.id)).toBe(true);
      expect(await a.removeDestination(hook.id)).toBe(false);
      expect(await a.getDestination(hook.id)).toBeNull();
      expect(await a.claimDueDeliveries('A', at(10), LEASE, 10)).toEqual([]);
      expect(await a.countUnread()).toBe(1);
    });
  });
}
