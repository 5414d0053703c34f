/**
 * cache's metrics, named and labelled as CoreDNS's plugin/cache/metrics.go.
 *
 * The hit path counts into plain numbers (a prom-client labelled inc costs ~0.4 µs, more than the
 * rest of a hit); the numbers are added to the prom-client metrics whenever the registry is read
 * (each metric's collect hook flushes every tally of this process), so a scrape is always exact.
 */
import type { Counter, Gauge } from 'prom-client';
import { counter, gauge } from '../../metrics/registry.ts';

let cached: ReturnType<typeof make> | undefined;
export const cacheMetrics = () => (cached ??= make());

const flushers = new Set<() => void>();
const flushAll = () => { for (const f of flushers) f(); };

function hooked<T extends Counter<string> | Gauge<string>>(m: T): T {
  const h = m as unknown as { collect?: () => unknown; __tallyHook?: boolean };
  if (!h.__tallyHook) {
    const prev = h.collect;
    h.collect = function (this: unknown) { flushAll(); return prev?.call(this); };
    h.__tallyHook = true;
  }
  return m;
}

const make = () => ({
  entries: hooked(gauge('coredns_cache_entries', 'The number of elements in the cache.', ['server', 'type', 'zones', 'view'])),
  requests: hooked(counter('coredns_cache_requests_total', 'The count of cache requests.', ['server', 'zones', 'view'])),
  hits: hooked(counter('coredns_cache_hits_total', 'The count of cache hits.', ['server', 'type', 'zones', 'view'])),
  misses: hooked(counter('coredns_cache_misses_total', 'The count of cache misses. Deprecated, derive misses from cache hits/requests counters.',
    ['server', 'zones', 'view'])),
  prefetch: hooked(counter('coredns_cache_prefetch_total', 'The number of times the cache has prefetched a cached item.', ['server', 'zones', 'view'])),
  drops: hooked(counter('coredns_cache_drops_total', 'The number responses that are not cached, because the reply is malformed.',
    ['server', 'zones', 'view'])),
  servedStale: hooked(counter('coredns_cache_served_stale_total', 'The number of requests served from stale cache entries.', ['server', 'zones', 'view'])),
  evictions: hooked(counter('coredns_cache_evictions_total', 'The count of cache evictions.', ['server', 'type', 'zones', 'view'])),
});

/** A counter the hot path bumps for free; flushed into its prom-client child on every registry read. */
export class Tally {
  n = 0;
  private readonly child: { inc(v: number): void };
  constructor(child: { inc(v: number): void }) { this.child = child; }
  inc(): void { this.n++; }
  flush(): void { if (this.n > 0) { this.child.inc(this.n); this.n = 0; } }
}

export interface CacheCounters {
  requests: Tally; misses: Tally; prefetch: Tally; drops: Tally; servedStale: Tally;
  hitsSuccess: Tally; hitsDenial: Tally; evictSuccess: Tally; evictDenial: Tally;
  /** Stop flushing (plugin closed); flushes what is left. */
  release(): void;
}

/**
 * Counters for one cache instance; `sizes` gives the entries gauges their values at each read. The
 * entries are shared by all threads, so only one thread (the control or single one) passes `sizes`:
 * /metrics sums the threads' registries, and a gauge set in each would count the entries N times.
 */
export function cacheCounters(server: string, zones: string, sizes?: () => [number, number]): CacheCounters {
  const m = cacheMetrics();
  const base = { server, zones, view: '' };
  const t = {
    requests: new Tally(m.requests.labels(base)), misses: new Tally(m.misses.labels(base)),
    prefetch: new Tally(m.prefetch.labels(base)), drops: new Tally(m.drops.labels(base)),
    servedStale: new Tally(m.servedStale.labels(base)),
    hitsSuccess: new Tally(m.hits.labels({ ...base, type: 'success' })), hitsDenial: new Tally(m.hits.labels({ ...base, type: 'denial' })),
    evictSuccess: new Tally(m.evictions.labels({ ...base, type: 'success' })), evictDenial: new Tally(m.evictions.labels({ ...base, type: 'denial' })),
  };
  const gs = m.entries.labels({ ...base, type: 'success' }), gd = m.entries.labels({ ...base, type: 'denial' });
  const flush = () => {
    for (const x of Object.values(t)) x.flush();
    if (!sizes) return;
    const [s, d] = sizes();
    gs.set(s); gd.set(d);
  };
  flushers.add(flush);
  return { ...t, release() { flush(); flushers.delete(flush); } };
}
