/**
 * The notification centre's state: the newest notifications and the unread count, read every
 * POLL_MS while the app is open, at once when a download finishes (the job list sees it live over
 * the WebSocket) and whenever the bell opens.
 */
import type { NotificationItem } from '$lib/api/types';
import type { ApiErrorView } from '$lib/api/api-error';
import { listNotifications, markNotificationsRead } from './notification-actions';

const POLL_MS = 15_000;
const SHOWN = 30;

class NotificationCentre {
  items = $state<NotificationItem[]>([]);
  unread = $state(0);
  loaded = $state(false);
  error = $state<ApiErrorView | null>(null);
  #timer: ReturnType<typeof setInterval> | null = null;
  #loading: Promise<void> | null = null;

  start(): () => void {
    if (!this.#timer) {
      void this.refresh();
      this.#timer = setInterval(() => void this.refresh(), POLL_MS);
    }
    return () => {
      if (this.#timer) clearInterval(this.#timer);
      this.#timer = null;
    };
  }

  refresh(): Promise<void> {
    this.#loading ??= (async () => {
      const outcome = await listNotifications(SHOWN);
      if (outcome.ok) {
        this.items = outcome.value.items;
        this.unread = outcome.value.unread;
        this.loaded = true;
        this.error = null;
      } else {
        this.error = outcome.error;
      }
    })().finally(() => (this.#loading = null));
    return this.#loading;
  }

  async markRead(target: { ids: string[] } | { all: true }): Promise<void> {
    const outcome = await markNotificationsRead(target);
    if (!outcome.ok) {
      this.error = outcome.error;
      return;
    }
    const now = new Date().toISOString();
    const ids = 'ids' in target ? new Set(target.ids) : null;
    this.items = this.items.map((item) =>
      !item.read && (ids === null || ids.has(item.id))
        ? { ...item, read: true, readAt: now }
        : item,
    );
    this.unread = outcome.value.unread;
  }
}

export const notificationCentre = new NotificationCentre();
