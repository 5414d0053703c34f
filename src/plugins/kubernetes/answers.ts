/**
 * Entries → resource records, after CoreDNS's plugin/backend_lookup.go (A, AAAA, SRV, TXT, CNAME,
 * PTR, NS, SOA) as the kubernetes plugin uses it. ExternalName CNAMEs whose target lies in the
 * zone are followed here; targets outside it become an `Outside` marker that the handler resolves
 * through the rest of the plugin chain (CoreDNS resolves them through its upstream).
 */
import { isIP } from 'node:net';
import { fqdn, isSubdomain, lowerName } from '../../dns/name.ts';
import { a, aaaa, cname, ns, ptr, soa, srv, txt } from '../../dns/message.ts';
import { Type } from '../../dns/types.ts';
import type { NameData, ResourceRecord } from '../../dns/types.ts';
import type { Backend, Entry, NameError } from './backend.ts';

/** A CNAME to a name outside our zones: answered with `cname` plus whatever the chain says about `target`. */
export interface Outside { outside: true; cname: ResourceRecord<NameData>; target: string; qtype: number }
export type Item = ResourceRecord | Outside;

export interface Answer { records: Item[]; extra: ResourceRecord[]; err: NameError | null }

const MAX_CNAME_CHAIN = 7;

function isDuplicateCname(rec: ResourceRecord<NameData>, prev: readonly ResourceRecord[]): boolean {
  const name = lowerName(rec.name), target = lowerName(rec.data.target);
  for (const p of prev) {
    if (p.type === Type.CNAME && lowerName(p.name) === name && lowerName((p.data as NameData).target) === target) return true;
  }
  return false;
}

/**
 * A or AAAA for `owner` (the query name as asked; `name` is it lower-cased) in `zone` (query case).
 * `prev` holds the CNAMEs already followed, to stop loops and long chains.
 */
export function addresses(b: Backend, qtype: number, owner: string, name: string, zone: string, prev: ResourceRecord[] = []): Answer {
  const { entries, err } = b.services(name, qtype, zone);
  if (err) return { records: [], extra: [], err };
  const records: Item[] = [];
  const dup = new Set<string>();
  const family = qtype === Type.A ? 4 : 6;
  for (const e of entries) {
    const kind = isIP(e.host);
    if (kind === 0) {
      const target = fqdn(e.host);
      const lt = lowerName(target);
      if (lt === name) continue;                         // x CNAME x
      const rec = cname(owner, e.ttl, target);
      if (prev.length > MAX_CNAME_CHAIN || isDuplicateCname(rec, prev)) continue;
      if (isSubdomain(lt, zone)) {
        const next = addresses(b, qtype, target, lt, zone, [...prev, rec]);
        if (!next.err && next.records.length > 0) records.push(rec, ...next.records);
        continue;
      }
      records.push({ outside: true, cname: rec, target, qtype });
      continue;
    }
    if (kind !== family || dup.has(e.host)) continue;
    dup.add(e.host);
    records.push(family === 4 ? a(owner, e.ttl, e.host) : aaaa(owner, e.ttl, e.host));
  }
  return { records, extra: [], err: null };
}

/**
 * SRV: one record per distinct (target, port), weights shared out within the priority (all
 * kubernetes entries have priority 0 and weight 100), the targets' addresses as extra records.
 * Entries with port -1 (no ports declared) give no SRV record but still count in the weights.
 */
export function service(b: Backend, owner: string, name: string, zone: string): Answer {
  const { entries, err } = b.services(name, Type.SRV, zone);
  if (err) return { records: [], extra: [], err };
  const records: ResourceRecord[] = [];
  const extra: ResourceRecord[] = [];
  const total = entries.length * 100;
  const weight = Math.max(1, Math.floor((100 / total) * 100));
  const seenSrv = new Set<string>(), seenAddr = new Set<string>();
  for (const e of entries) {
    if (e.port === -1) continue;
    const kind = isIP(e.host);
    if (kind === 0) continue;
    const k = `${lowerName(e.target)} ${e.port}`;
    if (!seenSrv.has(k)) {
      seenSrv.add(k);
      records.push(srv(owner, e.ttl, 0, weight, e.port, e.target));
    }
    const ka = `${lowerName(e.target)} ${e.host}`;
    if (!seenAddr.has(ka)) {
      seenAddr.add(ka);
      extra.push(kind === 4 ? a(e.target, e.ttl, e.host) : aaaa(e.target, e.ttl, e.host));
    }
  }
  return { records, extra, err: null };
}

export function text(b: Backend, owner: string, name: string, zone: string): Answer {
  const { entries, err } = b.services(name, Type.TXT, zone);
  if (err) return { records: [], extra: [], err };
  const records = entries.filter((e) => e.text !== undefined).map((e) => txt(owner, e.ttl, e.text!));
  return { records, extra: [], err: null };
}

/** CNAME: the first entry, when it is a name (ExternalName services). */
export function canonical(b: Backend, owner: string, name: string, zone: string): Answer {
  const { entries, err } = b.services(name, Type.CNAME, zone);
  if (err) return { records: [], extra: [], err };
  const first: Entry | undefined = entries[0];
  const records = first && isIP(first.host) === 0 ? [cname(owner, first.ttl, fqdn(first.host))] : [];
  return { records, extra: [], err: null };
}

/** PTR for a reverse name; a reverse name that is not a whole address goes through records(). */
export function pointer(b: Backend, owner: string, name: string, zone: string, ip: string | undefined): Answer {
  if (ip === undefined) {
    const { err } = b.records(name, zone);
    return { records: [], extra: [], err };
  }
  const { entries, err } = b.reverse(ip);
  if (err) return { records: [], extra: [], err };
  const seen = new Set<string>();
  const records: ResourceRecord[] = [];
  for (const e of entries) {
    if (seen.has(e.host)) continue;
    seen.add(e.host);
    records.push(ptr(owner, e.ttl, e.host));
  }
  return { records, extra: [], err: null };
}

/** NS at the zone apex, with the name servers' addresses as extra records. */
export function nameservers(b: Backend, owner: string, zone: string): Answer {
  const { entries } = b.services(lowerName(owner), Type.NS, zone);
  const records: ResourceRecord[] = [];
  const extra: ResourceRecord[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    const kind = isIP(e.host);
    if (kind === 0) continue;
    extra.push(kind === 4 ? a(e.target, e.ttl, e.host) : aaaa(e.target, e.ttl, e.host));
    if (seen.has(e.target)) continue;
    seen.add(e.target);
    records.push(ns(owner, e.ttl, e.target));
  }
  return { records, extra, err: null };
}

/** The zone's SOA, as CoreDNS's plugin.SOA writes it (TTL min(ttl, 300), minimum = ttl). */
export function startOfAuthority(b: Backend, zone: string): ResourceRecord {
  const ttl = b.o.ttl;
  return soa(zone, Math.min(ttl, 300), {
    mname: `ns.dns.${zone}`, rname: `hostmaster.${zone}`, serial: b.index.modified >>> 0,
    refresh: 7200, retry: 1800, expire: 86400, minimum: ttl,
  });
}
