/**
 * The hosts file's entries encoded into one SharedArrayBuffer: the thread that reads the file
 * (control, or the only one) builds it once per change and publishes it; every answering thread
 * looks names and addresses up in that same memory. One copy for the whole process, whatever the
 * thread count, and compact: a 100k-line file is ~9 MiB here against ~25 MiB of Maps of strings.
 * It is built straight from the text (parseHostsTable) into typed arrays, without Maps or arrays
 * of strings in between, so a load leaves little garbage in the heap of the thread that reads.
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
import { forEachHostsEntry, type HostsEntries, type ParseOptions } from './hostsfile.ts';

const MAGIC = 0x54534f48;   // "HOST"
const HEADER = 8;

/** FNV-1a over the UTF-8 bytes of `s` (its char codes when ASCII: no allocation on the query path), as an int32. */
function hashKey(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return hashBytes(Buffer.from(s, 'utf8'));
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h | 0;
}

function hashBytes(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h | 0;
}

function slotsFor(n: number): number {
  let s = 1;
  while (s < n * 2) s <<= 1;
  return s;
}

/** Are the `len` UTF-8 bytes at `off` the string `key`? */
function sameString(pool: Uint8Array, off: number, len: number, key: string): boolean {
  if (len === key.length) {
    // Same length in bytes and in chars: equal only if the key is ASCII and byte for byte the same.
    for (let i = 0; i < len; i++) {
      const c = key.charCodeAt(i);
      if (c > 0x7f || c !== pool[off + i]) return false;
    }
    return true;
  }
  // Longer in bytes than in chars: possible only for a key with non-ASCII characters.
  if (len < key.length) return false;
  return Buffer.from(key, 'utf8').equals(pool.subarray(off, off + len));
}

/** A growable Int32Array. */
class Words {
  a = new Int32Array(1024);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) { const b = new Int32Array(this.a.length * 2); b.set(this.a); this.a = b; }
    this.a[this.n++] = v;
  }
}

/**
 * The strings of a table: each distinct one once, numbered in order of appearance, its UTF-8 in a
 * growing pool, found again through an open-addressing index on its hash.
 */
class StringPool {
  pool = Buffer.allocUnsafe(1 << 16);
  bytes = 0;
  readonly offs = new Words();       // string i starts at offs[i]
  readonly hashes = new Words();
  private slots = new Int32Array(1 << 12);   // string number + 1, 0 for empty

  get count(): number { return this.offs.n; }

  /** Does string `id` hold the same characters as `key`? (Same test as HostsTable's lookups.) */
  equals(id: number, key: string): boolean {
    const off = this.offs.a[id]!;
    const end = id + 1 < this.offs.n ? this.offs.a[id + 1]! : this.bytes;
    return sameString(this.pool, off, end - off, key);
  }

  /** The number of `s`, added if new. */
  id(s: string): number {
    const h = hashKey(s);
    const mask = this.slots.length - 1;
    let i = h & mask;
    for (;;) {
      const v = this.slots[i]!;
      if (v === 0) break;
      if (this.hashes.a[v - 1] === h && this.equals(v - 1, s)) return v - 1;
      i = (i + 1) & mask;
    }
    const id = this.offs.n;
    if (this.bytes + s.length * 3 > this.pool.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.pool.length * 2, this.bytes + s.length * 3));
      this.pool.copy(bigger, 0, 0, this.bytes);
      this.pool = bigger;
    }
    this.offs.push(this.bytes);
    this.hashes.push(h);
    this.bytes += this.pool.write(s, this.bytes, 'utf8');
    this.slots[i] = id + 1;
    if ((id + 1) * 2 > this.slots.length) this.grow();
    return id;
  }

  private grow(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let id = 0; id < this.offs.n; id++) {
      let i = this.hashes.a[id]! & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = id + 1;
    }
    this.slots = slots;
  }
}

