/**
 * The lookup half of the kubernetes plugin, after CoreDNS's kubernetes.go, parse.go, ns.go and
 * reverse.go: a query name becomes a list of Entries (an address or a CNAME target, a port, the
 * name an SRV record points at) or a name error. answers.ts turns Entries into records.
 *
 * Names here are lower-case, except `zone`, which keeps the case of the query (as CoreDNS does)
 * because SRV targets and NS names are built on it.
 */
import type { ClusterView } from './cluster-view.ts';
import { endpointHostname, isHeadless } from './records.ts';
import type { AddressRec } from './records.ts';
import type { KubernetesOptions } from './setup.ts';
import { Type } from '../../dns/types.ts';
import { isIP } from 'node:net';

export const SCHEMA_VERSION = '1.1.0';

/** One answer candidate, as CoreDNS's msg.Service: Host is an IP or a domain (CNAME). */
export interface Entry { host: string; port: number; target: string; ttl: number; text?: string }

/** errNoItems / errNsNotExposed / errInvalidRequest: all answer NXDOMAIN (or fall through). */
export type NameError = 'noitems' | 'notexposed' | 'invalid';
export interface Lookup { entries: Entry[]; err: NameError | null }

export interface RecordRequest {
  port: string; protocol: string; endpoint: string; service: string; namespace: string; podOrSvc: string;
}

const EMPTY: RecordRequest = { port: '', protocol: '', endpoint: '', service: '', namespace: '', podOrSvc: '' };

function stripUnderscore(s: string): string { return s.startsWith('_') ? s.slice(1) : s; }

/** The labels of `name` left of `zone` ("a.b.zone." → ["a","b"]); both lower-case absolute. */
export function trimZone(name: string, zone: string): string[] {
  if (name.length <= zone.length) return [];
  const base = zone === '.' ? name.slice(0, -1) : name.slice(0, name.length - zone.length - 1);
  return base === '' ? [] : base.split('.');
}

/**
 * parseRequest: `[endpoint.]service.namespace.svc|pod.zone` or `_port._protocol.service.namespace.svc.zone`.
 * Returns 'invalid' for names that cannot exist (wrong kind label, too many labels).
 */
export function parseRequest(name: string, zone: string): RecordRequest | 'invalid' {
  const segs = trimZone(name, zone);
  if (segs.length === 0) return EMPTY;
  if (segs.length === 1 && (segs[0] === 'svc' || segs[0] === 'pod')) return EMPTY;
  const r: RecordRequest = { ...EMPTY };
  let last = segs.length - 1;
  r.podOrSvc = segs[last]!;
  if (r.podOrSvc !== 'pod' && r.podOrSvc !== 'svc') return 'invalid';
  if (--last < 0) return r;
  r.namespace = segs[last]!;
  if (--last < 0) return r;
  r.service = segs[last]!;
  if (--last < 0) return r;
  if (last === 0) {
    r.endpoint = segs[0]!;
  } else if (last === 1) {
    r.protocol = stripUnderscore(segs[1]!);
    r.port = stripUnderscore(segs[0]!);
  } else {
    return 'invalid';
  }
  return r;
}

function eqFold(a: string, b: string): boolean { return a === b || a.toLowerCase() === b.toLowerCase(); }
function portMatch(rPort: string, port: string, rProto: string, proto: string): boolean {
  return (rPort === '' || eqFold(rPort, port)) && (rProto === '' || eqFold(rProto, proto));
}

export class Backend {
  readonly o: KubernetesOptions;
  /** What lookups read: the live index (one thread) or the latest cluster image (answering threads); replaced when a new image arrives. */
  index: ClusterView;
  private readonly localIPs: () => string[];
  /** Endpoint names, computed once per address record (a headless answer asks for every one each time). */
  private readonly hostnames = new WeakMap<AddressRec, string>();

  constructor(o: KubernetesOptions, index: ClusterView, localIPs: () => string[]) {
    this.o = o;
    this.index = index;
    this.localIPs = localIPs;
  }

  /** This server's own addresses (bound, else the host's): what the NS records are made of. */
  localAddresses(): string[] { return this.localIPs(); }

