/**
 * Refuses connections to addresses a download must never reach unless the operator allowed it:
 * loopback, private, link-local (cloud metadata at 169.254.169.254), unspecified, CGNAT, multicast,
 * and IPv6 forms that smuggle IPv4 (v4-mapped, NAT64, 6to4). Checked on the resolved address of
 * every connection, so a public name resolving to a private address is refused too.
 */
import { BlockList } from 'node:net';
import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';
import { ModeldockError } from '../errors';

// Separate lists: a BlockList holding IPv6 rules also matches IPv4 addresses through their mapped form.
const blockedV4 = new BlockList();
const blockedV6 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blockedV4.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  // IPv4-compatible, v4-mapped and v4-translated forms: an IPv4 address in disguise.
  ['::', 96],
  ['::ffff:0:0', 96],
  ['::ffff:0:0:0', 96],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['2002::', 16],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  blockedV6.addSubnet(network, prefix, 'ipv6');
}

/** True when `address` (an IP literal, brackets allowed) must not be contacted. */
export function isForbiddenAddress(address: string): boolean {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  // check() answers false for anything that is not an address of the family it is asked about.
  return blockedV4.check(bare, 'ipv4') || blockedV6.check(bare, 'ipv6');
}

export function privateAddressError(host: string, address?: string): ModeldockError {
  const resolved = address && address !== host ? ` (resolves to ${address})` : '';
  return new ModeldockError(
    'PRIVATE_ADDRESS',
    `Refusing to download from ${host}${resolved}: it is a local, private or link-local address. ` +
      'An operator can allow this with the "allow private hosts" setting.',
  );
}

/** Throws when the URL's host is an IP literal that must not be contacted. Names are checked after DNS. */
export function assertHostAllowed(url: URL, allowPrivateHosts: boolean): void {
  if (allowPrivateHosts) return;
  if (isForbiddenAddress(url.hostname)) throw privateAddressError(url.hostname);
  // WHATWG URLs lowercase http(s) host names.
  const host = url.hostname;
  if (host === 'localhost' || host.endsWith('.localhost')) throw privateAddressError(host);
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** dns.lookup's shape when asked for every address. */
export type ResolveAll = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

export const systemResolveAll: ResolveAll = (hostname, options, callback) =>
  dnsLookup(hostname, options, callback);

/**
 * A drop-in for dns.lookup that fails when any resolved address is forbidden. net.connect calls it
 * for host names (IP literals skip lookup and are checked by `assertHostAllowed`).
 */
export function createGuardedLookup(resolveAll: ResolveAll = systemResolveAll) {
  return function guardedLookup(
    hostname: string,
    options: LookupOneOptions | LookupAllOptions,
    callback: LookupCallback,
  ): void {
    resolveAll(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) {
        callback(error, options.all ? [] : '', 0);
        return;
      }
      const forbidden = addresses.find((entry) => isForbiddenAddress(entry.address));
      if (forbidden) {
        callback(
          privateAddressError(hostname, forbidden.address) as NodeJS.ErrnoException,
          options.all ? [] : '',
          0,
        );
        return;
      }
      if (options.all) {
        callback(null, addresses);
        return;
      }
      const first = addresses[0];
      if (!first) {
        callback(
          Object.assign(new Error(`No address for ${hostname}`), { code: 'ENOTFOUND' }),
          '',
          0,
        );
        return;
      }
      callback(null, first.address, first.family);
    });
  };
}
