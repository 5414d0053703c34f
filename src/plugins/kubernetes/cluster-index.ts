/**
 * ClusterIndex: the kubernetes plugin's in-memory view of the cluster, keyed so that a lookup
 * costs O(1) plus the size of the answer, never a walk over all objects:
 * - services by "name.namespace", and by cluster IP (for PTR);
 * - EndpointSlices by "ns/name" and grouped by their service's "name.namespace", and by
 *   endpoint IP (for PTR and the NS records);
 * - per service, built on first use after a change: its endpoint IPs and endpoint names
 *   (hostname, pod name or dashed IP), so headless and endpoint-name answers need no scan;
 * - namespaces by name; pods by IP (only with `pods verified`).
 * It is updated one Delta at a time by the source. In one thread it is what queries read (a
 * ClusterView, the 'live' source); with worker threads it keeps only the records (`secondary:
 * false`), from which cluster-image.ts builds the image that the answering threads read.
 */
import { Kind, serviceKey } from './records.ts';
import type { Delta, NamespaceRec, PodRec, Rec, ServiceRec, SliceRec } from './records.ts';
import { endpointView, type ClusterView, type EndpointView } from './cluster-view.ts';

export { endpointHostname } from './records.ts';
export type { EndpointView, NamedAddress } from './cluster-view.ts';

const EMPTY: readonly SliceRec[] = [];

function addTo<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v); else m.set(k, [v]);
}
function removeFrom<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (!l) return;
  const i = l.indexOf(v);
  if (i >= 0) l.splice(i, 1);
  if (l.length === 0) m.delete(k);
}

export class ClusterIndex implements ClusterView {
  readonly services = new Map<string, ServiceRec>();       // "name.ns"
  readonly slices = new Map<string, SliceRec>();           // "ns/name"
  readonly namespaces = new Map<string, NamespaceRec>();
  readonly pods = new Map<string, PodRec>();               // "ns/name"
  private readonly slicesByService = new Map<string, SliceRec[]>();
  private readonly servicesByIP = new Map<string, ServiceRec[]>();
  private readonly slicesByIP = new Map<string, SliceRec[]>();
  private readonly podsByIP = new Map<string, PodRec[]>();
  private readonly servicesByExternalIP = new Map<string, ServiceRec[]>();   // k8s_external PTR
  private readonly views = new Map<string, EndpointView>();
  private readonly secondary: boolean;
  private readonly podNames: boolean;
  /** Counts the changes applied (ClusterView.version). */
  version = 0;
  /** Unix seconds of the last change to services or endpoints (the SOA serial). */
  modified = Math.floor(Date.now() / 1000);
  /** Unix seconds of the last change to a service with external addresses (k8s_external's SOA serial). */
  externalModified = Math.floor(Date.now() / 1000);

  /** `secondary: false` keeps only the records (the control side, which answers no queries). */
  constructor(opts: { podNames?: boolean; secondary?: boolean } = {}) {
    this.podNames = opts.podNames ?? false;
    this.secondary = opts.secondary ?? true;
  }

  get(k: Kind, key: string): Rec | undefined {
    switch (k) {
      case Kind.Service: return this.services.get(key);
      case Kind.Slice: return this.slices.get(key);
      case Kind.Namespace: return this.namespaces.get(key);
      default: return this.pods.get(key);
    }
  }

  keys(k: Kind): IterableIterator<string> {
    switch (k) {
      case Kind.Service: return this.services.keys();
      case Kind.Slice: return this.slices.keys();
      case Kind.Namespace: return this.namespaces.keys();
      default: return this.pods.keys();
    }
  }

  apply(d: Delta): void {
    this.version++;
    switch (d.k) {
      case Kind.Service: this.putService(d.key, d.v as ServiceRec | null); break;
      case Kind.Slice: this.putSlice(d.key, d.v as SliceRec | null); break;
      case Kind.Namespace:
        if (d.v) this.namespaces.set(d.key, d.v as NamespaceRec); else this.namespaces.delete(d.key);
        break;
      default: this.putPod(d.key, d.v as PodRec | null);
    }
  }

