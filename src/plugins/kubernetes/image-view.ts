/**
 * ImageView: a ClusterView over a cluster image (format in cluster-image.ts) — what every
 * data-side thread answers from. It reads the SharedArrayBuffer the control side built (the very
 * memory, not a copy) and decodes records on demand into the same plain objects ClusterIndex
 * holds, so the answer code cannot tell them apart.
 *
 * Per-thread memory stays small and bounded: the only state besides typed-array views over the
 * buffer are three memos of decoded results (services, a service's slices, endpoint views), each
 * capped in entries and in addresses held (BoundedMemo), and dropped with the view when the next
 * image arrives. IP lookups (PTR, NS, autopath) decode each time.
 *
 * adopt()/release() count the threads reading the image in its header (Atomics): the control side
 * reports that count, which only matches the number of answering threads if they share its memory.
 */
import {
  A_HOSTNAME, A_IP, A_POD, A_SLICE, A_W, E_KEY, E_SVC, E_W, F_EXTERNAL, F_SELECTOR, HEADER_WORDS, H_EXT_MODIFIED,
  H_LISTS, H_MAGIC, H_MODIFIED, H_READERS, H_RECS, H_STR_LEN, H_STR_OFF, H_TABS, H_VERSION, MAGIC, N_NAME, N_RV, N_W,
  P_IP, P_NAME, P_NS, P_RUNNING, P_RV, P_W, R_ADDR, R_NS, R_POD, R_SLICE, R_SVC, R_SVC_EXT, R_SVC_IP, S_EXT, S_EXTNAME,
  S_FLAGS, S_IPS, S_NAME, S_NS, S_PORTS, S_RV, S_TYPE, S_W, SL_ADDR, SL_CHANGED_HI, SL_CHANGED_LO, SL_NADDR, SL_NAME,
  SL_NS, SL_PORTS, SL_RV, SL_SERVICE, SL_W, TABLE_OF, T_ADDR_BY_IP, T_NS, T_POD_BY_IP, T_SLICE_BY_SVC, T_SVC,
  T_SVC_BY_EXT, T_SVC_BY_IP, VERSION, buildImage, hashString,
} from './cluster-image.ts';
import { endpointView, type ClusterView, type EndpointView } from './cluster-view.ts';
import { serviceKey } from './records.ts';
import type { AddressRec, NamespaceRec, PodRec, PortRec, ServiceRec, SliceRec } from './records.ts';

/** Memo caps, per memo and per generation (a memo holds at most two generations). */
export const MEMO_ENTRIES = 4096;
export const MEMO_ADDRESSES = 16_384;

/**
 * A map of bounded size: entries go into the current generation; when it holds `maxEntries`
 * entries or `maxWeight` weight, it becomes the old one and the previous old one is dropped. A hit
 * in the old generation moves the entry to the current one, so hot entries stay.
 */
export class BoundedMemo<V> {
  private cur = new Map<string, V>();
  private old = new Map<string, V>();
  private weight = 0;
  private readonly maxEntries: number;
  private readonly maxWeight: number;
  private readonly weigh: (v: V) => number;
  /** `weigh`: what an entry counts against maxWeight (e.g. the addresses it holds). */
  constructor(maxEntries: number, maxWeight: number, weigh: (v: V) => number) {
    this.maxEntries = maxEntries;
    this.maxWeight = maxWeight;
    this.weigh = weigh;
  }

  get(k: string): V | undefined {
    const v = this.cur.get(k);
    if (v !== undefined) return v;
    const o = this.old.get(k);
    if (o !== undefined) { this.old.delete(k); this.set(k, o); }
    return o;
  }

  set(k: string, v: V): void {
    this.cur.set(k, v);
    this.weight += this.weigh(v);
    if (this.cur.size >= this.maxEntries || this.weight >= this.maxWeight) {
      this.old = this.cur;
      this.cur = new Map();
      this.weight = 0;
    }
  }

  get size(): number { return this.cur.size + this.old.size; }

