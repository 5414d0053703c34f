/**
 * The apex of a k8s_external zone and its `dns` subdomain (CoreDNS's plugin/k8s_external/apex.go):
 * SOA and NS at the apex, the name server `ns1.APEX.ZONE` with this server's external addresses,
 * NODATA for `APEX.ZONE` itself and NXDOMAIN for any other name under it.
 */
import { isIP } from 'node:net';
import { a, aaaa, ns, replyTo, soa } from '../../dns/message.ts';
import { countLabels, fqdn } from '../../dns/name.ts';
import { Rcode, Type } from '../../dns/types.ts';
import type { Message, ResourceRecord } from '../../dns/types.ts';
import type { Request } from '../../plugin/contract.ts';
import type { Externaler } from '../../plugin/capabilities.ts';
import type { ExternalOptions } from './setup.ts';

export class Apex {
  private readonly o: ExternalOptions;
  private readonly k: Externaler;

  constructor(o: ExternalOptions, k: Externaler) {
    this.o = o;
    this.k = k;
  }

  /** The zone's SOA: `ns1.APEX.ZONE`, `hostmaster.APEX.ZONE`, serial from the cluster, TTL and minimum the plugin's TTL. */
  soa(zone: string): ResourceRecord {
    const { apex, ttl } = this.o;
    return soa(zone, ttl, {
      mname: `ns1.${apex}.${zone}`, rname: `hostmaster.${apex}.${zone}`, serial: this.k.externalSerial(zone) >>> 0,
      refresh: 7200, retry: 1800, expire: 86400, minimum: ttl,
    });
  }

  private addresses(zone: string, owner: string, qtype?: number): ResourceRecord[] {
    const out: ResourceRecord[] = [];
    for (const ip of this.k.externalAddress(zone, this.o.headless)) {
      const kind = isIP(ip);
      if (kind === 4 && (qtype === undefined || qtype === Type.A)) out.push(a(owner, this.o.ttl, ip));
      if (kind === 6 && (qtype === undefined || qtype === Type.AAAA)) out.push(aaaa(owner, this.o.ttl, ip));
    }
    return out;
  }

  /** A query for the zone's own name. */
  serveApex(req: Request, zone: string): Message {
    const m = replyTo(req.msg);
    m.aa = true;
    if (req.qtype === Type.SOA) {
      m.answers = [this.soa(zone)];
    } else if (req.qtype === Type.NS) {
      m.answers = [ns(zone, this.o.ttl, `ns1.${this.o.apex}.${zone}`)];
      m.additional = this.addresses(zone, `ns1.${this.o.apex}.${fqdn(req.question.name)}`);
    } else {
      m.authority = [this.soa(zone)];
    }
    return m;
  }

  /** A query under `APEX.ZONE`: only `ns1.APEX.ZONE` exists, with A/AAAA. */
  serveSubApex(req: Request, zone: string): Message {
    const m = replyTo(req.msg);
    m.aa = true;
    const depth = countLabels(req.qname) - countLabels(zone);
    if (depth === 1) {
      m.authority = [this.soa(zone)];
      return m;
    }
    if (depth !== 2 || !req.qname.startsWith('ns1.')) {
      m.rcode = Rcode.NXDOMAIN;
      m.authority = [this.soa(zone)];
      return m;
    }
    if (req.qtype === Type.A || req.qtype === Type.AAAA) m.answers = this.addresses(zone, fqdn(req.question.name), req.qtype);
    if (m.answers.length === 0) m.authority = [this.soa(zone)];
    return m;
  }
}
