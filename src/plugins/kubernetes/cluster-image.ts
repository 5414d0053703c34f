/**
 * The cluster image: the kubernetes plugin's records (Services, EndpointSlices, Namespaces, Pods)
 * written once into a SharedArrayBuffer by the control side and read by every answering thread
 * (image-view.ts), so N worker threads hold one copy of the cluster, not N. It is read-only once
 * built; a change in the cluster makes a new image (image-builder.ts), never an edit in place.
 *
 * Format (all integers little-endian int32, offsets in 4-byte words unless said otherwise):
 *
 *   header    H_* words below: magic, version, readers (the only word written after the build:
 *             Atomics.add/sub by each thread that adopts/drops the image), the byte offset and
 *             length of the string region, modified and externalModified (Unix seconds, uint32),
 *             then for each record array its start and count (REC_*), then for each hash table
 *             its start and mask (TAB_*).
 *   records   fixed-width arrays, one per kind (widths and fields below): services, slices,
 *             addresses (every ready endpoint address, with the index of its slice), namespaces,
 *             pods, and the (ip, service) entries of cluster IPs and of external IPs. Fields are
 *             string references, list references or plain numbers.
 *   lists     a run of words; a list reference is relative to its start and points at
 *             [n, items...] — string lists (cluster IPs, external IPs) hold n string references,
 *             port lists hold n × (name, protocol, port). Reference 0 is the empty list.
 *             Identical port lists are written once.
 *   tables    open addressing with linear probing, capacity a power of two ≥ 2 × entries; a slot
 *             holds a record index + 1 (0: empty). A table indexes one record array by one of its
 *             string fields, hashed with 32-bit FNV-1a over the UTF-8 bytes; equal keys may occur
 *             several times (a lookup walks the probe run to the first empty slot and keeps every
 *             record whose key equals the name, in insertion order). Tables: services by
 *             "name.namespace", namespaces by name, slices by their service's "name.namespace",
 *             cluster-IP entries by IP, addresses by IP (→ their slices), pods by IP, external-IP
 *             entries by IP.
 *   strings   UTF-8, each [byte length (uint32 LE), bytes]; a string reference is its byte
 *             offset in the region; reference 0 is the empty string. Values that repeat
 *             (namespaces, types, protocols, port names) are written once.
 *
 * Keys are the index's own keys (case as the objects have it); callers look up lower-case names,
 * exactly as they do in ClusterIndex.
 */
import type { ClusterIndex } from './cluster-index.ts';
import { serviceKey } from './records.ts';
import type { PortRec } from './records.ts';

export const MAGIC = 0x4b494d47;   // "KIMG"
export const VERSION = 1;

export const H_MAGIC = 0, H_VERSION = 1, H_READERS = 2, H_STR_OFF = 3, H_STR_LEN = 4, H_MODIFIED = 5, H_EXT_MODIFIED = 6,
  H_LISTS = 7;
/** Record arrays: header words H_RECS + 2k (start) and + 2k + 1 (count). */
export const H_RECS = 8;
export const R_SVC = 0, R_SLICE = 1, R_ADDR = 2, R_NS = 3, R_POD = 4, R_SVC_IP = 5, R_SVC_EXT = 6;
const RECORD_KINDS = 7;
/** Hash tables: header words H_TABS + 2t (start) and + 2t + 1 (mask). */
export const H_TABS = H_RECS + 2 * RECORD_KINDS;
export const T_SVC = 0, T_NS = 1, T_SLICE_BY_SVC = 2, T_SVC_BY_IP = 3, T_ADDR_BY_IP = 4, T_POD_BY_IP = 5, T_SVC_BY_EXT = 6;
const TABLES = 7;
export const HEADER_WORDS = H_TABS + 2 * TABLES;

// Record fields and widths.
export const S_KEY = 0, S_NS = 1, S_NAME = 2, S_RV = 3, S_TYPE = 4, S_EXTNAME = 5, S_FLAGS = 6, S_IPS = 7, S_PORTS = 8, S_EXT = 9, S_W = 10;
export const F_SELECTOR = 1, F_EXTERNAL = 2;
export const SL_NS = 0, SL_NAME = 1, SL_RV = 2, SL_SERVICE = 3, SL_SKEY = 4, SL_PORTS = 5, SL_ADDR = 6, SL_NADDR = 7, SL_CHANGED_HI = 8, SL_CHANGED_LO = 9, SL_W = 10;
export const A_IP = 0, A_HOSTNAME = 1, A_POD = 2, A_SLICE = 3, A_W = 4;
export const N_NAME = 0, N_RV = 1, N_W = 2;
export const P_NS = 0, P_NAME = 1, P_RV = 2, P_IP = 3, P_RUNNING = 4, P_W = 5;
export const E_KEY = 0, E_SVC = 1, E_W = 2;

/** The width of each record kind, by R_* number. */
export const RECORD_WIDTH: readonly number[] = [S_W, SL_W, A_W, N_W, P_W, E_W, E_W];

