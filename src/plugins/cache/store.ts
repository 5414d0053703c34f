/**
 * The cache's storage: one SharedArrayBuffer per cache plugin instance, mapped by every thread that
 * answers for the server block (SetupContext.sharedMemory), so a block has one cache as in CoreDNS
 * however many threads answer. It holds:
 *
 * - an open-addressing hash table (linear probing, backward-shift deletion: no tombstones) of slots
 *   keyed by (question name in wire form lower-cased, type, class, DO, CD), found by two 32-bit
 *   hashes and confirmed by comparing the key bytes;
 * - two byte rings, one for the success cache and one for the denial cache, that hold each entry's
 *   key, TTL offsets and response bytes. A ring is a log: entries are appended at the head and the
 *   tail is reclaimed, so it is bounded in bytes exactly and never fragments (fixed size classes
 *   would waste up to half of each block and need a rebalancing policy between classes). Eviction
 *   is FIFO with a second chance (CLOCK): an entry hit since it was written is moved to the head
 *   instead of dropped, a few per insert, so popular entries stay as under LRU;
 * - a small table of fetches in flight, so that concurrent misses for one key, on any thread, send
 *   one query: the first claims the key, the others wait (Atomics.waitAsync, bounded) for its answer.
 *   Prefetch and serve_stale refreshes claim the same way, so one thread refreshes an entry.
 *
 * Readers never lock: each slot has a sequence counter (a seqlock), odd while a writer changes the
 * slot; a reader copies the entry and retries if the counter moved. Writers (stores, evictions,
 * claims) take one short lock word (Atomics.compareExchange; a writer that cannot get it within a
 * few milliseconds skips its store: a cache may always forget). A reader that races a writer may see
 * a miss; the miss path looks again under the lock before it asks upstream.
 *
 * The seqlock needs the copy's plain loads to be done before the counter is read again, and a
 * writer's plain stores to be seen after its counter went odd. x86-64 gives both (TSO: loads are
 * not reordered with loads, nor stores with stores), so there an Atomics.load of the counter is
 * enough. A weaker memory model (arm64, ppc64, riscv64) may reorder them, and JavaScript has no
 * fence to stop it; there (ReadMode 'lock', the default off x86-64) a reader takes the write lock
 * for its copy instead, with a few tries and no waiting (a busy lock is a miss, which the miss path
 * settles under the lock). Then no read races a write, and the JavaScript memory model alone (its
 * atomics are sequentially consistent) makes the copy whole, on any CPU V8 runs on.
 */

import { Key } from './key.ts';
import { WriteLock } from './lock.ts';

export { Key, MAX_KEY } from './key.ts';

export const SUCCESS = 0, DENIAL = 1;

// Header (64 bytes): Int32 words, then Float64 ring positions and the lock's time.
const LOCK = 0, COUNT = 1;                       // the write lock (lock.ts); COUNT + ring: entries in that cache
const HEAD = 2, TAIL = 3;                        // Float64 index HEAD + 2*ring, TAIL + 2*ring: logical byte positions
const LOCKED_AT = 6;                             // Float64: when the lock was last taken
const HDR_BYTES = 64;
// A table slot: 8 Int32 words and 2 Float64 words.
const SEQ = 0, H1 = 1, H2 = 2, STATE = 3, OFF = 4, TTL = 5, HITS = 6, REF = 7;
const SLOT_INTS = 8;
const STORED = 0, LASTHIT = 1;
// In-flight fetches: 4 Int32 words (hashes, wake-up word) and a Float64 deadline (ms since epoch).
const IF_SLOTS = 1024, IF_WINDOW = 8, IF_H1 = 0, IF_H2 = 1, IF_WORD = 2;
// An entry in a ring: Int32 total length (-1: padding up to the end of the ring) and slot index,
// u16 key length, u16 TTL count, u16 response length, u8 flags (bit 0: DO), then the bytes.
const BLOB_HDR = 16, PAD = -1, FLAG_DO = 1;
const MAX_MOVES = 4;                              // second-chance moves per insert

