/** cache's metrics, named and labelled as CoreDNS's plugin/cache/metrics.go. */
import { counter, gauge } from '../../metrics/registry.ts';

let cached: ReturnType<typeof make> | undefined;
export const cacheMetrics = () => (cached ??= make());

const make = () => ({
  entries: gauge('coredns_cache_entries', 'The number of elements in the cache.', ['server', 'type', 'zones', 'view']),
  requests: counter('coredns_cache_requests_total', 'The count of cache requests.', ['server', 'zones', 'view']),
  hits: counter('coredns_cache_hits_total', 'The count of cache hits.', ['server', 'type', 'zones', 'view']),
  misses: counter('coredns_cache_misses_total', 'The count of cache misses. Deprecated, derive misses from cache hits/requests counters.',
    ['server', 'zones', 'view']),
  prefetch: counter('coredns_cache_prefetch_total', 'The number of times the cache has prefetched a cached item.', ['server', 'zones', 'view']),
  drops: counter('coredns_cache_drops_total', 'The number responses that are not cached, because the reply is malformed.',
    ['server', 'zones', 'view']),
  servedStale: counter('coredns_cache_served_stale_total', 'The number of requests served from stale cache entries.', ['server', 'zones', 'view']),
  evictions: counter('coredns_cache_evictions_total', 'The count of cache evictions.', ['server', 'type', 'zones', 'view']),
});
