import { describe, expect, it } from 'vitest';
import {
  deliveryTone,
  describeEventChoice,
  eventLabel,
  unreadBadge,
} from '../../apps/web/src/lib/notifications/notification-display';

describe('notification display', () => {
  it('shows the unread count on the bell: nothing at 0, up to 99, then 99+', () => {
    expect(unreadBadge(0)).toBe('');
    expect(unreadBadge(-1)).toBe('');
    expect(unreadBadge(7)).toBe('7');
    expect(unreadBadge(99)).toBe('99');
    expect(unreadBadge(100)).toBe('99+');
  });

  it('names events, and an empty choice as every event', () => {
    expect(eventLabel('download.failed')).toBe('Download failed');
    expect(eventLabel('something.new')).toBe('something.new');
    expect(describeEventChoice([])).toBe('Every event');
    expect(describeEventChoice(['bundle.partial', 'key.invalid'])).toBe(
      'Bundle partly failed, API key stopped working',
    );
  });

  it('tells a failing destination from a working, retrying or new one by its latest outcome', () => {
    const at = (minute: number) => new Date(Date.UTC(2031, 0, 1, 0, minute)).toISOString();
    expect(deliveryTone({ lastSuccessAt: null, lastErrorAt: null, pendingDeliveries: 0 })).toBe(
      'new',
    );
    expect(deliveryTone({ lastSuccessAt: null, lastErrorAt: null, pendingDeliveries: 2 })).toBe(
      'waiting',
    );
    expect(deliveryTone({ lastSuccessAt: at(5), lastErrorAt: at(1), pendingDeliveries: 0 })).toBe(
      'ok',
    );
    expect(deliveryTone({ lastSuccessAt: at(5), lastErrorAt: at(1), pendingDeliveries: 1 })).toBe(
      'waiting',
    );
    expect(deliveryTone({ lastSuccessAt: at(1), lastErrorAt: at(5), pendingDeliveries: 0 })).toBe(
      'error',
    );
    expect(deliveryTone({ lastSuccessAt: null, lastErrorAt: at(5), pendingDeliveries: 1 })).toBe(
      'error',
    );
  });
});