  /** What the memo holds, weighed (for tests and stats). */
  held(): { entries: number; weight: number; heaviest: number } {
    let weight = 0, heaviest = 0;
    for (const m of [this.cur, this.old]) for (const v of m.values()) { const w = this.weigh(v); weight += w; heaviest = Math.max(heaviest, w); }
    return { entries: this.size, weight, heaviest };
  }
}

const NO_SLICES: readonly SliceRec[] = [];
let emptyImage: SharedArrayBuffer | undefined;

function addressesIn(l: readonly SliceRec[]): number {
  let n = 1;
  for (const s of l) n += s.addresses.length;
  return n;
}

interface Table { slots: number; mask: number; recs: number; width: number; key: number }

export class ImageView implements ClusterView {
  readonly buffer: SharedArrayBuffer;
  /** An image never changes (ClusterView.version). */
  readonly version = 0;
  readonly modified: number;
  readonly externalModified: number;
  private readonly w: Int32Array;
  private readonly s: Buffer & { utf8Slice(start: number, end: number): string };   // Node's Buffer has it; @types/node does not say so
  private readonly podNames: boolean;
  private readonly lists: number;
  private readonly recs: number[] = [];
  private readonly counts: number[] = [];
  private readonly tables: Table[] = [];
  private readonly services: BoundedMemo<ServiceRec>;
  private readonly sliceLists: BoundedMemo<readonly SliceRec[]>;
  private readonly views: BoundedMemo<EndpointView>;
  private isAdopted = false;

  /** `memo`: the memo caps (MEMO_ENTRIES, MEMO_ADDRESSES unless a test says otherwise). */
  constructor(buffer: SharedArrayBuffer, podNames: boolean, memo = { entries: MEMO_ENTRIES, addresses: MEMO_ADDRESSES }) {
    const head = new Int32Array(buffer, 0, HEADER_WORDS);
    if (head[H_MAGIC] !== MAGIC || head[H_VERSION] !== VERSION) throw new Error('kubernetes: not a cluster image of this version');
    const strOff = head[H_STR_OFF]!;
    this.buffer = buffer;
    this.w = new Int32Array(buffer, 0, strOff / 4);
    this.s = Buffer.from(buffer, strOff, head[H_STR_LEN]!) as ImageView['s'];
    this.podNames = podNames;
    this.services = new BoundedMemo(memo.entries, memo.entries, () => 1);
    this.sliceLists = new BoundedMemo(memo.entries, memo.addresses, addressesIn);
    this.views = new BoundedMemo(memo.entries, memo.addresses, (v) => 1 + v.count);
    this.modified = head[H_MODIFIED]! >>> 0;
    this.externalModified = head[H_EXT_MODIFIED]! >>> 0;
    this.lists = head[H_LISTS]!;
    for (let r = 0; r < 7; r++) { this.recs.push(head[H_RECS + 2 * r]!); this.counts.push(head[H_RECS + 2 * r + 1]!); }
    TABLE_OF.forEach((t, i) => this.tables.push({ slots: head[H_TABS + 2 * i]!, mask: head[H_TABS + 2 * i + 1]!, recs: this.recs[t.rec]!, width: t.width, key: t.key }));
  }

  /** An image of no objects (what a data-side thread answers from before the first image). */
  static empty(podNames: boolean): ImageView {
    const now = Math.floor(Date.now() / 1000);   // the SOA serial until the first image (as a new ClusterIndex)
    emptyImage ??= buildImage({ services: new Map(), slices: new Map(), namespaces: new Map(), pods: new Map(), modified: now, externalModified: now }).buffer;
    return new ImageView(emptyImage, podNames);
  }

  /** Image size in bytes. */
  get bytes(): number { return this.buffer.byteLength; }

  /** This thread reads the image from now on (counted in the image itself). */
  adopt(): void {
    if (this.isAdopted) return;
    this.isAdopted = true;
    Atomics.add(this.w, H_READERS, 1);
  }

  /** This thread is done with it (a newer image came, or the plugin closed). */
  release(): void {
    if (!this.isAdopted) return;
    this.isAdopted = false;
    Atomics.sub(this.w, H_READERS, 1);
  }

