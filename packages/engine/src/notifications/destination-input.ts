/**
 * Checking a destination a user adds: kind, an absolute http(s) URL that is not a private address
 * (unless the operator allowed private hosts, as for downloads), and known event names. Every
 * refusal names the field and shows the URL without its user info or query.
 */
import { ModeldockError } from '../errors';
import { assertHostAllowed, isForbiddenAddress } from '../http/address-guard';
import type { ResolveAll } from '../http/address-guard';
import { describeUrl } from '../http/http-url';
import { registerSecret } from '../secrets/redact';
import { DESTINATION_KINDS, NOTIFICATION_EVENTS, isNotificationEvent } from './notification-model';
import type { DestinationInput, DestinationKind, NotificationEvent } from './notification-model';

const MAX_URL_LENGTH = 2048;

function invalid(message: string): ModeldockError {
  return new ModeldockError('INVALID_INPUT', message);
}

/** A destination URL as it may appear in an answer, a log or an error: no user info, no query. */
export function describeDestinationUrl(url: string): string {
  return describeUrl(url);
}

/** Query parameters that carry credentials (ntfy's `auth`, tokens, signatures, keys). */
const SECRET_PARAM = /auth|token|key|secret|sig|pass|credential/i;
/** A value this long is treated as a credential whatever its parameter is called. */
const LONG_SECRET_LENGTH = 16;

/**
 * So a send error that quotes the URL's password or credential-like query values never shows them.
 * Only values that look like credentials: registering a plain word would mask it in every log line.
 */
export function registerDestinationSecrets(url: URL): void {
  if (url.password) registerSecret(decodeURIComponent(url.password));
  for (const [name, value] of url.searchParams) {
    if (SECRET_PARAM.test(name) || value.length >= LONG_SECRET_LENGTH) registerSecret(value);
  }
}

export function parseDestinationUrl(raw: string, allowPrivateHosts: boolean): URL {
  if (raw.length > MAX_URL_LENGTH) {
    throw invalid(`url is too long: at most ${MAX_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(
      `url must be an absolute http(s) URL such as https://ntfy.sh/my-topic (got "${describeUrl(raw)}")`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ModeldockError(
      'UNSUPPORTED_SCHEME',
      `url must be http or https, not "${url.protocol.replace(/:$/, '')}"`,
    );
  }
  try {
    assertHostAllowed(url, allowPrivateHosts);
  } catch (error) {
    throw new ModeldockError(
      'PRIVATE_ADDRESS',
      `url points to ${url.hostname}, a local, private or link-local address: notifications follow the same rule as downloads (an operator can allow private hosts with MODELDOCK_ALLOW_PRIVATE_HOSTS)`,
      { cause: error },
    );
  }
  return url;
}

export function validateDestinationInput(
  raw: { kind: unknown; url: unknown; events?: unknown },
  options: { allowPrivateHosts: boolean },
): DestinationInput {
  if (!(DESTINATION_KINDS as readonly unknown[]).includes(raw.kind)) {
    throw invalid(`kind must be one of ${DESTINATION_KINDS.join(', ')}`);
  }
  const kind = raw.kind as DestinationKind;
  if (typeof raw.url !== 'string' || raw.url.trim() === '') {
    throw invalid('url must be an http(s) URL');
  }
  const trimmed = raw.url.trim();
  const url = parseDestinationUrl(trimmed, options.allowPrivateHosts);
  if (kind === 'ntfy' && url.pathname.replace(/\/+$/, '') === '') {
    throw invalid(`url must name the ntfy topic, such as ${url.origin}/my-topic`);
  }
  const events = raw.events ?? [];
  if (!Array.isArray(events)) throw invalid('events must be a list of event names');
  const chosen: NotificationEvent[] = [];
  for (const [index, event] of events.entries()) {
    if (!isNotificationEvent(event)) {
      const shown = typeof event === 'string' ? `"${event.slice(0, 40)}"` : typeof event;
      throw invalid(
        `events.${index}: ${shown} is not an event; use ${NOTIFICATION_EVENTS.join(', ')}`,
      );
    }
    if (!chosen.includes(event)) chosen.push(event);
  }
  registerDestinationSecrets(url);
  return { kind, url: trimmed, events: chosen };
}

/**
 * A host name that resolves to a private address is refused when the destination is added, as the
 * guarded client would refuse it at every delivery. A name that does not resolve now is accepted:
 * its deliveries fail and show why in Settings until it does.
 */
export async function assertResolvedHostAllowed(
  url: URL,
  allowPrivateHosts: boolean,
  resolveAll: ResolveAll,
): Promise<void> {
  if (allowPrivateHosts || isForbiddenAddress(url.hostname) || url.hostname.startsWith('[')) return;
  const addresses = await new Promise<string[]>((resolve) => {
    resolveAll(url.hostname, { all: true }, (error, found) =>
      resolve(error ? [] : found.map((entry) => entry.address)),
    );
  });
  const forbidden = addresses.find((address) => isForbiddenAddress(address));
  if (forbidden) {
    throw new ModeldockError(
      'PRIVATE_ADDRESS',
      `url points to ${url.hostname}, which resolves to ${forbidden}, a local, private or link-local address: notifications follow the same rule as downloads (an operator can allow private hosts with MODELDOCK_ALLOW_PRIVATE_HOSTS)`,
    );
  }
}
