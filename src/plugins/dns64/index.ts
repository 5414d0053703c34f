/**
 * dns64: synthesizes AAAA records from A records for IPv6-only clients behind NAT64 (RFC 6147),
 * as CoreDNS's plugin/dns64. An AAAA question of class IN that came over IPv6 (or over IPv4 with
 * `allow_ipv4`) goes to the next plugin first; when its answer has no AAAA record (or always, with
 * `translate_all`) and is not a name error (NXDOMAIN with an SOA), the same name is asked for A
 * through the next plugin, and every A record of that answer comes back as an AAAA record of the
 * prefix, its TTL the smaller of the A record's and the AAAA answer's SOA (600 s without one).
 * Other answer records, the authority and the additional section of the A answer pass unchanged.
 *
 * The first dns64 line of a server block makes the plugin; later lines configure it (CoreDNS
 * reads every dns64 line of a block into one handler).
 */
import { encode } from '../../dns/codec.ts';
import { formatIPv6, parseIPv4, parseIPv6 } from '../../dns/ip.ts';
import { aaaa, fieldsOf, replyTo } from '../../dns/message.ts';
import { lowerName } from '../../dns/name.ts';
import { Class, Rcode, Type, type AData, type Message, type ResourceRecord } from '../../dns/types.ts';
import type { Directive } from '../../corefile/types.ts';
import type { BlockInfo, Next, Plugin, PluginDefinition, Request, Result } from '../../plugin/contract.ts';
import { isNoResponse } from '../../plugin/noresponse.ts';
import { translatedSeries } from './metrics.ts';
import { perBlock } from '../../plugin/per-block.ts';
import { embedIPv4, parseDns64, type Dns64Config } from './setup.ts';

/** When SOA is unknown, the synthesized TTL is at most this (RFC 6147 5.1.7). */
const DEFAULT_SOA_TTL = 600;

/** True when the query came over IPv4 (an IPv4-mapped IPv6 source counts as IPv4, as Go's To4 does). */
export function overIPv4(remote: string): boolean {
  if (!remote.includes(':')) return true;
  const v6 = new Uint8Array(16);
  const pct = remote.indexOf('%');
  if (!parseIPv6(pct >= 0 ? remote.slice(0, pct) : remote, v6, 0)) return false;
  for (let i = 0; i < 10; i++) if (v6[i] !== 0) return false;
  return v6[10] === 0xff && v6[11] === 0xff;
}

/**
 * Whether an answer to the AAAA question calls for synthesis (CoreDNS's responseShouldDNS64): not
 * a name error — NXDOMAIN with an SOA in authority, as response.Typify classifies it; any other
 * failure counts as an empty answer — and, unless translate_all, no AAAA record in the answer.
 */
export function shouldSynthesize(res: Message, translateAll: boolean): boolean {
  if (res.rcode === Rcode.NXDOMAIN && res.authority.some((r) => r.type === Type.SOA)) return false;
  if (translateAll) return true;
  return !res.answers.some((r) => r.type === Type.AAAA);
}

/** The AAAA reply built from the A answer `a` (CoreDNS's Synthesize). */
export function synthesize(cfg: Dns64Config, query: Message, aaaaRes: Message, a: Message): Message {
  const out = replyTo(query);
  out.tc = a.tc;
  out.authority = a.authority;
  out.additional = a.additional;
  let soaTtl = DEFAULT_SOA_TTL;
  for (const r of aaaaRes.authority) if (r.type === Type.SOA) soaTtl = r.ttl;
  const v4 = new Uint8Array(4);
  for (const r of a.answers) {
    if (r.type !== Type.A || !parseIPv4((r.data as AData).address, v4, 0)) {
      out.answers.push(r);
      continue;
    }
    const v6 = embedIPv4(cfg.prefix, v4);
    out.answers.push(aaaa(r.name, Math.min(r.ttl, soaTtl), formatIPv6(v6, 0), r.class) as ResourceRecord);
  }
  return out;
}

/** The same query asking for `type` instead (CoreDNS's upstream lookup of the name). */
function asking(req: Request, type: number): Request {
  const question = { name: req.question.name, type, class: req.qclass };
  const msg: Message = { ...req.msg, questions: [question] };
  return { ...req, msg, question, qname: lowerName(req.question.name), qtype: type, wire: encode(msg), meta: new Map() };
}

class Dns64Plugin implements Plugin {
  readonly name = 'dns64';
  readonly lines: Directive[] = [];
  cfg!: Dns64Config;
  private readonly block: BlockInfo;

  constructor(block: BlockInfo) { this.block = block; }

  serve(req: Request, next: Next): Result {
    if (req.qtype !== Type.AAAA || req.qclass !== Class.IN) return next(req);
    if (!this.cfg.allowIPv4 && overIPv4(req.remoteAddress)) return next(req);
    const r = next(req);
    return r instanceof Promise ? r.then((res) => this.translate(req, res, next)) : this.translate(req, r, next);
  }

  private translate(req: Request, res: Message, next: Next): Result {
    if (isNoResponse(res)) return res;
    const fields = fieldsOf(res);
    if (!shouldSynthesize(fields, this.cfg.translateAll)) return res;
    const a = next(asking(req, Type.A));
    const done = (aRes: Message): Message => {
      if (isNoResponse(aRes)) return res; // the A question went unanswered: keep the AAAA answer
      const out = synthesize(this.cfg, req.msg, fields, fieldsOf(aRes));
      translatedSeries(this.block.server).value++;
      return out;
    };
    return a instanceof Promise ? a.then(done) : done(a);
  }
}

export const definition: PluginDefinition = {
  name: 'dns64',
  setup(d, ctx) {
    const { plugin, first } = perBlock(ctx, 'dns64', () => new Dns64Plugin(ctx.block));
    plugin.lines.push(d);
    plugin.cfg = parseDns64(plugin.lines);
    return first ? plugin : { name: 'dns64' }; // no serve: the block's first dns64 plugin does the work
  },
};
