/**
 * The cache plugin's query path (CoreDNS's plugin/cache): a success and a denial cache keyed by
 * name, type, class and the DO and CD bits, one per server block however many threads answer
 * (store.ts keeps them in memory every thread shares). A hit is served from stored bytes with the
 * TTLs counting down; a miss asks the next plugin and stores what comes back for min(TTL, max TTL).
 * A miss for a key another thread (or query) is already fetching waits for that answer instead of
 * asking again. Prefetch refreshes popular entries before they expire; serve_stale answers from
 * expired entries (TTL 0) while refreshing them; one thread refreshes a given entry at a time.
 */
import { inZones } from '../../dns/name.ts';
import type { Message } from '../../dns/types.ts';
import { Rcode } from '../../dns/types.ts';
import type { BlockInfo, Logger, Next, Plugin, Request, Result } from '../../plugin/contract.ts';
import { questionEnd } from '../../dns/codec.ts';
import { classify, encodeForCache, extraFor, minimalTTL, respond } from './item.ts';
import { cacheCounters, type CacheCounters } from './metrics.ts';
import type { CacheConfig } from './setup.ts';
import { CacheStore, Claim, DENIAL, Key, layout, SUCCESS } from './store.ts';

/** How long a fetch claim holds (ms): others wait at most this long for its answer before asking themselves. */
const HOLD_MS = 5_000;
const KEY = new Key();
/** Rounds of claim → "present" → not read back (a writer moving it) before a miss just asks. */
const NO_CLAIM = 3;

export interface CacheOptions {
  /** Where the store lives: SetupContext.sharedMemory in a server; private memory when absent. */
  memory?: (bytes: number) => SharedArrayBuffer;
  /** Whether this instance reports coredns_cache_entries (one thread per server). Default true. */
  reportsEntries?: boolean;
}

export class Cache implements Plugin {
  readonly name = 'cache';
  readonly cfg: CacheConfig;
  readonly store: CacheStore;
  /** The clock (ms); tests move it. */
  now: () => number = Date.now;
  private readonly block: BlockInfo;
  private readonly log: Logger;
  private bound: CacheCounters | undefined;
  private readonly everyZone: boolean;
  private readonly reportsEntries: boolean;

  constructor(cfg: CacheConfig, block: BlockInfo, log: Logger, o: CacheOptions = {}) {
    this.cfg = cfg;
    this.block = block;
    this.log = log;
    this.everyZone = cfg.zones.includes('.');
    this.reportsEntries = o.reportsEntries ?? true;
    const lay = layout([cfg.pcap, cfg.ncap], [cfg.pbytes, cfg.nbytes]);
    this.store = new CacheStore(o.memory ? o.memory(lay.bytes) : new SharedArrayBuffer(lay.bytes), lay, [cfg.pcap, cfg.ncap]);
    this.store.onEvict = (ring) => { const m = this.metrics(); (ring === SUCCESS ? m.evictSuccess : m.evictDenial).inc(); };
  }

  /** Counters with this block's labels, bound on first use (the server label is final by then). */
  private metrics(): CacheCounters {
    return this.bound ??= cacheCounters(this.block.server, this.cfg.zones.join(','),
      this.reportsEntries ? () => [this.store.count(SUCCESS), this.store.count(DENIAL)] : undefined);
  }

  /** The thread that reports the entries gauge binds its metrics even if it never answers (the control thread). */
  start(): void { if (this.reportsEntries) this.metrics(); }

  private inZones(qname: string): boolean {
    if (this.everyZone) return true;
    return inZones(qname, this.cfg.zones);
  }

  /** Whether no answer for `qname` may be stored: both its success and its denial caching are disabled. */
  private neverStored(qname: string): boolean {
    const c = this.cfg;
    return c.pexcept.length > 0 && c.nexcept.length > 0 && inZones(qname, c.pexcept) && inZones(qname, c.nexcept);
  }

  serve(req: Request, next: Next): Result {
    if (!this.inZones(req.qname)) return next(req);
    const m = this.metrics();
    m.requests.inc();
    if (this.neverStored(req.qname)) {
      // `disable success` and `disable denial` both cover the name (kubeadm's cluster.local):
      // nothing for it is ever stored, so no key, lookup or fetch claim; a miss, as CoreDNS counts it.
      m.misses.inc();
      if (req.trace) req.trace.note('cache', { entry: 'miss', asked: 'next plugin' });
      const r = next(req);
      return r instanceof Promise ? r.then((res) => this.countDrop(req, res)) : this.countDrop(req, r);
    }
    const qEnd = questionEnd(req.wire);
    if (qEnd < 0 || !KEY.set(req.wire, qEnd, req.do, req.msg.cd)) {
      m.misses.inc();   // an unusual question (compressed, several): not cached
      return next(req);
    }
    return this.fromCache(req, next, KEY, qEnd, this.now()) ?? this.miss(req, next, KEY.clone(), qEnd, 0);
  }

