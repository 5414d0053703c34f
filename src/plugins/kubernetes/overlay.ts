/**
 * The cluster overlay: what changed since the last cluster image was built, sent to the answering
 * threads between images so that a change is answerable in milliseconds, not one image build later.
 *
 * Why: with worker threads the answering threads read one shared cluster image (cluster-image.ts),
 * rebuilt at most every 20–100 ms and ~50 ms per build at 10,000 Services / 100,000 endpoints, so
 * a change used to wait for the next image (p50 ~180 ms, seconds on a busy machine). An image
 * build is synchronous, so "changed since the last build" is exact: OverlayTracker collects the
 * keys that changed since then and, when asked, reads their current records from the live
 * ClusterIndex (the records, or null for a deletion). The overlay is tagged with the sequence
 * number of the image it applies to; OverlayView (overlay-view.ts) reads the two together.
 *
 * The overlay is bounded (OVERLAY_MAX_KEYS keys, OVERLAY_MAX_ADDRESSES endpoint addresses): past
 * that, the tracker stops producing overlays until the next image (which holds everything), so a
 * relist or a mass change costs no more than before. Plain objects and arrays: it is structured-
 * cloned to every answering thread.
 */
import type { ClusterIndex } from './cluster-index.ts';
import { Kind, serviceKey } from './records.ts';
import type { Delta, NamespaceRec, PodRec, Rec, ServiceRec, SliceRec } from './records.ts';

/** Most changed keys (services, slices, pods, namespaces) one overlay carries. */
export const OVERLAY_MAX_KEYS = 1000;
/** Most endpoint addresses (in the changed slices' current records) one overlay carries. */
export const OVERLAY_MAX_ADDRESSES = 20_000;

export interface ClusterOverlay {
  /** The sequence number of the image this overlay applies to (ClusterImage.seq). */
  image: number;
  modified: number;
  externalModified: number;
  /** Changed services by "name.ns": the current record, or null (deleted). */
  services: [string, ServiceRec | null][];
  /** Changed EndpointSlices by "ns/name": the current record, or null (deleted). */
  slices: [string, SliceRec | null][];
  /** The services ("name.ns") whose slices changed (each changed slice's old and new owner). */
  sliceOwners: string[];
  /** Changed pods by "ns/name": the current record, or null (deleted). */
  pods: [string, PodRec | null][];
  /** Changed namespaces by name: the current record, or null (deleted). */
  namespaces: [string, NamespaceRec | null][];
}

/** The keys changed since the last image, on the control side. */
export class OverlayTracker {
  private readonly services = new Set<string>();
  private readonly slices = new Set<string>();
  private readonly owners = new Set<string>();
  private readonly pods = new Set<string>();
  private readonly namespaces = new Set<string>();
  private readonly maxKeys: number;
  private readonly maxAddresses: number;
  /** Past the bound: no overlay until the next image. */
  overflowed = false;

  constructor(maxKeys = OVERLAY_MAX_KEYS, maxAddresses = OVERLAY_MAX_ADDRESSES) {
    this.maxKeys = maxKeys;
    this.maxAddresses = maxAddresses;
  }

  /** Keys noted since the last reset. */
  get size(): number { return this.services.size + this.slices.size + this.pods.size + this.namespaces.size; }

  /** One applied change; `prev` is the record it replaced (a slice's old owner is touched too). */
  note(d: Delta, prev: Rec | undefined): void {
    if (this.overflowed) return;
    switch (d.k) {
      case Kind.Service: this.services.add(d.key); break;
      case Kind.Slice: {
        this.slices.add(d.key);
        for (const s of [prev as SliceRec | undefined, d.v as SliceRec | null]) if (s) this.owners.add(serviceKey(s.service, s.ns));
        break;
      }
      case Kind.Namespace: this.namespaces.add(d.key); break;
      default: this.pods.add(d.key);
    }
    if (this.size > this.maxKeys) this.overflow();
  }

  /** A new image was built from the index: it holds every change so far. */
  reset(): void {
    this.overflowed = false;
    this.clear();
  }

  /**
   * The overlay of every change since the last image, read from the live index, for image `seq`;
   * undefined when nothing changed or the bound was passed (then it stays undefined until reset()).
   */
  overlay(index: ClusterIndex, seq: number): ClusterOverlay | undefined {
    if (this.overflowed || this.size === 0) return undefined;
    const slices: [string, SliceRec | null][] = [];
    let addresses = 0;
    for (const k of this.slices) {
      const s = index.slices.get(k);
      addresses += s?.addresses.length ?? 0;
      slices.push([k, s ?? null]);
    }
    if (addresses > this.maxAddresses) { this.overflow(); return undefined; }
    return {
      image: seq,
      modified: index.modified,
      externalModified: index.externalModified,
      services: [...this.services].map((k) => [k, index.services.get(k) ?? null]),
      slices,
      sliceOwners: [...this.owners],
      pods: [...this.pods].map((k) => [k, index.pods.get(k) ?? null]),
      namespaces: [...this.namespaces].map((k) => [k, index.namespaces.get(k) ?? null]),
    };
  }

  private overflow(): void {
    this.overflowed = true;
    this.clear();
  }

  private clear(): void {
    this.services.clear();
    this.slices.clear();
    this.owners.clear();
    this.pods.clear();
    this.namespaces.clear();
  }
}
