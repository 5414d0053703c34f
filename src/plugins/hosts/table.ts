/**
 * The hosts file's entries encoded into one SharedArrayBuffer: the thread that reads the file
 * (control, or the only one) builds it once per change and publishes it; every answering thread
 * looks names and addresses up in that same memory. One copy for the whole process, whatever the
 * thread count, and compact: a 100k-line file is ~5 MiB here against ~25 MiB of Maps of strings.
 *
 * Layout: Int32 words (little-endian, as the platform's typed arrays), then a string pool.
 *
 *   word 0   MAGIC
 *   word 1   nameSlots   slots of the name table (a power of two, at least twice the names)
 *   word 2   addrSlots   slots of the address table (likewise; 1 with no_reverse)
 *   word 3   wildcards   how many owner names start with "*."
 *   word 4   entries     CoreDNS's count (every address of every name + every name of every address)
 *   word 5   words       number of words, these eight included
 *   word 6   poolBytes   length of the string pool
 *   word 7   strings     number of distinct strings
 *   strings + 1 words    where each string starts in the pool (string i is bytes off[i] to off[i+1])
 *   name table     nameSlots words: the word index of a name record, 0 for an empty slot
 *   address table  addrSlots words: the word index of an address record, 0 for an empty slot
 *   name record    key n4 n6, then n4 IPv4 addresses and n6 IPv6 addresses, in file order
 *   address record key n, then n owner names, in file order
 *                  (key, addresses and names are string numbers)
 *   string pool    after the words: each distinct string once, UTF-8 (names lower-case and
 *                  absolute, addresses canonical as src/plugins/hosts/ip.ts writes them)
 *
 * Both tables are open addressing with linear probing on FNV-1a of the key's UTF-8 bytes. The
 * buffer is never written after it is published (a change is a new buffer), so readers need no
 * locks and a thread that still answers from the previous one sees a consistent table.
 */
import type { HostsEntries, HostsMap } from './hostsfile.ts';

const MAGIC = 0x54534f48;   // "HOST"
const HEADER = 8;

/** FNV-1a over the UTF-8 bytes of `s` (its char codes when ASCII: no allocation on the query path). */
function hashKey(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return hashBytes(Buffer.from(s, 'utf8'));
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0;
}