/** For each table: the record array it indexes and the key field of those records. */
export const TABLE_OF: readonly { rec: number; width: number; key: number }[] = [
  { rec: R_SVC, width: S_W, key: S_KEY },
  { rec: R_NS, width: N_W, key: N_NAME },
  { rec: R_SLICE, width: SL_W, key: SL_SKEY },
  { rec: R_SVC_IP, width: E_W, key: E_KEY },
  { rec: R_ADDR, width: A_W, key: A_IP },
  { rec: R_POD, width: P_W, key: P_IP },
  { rec: R_SVC_EXT, width: E_W, key: E_KEY },
];

/** 32-bit FNV-1a over the UTF-8 bytes of `s` (ASCII, the usual case, without encoding it). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return hashBytes(Buffer.from(s, 'utf8'));
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h;
}

function hashBytes(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h;
}

/** A growable run of int32 words. */
class Words {
  a = new Int32Array(1024);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) this.grow(this.n + 1);
    this.a[this.n++] = v;
  }
  grow(min: number): void {
    let size = this.a.length * 2;
    while (size < min) size *= 2;
    const b = new Int32Array(size);
    b.set(this.a.subarray(0, this.n));
    this.a = b;
  }
}

/**
 * Strings as [length, UTF-8 bytes]. `word()` deduplicates (for the few values that repeat
 * everywhere: namespaces, types, protocols, port names); `put()` writes as is (names, addresses,
 * resourceVersions are nearly all distinct, and a map of them would cost more than it saves).
 */
class Strings {
  private buf: Buffer;
  private readonly words = new Map<string, number>();
  n = 4;   // reference 0: the empty string (length 0)

  constructor(capacity: number) {
    this.buf = Buffer.alloc(Math.max(1024, capacity));
  }

  word(s: string): number {
    if (s === '') return 0;
    let r = this.words.get(s);
    if (r === undefined) { r = this.put(s); this.words.set(s, r); }
    return r;
  }

  put(s: string): number {
    if (s === '') return 0;
    const max = 4 + 3 * s.length;
    if (this.n + max > this.buf.length) {
      const b = Buffer.alloc(Math.max(this.buf.length * 2, this.n + max));
      this.buf.copy(b, 0, 0, this.n);
      this.buf = b;
    }
    const r = this.n, b = this.buf;
    let at = r + 4, i = 0;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      b[at++] = c;
    }
    if (i < s.length) at = r + 4 + b.write(s, r + 4, 'utf8');   // not ASCII: let Buffer encode it all
    const len = at - r - 4;
    b[r] = len & 255; b[r + 1] = (len >>> 8) & 255; b[r + 2] = (len >>> 16) & 255; b[r + 3] = len >>> 24;
    this.n = at;
    return r;
  }

  bytes(): Buffer { return this.buf.subarray(0, this.n); }

  /** Empty again, keeping the memory (for the next build). */
  reset(capacity: number): void {
    this.n = 4;
    this.words.clear();
    if (this.buf.length < capacity) this.buf = Buffer.alloc(capacity);
  }
}

function nextPow2(n: number): number {
  let c = 2;
  while (c < n) c *= 2;
  return c;
}

export interface BuiltImage { buffer: SharedArrayBuffer; buildMs: number }

/**
 * The working memory of a build, kept by the builder between builds: a rebuild then allocates
 * only the SharedArrayBuffer it fills (less garbage on a control thread that holds a large heap).
 */
export class Scratch {
  readonly str = new Strings(1024);
  readonly recs = Array.from({ length: RECORD_KINDS }, () => new Words());
  readonly lists = new Words();
  readonly keyed = Array.from({ length: TABLES }, () => new Words());   // per table: (hash, record) pairs

  reset(stringBytes: number): void {
    this.str.reset(stringBytes);
    for (const w of [...this.recs, this.lists, ...this.keyed]) w.n = 0;
  }
}

/** What an image is built from: a ClusterIndex's records (its secondary maps are not used). */
export type ImageSource = Pick<ClusterIndex, 'services' | 'slices' | 'namespaces' | 'pods' | 'modified' | 'externalModified'>;