/** Where each part lives in the buffer. */
export interface Layout { slots: number; slotI: number; slotF: number; ifI: number; ifF: number; ringBase: [number, number]; ringSize: [number, number]; bytes: number }

const align8 = (n: number) => (n + 7) & ~7;

/** The layout for caches of `caps` entries and `ringBytes` bytes (success, denial). */
export function layout(caps: [number, number], ringBytes: [number, number]): Layout {
  let slots = 1024;
  while (slots < Math.ceil(((caps[0] + caps[1]) * 4) / 3)) slots *= 2;
  let at = HDR_BYTES;
  const slotI = at / 4; at += slots * SLOT_INTS * 4;
  const slotF = at / 8; at += slots * 2 * 8;
  const ifI = at / 4; at += IF_SLOTS * 4 * 4;
  const ifF = at / 8; at += IF_SLOTS * 8;
  const r0 = at; at += align8(ringBytes[0]);
  const r1 = at; at += align8(ringBytes[1]);
  return { slots, slotI, slotF, ifI, ifF, ringBase: [r0, r1], ringSize: [align8(ringBytes[0]), align8(ringBytes[1])], bytes: at };
}

/** What a lookup copied out of the cache (one object per thread, overwritten by the next lookup). */
export interface Hit {
  slot: number; ring: number;
  stored: number;                  // ms since epoch
  ttl: number;                     // seconds it was stored for
  wire: Buffer;                    // a fresh copy of the response, with `extra` spare bytes at the end
  wireLen: number;
  ttls: Uint16Array; nttl: number; // offsets of the TTL fields (valid until the next lookup in this thread)
  ednsDo: boolean;
}

/** Results of claim(). */
export const Claim = { Owner: 0, Wait: 1, Present: 2, None: 3 } as const;
export type Claim = typeof Claim[keyof typeof Claim];

/** How readers avoid torn copies (see the module comment): lock-free where the CPU keeps loads in order. */
export type ReadMode = 'seqlock' | 'lock';
export const DEFAULT_READ_MODE: ReadMode = process.arch === 'x64' ? 'seqlock' : 'lock';

// Atomics.waitAsync (ES2024; the project's lib is ES2023).
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number, ms: number): { async: boolean; value: Promise<string> | string };
}).waitAsync;

const TTLS = new Uint16Array(65536 / 11 + 1);
const HIT: Hit = { slot: 0, ring: 0, stored: 0, ttl: 0, wire: Buffer.alloc(0), wireLen: 0, ttls: TTLS, nttl: 0, ednsDo: false };
let scratch = Buffer.alloc(4096);

export class CacheStore {
  readonly lay: Layout;
  private readonly I: Int32Array;
  private readonly F: Float64Array;
  private readonly B: Buffer;
  private readonly mask: number;
  private readonly caps: [number, number];
  /** Called (in the thread that evicts) for each entry pushed out to make room. */
  onEvict: (ring: number) => void = () => {};
  private readonly writeLock: WriteLock;
  private moves = 0;
  /** Set by claim(): the in-flight slot claimed or waited on, its wake-up word value and deadline. */
  claimed = -1; wakeValue = 0; deadline = 0;
  readonly readMode: ReadMode;

  constructor(mem: SharedArrayBuffer, lay: Layout, caps: [number, number], readMode: ReadMode = DEFAULT_READ_MODE) {
    this.readMode = readMode;
    if (mem.byteLength !== lay.bytes) throw new Error(`cache: shared memory of ${mem.byteLength} bytes, want ${lay.bytes}`);
    this.lay = lay;
    this.I = new Int32Array(mem);
    this.F = new Float64Array(mem);
    this.B = Buffer.from(mem);
    this.mask = lay.slots - 1;
    this.caps = caps;
    this.writeLock = new WriteLock(this.I, LOCK, this.F, LOCKED_AT);
  }

  /** Entries held in a cache (all threads). */
  count(ring: number): number { return Atomics.load(this.I, COUNT + ring); }

  /** Bytes of a ring in use (live and not yet reclaimed entries). */
  used(ring: number): number { return this.F[HEAD + 2 * ring]! - this.F[TAIL + 2 * ring]!; }