  private touch(): void { this.modified = Math.floor(Date.now() / 1000); }

  private putService(key: string, v: ServiceRec | null): void {
    const old = this.services.get(key);
    if (old && this.secondary) {
      for (const ip of old.clusterIPs) removeFrom(this.servicesByIP, ip, old);
      for (const ip of old.external ?? []) removeFrom(this.servicesByExternalIP, ip, old);
    }
    if (v) {
      this.services.set(key, v);
      if (this.secondary) {
        for (const ip of v.clusterIPs) if (ip !== '' && ip !== 'None') addTo(this.servicesByIP, ip, v);
        for (const ip of v.external ?? []) addTo(this.servicesByExternalIP, ip, v);
      }
    } else {
      this.services.delete(key);
    }
    this.touch();
    if (old?.external || v?.external) this.externalModified = this.modified;
  }

  private putSlice(key: string, v: SliceRec | null): void {
    const old = this.slices.get(key);
    if (old && this.secondary) {
      const sk = serviceKey(old.service, old.ns);
      removeFrom(this.slicesByService, sk, old);
      this.views.delete(sk);
      for (const a of old.addresses) removeFrom(this.slicesByIP, a.ip, old);
    }
    if (v) {
      this.slices.set(key, v);
      if (this.secondary) {
        const sk = serviceKey(v.service, v.ns);
        addTo(this.slicesByService, sk, v);
        this.views.delete(sk);
        for (const a of v.addresses) {
          const l = this.slicesByIP.get(a.ip);
          if (!l) this.slicesByIP.set(a.ip, [v]);
          else if (!l.includes(v)) l.push(v);
        }
      }
    } else {
      this.slices.delete(key);
    }
    this.touch();
  }

  private putPod(key: string, v: PodRec | null): void {
    const old = this.pods.get(key);
    if (old && this.secondary) removeFrom(this.podsByIP, old.ip, old);
    if (v) {
      this.pods.set(key, v);
      if (this.secondary && v.ip !== '') addTo(this.podsByIP, v.ip, v);
    } else {
      this.pods.delete(key);
    }
  }

  // ---- lookups (data side) -------------------------------------------------------------------

  service(name: string, ns: string): ServiceRec | undefined { return this.services.get(serviceKey(name, ns)); }
  slicesOf(name: string, ns: string): readonly SliceRec[] { return this.slicesByService.get(serviceKey(name, ns)) ?? EMPTY; }
  servicesWithIP(ip: string): readonly ServiceRec[] { return this.servicesByIP.get(ip) ?? []; }
  slicesWithIP(ip: string): readonly SliceRec[] { return this.slicesByIP.get(ip) ?? EMPTY; }
  podsWithIP(ip: string): readonly PodRec[] { return this.podsByIP.get(ip) ?? []; }
  servicesWithExternalIP(ip: string): readonly ServiceRec[] { return this.servicesByExternalIP.get(ip) ?? []; }
  hasNamespace(name: string): boolean { return this.namespaces.has(name); }

  /** The endpoint view of a service, built once per change of its slices. */
  endpoints(name: string, ns: string): EndpointView {
    const sk = serviceKey(name, ns);
    let v = this.views.get(sk);
    if (v) return v;
    v = endpointView(this.slicesByService.get(sk) ?? EMPTY, this.podNames);
    this.views.set(sk, v);
    return v;
  }

  namespace(name: string): NamespaceRec | undefined { return this.namespaces.get(name); }

  /** Sizes, for logs and benchmarks. */
  stats(): { services: number; slices: number; endpoints: number; namespaces: number; pods: number } {
    let endpoints = 0;
    for (const s of this.slices.values()) endpoints += s.addresses.length;
    return { services: this.services.size, slices: this.slices.size, endpoints, namespaces: this.namespaces.size, pods: this.pods.size };
  }
}