/** Build the image of `index`'s records. */
export function buildImage(index: ImageSource, scratch = new Scratch()): BuiltImage {
  const t0 = performance.now();
  let endpoints = 0;
  for (const sl of index.slices.values()) endpoints += sl.addresses.length;
  scratch.reset(48 * (index.services.size + index.slices.size + index.pods.size) + 24 * endpoints);
  const { str, recs, lists, keyed } = scratch;
  lists.push(0);                                   // reference 0: the empty list
  const portLists = new Map<string, number>();

  const key = (t: number, s: string, rec: number) => { const w = keyed[t]!; w.push(hashString(s)); w.push(rec); };
  const stringList = (l: readonly string[] | undefined): number => {
    if (!l || l.length === 0) return 0;
    const r = lists.n;
    lists.push(l.length);
    for (const s of l) lists.push(str.put(s));
    return r;
  };
  const portList = (ps: readonly PortRec[]): number => {
    if (ps.length === 0) return 0;
    let k = '';
    for (const p of ps) k += `${p.name}\u0000${p.protocol}\u0000${p.port}\u0000`;
    let r = portLists.get(k);
    if (r !== undefined) return r;
    r = lists.n;
    lists.push(ps.length);
    for (const p of ps) { lists.push(str.word(p.name)); lists.push(str.word(p.protocol)); lists.push(p.port); }
    portLists.set(k, r);
    return r;
  };

  const svcs = recs[R_SVC]!, ips = recs[R_SVC_IP]!, exts = recs[R_SVC_EXT]!;
  let i = 0;
  for (const [k, s] of index.services) {
    svcs.push(str.put(k)); svcs.push(str.word(s.ns)); svcs.push(str.put(s.name)); svcs.push(str.put(s.rv));
    svcs.push(str.word(s.type)); svcs.push(str.put(s.externalName));
    svcs.push((s.selector ? F_SELECTOR : 0) | (s.external ? F_EXTERNAL : 0));
    svcs.push(stringList(s.clusterIPs)); svcs.push(portList(s.ports)); svcs.push(stringList(s.external));
    key(T_SVC, k, i);
    for (const ip of s.clusterIPs) {
      if (ip === '' || ip === 'None') continue;
      key(T_SVC_BY_IP, ip, ips.n / E_W);
      ips.push(str.put(ip)); ips.push(i);
    }
    for (const ip of s.external ?? []) {
      key(T_SVC_BY_EXT, ip, exts.n / E_W);
      exts.push(str.put(ip)); exts.push(i);
    }
    i++;
  }

  const slices = recs[R_SLICE]!, addrs = recs[R_ADDR]!;
  i = 0;
  for (const s of index.slices.values()) {
    const sk = serviceKey(s.service, s.ns);
    const hi = Math.floor(s.changed / 2 ** 32);
    slices.push(str.word(s.ns)); slices.push(str.put(s.name)); slices.push(str.put(s.rv)); slices.push(str.put(s.service));
    slices.push(str.put(sk)); slices.push(portList(s.ports)); slices.push(addrs.n / A_W); slices.push(s.addresses.length);
    slices.push(hi); slices.push((s.changed - hi * 2 ** 32) | 0);
    key(T_SLICE_BY_SVC, sk, i);
    for (const a of s.addresses) {
      key(T_ADDR_BY_IP, a.ip, addrs.n / A_W);
      addrs.push(str.put(a.ip)); addrs.push(str.put(a.hostname)); addrs.push(str.put(a.pod)); addrs.push(i);
    }
    i++;
  }

  const nss = recs[R_NS]!;
  i = 0;
  for (const [k, n] of index.namespaces) {
    nss.push(str.word(k)); nss.push(str.put(n.rv));
    key(T_NS, k, i++);
  }

  const pods = recs[R_POD]!;
  i = 0;
  for (const p of index.pods.values()) {
    pods.push(str.word(p.ns)); pods.push(str.put(p.name)); pods.push(str.put(p.rv)); pods.push(str.put(p.ip)); pods.push(p.running ? 1 : 0);
    if (p.ip !== '') key(T_POD_BY_IP, p.ip, i);
    i++;
  }

  // Lay it out: header, records, lists, tables, strings.
  const header = new Int32Array(HEADER_WORDS);
  let at = HEADER_WORDS;
  for (let r = 0; r < RECORD_KINDS; r++) {
    header[H_RECS + 2 * r] = at;
    header[H_RECS + 2 * r + 1] = recs[r]!.n / RECORD_WIDTH[r]!;
    at += recs[r]!.n;
  }
  header[H_LISTS] = at;
  at += lists.n;
  const caps: number[] = [];
  for (let t = 0; t < TABLES; t++) {
    const cap = nextPow2(keyed[t]!.n);   // n words = 2 × entries: capacity ≥ 2 × entries
    caps.push(cap);
    header[H_TABS + 2 * t] = at;
    header[H_TABS + 2 * t + 1] = cap - 1;
    at += cap;
  }
  const strings = str.bytes();
  const strOff = at * 4;
  header[H_MAGIC] = MAGIC;
  header[H_VERSION] = VERSION;
  header[H_STR_OFF] = strOff;
  header[H_STR_LEN] = strings.length;
  header[H_MODIFIED] = index.modified | 0;
  header[H_EXT_MODIFIED] = index.externalModified | 0;

  const buffer = new SharedArrayBuffer(strOff + strings.length);
  const w = new Int32Array(buffer, 0, at);
  w.set(header);
  for (let r = 0; r < RECORD_KINDS; r++) w.set(recs[r]!.a.subarray(0, recs[r]!.n), header[H_RECS + 2 * r]!);
  w.set(lists.a.subarray(0, lists.n), header[H_LISTS]!);
  for (let t = 0; t < TABLES; t++) {
    const start = header[H_TABS + 2 * t]!, mask = caps[t]! - 1, k = keyed[t]!;
    for (let e = 0; e < k.n; e += 2) {
      let slot = k.a[e]! & mask;
      while (w[start + slot] !== 0) slot = (slot + 1) & mask;
      w[start + slot] = k.a[e + 1]! + 1;
    }
  }
  new Uint8Array(buffer, strOff).set(strings);
  return { buffer, buildMs: performance.now() - t0 };
}
