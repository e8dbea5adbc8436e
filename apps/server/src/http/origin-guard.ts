/**
 * Failure case 27: a page on another site must not drive this server through the visitor's
 * browser. Mutations (POST) and WebSocket upgrades carrying a foreign `Origin` are rejected; the
 * app's own pages (same origin) and clients that send no `Origin` at all (curl, scripts) pass.
 *
 * When the server listens on loopback it also insists that the `Host` header names loopback:
 * a DNS-rebinding page makes its own origin look "same-origin" by pointing its host name at
 * 127.0.0.1, and only the Host check tells the two apart.
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface OriginGuardOptions {
  /** The address the server listens on. */
  listenHost: string;
  /** Extra origins trusted like the server's own (e.g. the web dev server). */
  allowedOrigins: readonly string[];
}

export type GuardVerdict = { allowed: true } | { allowed: false; reason: string };

const ALLOWED: GuardVerdict = { allowed: true };
const LOOPBACK_HOSTNAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function isLoopbackAddress(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}

/** Host header → lowercase host name without port, or null when absent or malformed. */
function hostnameOf(hostHeader: string | undefined): string | null {
  if (!hostHeader) return null;
  try {
    return new URL(`http://${hostHeader}`).hostname.toLowerCase();
  } catch {
    return null;
  }
}

function isLoopbackHostname(hostname: string): boolean {
  return (
    LOOPBACK_HOSTNAMES.has(hostname) ||
    hostname.endsWith('.localhost') ||
    /^127(\.\d{1,3}){3}$/.test(hostname)
  );
}

export function createOriginGuard({ listenHost, allowedOrigins }: OriginGuardOptions) {
  const trustedOrigins = new Set(allowedOrigins.map((origin) => origin.toLowerCase()));
  const trustedHostnames = new Set(
    allowedOrigins
      .map((origin) => hostnameOf(new URL(origin).host))
      .filter((name): name is string => name !== null),
  );
  const loopbackOnly = isLoopbackAddress(listenHost);

  /** Any request to the API: the Host must name this server when it only listens on loopback. */
  function checkHost(headers: IncomingHttpHeaders): GuardVerdict {
    if (!loopbackOnly) return ALLOWED;
    const hostname = hostnameOf(headers.host);
    if (hostname === null) return { allowed: false, reason: 'Missing or malformed Host header' };
    if (isLoopbackHostname(hostname) || trustedHostnames.has(hostname)) return ALLOWED;
    return {
      allowed: false,
      reason: `Host "${hostname}" is not this server. It listens on ${listenHost}: open it as http://127.0.0.1 or http://localhost, or add the origin to MODELDOCK_ALLOWED_ORIGINS.`,
    };
  }

  /** A state-changing request or a WebSocket: a browser's Origin must be this server's own. */
  function checkOrigin(headers: IncomingHttpHeaders): GuardVerdict {
    const hostVerdict = checkHost(headers);
    if (!hostVerdict.allowed) return hostVerdict;
    const origin = headers.origin;
    if (origin === undefined || origin === '') return ALLOWED;
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
      reason: `Requests from ${origin} are not allowed: only this server's own pages may change downloads. To allow another origin, add it to MODELDOCK_ALLOWED_ORIGINS.`,
    };
  }

  return { checkHost, checkOrigin };
}

export type OriginGuard = ReturnType<typeof createOriginGuard>;
