/**
 * ClusterView: the lookups an answering thread makes of the cluster (backend.ts, answers.ts,
 * external.ts, autopath.ts, provenance.ts read nothing else). Two things implement it:
 * - ClusterIndex (cluster-index.ts): the live, mutable index a single thread answers from;
 * - ImageView (image-view.ts): a read-only cluster image in a SharedArrayBuffer that the control
 *   part builds and every answering thread reads — one copy of the cluster for all threads.
 * Names are compared as given: callers pass lower-case names; keys are the objects' own names.
 */
import { endpointHostname } from './records.ts';
import type { AddressRec, NamespaceRec, PodRec, ServiceRec, SliceRec } from './records.ts';

export interface NamedAddress { a: AddressRec; s: SliceRec }

export interface EndpointView {
  count: number;                         // ready addresses over all slices (with duplicates)
  v4: string[];                          // distinct IPv4 endpoint addresses
  v6: string[];                          // distinct IPv6 endpoint addresses
  byName: Map<string, NamedAddress[]>;   // lower-cased endpoint name → addresses (with their slice)
}

export interface ClusterView {
  /**
   * Changes whenever the view's answers may change: the same view object with the same version
   * answers every lookup the same (answering threads memoize answers on it: handler.ts).
   */
  readonly version: number;
  /** Unix seconds of the last change to services or endpoints (the SOA serial). */
  readonly modified: number;
  /** Unix seconds of the last change to a service with external addresses (k8s_external's SOA serial). */
  readonly externalModified: number;
  service(name: string, ns: string): ServiceRec | undefined;
  /** The EndpointSlices of a service (by its name and namespace), whether or not the Service exists. */
  slicesOf(name: string, ns: string): readonly SliceRec[];
  /** The endpoint view of a service (see EndpointView). */
  endpoints(name: string, ns: string): EndpointView;
  servicesWithIP(ip: string): readonly ServiceRec[];
  slicesWithIP(ip: string): readonly SliceRec[];
  podsWithIP(ip: string): readonly PodRec[];
  servicesWithExternalIP(ip: string): readonly ServiceRec[];
  hasNamespace(name: string): boolean;
  namespace(name: string): NamespaceRec | undefined;
}

/** The endpoint view of one service's slices (shared by both implementations, so they agree). */
export function endpointView(slices: readonly SliceRec[], podNames: boolean): EndpointView {
  const v: EndpointView = { count: 0, v4: [], v6: [], byName: new Map() };
  const seen = new Set<string>();
  for (const s of slices) {
    for (const a of s.addresses) {
      v.count++;
      const name = endpointHostname(a, podNames).toLowerCase();
      const l = v.byName.get(name);
      if (l) l.push({ a, s }); else v.byName.set(name, [{ a, s }]);
      if (seen.has(a.ip)) continue;
      seen.add(a.ip);
      (a.ip.includes(':') ? v.v6 : v.v4).push(a.ip);
    }
  }
  return v;
}
