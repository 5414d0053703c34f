/**
 * `rewrite [continue|stop] edns0 local|nsid|subnet set|append|replace ...`: EDNS0 options added to
 * or replaced in the query before the rest of the chain (and an upstream) sees it, as CoreDNS's
 * edns0 rules do. `set` replaces a matching option or adds one, `append` adds one only when none
 * matches, `replace` only replaces. A query without OPT gets one (4096 bytes, DO off); its answer
 * then goes back without OPT, since the client sent none.
 *
 * local: CODE and DATA (hex with 0x, else the bytes of the string) or a variable: {qname},
 * {qtype}, {client_ip}, {client_port}, {protocol}, {server_ip}, {server_port}; a metadata label
 * `{plugin/label}` is accepted but has no value here (clusterdns has no metadata plugin), so the
 * rule does nothing, as CoreDNS does for a label nobody provides.
 * nsid: an empty NSID option. subnet: the client's address cut to V4/V6 prefix lengths (ECS).
 */
import type { Edns, EdnsOption } from '../../dns/types.ts';
import { parseIPv4, parseIPv6 } from '../../dns/ip.ts';
import { RuleError, type Mode, type QueryState, type Rule } from './rule.ts';

type Action = 'set' | 'append' | 'replace';
const NSID = 3;
const SUBNET = 8;
const VARIABLES = ['{qname}', '{qtype}', '{client_ip}', '{client_port}', '{protocol}', '{server_ip}', '{server_port}'];

/** Go's strconv.ParseUint(s, 0, bits): decimal, 0x hex, 0o/0 octal, 0b binary. */
function parseUintGo(s: string, max: number): number | undefined {
  let m: RegExpExecArray | null;
  let n: number;
  if ((m = /^0[xX]((?:_?[0-9a-fA-F])+)$/.exec(s))) n = parseInt(m[1]!.replaceAll('_', ''), 16);
  else if ((m = /^0[oO]?((?:_?[0-7])+)$/.exec(s))) n = parseInt(m[1]!.replaceAll('_', ''), 8);
  else if ((m = /^0[bB]((?:_?[01])+)$/.exec(s))) n = parseInt(m[1]!.replaceAll('_', ''), 2);
  else if (/^\d+$/.test(s)) n = Number(s);
  else return undefined;
  return n <= max ? n : undefined;
}

/** The query's OPT record, copied once so the client's message stays as received; created if missing. */
function editableEdns(s: QueryState): Edns {
  if (s.edns) return s.edns;
  const e = s.req.msg.edns;
  if (e) {
    s.edns = { ...e, options: e.options.map((o) => ({ code: o.code, data: o.data })) };
  } else {
    s.edns = { udpSize: 4096, extendedRcode: 0, version: 0, do: false, options: [] };
    s.ednsCreated = true;
  }
  return s.edns;
}

/** Set, append or replace the first option with `code`; data computed by `fill` (from the old option, if any). */
function applyOption(s: QueryState, action: Action, code: number, fill: (old: EdnsOption | undefined) => Uint8Array | undefined): boolean {
  const e = editableEdns(s);
  const i = e.options.findIndex((o) => o.code === code);
  if (i >= 0) {
    if (action === 'append') return false;
    const data = fill(e.options[i]);
    if (!data) return false;
    e.options[i] = { code, data };
    return true;
  }
  if (action === 'replace') return false;
  const data = fill(undefined);
  if (!data) return false;
  e.options.push({ code, data });
  return true;
}

/** The client's address family as CoreDNS's state.Family() sees it (a v4-mapped v6 address is v4). */
function clientAddress(ip: string): Uint8Array | undefined {
  const v4 = ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
  const b4 = new Uint8Array(4);
  if (parseIPv4(v4, b4, 0)) return b4;
  const b6 = new Uint8Array(16);
  return parseIPv6(ip, b6, 0) ? b6 : undefined;
}

function u16(n: number): Uint8Array { return Uint8Array.of(n >> 8, n & 0xff); }