  /**
   * Copy the entry for `k` out without locking: returns the thread's Hit (valid until the next
   * lookup), or null when there is none (or a writer holds its slot right now).
   */
  read(k: Key, extra: number): Hit | null {
    if (this.readMode === 'lock') return this.readLocked(k, extra);
    const I = this.I, mask = this.mask;
    let i = k.h1 & mask;
    for (let probe = 0; probe <= mask; probe++, i = (i + 1) & mask) {
      const s = this.lay.slotI + i * SLOT_INTS;
      let tries = 0;
      for (;;) {
        if (++tries > 8) return null;
        const seq = Atomics.load(I, s + SEQ);
        if (seq & 1) continue;
        const state = I[s + STATE]!;
        if (state === 0) { if (Atomics.load(I, s + SEQ) === seq) return null; continue; }
        if (I[s + H1] !== k.h1 || I[s + H2] !== k.h2) { if (Atomics.load(I, s + SEQ) === seq) break; continue; }
        const r = this.copyOut(i, s, state - 1, k, extra);
        if (Atomics.load(I, s + SEQ) !== seq) continue;
        if (r === 1) return HIT;
        if (r === 0) break;           // same hashes, other key: keep probing
      }
    }
    return null;
  }

  /** read() under the write lock (ReadMode 'lock'): null when the lock is busy (a miss). */
  private readLocked(k: Key, extra: number): Hit | null {
    if (!this.writeLock.tryLock()) return null;
    try {
      const i = this.find(k);
      if (i < 0) return null;
      const s = this.lay.slotI + i * SLOT_INTS;
      return this.copyOut(i, s, this.I[s + STATE]! - 1, k, extra) === 1 ? HIT : null;
    } finally {
      this.writeLock.unlock();
    }
  }

  /** Copy slot i's entry into HIT if its key is `k`: 1 copied, 0 another key, -1 torn (retry). */
  private copyOut(i: number, s: number, ring: number, k: Key, extra: number): number {
    const I = this.I, B = this.B;
    if (ring !== SUCCESS && ring !== DENIAL) return -1;
    const off = I[s + OFF]!, size = this.lay.ringSize[ring]!;
    if (off < 0 || off + BLOB_HDR > size) return -1;
    const b = this.lay.ringBase[ring]! + off;
    const len = I[b >> 2]!;
    const keyLen = B[b + 8]! | (B[b + 9]! << 8), nttl = B[b + 10]! | (B[b + 11]! << 8), wireLen = B[b + 12]! | (B[b + 13]! << 8);
    if (len < 0 || off + len > size || BLOB_HDR + keyLen + 2 * nttl + wireLen > len || keyLen !== k.len) return -1;
    const kb = k.bytes;
    let at = b + BLOB_HDR;
    for (let j = 0; j < keyLen; j++) if (B[at + j] !== kb[j]) return 0;
    at += keyLen;
    for (let j = 0; j < nttl; j++, at += 2) TTLS[j] = B[at]! | (B[at + 1]! << 8);
    const w = Buffer.allocUnsafe(wireLen + extra);
    B.copy(w, 0, at, at + wireLen);
    const h = HIT;
    h.slot = i; h.ring = ring; h.stored = this.F[this.lay.slotF + i * 2 + STORED]!; h.ttl = I[s + TTL]!;
    h.wire = w; h.wireLen = wireLen; h.nttl = nttl; h.ednsDo = (B[b + 14]! & FLAG_DO) !== 0;
    return 1;
  }

  /** Mark a slot as used since it was written (its second chance); a read-mostly word. */
  touch(slot: number): void {
    const r = this.lay.slotI + slot * SLOT_INTS + REF;
    if (this.I[r] === 0) Atomics.store(this.I, r, 1);
  }

  /** Prefetch bookkeeping of CoreDNS: hits without a pause of `windowMs`; returns the count. Racy by design. */
  countHit(slot: number, now: number, windowMs: number): number {
    const s = this.lay.slotI + slot * SLOT_INTS, f = this.lay.slotF + slot * 2;
    const hits = this.F[f + LASTHIT]! < now - windowMs ? 1 : this.I[s + HITS]! + 1;
    this.I[s + HITS] = hits;
    this.F[f + LASTHIT] = now;
    return hits;
  }

