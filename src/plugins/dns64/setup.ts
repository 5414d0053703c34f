/**
 * Parsing `dns64 [PREFIX] { prefix PREFIX; translate_all; allow_ipv4 }` as CoreDNS's plugin/dns64
 * setup.go does. The prefix is an IPv6 network of one of RFC 6052's lengths (/32, /40, /48, /56,
 * /64 or /96); the default is the well-known prefix 64:ff9b::/96.
 */
import { parseCidr, type Cidr } from '../../corefile/cidr.ts';
import type { Directive } from '../../corefile/types.ts';
import { CorefileError } from '../../corefile/types.ts';

export interface Dns64Config {
  readonly prefix: Cidr;          // 16 bytes, host bits clear
  readonly prefixText: string;    // as written, for messages
  readonly translateAll: boolean;
  readonly allowIPv4: boolean;
}

const USAGE = 'dns64 [PREFIX] { prefix PREFIX | translate_all | allow_ipv4 }';
const LENGTHS = new Set([32, 40, 48, 56, 64, 96]);
export const WELL_KNOWN_PREFIX = '64:ff9b::/96';

function parsePrefix(at: { file: string; line: number }, text: string): Cidr {
  const c = parseCidr(text);
  if (!c) throw CorefileError.at(at, `dns64: invalid CIDR address: ${text} — write an IPv6 prefix such as ${WELL_KNOWN_PREFIX}`);
  if (c.bytes.length !== 16) throw CorefileError.at(at, `dns64: invalid netmask ${c.bytes.length * 8} IPv6 address: "${text}" — the prefix must be IPv6`);
  if (!LENGTHS.has(c.prefix)) throw CorefileError.at(at, `dns64: invalid prefix length "${text}" — RFC 6052 allows /32, /40, /48, /56, /64 and /96`);
  return c;
}

export function parseDns64(directives: readonly Directive[]): Dns64Config {
  let prefix = parseCidr(WELL_KNOWN_PREFIX)!;
  let prefixText = WELL_KNOWN_PREFIX;
  let translateAll = false;
  let allowIPv4 = false;
  // Every dns64 line of a block configures the one plugin, the later lines winning (CoreDNS's c.Next() loop).
  for (const d of directives) {
    if (d.args.length > 1) throw CorefileError.at(d, `dns64: wrong argument count — usage: ${USAGE}`);
    if (d.args.length === 1) {
      prefix = parsePrefix(d, d.args[0]!);
      prefixText = d.args[0]!;
    }
    for (const o of d.block ?? []) {
      switch (o.name) {
        case 'prefix':
          if (o.args.length !== 1) throw CorefileError.at(o, 'dns64: prefix needs one IPv6 prefix, e.g. prefix 64:ff9b::/96');
          prefix = parsePrefix(o, o.args[0]!);
          prefixText = o.args[0]!;
          break;
        case 'translate_all':
          translateAll = true;
          break;
        case 'allow_ipv4':
          allowIPv4 = true;
          break;
        case 'filter_a':
          throw CorefileError.at(o, 'dns64: option filter_a (CoreDNS 1.12+) is not supported yet — remove it');
        default:
          throw CorefileError.at(o, `dns64: unknown property '${o.name}' — expected one of: prefix, translate_all, allow_ipv4`);
      }
    }
  }
  return { prefix, prefixText, translateAll, allowIPv4 };
}

/**
 * The IPv6 address of `v4` (4 bytes) under `prefix`, as RFC 6052 section 2.2 lays it out: the
 * IPv4 bytes fill the bits after the prefix, skipping bits 64-71 (the "u" octet, always zero).
 */
export function embedIPv4(prefix: Cidr, v4: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  let i = 0;
  let j = 0;
  for (; i < prefix.prefix / 8; i++) out[i] = prefix.bytes[i]!;
  for (; i < 8 && j < 4; i++, j++) out[i] = v4[j]!;
  if (i === 8) i++;
  for (; j < 4; i++, j++) out[i] = v4[j]!;
  return out;
}