/** Build the shared table of hosts-file text (the same entries parseHosts would give). */
export function parseHostsTable(text: string, opts: ParseOptions): SharedArrayBuffer {
  const strings = new StringPool();
  const pairs = new Words();          // per entry: name, address, family (4 | 6), reverse (0 | 1)
  forEachHostsEntry(text, opts, (address, family, name) => {
    const wild = name.startsWith('*.');
    pairs.push(strings.id(name));
    pairs.push(strings.id(address));
    pairs.push(family);
    pairs.push(opts.autoReverse && !wild ? 1 : 0);
  });

  // Count per string: its IPv4 and IPv6 addresses (as an owner name), its names (as an address).
  const n = strings.count;
  const p = pairs.a;
  const v4 = new Int32Array(n);
  const v6 = new Int32Array(n);
  const rev = new Int32Array(n);
  for (let i = 0; i < pairs.n; i += 4) {
    if (p[i + 2] === 4) v4[p[i]!]!++;
    else v6[p[i]!]!++;
    if (p[i + 3]) rev[p[i + 1]!]!++;
  }
  let owners = 0;
  let addrs = 0;
  let wildcards = 0;
  let recWords = 0;
  for (let id = 0; id < n; id++) {
    if (v4[id]! + v6[id]! > 0) {
      owners++;
      recWords += 3 + v4[id]! + v6[id]!;
      if (strings.pool[strings.offs.a[id]!] === 0x2a && strings.pool[strings.offs.a[id]! + 1] === 0x2e) wildcards++;   // "*."
    }
    if (rev[id]! > 0) { addrs++; recWords += 2 + rev[id]!; }
  }

  const nameSlots = slotsFor(owners);
  const addrSlots = slotsFor(addrs);
  const nameTable = HEADER + n + 1;
  const addrTable = nameTable + nameSlots;
  const recsAt = addrTable + addrSlots;
  const words = recsAt + recWords;
  const sab = new SharedArrayBuffer(words * 4 + strings.bytes);
  const w = new Int32Array(sab, 0, words);
  strings.pool.copy(Buffer.from(sab, words * 4, strings.bytes), 0, 0, strings.bytes);
  w.set(strings.offs.a.subarray(0, n), HEADER);
  w[HEADER + n] = strings.bytes;

  // Lay the records out and index them; nameRec/addrRec then count the entries filled in so far.
  const nameRec = new Int32Array(n);
  const addrRec = new Int32Array(n);
  const place = (table: number, slots: number, id: number, record: number): void => {
    let i = strings.hashes.a[id]! & (slots - 1);
    while (w[table + i] !== 0) i = (i + 1) & (slots - 1);
    w[table + i] = record;
  };
  let at = recsAt;
  for (let id = 0; id < n; id++) {
    if (v4[id]! + v6[id]! > 0) {
      place(nameTable, nameSlots, id, at);
      nameRec[id] = at;
      w[at] = id; w[at + 1] = v4[id]!; w[at + 2] = v6[id]!;
      at += 3 + v4[id]! + v6[id]!;
    }
    if (rev[id]! > 0) {
      place(addrTable, addrSlots, id, at);
      addrRec[id] = at;
      w[at] = id; w[at + 1] = rev[id]!;
      at += 2 + rev[id]!;
    }
  }
  // The entries, in file order: v4/v6/rev now count how many of each are written.
  v4.fill(0); v6.fill(0); rev.fill(0);
  let entries = 0;
  for (let i = 0; i < pairs.n; i += 4) {
    const name = p[i]!;
    const addr = p[i + 1]!;
    const r = nameRec[name]!;
    if (p[i + 2] === 4) w[r + 3 + v4[name]!++] = addr;
    else w[r + 3 + w[r + 1]! + v6[name]!++] = addr;
    entries++;
    if (p[i + 3]) { w[addrRec[addr]! + 2 + rev[addr]!++] = name; entries++; }
  }
  w.set([MAGIC, nameSlots, addrSlots, wildcards, entries, words, strings.bytes, n], 0);
  return sab;
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
    const off = this.w[HEADER + id]!;
    return sameString(this.pool, off, this.w[HEADER + id + 1]! - off, key);
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
