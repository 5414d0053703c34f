/**
 * This server's own addresses, for the NS records of the zone apex (CoreDNS's boundIPs /
 * localPodIP in plugin/kubernetes/local.go): the addresses the block is bound to, else every
 * address of this host's interfaces, leaving out loopback addresses (127.0.0.0/8, ::1) — as
 * CoreDNS, by address and not by interface, so an address put on `lo` still counts.
 *
 * When nothing but loopback is left (a network namespace with only `lo`, or a block bound to
 * loopback addresses only), CoreDNS has no address and answers the apex NS with NODATA;
 * clusterdns falls back to the loopback addresses it serves on, so the zone always has an NS
 * and its glue (README: Differences from CoreDNS).
 */
import os from 'node:os';
import { isIP } from 'node:net';

function isLoopback(a: string): boolean {
  return a.startsWith('127.') || a === '::1' || a.startsWith('::ffff:127.');
}

function isUnspecified(a: string): boolean { return a === '0.0.0.0' || a === '::'; }

export function localIPs(listen: readonly string[], interfaces = os.networkInterfaces()): string[] {
  const bound = listen.filter((a) => isIP(a) !== 0 && !isUnspecified(a));
  const own = bound.filter((a) => !isLoopback(a));
  if (own.length > 0) return own;
  const all: string[] = [];
  for (const list of Object.values(interfaces)) {
    for (const i of list ?? []) all.push(i.address.split('%')[0]!);
  }
  if (bound.length === 0) {
    const external = all.filter((a) => !isLoopback(a));
    if (external.length > 0) return external;
  }
  // Only loopback: the bound loopback addresses, else the host's.
  return bound.length > 0 ? bound : all.filter(isLoopback);
}
