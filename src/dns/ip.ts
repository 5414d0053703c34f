/**
 * IP address text <-> bytes for A/AAAA rdata and reverse names. Hand-written for the hot path:
 * no regex, no intermediate arrays on the common forms.
 *
 * IPv6 is formatted as RFC 5952 text (lower case, longest run of two or more zero groups as
 * "::", first run on ties), in pure hex (v4-mapped addresses print as "::ffff:102:304").
 */

/** Parse dotted-quad IPv4 into out[off..off+4]; returns false on anything else. */
export function parseIPv4(s: string, out: Uint8Array, off: number): boolean {
  const n = s.length;
  if (n < 7 || n > 15) return false;
  let part = 0, val = 0, digits = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part === 3) return false;
      out[off + part++] = val;
      val = 0; digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && val === 0) return false; // leading zero ("01") is ambiguous: reject
      val = val * 10 + (c - 48);
      if (++digits > 3 || val > 255) return false;
    } else {
      return false;
    }
  }
  if (digits === 0 || part !== 3) return false;
  out[off + 3] = val;
  return true;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const groups = new Uint16Array(8);

/** Parse IPv6 text (with "::" and an optional dotted IPv4 tail) into out[off..off+16]. */
export function parseIPv6(s: string, out: Uint8Array, off: number): boolean {
  const n = s.length;
  if (n < 2 || n > 45) return false;
  let g = 0;           // groups written
  let gap = -1;        // group index where "::" was
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    gap = 0; i = 2;
    if (i === n) { groups.fill(0); writeGroups(out, off); return true; }
  }
  while (i < n) {
    if (g === 8) return false;
    // an IPv4 tail?
    let j = i, val = 0, digits = 0;
    for (; j < n; j++) {
      const h = hexVal(s.charCodeAt(j));
      if (h < 0) break;
      val = (val << 4) | h;
      if (++digits > 4) return false;
    }
    if (j < n && s.charCodeAt(j) === 46) {
      if (g > 6) return false;
      const tmp = new Uint8Array(4);
      if (!parseIPv4(s.slice(i), tmp, 0)) return false;
      groups[g++] = (tmp[0]! << 8) | tmp[1]!;
      groups[g++] = (tmp[2]! << 8) | tmp[3]!;
      i = n;
      break;
    }
    if (digits === 0) return false;
    groups[g++] = val;
    i = j;
    if (i === n) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i < n && s.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = g; i++;
      if (i === n) break;
    } else if (i === n) {
      return false; // trailing single ':'
    }
  }
  if (gap >= 0) {
    if (g === 8) return false;
    const tail = g - gap;
    for (let k = 0; k < tail; k++) groups[7 - k] = groups[g - 1 - k]!;
    for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  } else if (g !== 8) {
    return false;
  }
  writeGroups(out, off);
  return true;
}

function writeGroups(out: Uint8Array, off: number): void {
  for (let k = 0; k < 8; k++) {
    out[off + 2 * k] = groups[k]! >> 8;
    out[off + 2 * k + 1] = groups[k]! & 0xff;
  }
}

/** "a.b.c.d" from 4 bytes at buf[off]. */
export function formatIPv4(buf: Uint8Array, off: number): string {
  return buf[off] + '.' + buf[off + 1] + '.' + buf[off + 2] + '.' + buf[off + 3];
}

/** RFC 5952 text from 16 bytes at buf[off]. */
export function formatIPv6(buf: Uint8Array, off: number): string {
  let bestStart = -1, bestLen = 0, curStart = -1, curLen = 0;
  for (let k = 0; k < 8; k++) {
    if (buf[off + 2 * k] === 0 && buf[off + 2 * k + 1] === 0) {
      if (curLen === 0) curStart = k;
      if (++curLen > bestLen) { bestLen = curLen; bestStart = curStart; }
    } else {
      curLen = 0;
    }
  }
  if (bestLen < 2) bestStart = -1;
  let s = '';
  for (let k = 0; k < 8; k++) {
    if (k === bestStart) {
      s += '::';
      k += bestLen - 1;
      continue;
    }
    if (s.length > 0 && s.charCodeAt(s.length - 1) !== 58) s += ':';
    s += ((buf[off + 2 * k]! << 8) | buf[off + 2 * k + 1]!).toString(16);
  }
  return s;
}

const v4tmp = new Uint8Array(4);
const v6tmp = new Uint8Array(16);

/** An IP address: its family and canonical text. */
export interface ParsedIP {
  family: 4 | 6;
  address: string;
}

/** True when the 16 bytes at buf[off] are an IPv4-mapped IPv6 address (::ffff:a.b.c.d). */
export function isV4Mapped(buf: Uint8Array, off: number): boolean {
  for (let i = 0; i < 10; i++) if (buf[off + i] !== 0) return false;
  return buf[off + 10] === 0xff && buf[off + 11] === 0xff;
}

/**
 * An IP literal with Go's net.ParseIP / IP.String semantics, as CoreDNS compares and prints
 * addresses: IPv4 without leading zeros; IPv6 as RFC 5952 text; an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) IS that IPv4 address (family 4, dotted text), since Go's ParseIP gives equal
 * IPs for both forms. No "%zone" (Go rejects it; the hosts plugin strips it before). Undefined for
 * anything else.
 */
export function parseIP(ip: string): ParsedIP | undefined {
  if (parseIPv4(ip, v4tmp, 0)) return { family: 4, address: formatIPv4(v4tmp, 0) };
  if (!parseIPv6(ip, v6tmp, 0)) return undefined;
  if (isV4Mapped(v6tmp, 0)) return { family: 4, address: formatIPv4(v6tmp, 12) };
  return { family: 6, address: formatIPv6(v6tmp, 0) };
}

/** Canonical text of an IPv4 or IPv6 address (an IPv4-mapped one as IPv4), or undefined when it is neither. */
export function canonicalIP(ip: string): string | undefined {
  return parseIP(ip)?.address;
}