  /** Whether this thread reads it (adopted and not released). */
  get adopted(): boolean { return this.isAdopted; }

  /** How many threads read this image now (see adopt()). */
  readers(): number { return Atomics.load(this.w, H_READERS); }

  /** Records and entries, for logs and benchmarks. */
  stats(): { services: number; slices: number; endpoints: number; namespaces: number; pods: number } {
    const c = this.counts;
    return { services: c[R_SVC]!, slices: c[R_SLICE]!, endpoints: c[R_ADDR]!, namespaces: c[R_NS]!, pods: c[R_POD]! };
  }

  // ---- ClusterView ----------------------------------------------------------------------------

  service(name: string, ns: string): ServiceRec | undefined {
    const k = serviceKey(name, ns);
    let v = this.services.get(k);
    if (v) return v;
    const i = this.first(T_SVC, k);
    if (i < 0) return undefined;
    v = this.decodeService(i);
    this.services.set(k, v);
    return v;
  }

  slicesOf(name: string, ns: string): readonly SliceRec[] {
    const k = serviceKey(name, ns);
    let v = this.sliceLists.get(k);
    if (v) return v;
    const found = this.all(T_SLICE_BY_SVC, k);
    if (found.length === 0) return NO_SLICES;
    v = found.map((i) => this.decodeSlice(i));
    this.sliceLists.set(k, v);
    return v;
  }

  endpoints(name: string, ns: string): EndpointView {
    const k = serviceKey(name, ns);
    let v = this.views.get(k);
    if (v) return v;
    v = endpointView(this.slicesOf(name, ns), this.podNames);
    this.views.set(k, v);
    return v;
  }

  servicesWithIP(ip: string): readonly ServiceRec[] {
    const base = this.recs[R_SVC_IP]!;
    return this.all(T_SVC_BY_IP, ip).map((e) => this.decodeService(this.w[base + e * E_W + E_SVC]!));
  }

  servicesWithExternalIP(ip: string): readonly ServiceRec[] {
    const base = this.recs[R_SVC_EXT]!;
    return this.all(T_SVC_BY_EXT, ip).map((e) => this.decodeService(this.w[base + e * E_W + E_SVC]!));
  }

  slicesWithIP(ip: string): readonly SliceRec[] {
    const base = this.recs[R_ADDR]!;
    const seen: number[] = [];
    for (const a of this.all(T_ADDR_BY_IP, ip)) {
      const s = this.w[base + a * A_W + A_SLICE]!;
      if (!seen.includes(s)) seen.push(s);
    }
    return seen.map((s) => this.decodeSlice(s));
  }

  podsWithIP(ip: string): readonly PodRec[] {
    return this.all(T_POD_BY_IP, ip).map((i) => this.decodePod(i));
  }

  hasNamespace(name: string): boolean { return this.first(T_NS, name) >= 0; }

  namespace(name: string): NamespaceRec | undefined {
    const i = this.first(T_NS, name);
    if (i < 0) return undefined;
    const at = this.recs[R_NS]! + i * N_W;
    return { name: this.str(this.w[at + N_NAME]!), rv: this.str(this.w[at + N_RV]!) };
  }

  // ---- decoding -------------------------------------------------------------------------------

  private str(ref: number): string {
    const s = this.s;
    const len = s[ref]! | (s[ref + 1]! << 8) | (s[ref + 2]! << 16) | (s[ref + 3]! << 24);
    return len === 0 ? '' : s.utf8Slice(ref + 4, ref + 4 + len);
  }

  /** Whether the string at `ref` is `key` (compared byte for byte with its UTF-8). */
  private is(ref: number, key: string): boolean {
    const s = this.s;
    const len = s[ref]! | (s[ref + 1]! << 8) | (s[ref + 2]! << 16) | (s[ref + 3]! << 24);
    let i = 0;
    for (; i < key.length; i++) {
      const c = key.charCodeAt(i);
      if (c >= 0x80) break;
      if (i >= len || s[ref + 4 + i] !== c) return false;
    }
    if (i === key.length) return len === key.length;
    const b = Buffer.from(key, 'utf8');   // not ASCII: compare the encoded bytes
    if (b.length !== len) return false;
    for (let j = i; j < len; j++) if (s[ref + 4 + j] !== b[j]) return false;
    return true;
  }