  /**
   * Store an entry (replacing any for the key, in either cache). `keep`: carry the old entry's
   * prefetch counters over (a refresh). False when it was not stored (too big, lock busy).
   */
  put(k: Key, ring: number, wire: Uint8Array, ttls: readonly number[], ttl: number, now: number, ednsDo: boolean, keep: boolean): boolean {
    const need = align8(BLOB_HDR + k.len + 2 * ttls.length + wire.length);
    if (need > this.lay.ringSize[ring]! / 2 || wire.length > 0xffff) return false;
    if (!this.writeLock.lock()) return false;
    try {
      return this.write(k, ring, need, wire, ttls, ttl, now, ednsDo, keep);
    } catch {
      return false;   // a cache may forget; it must never fail the query
    } finally {
      this.writeLock.unlock();
    }
  }

  private write(k: Key, ring: number, need: number, wire: Uint8Array, ttls: readonly number[], ttl: number, now: number, ednsDo: boolean, keep: boolean): boolean {
    const I = this.I, F = this.F, B = this.B;
    let hits = 0, lastHit = 0;
    const old = this.find(k);
    if (old >= 0) {
      if (keep) { hits = I[this.lay.slotI + old * SLOT_INTS + HITS]!; lastHit = F[this.lay.slotF + old * 2 + LASTHIT]!; }
      const oldRing = I[this.lay.slotI + old * SLOT_INTS + STATE]! - 1;
      this.removeSlot(old);
      I[COUNT + oldRing]!--;
    }
    this.moves = MAX_MOVES;
    while (I[COUNT + ring]! >= this.caps[ring]!) if (!this.evictOne(ring)) break;
    const off = this.allocate(ring, need);
    const b = this.lay.ringBase[ring]! + off;
    I[b >> 2] = need;
    B[b + 8] = k.len & 0xff; B[b + 9] = k.len >> 8;
    B[b + 10] = ttls.length & 0xff; B[b + 11] = ttls.length >> 8;
    B[b + 12] = wire.length & 0xff; B[b + 13] = wire.length >> 8;
    B[b + 14] = ednsDo ? FLAG_DO : 0;
    let at = b + BLOB_HDR;
    B.set(k.bytes.subarray(0, k.len), at); at += k.len;
    for (const t of ttls) { B[at++] = t & 0xff; B[at++] = t >> 8; }
    B.set(wire, at);
    this.insertSlot(k.h1, k.h2, ring, off, ttl, now, hits, lastHit, 0);
    I[COUNT + ring]!++;
    return true;
  }

  /**
   * Claim the fetch of `k` (a miss or a refresh). With `staleMs` ≥ 0, first look for an entry
   * still usable at `now` (stored + TTL + staleMs), which a reader may have missed while a writer
   * moved it: Present. Else Wait when another fetch of the key is in flight (claimed/wakeValue say
   * what to wait on, deadline until when), Owner when this caller now holds it (release() it),
   * None when the in-flight table is full or the lock busy (fetch without coordination).
   */
  claim(k: Key, now: number, staleMs: number, holdMs: number): Claim {
    if (!this.writeLock.lock()) return Claim.None;
    try {
      if (staleMs >= 0) {
        const i = this.find(k);
        if (i >= 0 && this.F[this.lay.slotF + i * 2 + STORED]! + this.I[this.lay.slotI + i * SLOT_INTS + TTL]! * 1000 + staleMs > now) return Claim.Present;
      }
      const I = this.I, F = this.F, wall = Date.now();
      let free = -1;
      for (let w = 0; w < IF_WINDOW; w++) {
        const j = (k.h1 + w) & (IF_SLOTS - 1);
        const s = this.lay.ifI + j * 4;
        if (F[this.lay.ifF + j]! > wall) {
          if (I[s + IF_H1] === k.h1 && I[s + IF_H2] === k.h2) {
            this.claimed = j; this.wakeValue = Atomics.load(I, s + IF_WORD); this.deadline = F[this.lay.ifF + j]!;
            return Claim.Wait;
          }
        } else if (free < 0) free = j;
      }
      if (free < 0) return Claim.None;
      const s = this.lay.ifI + free * 4;
      I[s + IF_H1] = k.h1; I[s + IF_H2] = k.h2;
      F[this.lay.ifF + free] = wall + holdMs;
      this.claimed = free; this.deadline = wall + holdMs;
      return Claim.Owner;
    } finally {
      this.writeLock.unlock();
    }
  }

