/**
 * Reverse zones for a CIDR server key, as CoreDNS's plugin.SplitHostPort + pkg/cidr do: the network
 * is split into subnets whose prefix is a multiple of 8 bits (IPv4) or 4 bits (IPv6), and each becomes
 * the in-addr.arpa / ip6.arpa zone of its whole labels. So 10.0.0.0/8 → 10.in-addr.arpa.,
 * 10.0.0.0/12 → 0.10 … 15.10.in-addr.arpa., and fd00::/7 → c.f.ip6.arpa. and d.f.ip6.arpa.
 */

export interface Cidr {
  bytes: number[];   // the network address (host bits cleared); 4 or 16 bytes
  prefix: number;
}

function parseIPv4(s: string): number[] | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    // Go's parser rejects leading zeros (an octal ambiguity) and more than 3 digits.
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) return null;
    const v = Number(p);
    if (v > 255) return null;
    out.push(v);
  }
  return out;
}

function parseIPv6(s: string): number[] | null {
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i];
      if (i === pieces.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (!v4) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
      out.push(parseInt(p, 16));
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return null;
  let all: number[];
  if (halves.length === 2) {
    if (head.length + tail.length > 7) return null;
    all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    if (head.length !== 8) return null;
    all = head;
  }
  const bytes: number[] = [];
  for (const g of all) bytes.push(g >> 8, g & 0xff);
  return bytes;
}

/** Parse "ADDR/PREFIX" like Go's net.ParseCIDR; null when it is not one. Host bits are cleared. */
export function parseCidr(s: string): Cidr | null {
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const addr = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  const bytes = addr.includes(':') ? parseIPv6(addr) : parseIPv4(addr);
  if (!bytes || !/^\d{1,3}$/.test(bits)) return null;
  const prefix = Number(bits);
  if (prefix > bytes.length * 8) return null;
  for (let i = prefix; i < bytes.length * 8; i++) bytes[i >> 3] &= ~(0x80 >> (i & 7));
  return { bytes, prefix };
}

function setBit(bytes: number[], i: number, on: boolean): void {
  const mask = 0x80 >> (i & 7);
  if (on) bytes[i >> 3] |= mask;
  else bytes[i >> 3] &= ~mask;
}

function reverseName(bytes: number[], prefix: number): string {
  if (bytes.length === 4) {
    const labels = bytes.slice(0, prefix / 8).reverse().map(String);
    return [...labels, 'in-addr', 'arpa', ''].join('.');
  }
  const nibbles: string[] = [];
  for (let i = 0; i < prefix / 4; i++) {
    const b = bytes[i >> 1];
    nibbles.push(((i & 1) === 0 ? b >> 4 : b & 0x0f).toString(16));
  }
  return [...nibbles.reverse(), 'ip6', 'arpa', ''].join('.');
}

/** The reverse zones that together cover `cidr`, in address order. */
export function reverseZones(cidr: Cidr): string[] {
  const boundary = cidr.bytes.length === 4 ? 8 : 4;
  const wide = Math.ceil(cidr.prefix / boundary) * boundary;
  const extra = wide - cidr.prefix;           // < boundary, so at most 128 subnets
  const zones: string[] = [];
  for (let k = 0; k < 1 << extra; k++) {
    const bytes = [...cidr.bytes];
    for (let j = 0; j < extra; j++) setBit(bytes, cidr.prefix + j, ((k >> (extra - 1 - j)) & 1) === 1);
    zones.push(reverseName(bytes, wide));
  }
  return zones;
}
