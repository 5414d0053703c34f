/**
 * acl: allows, blocks, filters or drops queries by source address and query type, per zone
 * (CoreDNS's plugin/acl). Every `acl` directive of a server block is one rule; the rules are tried
 * in the order written, and a rule applies when the query name is in one of its zones. Within a
 * rule the first policy matching the query type and the source address decides: `allow` ends the
 * checks and passes the query on, `block` answers REFUSED and `filter` an empty NOERROR (both with
 * an Extended DNS Error, Blocked or Filtered), `drop` sends nothing. No matching policy: the next
 * rule is tried; none left: the query is allowed.
 *
 * The first acl plugin of a block holds every rule (as CoreDNS has one handler per block).
 */
import { parseIPv4, parseIPv6 } from '../../dns/ip.ts';
import { replyTo } from '../../dns/message.ts';
import { isSubdomain } from '../../dns/name.ts';
import { Rcode, type Message } from '../../dns/types.ts';
import type { BlockInfo, Logger, Next, Plugin, PluginDefinition, Request, Result } from '../../plugin/contract.ts';
import { noResponse } from '../../plugin/noresponse.ts';
import type { CounterSeries } from '../../metrics/series.ts';
import { aclSeries } from './metrics.ts';
import { perBlock } from '../../plugin/per-block.ts';
import { parseAclDirective, type Action, type Policy, type Rule } from './setup.ts';

const EDNS0_EDE = 15;
const EDE_BLOCKED = 15;
const EDE_FILTERED = 17;

/** The longest of `zones` that `name` is in, or undefined (plugin.Zones.Matches). */
function matchZone(zones: readonly string[], name: string): string | undefined {
  let best: string | undefined;
  for (const z of zones) if (isSubdomain(name, z) && (!best || z.length > best.length)) best = z;
  return best;
}

/**
 * The source address as bytes: 4 for IPv4 (an IPv4-mapped IPv6 address counts as IPv4, as Go's
 * To4 does), 16 for IPv6 (a %zone suffix is ignored); undefined when it does not parse.
 */
export function sourceBytes(addr: string): Uint8Array | undefined {
  const v4 = new Uint8Array(4);
  if (parseIPv4(addr, v4, 0)) return v4;
  const pct = addr.indexOf('%');
  const v6 = new Uint8Array(16);
  if (!parseIPv6(pct >= 0 ? addr.slice(0, pct) : addr, v6, 0)) return undefined;
  let mapped = v6[10] === 0xff && v6[11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (v6[i] !== 0) mapped = false;
  return mapped ? v6.subarray(12) : v6;
}

function inNet(ip: Uint8Array, net: { bytes: number[]; prefix: number }): boolean {
  if (net.bytes.length !== ip.length) return false;
  const whole = net.prefix >> 3;
  for (let i = 0; i < whole; i++) if (ip[i] !== net.bytes[i]) return false;
  const rest = net.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (ip[whole]! & mask) === net.bytes[whole];
}

/** The action of the first policy that matches, or undefined (CoreDNS's actionNone). */
export function decide(policies: readonly Policy[], qtype: number, ip: Uint8Array): Action | undefined {
  for (const p of policies) {
    if (p.qtypes !== 'all' && !p.qtypes.has(qtype)) continue;
    if (p.nets !== 'all' && !p.nets.some((n) => inNet(ip, n))) continue;
    return p.action;
  }
  return undefined;
}

/**
 * The REFUSED or NOERROR reply with an Extended DNS Error, as CoreDNS writes it: an OPT of 4096
 * bytes with DO set carrying the EDE, which its server then fits to the query (the client's size
 * and DO bit when the query had EDNS; as is when it had none).
 */
function refusal(req: Request, rcode: number, info: number): Message {
  const m = replyTo(req.msg, rcode);
  const ede = { code: EDNS0_EDE, data: Uint8Array.of(info >> 8, info & 0xff) };
  const e = req.msg.edns;
  m.edns = e
    ? { udpSize: e.udpSize, extendedRcode: 0, version: 0, do: e.do, options: [ede] }
    : { udpSize: 4096, extendedRcode: 0, version: 0, do: true, options: [ede] };
  return m;
}

class AclPlugin implements Plugin {
  readonly name = 'acl';
  readonly rules: Rule[] = [];
  private readonly block: BlockInfo;
  private readonly log: Logger;
  private allowed: CounterSeries | undefined; // looked up on the first query (the block's server name is final by then)

  constructor(block: BlockInfo, log: Logger) { this.block = block; this.log = log; }

  serve(req: Request, next: Next): Result {
    const server = this.block.server;
    let ip: Uint8Array | undefined | null = null;
    for (const rule of this.rules) {
      const zone = matchZone(rule.zones, req.qname);
      if (zone === undefined) continue;
      if (ip === null) ip = sourceBytes(req.remoteAddress);
      let action: Action | undefined;
      if (ip === undefined) {
        this.log.error(`Blocking request. Unable to parse source address: ${req.remoteAddress}`);
        action = 'block';
      } else {
        action = decide(rule.policies, req.qtype, ip);
      }
      if (action === undefined) continue;
      if (action === 'allow') break;
      if (action === 'drop') {
        aclSeries('dropped', server, zone).value++;
        return noResponse(req);
      }
      if (action === 'block') {
        aclSeries('blocked', server, zone).value++;
        return refusal(req, Rcode.REFUSED, EDE_BLOCKED);
      }
      aclSeries('filtered', server, zone).value++;
      return refusal(req, Rcode.NOERROR, EDE_FILTERED);
    }
    (this.allowed ??= aclSeries('allowed', server)).value++;
    return next(req);
  }
}

export const definition: PluginDefinition = {
  name: 'acl',
  setup(d, ctx) {
    const rule = parseAclDirective(d, ctx.block.zones);
    const { plugin, first } = perBlock(ctx, 'acl', () => new AclPlugin(ctx.block, ctx.log));
    plugin.rules.push(rule);
    return first ? plugin : { name: 'acl' }; // no serve: the block's first acl plugin checks every rule
  },
};
