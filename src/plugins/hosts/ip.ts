/**
 * IP literals as the hosts plugin reads them: src/dns/ip.ts's parseIP (Go's net.ParseIP and
 * IP.String, so the reverse index keys match what CoreDNS builds: an IPv4-mapped IPv6 address is
 * an IPv4 address), after dropping an IPv6 "%zone" as CoreDNS's hostsfile parseIP does.
 */
import { parseIP as parseAddress, type ParsedIP } from '../../dns/ip.ts';
import { ptrToIp } from '../../dns/name.ts';

export type { ParsedIP };

/** Parse an address as it appears in a hosts file; undefined if it is not an IP literal. */
export function parseIP(text: string): ParsedIP | undefined {
  const pct = text.indexOf('%');
  return parseAddress(pct >= 0 ? text.slice(0, pct) : text);
}

/**
 * The address a reverse name stands for ("1.0.0.10.in-addr.arpa." → "10.0.0.1"), canonical as the
 * reverse index keys are, or undefined when the name is not a complete reverse name.
 */
export function reverseToIP(name: string): string | undefined {
  return ptrToIp(name);
}