  /** End a claim (if it is still ours) and wake every thread waiting on it. */
  release(j: number, k: Key, deadline: number): void {
    const s = this.lay.ifI + j * 4;
    if (this.writeLock.lock()) {
      if (this.I[s + IF_H1] === k.h1 && this.I[s + IF_H2] === k.h2 && this.F[this.lay.ifF + j] === deadline) this.F[this.lay.ifF + j] = 0;
      this.writeLock.unlock();
    }
    Atomics.add(this.I, s + IF_WORD, 1);
    Atomics.notify(this.I, s + IF_WORD);
  }

  /** Wait (without blocking the thread) until claim `j` is released or `until` (ms since epoch) passes. */
  async wait(j: number, value: number, until: number): Promise<void> {
    const ms = until - Date.now();
    if (ms <= 0) return;
    const r = waitAsync(this.I, this.lay.ifI + j * 4 + IF_WORD, value, ms);
    if (!r.async) return;
    // waitAsync's own timeout does not keep the event loop alive: a timer does.
    let t: NodeJS.Timeout | undefined;
    await Promise.race([r.value, new Promise((res) => { t = setTimeout(res, ms + 5); })]);
    clearTimeout(t);
  }

  // ---- under the lock ----

  /** The slot holding key `k`, or -1. */
  private find(k: Key): number {
    const I = this.I, B = this.B, mask = this.mask;
    for (let i = k.h1 & mask, n = 0; n <= mask; n++, i = (i + 1) & mask) {
      const s = this.lay.slotI + i * SLOT_INTS;
      const state = I[s + STATE]!;
      if (state === 0) return -1;
      if (I[s + H1] !== k.h1 || I[s + H2] !== k.h2) continue;
      const b = this.lay.ringBase[state - 1]! + I[s + OFF]! + BLOB_HDR;
      let same = (B[b - 8]! | (B[b - 7]! << 8)) === k.len;
      for (let j = 0; same && j < k.len; j++) if (B[b + j] !== k.bytes[j]) same = false;
      if (same) return i;
    }
    return -1;
  }

  private insertSlot(h1: number, h2: number, ring: number, off: number, ttl: number, stored: number, hits: number, lastHit: number, ref: number): void {
    const I = this.I, F = this.F, mask = this.mask;
    let i = h1 & mask;
    while (I[this.lay.slotI + i * SLOT_INTS + STATE] !== 0) i = (i + 1) & mask;
    const s = this.lay.slotI + i * SLOT_INTS, f = this.lay.slotF + i * 2;
    Atomics.add(I, s + SEQ, 1);
    I[s + H1] = h1; I[s + H2] = h2; I[s + OFF] = off; I[s + TTL] = ttl; I[s + HITS] = hits; I[s + REF] = ref;
    F[f + STORED] = stored; F[f + LASTHIT] = lastHit;
    I[s + STATE] = ring + 1;
    Atomics.add(I, s + SEQ, 1);
    I[((this.lay.ringBase[ring]! + off) >> 2) + 1] = i;
  }