  /** The first record whose key is `key`, or -1. */
  private first(t: number, key: string): number {
    const tab = this.tables[t]!, w = this.w;
    let slot = hashString(key) & tab.mask;
    for (;;) {
      const v = w[tab.slots + slot]!;
      if (v === 0) return -1;
      if (this.is(w[tab.recs + (v - 1) * tab.width + tab.key]!, key)) return v - 1;
      slot = (slot + 1) & tab.mask;
    }
  }

  /** Every record whose key is `key`, in the order they were written. */
  private all(t: number, key: string): number[] {
    const tab = this.tables[t]!, w = this.w;
    const out: number[] = [];
    let slot = hashString(key) & tab.mask;
    for (;;) {
      const v = w[tab.slots + slot]!;
      if (v === 0) return out;
      if (this.is(w[tab.recs + (v - 1) * tab.width + tab.key]!, key)) out.push(v - 1);
      slot = (slot + 1) & tab.mask;
    }
  }

  private strings(ref: number): string[] {
    const at = this.lists + ref, n = this.w[at]!;
    const out = new Array<string>(n);
    for (let i = 0; i < n; i++) out[i] = this.str(this.w[at + 1 + i]!);
    return out;
  }

  private ports(ref: number): PortRec[] {
    const at = this.lists + ref, n = this.w[at]!, w = this.w;
    const out = new Array<PortRec>(n);
    for (let i = 0, p = at + 1; i < n; i++, p += 3) out[i] = { name: this.str(w[p]!), protocol: this.str(w[p + 1]!), port: w[p + 2]! };
    return out;
  }

  private decodeService(i: number): ServiceRec {
    const w = this.w, at = this.recs[R_SVC]! + i * S_W;
    const flags = w[at + S_FLAGS]!;
    const s: ServiceRec = {
      ns: this.str(w[at + S_NS]!), name: this.str(w[at + S_NAME]!), rv: this.str(w[at + S_RV]!),
      type: this.str(w[at + S_TYPE]!), clusterIPs: this.strings(w[at + S_IPS]!), externalName: this.str(w[at + S_EXTNAME]!),
      ports: this.ports(w[at + S_PORTS]!), selector: (flags & F_SELECTOR) !== 0,
    };
    if (flags & F_EXTERNAL) s.external = this.strings(w[at + S_EXT]!);
    return s;
  }

  private decodeSlice(i: number): SliceRec {
    const w = this.w, at = this.recs[R_SLICE]! + i * SL_W;
    const n = w[at + SL_NADDR]!;
    const addresses = new Array<AddressRec>(n);
    for (let j = 0, a = this.recs[R_ADDR]! + w[at + SL_ADDR]! * A_W; j < n; j++, a += A_W) {
      addresses[j] = { ip: this.str(w[a + A_IP]!), hostname: this.str(w[a + A_HOSTNAME]!), pod: this.str(w[a + A_POD]!) };
    }
    return {
      ns: this.str(w[at + SL_NS]!), name: this.str(w[at + SL_NAME]!), rv: this.str(w[at + SL_RV]!),
      service: this.str(w[at + SL_SERVICE]!), ports: this.ports(w[at + SL_PORTS]!), addresses,
      changed: w[at + SL_CHANGED_HI]! * 2 ** 32 + (w[at + SL_CHANGED_LO]! >>> 0),
    };
  }

  private decodePod(i: number): PodRec {
    const w = this.w, at = this.recs[R_POD]! + i * P_W;
    return {
      ns: this.str(w[at + P_NS]!), name: this.str(w[at + P_NAME]!), rv: this.str(w[at + P_RV]!),
      ip: this.str(w[at + P_IP]!), running: w[at + P_RUNNING] === 1,
    };
  }
}
