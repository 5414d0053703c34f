/**
 * forward's metrics, named and labelled as CoreDNS's plugin/forward/metrics.go and
 * plugin/pkg/proxy/metrics.go. Both the current `coredns_proxy_*{proxy_name="forward"}` family and the
 * `coredns_forward_*` names that existing dashboards (and CoreDNS ≤ 1.10) use are exported.
 */
import { counter, histogram, TIME_BUCKETS } from '../../metrics/registry.ts';

let cached: ReturnType<typeof make> | undefined;
export const forwardMetrics = () => (cached ??= make());

const make = () => ({
  // coredns_proxy_* (CoreDNS ≥ 1.11)
  proxyDuration: histogram('coredns_proxy_request_duration_seconds', 'Histogram of the time each request took.',
    ['proxy_name', 'to', 'rcode'], TIME_BUCKETS),
  proxyHcFailures: counter('coredns_proxy_healthcheck_failures_total', 'Count of failed health checks per upstream.',
    ['proxy_name', 'to']),
  connHits: counter('coredns_proxy_conn_cache_hits_total', 'Counter of connection cache hits per upstream and protocol.',
    ['proxy_name', 'to', 'proto']),
  connMisses: counter('coredns_proxy_conn_cache_misses_total', 'Counter of connection cache misses per upstream and protocol.',
    ['proxy_name', 'to', 'proto']),
  // coredns_forward_*
  requests: counter('coredns_forward_requests_total', 'Counter of requests made per upstream.', ['to']),
  responses: counter('coredns_forward_responses_total', 'Counter of responses received per upstream.', ['rcode', 'to']),
  duration: histogram('coredns_forward_request_duration_seconds', 'Histogram of the time each request took.',
    ['to', 'rcode'], TIME_BUCKETS),
  hcFailures: counter('coredns_forward_healthcheck_failures_total', 'Counter of the number of failed healthchecks.', ['to']),
  hcBroken: counter('coredns_forward_healthcheck_broken_total', 'Counter of the number of complete failures of the healthchecks.'),
  maxConcurrentRejects: counter('coredns_forward_max_concurrent_rejects_total',
    'Counter of the number of queries rejected because the concurrent queries were at maximum.'),
});
