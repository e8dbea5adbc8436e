/** Calls for the notification centre and Settings → Notifications; failures come back as values. */
import { api } from '$lib/api/trpc-client';
import { attempt } from '$lib/api/outcome';
import type { Outcome } from '$lib/api/outcome';
import type {
  DestinationTestResult,
  NotificationDestination,
  NotificationPage,
} from '$lib/api/types';

export function listNotifications(limit = 30): Promise<Outcome<NotificationPage>> {
  return attempt(() => api.notifications.list.query({ limit }));
}

export function markNotificationsRead(target: { ids: string[] } | { all: true }) {
  return attempt(() => api.notifications.markRead.mutate(target));
}

export function listDestinations(): Promise<Outcome<NotificationDestination[]>> {
  return attempt(() => api.notifications.destinations.list.query());
}

export function addDestination(input: {
  kind: 'webhook' | 'ntfy';
  url: string;
  events: string[];
}): Promise<Outcome<NotificationDestination>> {
  return attempt(() => api.notifications.destinations.add.mutate(input));
}

export function removeDestination(id: string): Promise<Outcome<{ removed: boolean }>> {
  return attempt(() => api.notifications.destinations.remove.mutate({ id }));
}

export function testDestination(id: string): Promise<Outcome<DestinationTestResult>> {
  return attempt(() => api.notifications.destinations.test.mutate({ id }));
}