function hashBytes(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

function slotsFor(n: number): number {
  let s = 1;
  while (s < n * 2) s <<= 1;
  return s;
}

/** Encode a parsed hosts file (src/plugins/hosts/hostsfile.ts) into a new shared buffer. */
export function encodeHosts(m: HostsMap): SharedArrayBuffer {
  // Records first, with string numbers; each distinct string gets one number, in order of appearance.
  const ids = new Map<string, number>();
  const strings: string[] = [];
  const id = (s: string): number => {
    let i = ids.get(s);
    if (i === undefined) { i = strings.length; ids.set(s, i); strings.push(s); }
    return i;
  };
  const recs: number[] = [];
  const nameKeys: string[] = [];
  const nameAt: number[] = [];
  const addrKeys: string[] = [];
  const addrAt: number[] = [];
  let entries = 0;
  const record = (keys: string[], at: number[], key: string, lists: readonly (readonly string[])[]): void => {
    keys.push(key);
    at.push(recs.length);
    recs.push(id(key));
    for (const l of lists) recs.push(l.length);
    for (const l of lists) for (const s of l) { recs.push(id(s)); entries++; }
  };
  const none: readonly string[] = [];
  for (const [name, v4] of m.name4) record(nameKeys, nameAt, name, [v4, m.name6.get(name) ?? none]);
  for (const [name, v6] of m.name6) if (!m.name4.has(name)) record(nameKeys, nameAt, name, [none, v6]);
  for (const [addr, names] of m.addr) record(addrKeys, addrAt, addr, [names]);

  const offsAt = HEADER;
  const nameSlots = slotsFor(nameKeys.length);
  const addrSlots = slotsFor(addrKeys.length);
  const nameTable = offsAt + strings.length + 1;
  const addrTable = nameTable + nameSlots;
  const recsAt = addrTable + addrSlots;
  const words = recsAt + recs.length;
  // The pool is the strings end to end: one write (the text came from UTF-8, so it has no lone
  // surrogates that could pair across two strings).
  const joined = strings.join('');
  const poolBytes = Buffer.byteLength(joined, 'utf8');
  const sab = new SharedArrayBuffer(words * 4 + poolBytes);
  const w = new Int32Array(sab, 0, words);
  Buffer.from(sab, words * 4, poolBytes).write(joined, 0, 'utf8');
  let off = 0;
  for (let i = 0; i < strings.length; i++) {
    w[offsAt + i] = off;
    const s = strings[i]!;
    off += isAscii(s) ? s.length : Buffer.byteLength(s, 'utf8');
  }
  w[offsAt + strings.length] = off;
  w.set(recs, recsAt);
  const place = (table: number, slots: number, keys: string[], at: number[]): void => {
    for (let k = 0; k < keys.length; k++) {
      let i = hashKey(keys[k]!) & (slots - 1);
      while (w[table + i] !== 0) i = (i + 1) & (slots - 1);
      w[table + i] = recsAt + at[k]!;
    }
  };
  place(nameTable, nameSlots, nameKeys, nameAt);
  place(addrTable, addrSlots, addrKeys, addrAt);
  w.set([MAGIC, nameSlots, addrSlots, m.wildcards, entries, words, poolBytes, strings.length], 0);
  return sab;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Lookups in an encoded hosts file (encodeHosts), from any thread. */
export class HostsTable implements HostsEntries {
  readonly wildcards: number;
  private readonly w: Int32Array;
  private readonly pool: Buffer;
  private readonly nameTable: number;
  private readonly nameSlots: number;
  private readonly addrTable: number;
  private readonly addrSlots: number;

  constructor(sab: SharedArrayBuffer) {
    const head = new Int32Array(sab, 0, HEADER);
    if (head[0] !== MAGIC) throw new Error('hosts: not an encoded hosts table');
    const words = head[5]!;
    this.w = new Int32Array(sab, 0, words);
    this.pool = Buffer.from(sab, words * 4, head[6]!);
    this.nameSlots = head[1]!;
    this.addrSlots = head[2]!;
    this.wildcards = head[3]!;
    this.nameTable = HEADER + head[7]! + 1;
    this.addrTable = this.nameTable + this.nameSlots;
  }

  /** The record of `key` in a table, or 0. */
  private find(table: number, slots: number, key: string): number {
    const w = this.w;
    let i = hashKey(key) & (slots - 1);
    for (;;) {
      const r = w[table + i]!;
      if (r === 0) return 0;
      if (this.equals(w[r]!, key)) return r;
      i = (i + 1) & (slots - 1);
    }
  }

  /** Is string number `id` the same as `key`? */
  private equals(id: number, key: string): boolean {
    const p = this.pool;
    const off = this.w[HEADER + id]!;
    const len = this.w[HEADER + id + 1]! - off;
    if (len === key.length) {
      // Same length in bytes and in chars: equal only if the key is ASCII and byte for byte the same.
      for (let i = 0; i < len; i++) {
        const c = key.charCodeAt(i);
        if (c > 0x7f || c !== p[off + i]) return false;
      }
      return true;
    }
    // Longer in bytes than in chars: possible only for a key with non-ASCII characters.
    if (len < key.length) return false;
    return Buffer.from(key, 'utf8').equals(p.subarray(off, off + len));
  }

  private list(at: number, n: number): string[] {
    const out = new Array<string>(n);
    const w = this.w;
    for (let i = 0; i < n; i++) {
      const id = w[at + i]!;
      out[i] = this.pool.toString('utf8', w[HEADER + id]!, w[HEADER + id + 1]!);
    }
    return out;
  }

  has(name: string): boolean { return this.find(this.nameTable, this.nameSlots, name) !== 0; }

  v4(owner: string): readonly string[] | undefined {
    const r = this.find(this.nameTable, this.nameSlots, owner);
    const n = r === 0 ? 0 : this.w[r + 1]!;
    return n === 0 ? undefined : this.list(r + 3, n);
  }

  v6(owner: string): readonly string[] | undefined {
    const r = this.find(this.nameTable, this.nameSlots, owner);
    const n = r === 0 ? 0 : this.w[r + 2]!;
    return n === 0 ? undefined : this.list(r + 3 + this.w[r + 1]!, n);
  }

  names(address: string): readonly string[] | undefined {
    const r = this.find(this.addrTable, this.addrSlots, address);
    const n = r === 0 ? 0 : this.w[r + 1]!;
    return n === 0 ? undefined : this.list(r + 2, n);
  }

  count(): number { return this.w[4]!; }
}
