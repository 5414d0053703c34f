/**
 * Answering a question from one zone, as CoreDNS's file plugin does (plugin/file/lookup.go):
 *
 * - SOA or NS at the apex: the apex records (NS with their in-zone addresses as additional);
 * - walking down from the apex to the name: a DNAME above the name is followed (RFC 6672: the
 *   DNAME and a CNAME made for the name); NS records below the apex are a delegation — a referral
 *   with glue, not authoritative (a DS question at the cut itself is answered from this side);
 * - the name exists: its CNAME is followed inside the zone (at most 8 links); records of the type,
 *   with the apex NS in authority and the A/AAAA of in-zone MX and SRV targets as additional; or
 *   NODATA with the SOA; an empty non-terminal is NODATA too;
 * - the name does not exist: the wildcard at its closest encloser (RFC 4592) answers for it, under
 *   the asked name; else NXDOMAIN with the SOA.
 *
 * A CNAME chain that leaves the zone's records ends in `chase`: the plugin resolves that target
 * (in its own zones, else through the rest of the chain) and appends what it gets.
 */
import type { MXData, NameData, ResourceRecord, SRVData } from '../../dns/types.ts';
import { labelsToText, lower } from './names.ts';
import { nameToLabels } from '../../dns/name.ts';
import { parentName, under, type Zone } from './zone.ts';

export type Result = 'success' | 'nxdomain' | 'nodata' | 'delegation' | 'servfail';

export interface Answer {
  answer: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
  result: Result;
  /** A CNAME target outside the zone's records, still to be looked up (its records go after `answer`). */
  chase?: string;
}

const A = 1, NS = 2, CNAME = 5, SOA = 6, MX = 15, AAAA = 28, SRV = 33, DNAME = 39, DS = 43;
export const MAX_CHAIN = 8; // CNAME links followed inside a zone (CoreDNS's maxChain)

/** The names from the origin down to qname, both included (qname must be under the origin). */
function path(origin: string, qname: string): string[] {
  const out: string[] = [];
  for (let n = qname; ; n = parentName(n)) {
    out.push(n);
    if (n === origin || n === '.') break;
  }
  return out.reverse();
}

function nodata(z: Zone, result: Result = 'nodata'): Answer {
  return { answer: [], authority: [z.soa!], additional: [], result };
}

/** The in-zone addresses of NS targets below the NS owner (glue). */
export function glue(z: Zone, nsrrs: readonly ResourceRecord[]): ResourceRecord[] {
  const out: ResourceRecord[] = [];
  for (const rr of nsrrs) {
    const target = (rr.data as NameData).target;
    if (!under(target, rr.name)) continue;
    const node = z.node(target);
    if (!node) continue;
    out.push(...(node.get(A) ?? []), ...(node.get(AAAA) ?? []));
  }
  return out;
}

/** A and AAAA of MX and SRV targets inside the zone. */
function additionalFor(z: Zone, rrs: readonly ResourceRecord[]): ResourceRecord[] {
  const out: ResourceRecord[] = [];
  for (const rr of rrs) {
    const target = rr.type === MX ? (rr.data as MXData).exchange : rr.type === SRV ? (rr.data as SRVData).target : undefined;
    if (target === undefined || !under(target, z.origin)) continue;
    const node = z.node(target);
    if (!node) continue;
    out.push(...(node.get(A) ?? []), ...(node.get(AAAA) ?? []));
  }
  return out;
}

/** The records of a wildcard node, owned by the asked name. */
function renamed(rrs: readonly ResourceRecord[], qname: string): ResourceRecord[] {
  return rrs.map((rr) => ({ ...rr, name: qname }));
}

/** RFC 6672 substitution: qname below owner, owner's part replaced by target; undefined if too long. */
function substitute(qname: string, owner: string, target: string): string | undefined {
  const prefix = owner === '.' ? qname : qname.slice(0, qname.length - owner.length); // "a.b." for a.b.<owner>
  const name = target === '.' ? prefix : prefix + target;
  const labels = nameToLabels(name);
  return labels === undefined ? undefined : labelsToText(labels);
}

/** Follow CNAMEs inside the zone (CoreDNS's additionalProcessing of a CNAME answer). */
function chaseCname(z: Zone, cnames: readonly ResourceRecord[], qtype: number): Answer {
  const answer = [...cnames];
  let target = lower((cnames[0]!.data as NameData).target);
  for (let i = 0; ; i++) {
    const node = z.node(target);
    if (!node) return { answer, authority: z.apexNs, additional: [], result: 'success', chase: target };
    const next = node.get(CNAME);
    if (next) {
      answer.push(...next);
      target = lower((next[0]!.data as NameData).target);
      if (i + 1 > MAX_CHAIN) return { answer, authority: z.apexNs, additional: [], result: 'success' };
      continue;
    }
    answer.push(...(node.get(qtype) ?? []));
    return { answer, authority: z.apexNs, additional: [], result: 'success' };
  }
}

/** Answer `qname` (lower-case, inside the zone) for `qtype` from zone `z` (which has an SOA). */
export function lookup(z: Zone, qname: string, qtype: number): Answer {
  if (qtype === SOA && qname === z.origin) return { answer: [z.soa!], authority: z.apexNs, additional: [], result: 'success' };
  if (qtype === NS && qname === z.origin) return { answer: z.apexNs, authority: [], additional: glue(z, z.apexNs), result: 'success' };

  let encloser = z.origin;
  let found = true;
  for (const name of path(z.origin, qname)) {
    const node = z.node(name);
    if (!node) {
      if (z.exists(name)) { encloser = name; continue; }
      found = false;
      break;
    }
    encloser = name;
    const dname = node.get(DNAME);
    if (dname && name !== qname) {
      const target = substitute(qname, name, (dname[0]!.data as NameData).target);
      if (target !== undefined) {
        const cname: ResourceRecord<NameData> = { name: qname, type: CNAME, class: 1, ttl: dname[0]!.ttl, data: { target } };
        // For a CNAME question the made-up CNAME is the answer; for others its target is followed.
        if (qtype === CNAME) return { answer: [...dname, cname], authority: z.apexNs, additional: [], result: 'success' };
        const res = chaseCname(z, [cname], qtype);
        res.answer = [...dname, ...res.answer];
        return res;
      }
    }
    const ns = name === z.origin ? undefined : node.get(NS);
    if (ns) {
      if (qtype === DS && name === qname) continue;
      return { answer: [], authority: ns, additional: glue(z, ns), result: 'delegation' };
    }
  }

  if (found) {
    const node = z.node(qname);
    if (!node) return nodata(z); // an empty non-terminal, or an apex with only SOA and NS
    const cname = node.get(CNAME);
    if (cname && qtype !== CNAME) return chaseCname(z, cname, qtype);
    const rrs = node.get(qtype);
    if (!rrs) return nodata(z);
    return { answer: rrs, authority: z.apexNs, additional: additionalFor(z, rrs), result: 'success' };
  }

  const wild = z.node(encloser === '.' ? '*.' : `*.${encloser}`);
  if (wild) {
    const cname = wild.get(CNAME);
    if (cname && qtype !== CNAME) return chaseCname(z, renamed(cname, qname), qtype);
    const rrs = wild.get(qtype);
    if (!rrs) return nodata(z, 'success');
    const answer = renamed(rrs, qname);
    return { answer, authority: z.apexNs, additional: additionalFor(z, answer), result: 'success' };
  }
  return { answer: [], authority: [z.soa!], additional: [], result: 'nxdomain' };
}