  /** The name an endpoint answers to under its service. */
  hostname(a: AddressRec): string {
    let h = this.hostnames.get(a);
    if (h === undefined) { h = endpointHostname(a, this.o.endpointPodNames); this.hostnames.set(a, h); }
    return h;
  }

  /** Exposed by the `namespaces` option and present in the cluster (namespace_labels filters the latter). */
  namespaceExposed(ns: string): boolean {
    if (this.o.namespaces.size > 0 && !this.o.namespaces.has(ns)) return false;
    return this.index.hasNamespace(ns);
  }

  /** CoreDNS's Services(): special names first (dns-version TXT, NS, ns.dns.), then records(). */
  services(name: string, qtype: number, zone: string): Lookup {
    const lzone = zone.toLowerCase();
    if (qtype === Type.TXT) {
      const segs = trimZone(name, lzone);
      if (segs.length === 1 && segs[0] === 'dns-version') {
        return { entries: [{ host: '', port: 0, target: '', ttl: 28800, text: SCHEMA_VERSION }], err: null };
      }
      // As CoreDNS: a name with records of another type has no TXT (NODATA); any other is NXDOMAIN.
      return { entries: [], err: this.records(name, zone).entries.length > 0 ? null : 'noitems' };
    }
    if (qtype === Type.NS) {
      return { entries: this.nsAddrs(zone).map((n) => ({ host: n.ip, port: 0, target: n.name, ttl: this.o.ttl })), err: null };
    }
    if (name === 'ns.dns.' + lzone) {
      const want = qtype === Type.A ? 4 : qtype === Type.AAAA ? 6 : 0;
      const entries = this.nsAddrs(zone).filter((n) => isIP(n.ip) === want)
        .map((n) => ({ host: n.ip, port: 0, target: name, ttl: this.o.ttl }));
      return { entries, err: null };
    }
    const res = this.records(name, zone);
    if (qtype === Type.SRV) res.entries = res.entries.filter((e) => isIP(e.host) !== 0);
    return res;
  }

  records(name: string, zone: string): Lookup {
    const r = parseRequest(name, zone.toLowerCase());
    if (r === 'invalid') return { entries: [], err: 'invalid' };
    if (r.podOrSvc === '') return { entries: [], err: null };
    if (isReverseName(name)) return { entries: [], err: 'noitems' };
    if (!this.namespaceExposed(r.namespace)) return { entries: [], err: 'notexposed' };
    return r.podOrSvc === 'pod' ? this.findPods(r, zone) : this.findServices(r, zone);
  }

  findPods(r: RecordRequest, zone: string): Lookup {
    if (this.o.podMode === 'disabled') return { entries: [], err: 'noitems' };
    if (r.service === '') return { entries: [], err: null };
    const podname = r.service;
    const ip = (podname.split('-').length - 1 === 3 && !podname.includes('--'))
      ? podname.replaceAll('-', '.')
      : podname.replaceAll('-', ':');
    const target = `${podname}.${r.namespace}.pod.${zone}`;
    if (this.o.podMode === 'insecure') {
      if (isIP(ip) === 0) return { entries: [], err: 'noitems' };
      return { entries: [{ host: ip, port: 0, target, ttl: this.o.ttl }], err: null };
    }
    const entries: Entry[] = [];
    for (const p of this.index.podsWithIP(ip)) {
      if (p.ip === ip && eqFold(p.ns, r.namespace)) entries.push({ host: ip, port: 0, target, ttl: this.o.ttl });
    }
    return { entries, err: entries.length > 0 ? null : 'noitems' };
  }

