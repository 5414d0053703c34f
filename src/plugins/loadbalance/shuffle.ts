/**
 * The record orderings of CoreDNS's plugin/loadbalance (loadbalance.go, prefer.go). Every
 * function here returns a new array and leaves its input untouched: a response may be shared
 * (a cache entry), so the order is never changed in place.
 */
import { parseCidr, type Cidr } from '../../corefile/cidr.ts';
import { Type, type AData, type ResourceRecord } from '../../dns/types.ts';
import { parseIP } from '../../dns/ip.ts';

/** Uniform random permutation in place (Fisher–Yates); two records swap with probability ½. */
export function shuffleInPlace<T>(a: T[]): void {
  const l = a.length;
  if (l < 2) return;
  if (l === 2) {
    if (Math.random() < 0.5) { const t = a[0]!; a[0] = a[1]!; a[1] = t; }
    return;
  }
  for (let j = 0; j < l - 1; j++) {
    const p = j + Math.floor(Math.random() * (l - j));
    if (p !== j) { const t = a[j]!; a[j] = a[p]!; a[p] = t; }
  }
}

const isAddress = (t: number): boolean => t === Type.A || t === Type.AAAA;

/**
 * round_robin on one section: when every record is A (or every one AAAA) they are shuffled;
 * otherwise CNAMEs first (stub resolvers such as glibc want them before the addresses), then the
 * other records in their order, then the shuffled A/AAAA, then the shuffled MX.
 */
export interface RecordGroups { cname: ResourceRecord[]; address: ResourceRecord[]; mx: ResourceRecord[]; rest: ResourceRecord[] }

/** Split a section into CNAMEs, addresses (A/AAAA), MX and the rest, each in its current order. */
export function groupRecords(records: readonly ResourceRecord[]): RecordGroups {
  const g: RecordGroups = { cname: [], address: [], mx: [], rest: [] };
  for (const r of records) {
    if (r.type === Type.CNAME) g.cname.push(r);
    else if (isAddress(r.type)) g.address.push(r);
    else if (r.type === Type.MX) g.mx.push(r);
    else g.rest.push(r);
  }
  return g;
}

export function roundRobin(records: readonly ResourceRecord[]): ResourceRecord[] {
  const out = records.slice();
  if (out.length <= 1) return out;
  const first = out[0]!.type;
  let allSame = true;
  for (let i = 1; i < out.length; i++) if (out[i]!.type !== first) { allSame = false; break; }
  if (allSame && isAddress(first)) {
    shuffleInPlace(out);
    return out;
  }
  const { cname, address, mx, rest } = groupRecords(records);
  shuffleInPlace(address);
  shuffleInPlace(mx);
  return cname.concat(rest, address, mx);
}

/** The bytes of an A/AAAA record's address (IPv4-mapped IPv6 as 4 bytes, as Go's To4). */
function addressBytes(r: ResourceRecord): number[] | undefined {
  const ip = parseIP((r.data as AData).address);
  if (!ip) return undefined;
  if (ip.family === 4) return ip.address.split('.').map(Number);
  const cidr = parseCidr(`${ip.address}/128`);
  return cidr ? cidr.bytes : undefined;
}

function contains(net: Cidr, ip: readonly number[]): boolean {
  if (ip.length !== net.bytes.length) return false;
  for (let i = 0; i < net.prefix; i++) {
    const bit = 0x80 >> (i & 7);
    if ((ip[i >> 3]! & bit) !== (net.bytes[i >> 3]! & bit)) return false;
  }
  return true;
}

/**
 * `prefer CIDR...`: addresses inside the first subnet, then the second..., then the others, each
 * group in its current order; CNAMEs first, MX and the rest after the addresses.
 */
export function preferSubnets(records: readonly ResourceRecord[], subnets: readonly Cidr[]): ResourceRecord[] {
  const { cname, address, mx, rest } = groupRecords(records);
  if (address.length === 0) return cname.concat(mx, rest);
  const bytes = address.map(addressBytes);
  const seen = new Array<boolean>(address.length).fill(false);
  const sorted: ResourceRecord[] = [];
  for (const net of subnets) {
    for (let i = 0; i < address.length; i++) {
      if (seen[i]) continue;
      const b = bytes[i];
      if (b && contains(net, b)) { sorted.push(address[i]!); seen[i] = true; }
    }
  }
  for (let i = 0; i < address.length; i++) if (!seen[i]) sorted.push(address[i]!);
  return cname.concat(sorted, mx, rest);
}
