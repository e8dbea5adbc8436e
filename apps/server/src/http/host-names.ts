/**
 * Addresses and host names compared as what they are, not as text: `0:0:0:0:0:0:0:1` is `::1`,
 * `127.9.9.9` is loopback, `[::1]` in a Host header is the same address as `::1` on the command line.
 */
import { BlockList, isIP } from 'node:net';
import { hostname as machineHostname } from 'node:os';

const LOOPBACK_ADDRESSES = new BlockList();
LOOPBACK_ADDRESSES.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK_ADDRESSES.addAddress('::1', 'ipv6');
// IPv4-mapped loopback (::ffff:127.0.0.1) reaches the same socket.
LOOPBACK_ADDRESSES.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/** `[::1]` → `::1`, lowercased; the zone of a link-local address (`fe80::1%eth0`) is dropped. */
function bare(host: string): string {
  return host
    .trim()
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '')
    .toLowerCase();
}

/** Whether `host` (an address or a name) is an IP address literal, bracketed or not. */
export function isIpLiteral(host: string): boolean {
  return isIP(bare(host)) !== 0;
}

function isLocalhostName(name: string): boolean {
  // RFC 6761: every name under .localhost is loopback, and browsers resolve it so.
  return name === 'localhost' || name.endsWith('.localhost');
}

/** Whether a listen address or host name only reaches this machine. */
export function isLoopbackAddress(host: string): boolean {
  const address = bare(host);
  const family = isIP(address);
  if (family === 0) return isLocalhostName(address);
  return LOOPBACK_ADDRESSES.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** Host header → lowercase host name without port (IPv6 in brackets), or null when absent or malformed. */
export function hostnameOf(hostHeader: string | undefined): string | null {
  // Only what a Host header may hold: no user info (`localhost@evil`), path or spaces.
  if (!hostHeader || !/^[A-Za-z0-9.\-_:[\]]+$/.test(hostHeader)) return null;
  try {
    return new URL(`http://${hostHeader}`).hostname.toLowerCase();
  } catch {
    return null;
  }
}

/** The names this machine answers to on its own: its host name, its short name, and `<short>.local`. */
export function machineHostNames(hostname: string = machineHostname()): Set<string> {
  const full = hostname.trim().toLowerCase();
  const short = full.split('.')[0] ?? full;
  return new Set(
    [full, short, `${short}.local`].filter((name) => name !== '' && name !== '.local'),
  );
}