  /** The answer from the cache for `k`, or undefined when it holds nothing usable. Counts the hit. */
  private fromCache(req: Request, next: Next, k: Key, qEnd: number, now: number): Result | undefined {
    const h = this.store.read(k, extraFor(req));
    if (!h) return undefined;
    const ttl = h.ttl - Math.floor((now - h.stored) / 1000);
    const staleS = this.cfg.staleUpToMs / 1000;
    if (!(ttl > 0 || (staleS > 0 && -ttl < staleS))) return undefined;
    if (req.trace) {
      req.trace.note('cache', {
        entry: h.ring === DENIAL ? 'denial' : 'success', ageSeconds: Math.floor((now - h.stored) / 1000),
        storedTTL: h.ttl, ttlLeft: Math.max(0, ttl), stale: ttl <= 0,
        ...(ttl <= 0 ? { staleFor: -ttl, verifyStale: this.cfg.verifyStale } : {}),
      });
    }
    const m = this.metrics();
    if (h.ring === DENIAL) m.hitsDenial.inc(); else m.hitsSuccess.inc();
    this.store.touch(h.slot);
    if (ttl <= 0) {
      const stale = respond(req, h.wire, h.wireLen, h.ttls, h.nttl, 0, h.ednsDo, qEnd);
      if (this.cfg.verifyStale) return this.verifyStale(req, next, k.clone(), qEnd, stale);
      m.servedStale.inc();
      this.refresh(req, next, k, qEnd, false);
      return stale;
    }
    const prefetch = this.cfg.prefetch > 0 && this.shouldPrefetch(h.slot, h.ttl, now, ttl);
    const res = respond(req, h.wire, h.wireLen, h.ttls, h.nttl, this.cfg.keepttl ? h.ttl : ttl, h.ednsDo, qEnd);
    if (prefetch) this.refresh(req, next, k, qEnd, true);
    return res;
  }

  /**
   * Not in the cache: claim the fetch, or wait for the query (on any thread) that already fetches
   * it and answer from the cache then. Exactly one of hits/misses counts each query.
   */
  private miss(req: Request, next: Next, k: Key, qEnd: number, round: number): Result {
    const now = this.now();
    const c = round < NO_CLAIM ? this.store.claim(k, now, this.cfg.staleUpToMs, HOLD_MS) : Claim.None;
    if (c === Claim.Present) return this.fromCache(req, next, k, qEnd, now) ?? this.miss(req, next, k, qEnd, round + 1);
    if (c === Claim.Wait) {
      // Woken when that fetch ended. Not in the cache then (an answer that may not be cached, a
      // failure, or the fetch outlived its claim): ask ourselves, without queueing behind another.
      const s = this.store;
      return s.wait(s.claimed, s.wakeValue, s.deadline).then(() =>
        this.fromCache(req, next, k, qEnd, this.now()) ?? this.miss(req, next, k, qEnd, NO_CLAIM));
    }
    this.metrics().misses.inc();
    if (req.trace) req.trace.note('cache', { entry: 'miss', asked: 'next plugin' });
    const j = this.store.claimed, deadline = this.store.deadline;
    const release = c === Claim.Owner ? () => this.store.release(j, k, deadline) : () => {};
    let r: Result;
    try {
      r = next(req);
    } catch (e) {
      release();
      throw e;
    }
    if (r instanceof Promise) {
      return r.then((res) => { try { return this.save(req, k, qEnd, res, false); } finally { release(); } },
        (e: unknown) => { release(); throw e; });
    }
    try { return this.save(req, k, qEnd, r, false); } finally { release(); }
  }

  private shouldPrefetch(slot: number, origTTL: number, now: number, ttl: number): boolean {
    const hits = this.store.countHit(slot, now, this.cfg.prefetchWindowMs);
    const threshold = Math.ceil((this.cfg.percentage / 100) * origTTL);
    return hits >= this.cfg.prefetch && ttl <= threshold;
  }

