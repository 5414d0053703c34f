/**
 * Answering a k8s_external zone (CoreDNS's plugin/k8s_external/external.go and msg_to_dns.go):
 * `SERVICE.NS.ZONE` gets the Service's external addresses — A, AAAA, SRV (one per port, targets'
 * addresses as extra records), PTR for those addresses in reverse zones — from the kubernetes
 * plugin of the block (the Externaler capability). A load balancer hostname is a CNAME, followed
 * through the plugins after this one (CoreDNS asks its own server again). Names the cluster does
 * not have are NXDOMAIN (or fall through), other types NODATA; the apex and `APEX.ZONE` are apex.ts.
 */
import { isIP } from 'node:net';
import { a, aaaa, cname, ptr, replyTo, srv } from '../../dns/message.ts';
import { fqdn, isSubdomain, lowerName } from '../../dns/name.ts';
import { Rcode, Type } from '../../dns/types.ts';
import type { Message, ResourceRecord } from '../../dns/types.ts';
import type { Next, Request, Result } from '../../plugin/contract.ts';
import type { Externaler, ExternalService } from '../../plugin/capabilities.ts';
import { subRequest } from '../../plugin/subrequest.ts';
import { isReverseZone } from './zones.ts';
import { Apex } from './apex.ts';
import type { ExternalOptions } from './setup.ts';

function matchZone(zones: readonly string[], qname: string): string | undefined {
  let best: string | undefined;
  for (const z of zones) if (isSubdomain(qname, z) && (best === undefined || z.length > best.length)) best = z;
  return best;
}

interface Records { records: ResourceRecord[]; tc: boolean }

export class External {
  private readonly o: ExternalOptions;
  private readonly k: Externaler;
  private readonly apex: Apex;
  /** Where PTR records point: the first forward zone of the plugin. */
  private readonly forwardZone: string;

  constructor(o: ExternalOptions, k: Externaler) {
    this.o = o;
    this.k = k;
    this.apex = new Apex(o, k);
    this.forwardZone = o.zones.find((z) => !isReverseZone(z)) ?? '.';
  }

  serve(req: Request, next: Next): Result {
    const zone = matchZone(this.o.zones, req.qname);
    if (zone === undefined) return next(req);
    const ready = this.k.externalReady?.();
    if (ready) return ready.then(() => this.answer(req, next, zone));
    return this.answer(req, next, zone);
  }

  private answer(req: Request, next: Next, zone: string): Result {
    for (const z of this.o.zones) {
      if (req.qname === z) return this.apex.serveApex(req, zone);
      if (isSubdomain(req.qname, `${this.o.apex}.${z}`)) return this.apex.serveSubApex(req, zone);
    }
    const { services, rcode } = this.k.external(req.qname, zone, req.qtype, this.o.headless);
    if (services.length === 0) {
      if (rcode === Rcode.NXDOMAIN && this.o.fallthrough.through(req.qname)) return next(req);
      const m = replyTo(req.msg, rcode);
      m.aa = true;
      m.authority = [this.apex.soa(zone)];
      return m;
    }
    switch (req.qtype) {
      case Type.A:
      case Type.AAAA: return this.addresses(req, next, zone, services).then((r) => this.reply(req, zone, r.records, [], r.tc));
      case Type.SRV: return this.services(req, next, zone, services).then(([records, extra]) => this.reply(req, zone, records, extra, false));
      case Type.PTR: return this.reply(req, zone, this.pointers(req, services), [], false);
      default: return this.reply(req, zone, [], [], false);
    }
  }

  private reply(req: Request, zone: string, answers: ResourceRecord[], extra: ResourceRecord[], tc: boolean): Message {
    const m = replyTo(req.msg);
    m.aa = true;
    m.tc = tc;
    m.answers = answers;
    m.additional = extra;
    if (answers.length === 0) m.authority = [this.apex.soa(zone)];
    return m;
  }

  /** A or AAAA for `req` (its qtype): addresses of the family asked, hostnames as CNAME + their addresses. */
  private async addresses(req: Request, next: Next, zone: string, services: readonly ExternalService[]): Promise<Records> {
    const family = req.qtype === Type.A ? 4 : 6;
    const owner = fqdn(req.question.name);
    const records: ResourceRecord[] = [];
    const seen = new Set<string>();
    let tc = false;
    for (const s of services) {
      const kind = isIP(s.host);
      if (kind === 0) {
        const target = fqdn(s.host);
        if (seen.has(lowerName(target))) continue;   // one per hostname, not one per port (CoreDNS repeats it)
        seen.add(lowerName(target));
        records.push(cname(owner, s.ttl, target));
        if (isSubdomain(target, zone) && lowerName(target) === req.qname) continue;
        try {
          const m = await next(subRequest(req, target, req.qtype));
          if (m.rcode === Rcode.NOERROR) records.push(...m.answers);
          if (m.tc) tc = true;
        } catch { /* as CoreDNS: a failed lookup adds nothing */ }
        continue;
      }
      if (kind !== family || seen.has(s.host)) continue;
      seen.add(s.host);
      records.push(family === 4 ? a(owner, this.o.ttl, s.host) : aaaa(owner, this.o.ttl, s.host));
    }
    return { records, tc };
  }

  /** SRV: one per (target, port), weights shared out; the targets' addresses (or their CNAME lookups) as extra. */
  private async services(req: Request, next: Next, zone: string, services: readonly ExternalService[]): Promise<[ResourceRecord[], ResourceRecord[]]> {
    const owner = fqdn(req.question.name);
    const weight = Math.max(1, Math.floor((100 / (services.length * 100)) * 100));
    const records: ResourceRecord[] = [], extra: ResourceRecord[] = [];
    const seenSrv = new Set<string>(), seenAddr = new Set<string>();
    for (const s of services) {
      if (s.port === -1) continue;
      const target = fqdn(s.target);
      const key = `${lowerName(target)} ${s.port}`;
      if (!seenSrv.has(key)) {
        seenSrv.add(key);
        records.push(srv(owner, s.ttl, 0, weight, s.port, target));
      }
      const addrKey = `${lowerName(target)} ${s.host}`;
      if (seenAddr.has(addrKey)) continue;
      seenAddr.add(addrKey);
      const kind = isIP(s.host);
      if (kind === 4) extra.push(a(target, this.o.ttl, s.host));
      else if (kind === 6) extra.push(aaaa(target, this.o.ttl, s.host));
      else {
        // CoreDNS looks the target's A record up through its server: here, the same plugin for that name.
        const sub = subRequest(req, target, Type.A);
        const r = await this.addresses(sub, next, zone, services.filter((x) => lowerName(fqdn(x.target)) === lowerName(target)));
        extra.push(...r.records);
      }
    }
    return [records, extra];
  }

  /** PTR for an external address: SERVICE.NS under the plugin's first forward zone. */
  private pointers(req: Request, services: readonly ExternalService[]): ResourceRecord[] {
    const owner = fqdn(req.question.name);
    const seen = new Set<string>();
    const out: ResourceRecord[] = [];
    for (const s of services) {
      const target = this.forwardZone === '.' ? `${s.target}.` : `${s.target}.${this.forwardZone}`;
      if (seen.has(target)) continue;
      seen.add(target);
      out.push(ptr(owner, this.o.ttl, target));
    }
    return out;
  }
}