  /** Empty slot i, shifting later entries of its probe run back (so lookups never need tombstones). */
  private removeSlot(i: number): void {
    const I = this.I, F = this.F, mask = this.mask;
    let hole = i;
    this.clearSlot(hole);
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const s = this.lay.slotI + j * SLOT_INTS;
      const state = I[s + STATE]!;
      if (state === 0) return;
      const home = I[s + H1]! & mask;
      const stays = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (stays) continue;
      const d = this.lay.slotI + hole * SLOT_INTS, fs = this.lay.slotF + j * 2, fd = this.lay.slotF + hole * 2;
      Atomics.add(I, d + SEQ, 1);
      for (let w = 1; w < SLOT_INTS; w++) I[d + w] = I[s + w]!;
      F[fd + STORED] = F[fs + STORED]!; F[fd + LASTHIT] = F[fs + LASTHIT]!;
      Atomics.add(I, d + SEQ, 1);
      I[((this.lay.ringBase[state - 1]! + I[s + OFF]!) >> 2) + 1] = hole;
      this.clearSlot(j);
      hole = j;
    }
  }

  private clearSlot(i: number): void {
    const s = this.lay.slotI + i * SLOT_INTS;
    Atomics.add(this.I, s + SEQ, 1);
    this.I[s + STATE] = 0;
    Atomics.add(this.I, s + SEQ, 1);
  }

  /** Make `need` contiguous bytes free at the head of a ring (reclaiming from the tail); their offset. */
  private allocate(ring: number, need: number): number {
    const F = this.F, size = this.lay.ringSize[ring]!;
    for (;;) {
      const head = F[HEAD + 2 * ring]!;
      const phys = head % size;
      const want = phys + need > size ? size - phys : need;   // not enough before the end: pad to it first
      while (size - (head - F[TAIL + 2 * ring]!) < want) if (!this.popTail(ring)) throw new Error('cache ring: cannot reclaim');
      if (want !== need) {
        this.I[(this.lay.ringBase[ring]! + phys) >> 2] = PAD;
        F[HEAD + 2 * ring] = head + want;
        continue;
      }
      F[HEAD + 2 * ring] = head + need;
      return phys;
    }
  }

  /** Pop ring entries from the tail until one live entry is evicted (second chances aside). */
  private evictOne(ring: number): boolean {
    const before = this.I[COUNT + ring]!;
    while (this.I[COUNT + ring]! >= before) if (!this.popTail(ring)) return false;
    return true;
  }

  /**
   * Reclaim the entry at a ring's tail: padding and dead entries are skipped; a live entry is
   * evicted, or, if it was hit since it was written and moves are left, moved to the head.
   */
  private popTail(ring: number): boolean {
    const I = this.I, F = this.F, size = this.lay.ringSize[ring]!;
    const tail = F[TAIL + 2 * ring]!;
    if (tail >= F[HEAD + 2 * ring]!) return false;
    const phys = tail % size;
    const b = this.lay.ringBase[ring]! + phys;
    const len = I[b >> 2]!;
    if (len === PAD) { F[TAIL + 2 * ring] = tail + (size - phys); return true; }
    const slot = I[(b >> 2) + 1]!;
    const s = this.lay.slotI + slot * SLOT_INTS;
    const live = slot >= 0 && slot <= this.mask && I[s + STATE] === ring + 1 && I[s + OFF] === phys;
    if (!live) { F[TAIL + 2 * ring] = tail + len; return true; }
    if (I[s + REF] !== 0 && this.moves > 0) {
      // Second chance: keep the entry, rewritten at the head.
      this.moves--;
      const f = this.lay.slotF + slot * 2;
      const h1 = I[s + H1]!, h2 = I[s + H2]!, ttl = I[s + TTL]!, hits = I[s + HITS]!, stored = F[f + STORED]!, lastHit = F[f + LASTHIT]!;
      if (scratch.length < len) scratch = Buffer.alloc(len);
      this.B.copy(scratch, 0, b, b + len);
      this.removeSlot(slot);
      F[TAIL + 2 * ring] = tail + len;
      const left = this.moves;
      this.moves = 0;                 // no nested move while `scratch` holds this entry
      const off = this.allocate(ring, len);
      this.moves = left;
      scratch.copy(this.B, this.lay.ringBase[ring]! + off, 0, len);
      this.insertSlot(h1, h2, ring, off, ttl, stored, hits, lastHit, 0);
      return true;
    }
    this.removeSlot(slot);
    I[COUNT + ring]!--;
    F[TAIL + 2 * ring] = tail + len;
    this.onEvict(ring);
    return true;
  }
}
