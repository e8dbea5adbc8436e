/**
 * The durable outbox: each pending delivery is claimed with a lease (so processes sharing the
 * database never send one twice at once), sent, and recorded as delivered, or retried after a
 * backoff on the injected clock until `maxAttempts` attempts were made. A failure here never
 * reaches the work that raised the notification.
 */
import { toModeldockError } from '../errors';
import type { Clock, HttpClient, Logger } from '../ports';
import { redactSecrets } from '../secrets/redact';
import { backoffDelay } from '../tasks/task';
import type { Backoff } from '../tasks/task';
import { buildDeliveryRequest } from './delivery-requests';
import { describeDestinationUrl } from './destination-input';
import type {
  DestinationRecord,
  NotificationRecord,
  NotificationStore,
} from './notification-model';

export interface DeliveryPolicy {
  /** Attempts per delivery before it is given up (and shown as failed in Settings). */
  maxAttempts: number;
  /** The wait after the n-th failed attempt: firstMs · 2^(n-1), at most maxMs. */
  backoff: Backoff;
  /** One send may take this long. */
  timeoutMs: number;
  /** How often the outbox looks for due deliveries (also woken at once by a new notification). */
  pollMs: number;
  /** A claimed delivery is another worker's to retry once this has passed. */
  leaseMs: number;
  /** Deliveries taken per pass. */
  batchSize: number;
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = {
  maxAttempts: 6,
  backoff: { firstMs: 30_000, maxMs: 60 * 60_000 },
  timeoutMs: 10_000,
  pollMs: 5_000,
  leaseMs: 60_000,
  batchSize: 20,
};

export type SendResult =
  { ok: true; status: number } | { ok: false; status: number | null; error: string };

/** Sends one notification to one destination; never throws. */
export async function sendNotification(
  http: HttpClient,
  destination: Pick<DestinationRecord, 'kind' | 'url'>,
  notification: NotificationRecord,
  options: { timeoutMs: number; test?: boolean },
): Promise<SendResult> {
  const where = describeDestinationUrl(destination.url);
  try {
    const request = buildDeliveryRequest(destination, notification, options.test);
    const response = await http.request({
      url: request.url,
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    await response.dump();
    if (response.status >= 200 && response.status < 300)
      return { ok: true, status: response.status };
    const redirect =
      response.status >= 300 && response.status < 400
        ? ' (redirects are not followed: use the final URL)'
        : '';
    return {
      ok: false,
      status: response.status,
      error: `${where} answered HTTP ${response.status}${redirect}`,
    };
  } catch (error) {
    const value = toModeldockError(error, 'NETWORK_ERROR');
    const message = value.message.includes(where) ? value.message : `${value.message} (${where})`;
    return { ok: false, status: null, error: redactSecrets(message) };
  }
}

export interface OutboxPorts {
  store: NotificationStore;
  http: HttpClient;
  clock: Clock;
  logger: Logger;
  workerId: string;
  policy: DeliveryPolicy;
}

/** One pass: sends every due delivery this worker could claim; returns how many were attempted. */
export async function deliverDue(ports: OutboxPorts, signal?: AbortSignal): Promise<number> {
  const { store, http, clock, logger, workerId, policy } = ports;
  let attempted = 0;
  for (;;) {
    if (signal?.aborted) return attempted;
    const claimed = await store.claimDueDeliveries(
      workerId,
      new Date(clock.now()),
      policy.leaseMs,
      policy.batchSize,
    );
    if (claimed.length === 0) return attempted;
    await Promise.all(
      claimed.map(async ({ delivery, notification, destination }) => {
        const result = await sendNotification(http, destination, notification, {
          timeoutMs: policy.timeoutMs,
        });
        const now = new Date(clock.now());
        if (result.ok) {
          await store.finishDelivery(delivery.id, workerId, { ok: true }, now);
          return;
        }
        const exhausted = delivery.attempts >= policy.maxAttempts;
        const retryAt = exhausted
          ? null
          : new Date(now.getTime() + backoffDelay(delivery.attempts, policy.backoff));
        await store.finishDelivery(
          delivery.id,
          workerId,
          { ok: false, error: result.error, retryAt },
          now,
        );
        logger.warn(
          {
            destinationId: destination.id,
            event: notification.event,
            attempt: delivery.attempts,
            retryAt: retryAt?.toISOString() ?? null,
            message: result.error,
          },
          exhausted ? 'notification delivery given up' : 'notification delivery failed',
        );
      }),
    );
    attempted += claimed.length;
    if (claimed.length < policy.batchSize) return attempted;
  }
}