function variableData(s: QueryState, v: string): Uint8Array | undefined {
  const r = s.req;
  switch (v) {
    case '{qname}': return Buffer.from(s.name, 'utf8');
    case '{qtype}': return u16(s.qtype);
    case '{client_ip}': return clientAddress(r.remoteAddress);
    case '{server_ip}': return clientAddress(r.localAddress);
    case '{client_port}': return u16(r.remotePort);
    case '{server_port}': return u16(r.localPort);
    case '{protocol}': return Buffer.from(r.protocol, 'utf8');
    default: return undefined; // a metadata label: no metadata plugin provides one
  }
}

/** The ECS option for the client's address, with the prefix no longer than `v4`/`v6` (nor than `old`'s). */
function subnetData(s: QueryState, v4: number, v6: number, old: EdnsOption | undefined): Uint8Array | undefined {
  const addr = clientAddress(s.req.remoteAddress);
  if (!addr) return undefined;
  const family = addr.length === 4 ? 1 : 2;
  let mask = old && old.data.length >= 3 ? old.data[2]! : 128;
  const limit = family === 1 ? v4 : v6;
  if (limit < mask) mask = limit;
  if (mask > addr.length * 8) mask = addr.length * 8;
  const bytes = Math.ceil(mask / 8);
  const out = new Uint8Array(4 + bytes);
  out[1] = family;
  out[2] = mask;
  for (let i = 0; i < bytes; i++) {
    const keep = Math.min(8, mask - i * 8);
    out[4 + i] = addr[i]! & (0xff << (8 - keep));
  }
  return out;
}

export function edns0Rule(mode: Mode, args: readonly string[]): Rule {
  if (args.length < 2) throw new RuleError('too few arguments for an EDNS0 rule');
  const kind = args[0]!.toLowerCase();
  const action = args[1]!.toLowerCase();
  if (action !== 'set' && action !== 'append' && action !== 'replace') throw new RuleError(`invalid action: "${action}"`);
  const rule = (apply: (s: QueryState) => boolean): Rule => ({ mode, rewrite: (s) => (apply(s) ? [] : undefined) });
  switch (kind) {
    case 'local': {
      if (args.length !== 4) throw new RuleError('EDNS0 local rules require exactly three args');
      const code = parseUintGo(args[2]!, 0xffff);
      if (code === undefined) throw new RuleError(`invalid EDNS0 local option code "${args[2]}"`);
      const data = args[3]!;
      if (data.startsWith('{') && data.endsWith('}')) {
        const label = data.slice(1, -1);
        if (!VARIABLES.includes(data) && !/^[^/]+\/[^/]+$/.test(label)) throw new RuleError(`unsupported variable name "${data}"`);
        return rule((s) => {
          const value = variableData(s, data);
          if (!value || value.length === 0) return false;
          return applyOption(s, action, code, () => value);
        });
      }
      let bytes: Uint8Array = Buffer.from(data, 'utf8');
      if (data.startsWith('0x')) {
        if (!/^([0-9a-fA-F]{2})*$/.test(data.slice(2))) throw new RuleError(`encoding/hex: invalid data "${data}"`);
        bytes = Buffer.from(data.slice(2), 'hex');
      }
      return rule((s) => applyOption(s, action, code, () => bytes));
    }
    case 'nsid':
      if (args.length !== 2) throw new RuleError('EDNS0 NSID rules do not accept args');
      return rule((s) => applyOption(s, action, NSID, () => new Uint8Array(0)));
    case 'subnet': {
      if (args.length !== 4) throw new RuleError('EDNS0 subnet rules require exactly three args');
      const v4 = parseUintGo(args[2]!, 0xffff);
      if (v4 === undefined || v4 > 32) throw new RuleError(`invalid IPv4 bit mask length ${args[2]}`);
      const v6 = parseUintGo(args[3]!, 0xffff);
      if (v6 === undefined || v6 > 128) throw new RuleError(`invalid IPv6 bit mask length ${args[3]}`);
      return rule((s) => applyOption(s, action, SUBNET, (old) => subnetData(s, v4, v6, old)));
    }
    default:
      throw new RuleError(`invalid rule type "${kind}"`);
  }
}
