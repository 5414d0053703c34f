/**
 * Domain names in text form: absolute, dotted, trailing dot ("a.example.org."), root ".".
 * Label bytes that are not printable, or are special in zone files, appear escaped as miekg/dns
 * writes them: `\.`, `\\`, `\"`, `\(` ... or `\DDD` (decimal). Comparisons are ASCII
 * case-insensitive, as DNS is (RFC 4343).
 */
import { canonicalIP, formatIPv4, formatIPv6, isV4Mapped, parseIPv4, parseIPv6 } from './ip.ts';

/** ASCII lower-case; returns the same string when there is nothing to lower. */
export function lowerName(n: string): string {
  const len = n.length;
  for (let i = 0; i < len; i++) {
    const c = n.charCodeAt(i);
    if (c >= 65 && c <= 90) return lowerFrom(n, i);
  }
  return n;
}

function lowerFrom(n: string, start: number): string {
  let ascii = true;
  for (let i = 0; i < n.length; i++) if (n.charCodeAt(i) > 127) { ascii = false; break; }
  if (ascii) return n.toLowerCase();
  let s = n.slice(0, start);
  for (let i = start; i < n.length; i++) {
    const c = n.charCodeAt(i);
    s += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : n[i];
  }
  return s;
}

/** True when the final '.' is a label separator, not an escaped dot. */
export function isFqdn(n: string): boolean {
  const len = n.length;
  if (len === 0 || n.charCodeAt(len - 1) !== 46) return false;
  let bs = 0;
  for (let i = len - 2; i >= 0 && n.charCodeAt(i) === 92; i--) bs++;
  return (bs & 1) === 0;
}

/** Make a name absolute: "a.b" → "a.b.", "" → ".". */
export function fqdn(n: string): string {
  if (n.length === 0) return '.';
  return isFqdn(n) ? n : n + '.';
}

/** Start offsets of each label in an absolute text name ("." has none). */
function labelStarts(n: string): number[] {
  const out: number[] = [];
  if (n === '.' || n.length === 0) return out;
  let start = 0;
  out.push(0);
  for (let i = 0; i < n.length; i++) {
    const c = n.charCodeAt(i);
    if (c === 92) { i++; continue; }
    if (c === 46) {
      start = i + 1;
      if (start < n.length) out.push(start);
    }
  }
  return out;
}

/** The labels of a name, escapes kept as written: "a.b.c." → ["a", "b", "c"]; "." → []. */
export function labels(n: string): string[] {
  const name = fqdn(n);
  const starts = labelStarts(name);
  const out: string[] = new Array(starts.length);
  for (let i = 0; i < starts.length; i++) {
    const end = i + 1 < starts.length ? starts[i + 1]! - 1 : name.length - 1;
    out[i] = name.slice(starts[i], end);
  }
  return out;
}

export function countLabels(n: string): number {
  return labelStarts(fqdn(n)).length;
}

/**
 * Whether child is parent or below it, on label boundaries, case-insensitive.
 * "a.example.org." is under "example.org."; "aexample.org." is not; everything is under ".".
 */
export function isSubdomain(child: string, parent: string): boolean {
  return inZone(lowerName(fqdn(child)), lowerName(fqdn(parent)));
}

/**
 * True when `name` is `zone` or a name below it (the label boundary must be an unescaped dot).
 * Both already lower-case and absolute, as Request.qname and parsed zones are: no copies made.
 */
export function inZone(name: string, zone: string): boolean {
  if (zone === '.') return true;
  const d = name.length - zone.length;
  if (d < 0) return false;
  if (d === 0) return name === zone;
  if (name.charCodeAt(d - 1) !== 46 || !name.endsWith(zone)) return false;
  let bs = 0;
  for (let i = d - 2; i >= 0 && name.charCodeAt(i) === 92; i--) bs++;
  return (bs & 1) === 0;
}

/** True when `name` is in one of `zones` (lower-case, absolute). */
export function inZones(name: string, zones: readonly string[]): boolean {
  for (const z of zones) if (inZone(name, z)) return true;
  return false;
}

/** The longest of `zones` that `name` is in, or undefined: CoreDNS's plugin.Zones.Matches. Lower-case, absolute. */
export function matchZone(zones: readonly string[], name: string): string | undefined {
  let best: string | undefined;
  for (const z of zones) if (inZone(name, z) && (best === undefined || z.length > best.length)) best = z;
  return best;
}

/**
 * Convert a text name to its wire labels (without compression). Returns undefined when the
 * name is not valid: empty label, label > 63 octets, name > 255 octets, bad escape.
 * Characters above U+00FF are written as their UTF-8 bytes.
 */