  findServices(r: RecordRequest, zone: string): Lookup {
    if (r.service === '') return { entries: [], err: null };
    const svc = this.index.service(r.service, r.namespace);
    if (!svc) return { entries: [], err: 'noitems' };
    const ttl = this.o.ttl;
    const headless = isHeadless(svc);
    const svcName = `${svc.name}.${svc.ns}.svc.${zone}`;
    if (this.o.ignoreEmptyService && svc.type !== 'ExternalName' && !headless
      && this.index.endpoints(svc.name, svc.ns).count === 0) {
      return { entries: [], err: 'noitems' };
    }
    if (svc.type === 'ExternalName') {
      // No endpoints, and no _port._protocol labels either (CoreDNS: not an SRV name for it).
      if (r.endpoint !== '' || r.port !== '' || r.protocol !== '' || svc.externalName === '' || isIP(svc.externalName) !== 0) {
        return { entries: [], err: 'noitems' };
      }
      return { entries: [{ host: svc.externalName, port: 0, target: svcName, ttl }], err: null };
    }
    const entries: Entry[] = [];
    if (r.endpoint !== '') {
      const named = this.index.endpoints(svc.name, svc.ns).byName.get(r.endpoint);
      for (const { a, s } of named ?? []) {
        const target = `${this.hostname(a)}.${svcName}`;
        for (const p of s.ports) {
          if (portMatch(r.port, p.name, r.protocol, p.protocol)) entries.push({ host: a.ip, port: p.port, target, ttl });
        }
      }
      return { entries, err: entries.length > 0 ? null : 'noitems' };
    }
    if (headless) {
      for (const s of this.index.slicesOf(svc.name, svc.ns)) {
        for (const a of s.addresses) {
          const target = `${this.hostname(a)}.${svcName}`;
          for (const p of s.ports) {
            if (portMatch(r.port, p.name, r.protocol, p.protocol)) entries.push({ host: a.ip, port: p.port, target, ttl });
          }
        }
      }
      return { entries, err: entries.length > 0 ? null : 'noitems' };
    }
    let matched = false;
    for (const p of svc.ports) {
      if (!portMatch(r.port, p.name, r.protocol, p.protocol)) continue;
      matched = true;
      for (const ip of svc.clusterIPs) if (ip !== '') entries.push({ host: ip, port: p.port, target: svcName, ttl });
    }
    return { entries, err: matched ? null : 'noitems' };
  }

  /** PTR: the first service with this cluster IP, else every endpoint with this address. */
  reverse(ip: string): Lookup {
    const zone = this.o.primaryZone;
    const limited = this.o.namespaces.size > 0;
    for (const s of this.index.servicesWithIP(ip)) {
      if (limited && !this.namespaceExposed(s.ns)) continue;
      return { entries: [{ host: `${s.name}.${s.ns}.svc.${zone}`, port: 0, target: '', ttl: this.o.ttl }], err: null };
    }
    const entries: Entry[] = [];
    for (const sl of this.index.slicesWithIP(ip)) {
      if (limited && !this.namespaceExposed(sl.ns)) continue;
      for (const a of sl.addresses) {
        if (a.ip !== ip) continue;
        entries.push({ host: `${this.hostname(a)}.${sl.service}.${sl.ns}.svc.${zone}`, port: 0, target: '', ttl: this.o.ttl });
      }
    }
    return { entries, err: entries.length > 0 ? null : 'noitems' };
  }

  /**
   * The name servers of the zone (CoreDNS's nsAddrs): the services whose endpoints carry this
   * server's own addresses (normally kube-dns), else ns.dns.ZONE with the local addresses.
   */
  nsAddrs(zone: string): { name: string; ip: string }[] {
    const out: { name: string; ip: string }[] = [];
    const local = this.localIPs();
    for (const ip of local) {
      for (const sl of this.index.slicesWithIP(ip)) {
        const svc = this.index.service(sl.service, sl.ns);
        if (!svc) continue;
        const svcName = `${svc.name}.${svc.ns}.svc.${zone}`;
        if (isHeadless(svc)) {
          for (const a of sl.addresses) out.push({ name: `${this.hostname(a)}.${svcName}`, ip: a.ip });
        } else {
          for (const cip of svc.clusterIPs) out.push({ name: svcName, ip: cip });
        }
      }
    }
    if (out.length === 0) for (const ip of local) out.push({ name: `ns.dns.${zone}`, ip });
    const seen = new Set<string>();
    return out.filter((n) => (seen.has(n.ip) ? false : (seen.add(n.ip), true)));
  }
}

export function isReverseName(name: string): boolean {
  return name.endsWith('.in-addr.arpa.') || name.endsWith('.ip6.arpa.');
}