  /**
   * serve_stale verified: ask first (one thread asks, the others wait for it); serve the stale
   * answer only when the source has no good one.
   */
  private async verifyStale(req: Request, next: Next, k: Key, qEnd: number, stale: Message): Promise<Message> {
    const c = this.store.claim(k, this.now(), -1, HOLD_MS);
    const s = this.store;
    if (c === Claim.Wait) {
      await s.wait(s.claimed, s.wakeValue, s.deadline);
      const h = s.read(k, extraFor(req));
      const ttl = h ? h.ttl - Math.floor((this.now() - h.stored) / 1000) : 0;
      if (h && ttl > 0) return respond(req, h.wire, h.wireLen, h.ttls, h.nttl, this.cfg.keepttl ? h.ttl : ttl, h.ednsDo, qEnd);
      this.metrics().servedStale.inc();
      return stale;
    }
    const j = s.claimed, deadline = s.deadline;
    try {
      let res: Message | undefined;
      try { res = await next(req); } catch { res = undefined; }
      if (res && (res.rcode === Rcode.NOERROR || res.rcode === Rcode.NXDOMAIN)) return this.save(req, k, qEnd, res, false);
      this.metrics().servedStale.inc();
      return stale;
    } finally {
      if (c === Claim.Owner) s.release(j, k, deadline);
    }
  }

  /** Refresh an entry in the background (prefetch, or after serving it stale) unless some thread already does. */
  private refresh(req: Request, next: Next, key: Key, qEnd: number, prefetch: boolean): void {
    if (this.store.claim(key, this.now(), -1, HOLD_MS) !== Claim.Owner) return;
    const j = this.store.claimed, deadline = this.store.deadline, k = key.clone();
    if (prefetch) this.metrics().prefetch.inc();
    const r: Request = { ...req, meta: new Map() };
    void (async () => {
      try {
        const res = await next(r);
        // RFC 8767: only a real answer replaces what we have (a SERVFAIL must not push out a stale entry).
        if (res.rcode !== Rcode.NOERROR && res.rcode !== Rcode.NXDOMAIN) return;
        this.save(r, k, qEnd, res, true);
      } catch (e) {
        this.log.debug(`refresh of ${req.qname} failed: ${(e as Error).message}`);
      } finally {
        this.store.release(j, k, deadline);
      }
    })();
  }

  /** How long `res` would be stored (s), 0 when it may not be; and its kind. */
  private duration(res: Message): [number, ReturnType<typeof classify>] {
    const t = classify(res);
    if (res.tc || t === 'othererror' || t === 'meta' || t === 'update') return [0, t];
    const c = this.cfg;
    const min = minimalTTL(res, t);
    if (t === 'nxdomain' || t === 'nodata') return [clamp(min, c.minnttl, c.nttl), t];
    if (t === 'servererror') return [c.failttl, t];
    return [clamp(min, c.minpttl, c.pttl), t];
  }

  /** For a name never stored: count coredns_cache_drops_total as save() would (an answer to another question). */
  private countDrop(req: Request, res: Message): Message {
    const q = res.questions[0];
    if (q && q.type === req.qtype && q.class === req.qclass && q.name.toLowerCase() === req.qname) return res;
    if (this.duration(res)[0] > 0) this.metrics().drops.inc();
    return res;
  }

  /** Cache `res` when it may be cached; return the response for the client (TTLs as stored). */
  private save(req: Request, k: Key, qEnd: number, res: Message, refreshing: boolean): Message {
    const [duration, t] = this.duration(res);
    if (duration <= 0) return res;
    const c = this.cfg;
    const q = res.questions[0];
    if (!q || q.type !== req.qtype || q.class !== req.qclass || q.name.toLowerCase() !== req.qname) {
      this.metrics().drops.inc();
      return res;
    }
    const success = t === 'noerror' || t === 'delegation';
    const except = success ? c.pexcept : c.nexcept;
    if (inZones(req.qname, except)) return res;
    const stored = encodeForCache(res, duration);
    if (req.trace && !refreshing) req.trace.note('cache', { stored: success ? 'success' : 'denial', ttl: duration });
    this.store.put(k, success ? SUCCESS : DENIAL, stored.wire, stored.ttls, duration, this.now(), req.do, refreshing);
    // The asker gets what a hit would give it: the stored bytes, patched.
    const extra = extraFor(req);
    let w = stored.wire;
    if (extra > 0) { w = Buffer.allocUnsafe(stored.wire.length + extra); stored.wire.copy(w); }
    return respond(req, w, stored.wire.length, stored.ttls, stored.ttls.length, duration, req.do, qEnd);
  }

  close(): void {
    this.bound?.release();
    this.bound = undefined;
  }
}

function clamp(v: number, min: number, max: number): number {
  return v < min ? min : v > max ? max : v;
}