export function nameToLabels(n: string): Uint8Array[] | undefined {
  const name = fqdn(n);
  if (name === '.') return [];
  const out: Uint8Array[] = [];
  const label = new Uint8Array(256);
  let len = 0;
  let total = 1;
  for (let i = 0; i < name.length; i++) {
    let c = name.charCodeAt(i);
    let escaped = false;
    if (c === 46) {
      if (len === 0 || len > 63) return undefined;
      out.push(label.slice(0, len));
      total += len + 1;
      len = 0;
      continue;
    }
    if (c === 92) {
      if (i + 1 >= name.length) return undefined;
      const d = name.charCodeAt(i + 1);
      if (d >= 48 && d <= 57) {
        if (i + 3 >= name.length) return undefined;
        const d2 = name.charCodeAt(i + 2), d3 = name.charCodeAt(i + 3);
        if (d2 < 48 || d2 > 57 || d3 < 48 || d3 > 57) return undefined;
        c = (d - 48) * 100 + (d2 - 48) * 10 + (d3 - 48);
        if (c > 255) return undefined;
        i += 3;
        escaped = true;
      } else {
        c = d;
        i += 1;
        escaped = c <= 127;
      }
    }
    if (len >= 64) return undefined;
    if (c > 127 && !escaped) {
      // a non-ASCII character (not an escape): its UTF-8 bytes, as Go strings carry them
      const cp = name.codePointAt(i)!;
      if (cp > 0xffff) i++;
      const bytes = Buffer.from(String.fromCodePoint(cp), 'utf8');
      for (const b of bytes) { if (len >= 64) return undefined; label[len++] = b; }
    } else {
      label[len++] = c;
    }
  }
  if (len !== 0) return undefined; // fqdn() guarantees a final separator
  return total > 255 ? undefined : out;
}

/** A name that encodes: labels 1..63 octets, at most 255 octets on the wire, valid escapes. */
export function isValidName(n: string): boolean {
  return nameToLabels(n) !== undefined;
}

const ptrV4 = new Uint8Array(4);
const ptrV6 = new Uint8Array(16);

function hexNibble(s: string): number {
  if (s.length !== 1) return -1;
  const c = s.charCodeAt(0) | 0x20;
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * The address a reverse name stands for: "4.3.2.1.in-addr.arpa." → "1.2.3.4";
 * 32 nibbles under ip6.arpa. → compressed IPv6 (an IPv4-mapped one → its IPv4, as CoreDNS).
 * Anything else (partial names) → undefined.
 */
export function ptrToIp(name: string): string | undefined {
  const ls = labels(lowerName(name));
  const n = ls.length;
  if (n === 6 && ls[4] === 'in-addr' && ls[5] === 'arpa') {
    for (let i = 0; i < 4; i++) {
      const s = ls[3 - i]!;
      if (!/^(0|[1-9][0-9]{0,2})$/.test(s)) return undefined;
      const v = Number(s);
      if (v > 255) return undefined;
      ptrV4[i] = v;
    }
    return `${ptrV4[0]}.${ptrV4[1]}.${ptrV4[2]}.${ptrV4[3]}`;
  }
  if (n === 34 && ls[32] === 'ip6' && ls[33] === 'arpa') {
    for (let i = 0; i < 16; i++) {
      const hi = hexNibble(ls[31 - 2 * i]!), lo = hexNibble(ls[30 - 2 * i]!);
      if (hi < 0 || lo < 0) return undefined;
      ptrV6[i] = (hi << 4) | lo;
    }
    // As CoreDNS's ExtractAddressFromReverse (net.IP.String): an IPv4-mapped address is its IPv4.
    return isV4Mapped(ptrV6, 0) ? formatIPv4(ptrV6, 12) : formatIPv6(ptrV6, 0);
  }
  return undefined;
}

/** The reverse-lookup name of an IPv4 or IPv6 address; throws on anything else. */
export function ipToPtr(ip: string): string {
  if (parseIPv4(ip, ptrV4, 0)) {
    return `${ptrV4[3]}.${ptrV4[2]}.${ptrV4[1]}.${ptrV4[0]}.in-addr.arpa.`;
  }
  if (parseIPv6(ip, ptrV6, 0)) {
    let s = '';
    for (let i = 15; i >= 0; i--) {
      const b = ptrV6[i]!;
      s += (b & 0xf).toString(16) + '.' + (b >> 4).toString(16) + '.';
    }
    return s + 'ip6.arpa.';
  }
  throw new Error(`not an IP address: ${JSON.stringify(ip)}`);
}

export { canonicalIP };
