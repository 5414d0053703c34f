/**
 * IP literals as the hosts plugin needs them, with Go's net.ParseIP / IP.String semantics so the
 * keys of the reverse index match what CoreDNS would build:
 * - IPv4 is four decimal octets without leading zeros ("127.000.0.1" is rejected, as Go ≥ 1.17 does);
 * - IPv6 may carry a trailing dotted IPv4 and a "%zone" (the zone is discarded);
 * - an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is an IPv4 address;
 * - the canonical text of IPv6 is RFC 5952 (lower case, first longest run of ≥2 zero groups as "::").
 */
import { ptrToIp } from '../../dns/name.ts';

export interface ParsedIP {
  family: 4 | 6;
  address: string; // canonical text
}

function parseV4Bytes(s: string, out: number[]): boolean {
  let octet = -1;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46; // virtual trailing '.'
    if (c === 46) {
      if (digits === 0) return false;
      out.push(octet);
      parts++;
      octet = -1;
      digits = 0;
      if (parts > 4) return false;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return false; // leading zero
      octet = (octet < 0 ? 0 : octet * 10) + (c - 48);
      digits++;
      if (octet > 255) return false;
    } else {
      return false;
    }
  }
  return parts === 4;
}

/** Parse an IPv6 literal into 8 groups, or undefined. */
function parseV6Groups(s: string): number[] | undefined {
  if (s.length < 2) return undefined;
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return undefined;
  const parseSide = (part: string, allowV4: boolean): number[] | undefined => {
    if (part === '') return [];
    const pieces = part.split(':');
    const groups: number[] = [];
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      if (allowV4 && i === pieces.length - 1 && p.includes('.')) {
        const b: number[] = [];
        if (!parseV4Bytes(p, b)) return undefined;
        groups.push((b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!);
        continue;
      }
      if (p.length === 0 || p.length > 4 || !/^[0-9a-fA-F]+$/.test(p)) return undefined;
      groups.push(parseInt(p, 16));
    }
    return groups;
  };
  if (dbl < 0) {
    const g = parseSide(s, true);
    return g && g.length === 8 ? g : undefined;
  }
  const head = parseSide(s.slice(0, dbl), false);
  const tail = parseSide(s.slice(dbl + 2), true);
  if (!head || !tail || head.length + tail.length > 7) return undefined;
  const zeros = new Array<number>(8 - head.length - tail.length).fill(0);
  return [...head, ...zeros, ...tail];
}

function formatV6(g: readonly number[]): string {
  // RFC 5952: compress the first longest run of two or more zero groups.
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestAt = i; bestLen = j - i; }
    i = j;
  }
  const hex = (from: number, to: number): string => g.slice(from, to).map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hex(0, 8);
  return `${hex(0, bestAt)}::${hex(bestAt + bestLen, 8)}`;
}

const V4_SCRATCH: number[] = [];

/** Parse an address as it appears in a hosts file; undefined if it is not an IP literal. */
export function parseIP(text: string): ParsedIP | undefined {
  const pct = text.indexOf('%');
  const s = pct >= 0 ? text.slice(0, pct) : text;
  if (!s.includes(':')) {
    // Leading zeros are rejected, so a valid dotted quad is already in canonical form.
    V4_SCRATCH.length = 0;
    return parseV4Bytes(s, V4_SCRATCH) ? { family: 4, address: s } : undefined;
  }
  const g = parseV6Groups(s);
  if (!g) return undefined;
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return { family: 4, address: `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}` };
  }
  return { family: 6, address: formatV6(g) };
}

/** The canonical text of an IP address, or undefined. */
export function canonicalIP(text: string): string | undefined {
  return parseIP(text)?.address;
}

/**
 * The address a reverse name stands for ("1.0.0.10.in-addr.arpa." → "10.0.0.1"), canonical as the
 * reverse index keys are (an IPv4-mapped IPv6 name yields the IPv4 address), or undefined when the
 * name is not a complete reverse name.
 */
export function reverseToIP(name: string): string | undefined {
  const ip = ptrToIp(name);
  return ip === undefined ? undefined : canonicalIP(ip);
}
