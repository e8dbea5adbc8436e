/** How notifications and their destinations read on the page. Event names are the API's own. */
import type { NotificationDestination } from '../api/types';

export const NOTIFICATION_EVENTS = [
  'download.completed',
  'download.failed',
  'bundle.partial',
  'maintenance.report',
  'key.invalid',
] as const;

export type NotificationEventName = (typeof NOTIFICATION_EVENTS)[number];

export const EVENT_LABELS: Record<NotificationEventName, string> = {
  'download.completed': 'Download completed',
  'download.failed': 'Download failed',
  'bundle.partial': 'Bundle partly failed',
  'maintenance.report': 'Maintenance report',
  'key.invalid': 'API key stopped working',
};

export function eventLabel(event: string): string {
  return EVENT_LABELS[event as NotificationEventName] ?? event;
}

/** The bell's badge: nothing at 0, the number up to 99, then "99+". */
export function unreadBadge(unread: number): string {
  if (unread <= 0) return '';
  return unread > 99 ? '99+' : String(unread);
}

/** "every event" or the chosen events' labels. */
export function describeEventChoice(events: readonly string[]): string {
  return events.length === 0 ? 'Every event' : events.map(eventLabel).join(', ');
}

export type DeliveryTone = 'ok' | 'error' | 'waiting' | 'new';

/** Whether a destination's deliveries work, from its last success and last error. */
export function deliveryTone(
  destination: Pick<NotificationDestination, 'lastSuccessAt' | 'lastErrorAt' | 'pendingDeliveries'>,
): DeliveryTone {
  const success = destination.lastSuccessAt ? Date.parse(destination.lastSuccessAt) : null;
  const failure = destination.lastErrorAt ? Date.parse(destination.lastErrorAt) : null;
  if (failure !== null && (success === null || failure >= success)) return 'error';
  if (success !== null) return destination.pendingDeliveries > 0 ? 'waiting' : 'ok';
  return destination.pendingDeliveries > 0 ? 'waiting' : 'new';
}

export const DELIVERY_TONE_LABELS: Record<DeliveryTone, string> = {
  ok: 'Delivering',
  error: 'Failing',
  waiting: 'Retrying',
  new: 'Nothing sent yet',
};
