/**
 * OverlayView: a ClusterView over a cluster image (ImageView) and the overlay of what changed
 * since it was built (overlay.ts) — what an answering thread reads between two images.
 * - Keyed lookups (service, slicesOf, endpoints, namespace) ask the overlay first: a key it
 *   carries is answered from its records (null: deleted), so a memoized answer of the image
 *   never wins over a change.
 * - IP lookups (servicesWithIP, servicesWithExternalIP, slicesWithIP, podsWithIP) take the
 *   image's answer minus the records whose key the overlay replaces, plus the overlay's matches.
 * Without an overlay the threads read the ImageView itself (viewOf), so the hot path pays nothing.
 * With one, the handler's answer memo lives as long as the overlay (at most OVERLAY_GAP_MS apart
 * while changes keep coming), and the ImageView's own memos stay: the overlay is asked first.
 * The overlay is small (bounded, see overlay.ts): its indexes are built once per overlay, and the
 * merged slice lists and endpoint views of the services it touches are kept for its lifetime.
 */
import { endpointView, type ClusterView, type EndpointView } from './cluster-view.ts';
import type { ClusterOverlay } from './overlay.ts';
import { objectKey, serviceKey } from './records.ts';
import type { NamespaceRec, PodRec, ServiceRec, SliceRec } from './records.ts';

function addTo<V>(m: Map<string, V[]>, k: string, v: V): void {
  const l = m.get(k);
  if (l) { if (!l.includes(v)) l.push(v); } else m.set(k, [v]);
}

export class OverlayView implements ClusterView {
  readonly image: ClusterView;
  /**
   * Never changes (ClusterView.version): each overlay is a new OverlayView, so answers memoized on
   * a view (handler.ts) are dropped with every overlay as with every image.
   */
  readonly version = 0;
  readonly modified: number;
  readonly externalModified: number;
  private readonly podNames: boolean;
  private readonly services: Map<string, ServiceRec | null>;
  private readonly slices: Map<string, SliceRec | null>;
  private readonly owners: Set<string>;
  private readonly pods: Map<string, PodRec | null>;
  private readonly namespaces: Map<string, NamespaceRec | null>;
  private readonly servicesByIP = new Map<string, ServiceRec[]>();
  private readonly servicesByExternalIP = new Map<string, ServiceRec[]>();
  private readonly slicesByIP = new Map<string, SliceRec[]>();
  private readonly slicesByOwner = new Map<string, SliceRec[]>();
  private readonly podsByIP = new Map<string, PodRec[]>();
  private readonly lists = new Map<string, readonly SliceRec[]>();
  private readonly views = new Map<string, EndpointView>();

  constructor(image: ClusterView, o: ClusterOverlay, podNames: boolean) {
    this.image = image;
    this.podNames = podNames;
    this.modified = o.modified;
    this.externalModified = o.externalModified;
    this.services = new Map(o.services);
    this.slices = new Map(o.slices);
    this.owners = new Set(o.sliceOwners);
    this.pods = new Map(o.pods);
    this.namespaces = new Map(o.namespaces);
    for (const [, s] of o.services) {
      if (!s) continue;
      for (const ip of s.clusterIPs) if (ip !== '' && ip !== 'None') addTo(this.servicesByIP, ip, s);
      for (const ip of s.external ?? []) addTo(this.servicesByExternalIP, ip, s);
    }
    for (const [, s] of o.slices) {
      if (!s) continue;
      addTo(this.slicesByOwner, serviceKey(s.service, s.ns), s);
      for (const a of s.addresses) addTo(this.slicesByIP, a.ip, s);
    }
    for (const [, p] of o.pods) if (p && p.ip !== '') addTo(this.podsByIP, p.ip, p);
  }

  service(name: string, ns: string): ServiceRec | undefined {
    const k = serviceKey(name, ns);
    const v = this.services.get(k);
    if (v !== undefined) return v ?? undefined;
    return this.image.service(name, ns);
  }

  slicesOf(name: string, ns: string): readonly SliceRec[] {
    const k = serviceKey(name, ns);
    if (!this.owners.has(k)) return this.image.slicesOf(name, ns);
    let l = this.lists.get(k);
    if (l) return l;
    const kept = this.slices.size === 0 ? this.image.slicesOf(name, ns) : this.image.slicesOf(name, ns).filter((s) => !this.slices.has(objectKey(s.ns, s.name)));
    const added = this.slicesByOwner.get(k);
    l = added ? [...kept, ...added] : kept;
    this.lists.set(k, l);
    return l;
  }

  endpoints(name: string, ns: string): EndpointView {
    const k = serviceKey(name, ns);
    if (!this.owners.has(k)) return this.image.endpoints(name, ns);
    let v = this.views.get(k);
    if (v) return v;
    v = endpointView(this.slicesOf(name, ns), this.podNames);
    this.views.set(k, v);
    return v;
  }

  servicesWithIP(ip: string): readonly ServiceRec[] {
    return this.merge(this.image.servicesWithIP(ip), this.services, (s) => serviceKey(s.name, s.ns), this.servicesByIP.get(ip));
  }

  servicesWithExternalIP(ip: string): readonly ServiceRec[] {
    return this.merge(this.image.servicesWithExternalIP(ip), this.services, (s) => serviceKey(s.name, s.ns), this.servicesByExternalIP.get(ip));
  }

  slicesWithIP(ip: string): readonly SliceRec[] {
    return this.merge(this.image.slicesWithIP(ip), this.slices, (s) => objectKey(s.ns, s.name), this.slicesByIP.get(ip));
  }

  podsWithIP(ip: string): readonly PodRec[] {
    return this.merge(this.image.podsWithIP(ip), this.pods, (p) => objectKey(p.ns, p.name), this.podsByIP.get(ip));
  }

  hasNamespace(name: string): boolean {
    const v = this.namespaces.get(name);
    return v !== undefined ? v !== null : this.image.hasNamespace(name);
  }

  namespace(name: string): NamespaceRec | undefined {
    const v = this.namespaces.get(name);
    return v !== undefined ? v ?? undefined : this.image.namespace(name);
  }

  /** The image's records minus those the overlay replaces, plus the overlay's matches. */
  private merge<R>(base: readonly R[], changed: Map<string, unknown>, key: (r: R) => string, added: readonly R[] | undefined): readonly R[] {
    if (changed.size === 0 || (base.length === 0 && !added)) return added ?? base;
    const kept = base.length === 0 ? base : base.filter((r) => !changed.has(key(r)));
    if (!added) return kept;
    return kept.length === 0 ? added : [...kept, ...added];
  }
}

/** What an answering thread reads: the image alone, or the image with its overlay (same image only). */
export function viewOf(image: ClusterView, seq: number, overlay: ClusterOverlay | undefined, podNames: boolean): ClusterView {
  return overlay && overlay.image === seq ? new OverlayView(image, overlay, podNames) : image;
}
