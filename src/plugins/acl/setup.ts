/**
 * Parsing `acl [ZONES...] { ACTION [type QTYPE...] [net SOURCE...] }` as CoreDNS's plugin/acl
 * setup.go does: each line of the block is one policy, tried in order; ACTION is allow, block,
 * filter or drop (any case); `type` and `net` sections may come in any order and repeat; a missing
 * section, or `*`, matches every type or every source (IPv4 and IPv6). A single address is a /32
 * (IPv4) or /128 (IPv6) network. Errors are FILE:LINE with CoreDNS's wording.
 */
import { parseCidr, reverseZones, type Cidr } from '../../corefile/cidr.ts';
import type { Directive } from '../../corefile/types.ts';
import { CorefileError } from '../../corefile/types.ts';
import { typeByName } from '../../dns/mnemonics.ts';

export type Action = 'allow' | 'block' | 'filter' | 'drop';

export interface Policy {
  readonly action: Action;
  readonly qtypes: ReadonlySet<number> | 'all';
  /** The source networks; 'all' for every IPv4 and IPv6 address. */
  readonly nets: readonly Cidr[] | 'all';
}

/** One `acl` directive: the zones it guards and its policies in order. */
export interface Rule {
  readonly zones: readonly string[];
  readonly policies: readonly Policy[];
}

const ACTIONS = new Set<string>(['allow', 'block', 'filter', 'drop']);
const SECTIONS = new Set(['type', 'net']);

/** A zone argument as CoreDNS's plugin.Host.NormalizeExact: scheme and port gone, CIDRs as reverse zones. */
export function normalizeZone(arg: string): string[] {
  let s = arg.replace(/^dns:\/\//i, '');
  const cidr = s.includes('/') ? parseCidr(s.replace(/:\d+$/, '')) : null;
  if (cidr) return reverseZones(cidr);
  if (!s.startsWith('[') && s.indexOf(':') === s.lastIndexOf(':')) s = s.replace(/:\d+$/, '');
  s = s.toLowerCase();
  return [s.endsWith('.') ? s : `${s}.`];
}

/** A single address becomes a /32 or /128 network (CoreDNS's normalize). */
export function normalizeNet(raw: string): string {
  if (raw.includes('/')) return raw;
  return raw.includes(':') ? `${raw}/128` : `${raw}/32`;
}

export function parseAclDirective(d: Directive, blockZones: readonly string[]): Rule {
  const err = (at: { file: string; line: number }, msg: string): never => { throw CorefileError.at(at, `acl: ${msg}`); };
  const zones = d.args.length > 0 ? d.args.flatMap(normalizeZone) : [...blockZones];
  const policies: Policy[] = [];
  for (const line of d.block ?? []) {
    const action = line.name.toLowerCase();
    if (!ACTIONS.has(action)) err(line, `unexpected token "${line.name}"; expect 'allow', 'block', 'filter' or 'drop'`);
    let qtypes: Set<number> | 'all' | undefined;
    let nets: Cidr[] | 'all' | undefined;
    const tokens = line.args;
    let i = 0;
    while (i < tokens.length) {
      const section = tokens[i]!.toLowerCase();
      if (!SECTIONS.has(section)) err(line, `unexpected token "${tokens[i]}"; expect 'type | net'`);
      let j = i + 1;
      while (j < tokens.length && !SECTIONS.has(tokens[j]!.toLowerCase())) j++;
      const values = tokens.slice(i + 1, j);
      i = j;
      if (values.length === 0) err(line, `no token specified in "${section}" section`);
      if (section === 'type') {
        if (qtypes === undefined) qtypes = new Set();
        for (const v of values) {
          if (v === '*') { qtypes = 'all'; continue; }
          const t = typeByName(v);
          if (t === undefined || t === 0) err(line, `unexpected token "${v}"; expect legal QTYPE`);
          if (qtypes !== 'all') qtypes.add(t!);
        }
      } else {
        if (nets === undefined) nets = [];
        for (const v of values) {
          if (v === '*') { nets = 'all'; continue; }
          const c = parseCidr(normalizeNet(v));
          if (!c) err(line, `illegal CIDR notation "${normalizeNet(v)}"`);
          if (nets !== 'all') nets.push(c!);
        }
      }
    }
    policies.push({ action: action as Action, qtypes: qtypes ?? 'all', nets: nets ?? 'all' });
  }
  return { zones, policies };
}
