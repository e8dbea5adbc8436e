/**
 * Failure case 27: a page on another site must not drive this server through the visitor's
 * browser. Every API request — queries too, since a query can spend the user's saved key upstream —
 * and every WebSocket upgrade is refused when it carries a foreign `Origin` or says it comes from
 * another site (`Sec-Fetch-Site: cross-site` / `same-site`, which an `<img>` on any page sends).
 * The app's own pages (same origin) and clients that send neither header (curl, scripts) pass.
 *
 * DNS rebinding: a page can point its own host name at this server, and then its Origin matches
 * the Host it sends. Only the Host header tells the two apart, so it must name this server:
 * - listening on loopback: loopback names and addresses only;
 * - listening on the LAN without an access token: IP literals, the machine's own names and the
 *   names in `MODELDOCK_ALLOWED_HOSTS` (a rebound name is none of these);
 * - with an access token: any Host (the token is what a rebinding page cannot have).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { hostnameOf, isIpLiteral, isLoopbackAddress, machineHostNames } from './host-names';

export { isLoopbackAddress } from './host-names';

export interface OriginGuardOptions {
  /** The address the server listens on. */
  listenHost: string;
  /** Extra origins trusted like the server's own (e.g. the web dev server). */
  allowedOrigins: readonly string[];
  /** Extra host names this server answers to (`MODELDOCK_ALLOWED_HOSTS`), e.g. `gpu-box.lan`. */
  allowedHosts?: readonly string[];
  /** Whether every API call must carry the access token. */
  accessTokenRequired?: boolean;
  /** This machine's host name (tests); `os.hostname()` by default. */
  machineHostname?: string;
}

export type GuardVerdict =
  | { allowed: true }
  /** `malformed`: the request itself is broken (a Host no server has), answered 400 rather than 403. */
  | { allowed: false; reason: string; malformed?: boolean };

const ALLOWED: GuardVerdict = { allowed: true };
/** Sec-Fetch-Site values that mean "a page of another origin asked for this". */
const FOREIGN_FETCH_SITES = new Set(['cross-site', 'same-site']);

type HostPolicy = 'loopback' | 'lan-without-token' | 'any';

export function createOriginGuard(options: OriginGuardOptions) {
  const { listenHost, allowedOrigins, allowedHosts = [], accessTokenRequired = false } = options;
  const trustedOrigins = new Set(allowedOrigins.map((origin) => origin.toLowerCase()));
  const trustedHostnames = new Set([
    ...allowedOrigins
      .map((origin) => hostnameOf(new URL(origin).host))
      .filter((name): name is string => name !== null),
    ...allowedHosts.map((name) => name.toLowerCase()),
  ]);
  const ownNames = machineHostNames(options.machineHostname);
  const policy: HostPolicy = isLoopbackAddress(listenHost)
    ? 'loopback'
    : accessTokenRequired
      ? 'any'
      : 'lan-without-token';

  function namesThisServer(hostname: string): boolean {
    if (isLoopbackAddress(hostname) || trustedHostnames.has(hostname)) return true;
    return policy === 'lan-without-token' && (isIpLiteral(hostname) || ownNames.has(hostname));
  }

  /** Any request to the API: the Host must name this server (see the policies above). */
  function checkHost(headers: IncomingHttpHeaders): GuardVerdict {
    const hostname = hostnameOf(headers.host);
    if (hostname === null) {
      return {
        allowed: false,
        malformed: true,
        reason:
          'The Host header is missing or malformed: it must be a host name or address with an optional port (no user name, path or spaces).',
      };
    }
    if (policy === 'any') return ALLOWED;
    if (namesThisServer(hostname)) return ALLOWED;
    if (policy === 'loopback') {
      return {
        allowed: false,
        reason: `Host "${hostname}" is not this server. It listens on ${listenHost}: open it as http://127.0.0.1 or http://localhost, or add the origin to MODELDOCK_ALLOWED_ORIGINS.`,
      };
    }
    return {
      allowed: false,
      reason: `Host "${hostname}" is not a name of this server. Without an access token it answers only to its IP addresses and its own names (${[...ownNames].join(', ')}): open it by one of those, list the name in MODELDOCK_ALLOWED_HOSTS, or set MODELDOCK_ACCESS_TOKEN.`,
    };
  }

  /** Whether a browser says another page sent this request. */
  function checkSite(headers: IncomingHttpHeaders): GuardVerdict {
    const origin = headers.origin;
    if (origin === undefined || origin === '') {
      const site = String(headers['sec-fetch-site'] ?? '').toLowerCase();
      if (!FOREIGN_FETCH_SITES.has(site)) return ALLOWED;
      return {
        allowed: false,
        reason: `Requests made by pages of other sites (Sec-Fetch-Site: ${site}) are not allowed: only this server's own pages may use its API.`,
      };
    }
    if (trustedOrigins.has(origin.toLowerCase())) return ALLOWED;
    let originHost: string;
    try {
      originHost = new URL(origin).host.toLowerCase();
    } catch {
      // Includes the literal "null" origin of sandboxed frames and file:// pages.
      return { allowed: false, reason: `Requests from origin "${origin}" are not allowed` };
    }
    if (originHost === String(headers.host ?? '').toLowerCase()) return ALLOWED;
    return {
      allowed: false,
      reason: `Requests from ${origin} are not allowed: only this server's own pages may use its API. To allow another origin, add it to MODELDOCK_ALLOWED_ORIGINS.`,
    };
  }

  /** Any API request, query or mutation, and any WebSocket: the Host, then the requesting site. */
  function checkRequest(headers: IncomingHttpHeaders): GuardVerdict {
    const hostVerdict = checkHost(headers);
    return hostVerdict.allowed ? checkSite(headers) : hostVerdict;
  }

  return { checkHost, checkRequest };
}

export type OriginGuard = ReturnType<typeof createOriginGuard>;
