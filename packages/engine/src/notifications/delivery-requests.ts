/**
 * What goes over the wire for each destination kind. A webhook gets one JSON document (event, time,
 * title, message, the job or task summary); an ntfy topic gets the message as the body and its
 * title, tags and priority in the headers ntfy reads (`Title`, `Tags`, `Priority`). User info in a
 * destination URL becomes a Basic `Authorization` header and never travels in the URL itself.
 */
import type {
  DestinationRecord,
  NotificationEvent,
  NotificationRecord,
} from './notification-model';

export interface DeliveryRequest {
  /** The destination URL without its user info. */
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The JSON a webhook receives; `payloadVersion` changes only when a field changes meaning. */
export interface WebhookPayload {
  payloadVersion: 1;
  id: string;
  event: NotificationEvent;
  /** ISO time the notification was recorded. */
  time: string;
  title: string;
  message: string;
  /** The job or task summary. */
  subject: Record<string, unknown>;
  /** True for Settings' "send test". */
  test: boolean;
}

const NTFY_PRIORITY: Record<NotificationEvent, string> = {
  'download.completed': '3',
  'download.failed': '4',
  'bundle.partial': '4',
  'maintenance.report': '2',
  'key.invalid': '4',
};

// ntfy turns known tag names into emoji; the event name stays as a tag for filtering.
const NTFY_TAGS: Record<NotificationEvent, string> = {
  'download.completed': 'white_check_mark',
  'download.failed': 'x',
  'bundle.partial': 'warning',
  'maintenance.report': 'wrench',
  'key.invalid': 'key',
};

const VISIBLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * A header value of visible ASCII only: as is when it already is, else an RFC 2047 encoded word
 * (`=?UTF-8?B?…?=`), which ntfy decodes. Line breaks and other control characters become spaces.
 */
export function asciiHeaderValue(text: string): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  if (VISIBLE_ASCII.test(flat)) return flat;
  return `=?UTF-8?B?${Buffer.from(flat, 'utf8').toString('base64')}?=`;
}

function splitCredentials(rawUrl: string): { url: string; authorization: string | null } {
  const url = new URL(rawUrl);
  if (!url.username && !url.password) return { url: url.toString(), authorization: null };
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  return {
    url: url.toString(),
    authorization: `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`,
  };
}

export function webhookPayload(notification: NotificationRecord, test = false): WebhookPayload {
  return {
    payloadVersion: 1,
    id: notification.id,
    event: notification.event,
    time: notification.createdAt.toISOString(),
    title: notification.title,
    message: notification.message,
    subject: notification.subject,
    test,
  };
}

export function buildDeliveryRequest(
  destination: Pick<DestinationRecord, 'kind' | 'url'>,
  notification: NotificationRecord,
  test = false,
): DeliveryRequest {
  const { url, authorization } = splitCredentials(destination.url);
  const headers: Record<string, string> = {};
  if (authorization) headers.authorization = authorization;
  if (destination.kind === 'webhook') {
    headers['content-type'] = 'application/json';
    return { url, headers, body: JSON.stringify(webhookPayload(notification, test)) };
  }
  headers['content-type'] = 'text/plain; charset=utf-8';
  headers.title = asciiHeaderValue(notification.title);
  headers.tags = [
    NTFY_TAGS[notification.event],
    notification.event,
    ...(test ? ['test'] : []),
  ].join(',');
  headers.priority = NTFY_PRIORITY[notification.event];
  return { url, headers, body: notification.message };
}
