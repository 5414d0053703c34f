/**
 * Which Kubernetes objects an answer came from, for explained queries (GET /explain): the Service
 * (namespace/name, type, resourceVersion), the EndpointSlices whose endpoints were used (with
 * their resourceVersion and the endpoint names/addresses that matched), and the Pod for pod names
 * or reverse lookups of a pod IP. Looked up in the same ClusterView the answer was read from,
 * right after it was read; a normal query never comes here.
 */
import { ptrToIp } from '../../dns/name.ts';
import { Type } from '../../dns/types.ts';
import type { Request } from '../../plugin/contract.ts';
import { parseRequest, type Backend } from './backend.ts';
import { isHeadless } from './records.ts';
import type { ServiceRec, SliceRec } from './records.ts';

function service(s: ServiceRec): Record<string, unknown> {
  return {
    kind: 'Service', object: `${s.ns}/${s.name}`, resourceVersion: s.rv, type: s.type,
    ...(s.type === 'ExternalName' ? { externalName: s.externalName } : { clusterIPs: s.clusterIPs }),
  };
}

function slice(s: SliceRec, used: readonly string[]): Record<string, unknown> {
  return { kind: 'EndpointSlice', object: `${s.ns}/${s.name}`, resourceVersion: s.rv, addresses: used };
}

export function noteKubernetesSource(req: Request, b: Backend, qname: string, lzone: string): void {
  const trace = req.trace!;
  const ix = b.index;
  if (req.qtype === Type.PTR) {
    const ip = ptrToIp(qname);
    if (ip === undefined) return;
    for (const s of ix.servicesWithIP(ip)) trace.note('kubernetes', service(s));
    for (const s of ix.slicesWithIP(ip)) trace.note('kubernetes', slice(s, [ip]));
    for (const p of ix.podsWithIP(ip)) trace.note('kubernetes', { kind: 'Pod', object: `${p.ns}/${p.name}`, resourceVersion: p.rv, ip: p.ip });
    return;
  }
  const r = parseRequest(qname, lzone);
  if (r === 'invalid' || r.namespace === '') {
    if (r !== 'invalid' && r.podOrSvc === '') trace.note('kubernetes', { source: 'the zone itself (apex records)', zone: lzone });
    return;
  }
  const ns = ix.namespace(r.namespace);
  const nsNote = ns ? { kind: 'Namespace', object: r.namespace, resourceVersion: ns.rv } : { kind: 'Namespace', object: r.namespace, found: false };
  if (r.podOrSvc === 'pod') {
    // A pod name is its dashed address; `pods verified` answers it only if such a pod exists.
    const ip = r.service.includes('-') ? r.service.replaceAll('-', r.service.split('-').length === 4 ? '.' : ':') : r.service;
    const pods = ix.podsWithIP(ip).filter((p) => p.ns === r.namespace);
    trace.note('kubernetes', { source: `pod name (pods ${b.o.podMode})`, address: ip, ...(pods.length > 0 ? {} : { podsFound: 0 }) });
    for (const p of pods) trace.note('kubernetes', { kind: 'Pod', object: `${p.ns}/${p.name}`, resourceVersion: p.rv, ip: p.ip });
    return;
  }
  trace.note('kubernetes', nsNote);
  if (r.service === '') return;
  const svc = ix.service(r.service, r.namespace);
  if (!svc) { trace.note('kubernetes', { kind: 'Service', object: `${r.namespace}/${r.service}`, found: false }); return; }
  trace.note('kubernetes', service(svc));
  // Endpoints answer for headless Services, endpoint names, and SRV of headless Services.
  if (!isHeadless(svc) && r.endpoint === '') return;
  const view = ix.endpoints(r.service, r.namespace);
  const used = new Map<SliceRec, string[]>();
  if (r.endpoint !== '') {
    for (const { a, s } of view.byName.get(r.endpoint) ?? []) (used.get(s) ?? used.set(s, []).get(s)!).push(a.ip);
  } else {
    for (const s of ix.slicesOf(r.service, r.namespace)) used.set(s, s.addresses.map((a) => a.ip));
  }
  for (const [s, ips] of used) trace.note('kubernetes', slice(s, ips));
}
