/**
 * The cache plugin's query path (CoreDNS's plugin/cache): a success and a denial cache (LRU, lru-cache),
 * keyed by name, type, class and the DO and CD bits. A hit is served from stored bytes with the TTLs
 * counting down; a miss asks the next plugin and stores what comes back for min(TTL, max TTL).
 * Prefetch refreshes popular entries before they expire; serve_stale answers from expired entries
 * (TTL 0) while refreshing them.
 */
import { LRUCache } from 'lru-cache';
import { isSubdomain } from '../../dns/name.ts';
import type { Message } from '../../dns/types.ts';
import { Rcode } from '../../dns/types.ts';
import type { BlockInfo, Logger, Next, Plugin, Request } from '../../plugin/contract.ts';
import { classify, Item, minimalTTL } from './item.ts';
import { cacheCounters, type CacheCounters } from './metrics.ts';
import type { CacheConfig } from './setup.ts';

export class Cache implements Plugin {
  readonly name = 'cache';
  readonly cfg: CacheConfig;
  readonly pcache: LRUCache<string, Item>;
  readonly ncache: LRUCache<string, Item>;
  /** The clock (ms); tests move it. */
  now: () => number = Date.now;
  private readonly block: BlockInfo;
  private readonly log: Logger;
  private readonly refreshing = new Set<string>();
  private bound: CacheCounters | undefined;
  private readonly everyZone: boolean;

  constructor(cfg: CacheConfig, block: BlockInfo, log: Logger) {
    this.cfg = cfg;
    this.block = block;
    this.log = log;
    this.everyZone = cfg.zones.includes('.');
    this.pcache = new LRUCache<string, Item>({
      max: cfg.pcap,
      dispose: (_v, _k, reason) => { if (reason === 'evict') this.metrics().evictSuccess.inc(); },
    });
    this.ncache = new LRUCache<string, Item>({
      max: cfg.ncap,
      dispose: (_v, _k, reason) => { if (reason === 'evict') this.metrics().evictDenial.inc(); },
    });
  }

  /** Counters with this block's labels, bound on first use (the server label is final by then). */
  private metrics(): CacheCounters {
    return this.bound ??= cacheCounters(this.block.server, this.cfg.zones.join(','), () => [this.pcache.size, this.ncache.size]);
  }

  private inZones(qname: string): boolean {
    if (this.everyZone) return true;
    for (const z of this.cfg.zones) if (isSubdomain(qname, z)) return true;
    return false;
  }

  static key(req: Request): string {
    const m = req.msg;
    return `${req.qtype}/${req.qclass}/${req.do ? 1 : 0}${m.cd ? 1 : 0}/${req.qname}`;
  }

  serve(req: Request, next: Next): Message | Promise<Message> {
    if (!this.inZones(req.qname)) return next(req);
    const m = this.metrics();
    const now = this.now();
    const key = Cache.key(req);
    m.requests.inc();
    const staleS = this.cfg.staleUpToMs / 1000;
    let item = this.ncache.get(key);
    let ttl = item ? item.ttl(now) : 0;
    if (item && !(ttl > 0 || (staleS > 0 && -ttl < staleS))) item = undefined;
    if (item) m.hitsDenial.inc();
    else {
      item = this.pcache.get(key);
      ttl = item ? item.ttl(now) : 0;
      if (item && !(ttl > 0 || (staleS > 0 && -ttl < staleS))) item = undefined;
      if (item) m.hitsSuccess.inc();
    }
    if (!item) {
      m.misses.inc();
      const r = next(req);
      if (r instanceof Promise) return r.then((res) => this.store(req, key, res, false));
      return this.store(req, key, r, false);
    }
    if (ttl <= 0) {
      if (this.cfg.verifyStale) return this.verifyStale(req, next, key, item);
      m.servedStale.inc();
      this.refresh(req, next, key, false);
      return item.toResponse(req, 0);
    }
    if (this.cfg.prefetch > 0 && this.shouldPrefetch(item, now, ttl)) this.refresh(req, next, key, true);
    return item.toResponse(req, this.cfg.keepttl ? item.origTTL : ttl);
  }

  private shouldPrefetch(item: Item, now: number, ttl: number): boolean {
    if (item.lastHit < now - this.cfg.prefetchWindowMs) item.hits = 1; else item.hits++;
    item.lastHit = now;
    const threshold = Math.ceil((this.cfg.percentage / 100) * item.origTTL);
    return item.hits >= this.cfg.prefetch && ttl <= threshold;
  }

  /** serve_stale verified: ask first; serve the stale entry only when the source has no good answer. */
  private async verifyStale(req: Request, next: Next, key: string, item: Item): Promise<Message> {
    let res: Message | undefined;
    try { res = await next(req); } catch { res = undefined; }
    if (res && (res.rcode === Rcode.NOERROR || res.rcode === Rcode.NXDOMAIN)) return this.store(req, key, res, false);
    this.metrics().servedStale.inc();
    return item.toResponse(req, 0);
  }

  /** Refresh an entry in the background (prefetch, or after serving it stale); one refresh per key at a time. */
  private refresh(req: Request, next: Next, key: string, prefetch: boolean): void {
    if (this.refreshing.has(key)) return;
    this.refreshing.add(key);
    const old = this.pcache.peek(key) ?? this.ncache.peek(key);
    if (prefetch) this.metrics().prefetch.inc();
    const r: Request = { ...req, meta: new Map() };
    void (async () => {
      try {
        const res = await next(r);
        // RFC 8767: only a real answer replaces what we have (a SERVFAIL must not push out a stale entry).
        if (res.rcode !== Rcode.NOERROR && res.rcode !== Rcode.NXDOMAIN) return;
        this.store(r, key, res, true);
        const fresh = this.pcache.peek(key) ?? this.ncache.peek(key);
        if (fresh && old && fresh !== old) { fresh.hits = old.hits; fresh.lastHit = old.lastHit; }
      } catch (e) {
        this.log.debug(`refresh of ${req.qname} failed: ${(e as Error).message}`);
      } finally {
        this.refreshing.delete(key);
      }
    })();
  }

  /** Cache `res` when it may be cached; return the response for the client (TTLs capped as stored). */
  private store(req: Request, key: string, res: Message, refreshing: boolean): Message {
    const t = classify(res);
    if (res.tc || t === 'othererror' || t === 'meta' || t === 'update') return res;
    const c = this.cfg;
    const min = minimalTTL(res, t);
    let duration: number;
    if (t === 'nxdomain' || t === 'nodata') duration = clamp(min, c.minnttl, c.nttl);
    else if (t === 'servererror') duration = c.failttl;
    else duration = clamp(min, c.minpttl, c.pttl);
    if (duration <= 0) return res;
    const q = res.questions[0];
    if (!q || q.type !== req.qtype || q.class !== req.qclass || q.name.toLowerCase() !== req.qname) {
      this.metrics().drops.inc();
      return res;
    }
    const success = t === 'noerror' || t === 'delegation';
    const except = success ? c.pexcept : c.nexcept;
    for (const z of except) if (isSubdomain(req.qname, z)) return res;
    const item = new Item(res, duration, this.now(), success, req.do);
    if (success) {
      this.pcache.set(key, item);
      if (refreshing) this.ncache.delete(key);
    } else {
      this.ncache.set(key, item);
      if (refreshing) this.pcache.delete(key);
    }
    return item.toResponse(req, duration);
  }

  close(): void {
    this.bound?.release();
    this.bound = undefined;
    this.pcache.clear();
    this.ncache.clear();
  }
}

function clamp(v: number, min: number, max: number): number {
  return v < min ? min : v > max ? max : v;
}
