/**
 * forward's metrics, named and labelled as CoreDNS's plugin/forward/metrics.go and
 * plugin/pkg/proxy/metrics.go. Both the current `coredns_proxy_*{proxy_name="forward"}` family and the
 * `coredns_forward_*` names that existing dashboards (and CoreDNS ≤ 1.10) use are exported.
 * The ones bumped for every upstream query are series metrics (src/metrics/series.ts): each upstream
 * holds its series, so a query costs plain increments instead of prom-client's label hashing.
 */
import { counter, registry, TIME_BUCKETS } from '../../metrics/registry.ts';
import { registered, SeriesCounter, SeriesHistogram, type CounterSeries, type HistogramSeries } from '../../metrics/series.ts';

let cached: ReturnType<typeof make> | undefined;
export const forwardMetrics = () => (cached ??= make());

const make = () => ({
  // coredns_proxy_* (CoreDNS ≥ 1.11)
  proxyDuration: registered(registry, () => new SeriesHistogram('coredns_proxy_request_duration_seconds', 'Histogram of the time each request took.',
    ['proxy_name', 'to', 'rcode'], TIME_BUCKETS)),
  proxyHcFailures: counter('coredns_proxy_healthcheck_failures_total', 'Count of failed health checks per upstream.',
    ['proxy_name', 'to']),
  connHits: registered(registry, () => new SeriesCounter('coredns_proxy_conn_cache_hits_total', 'Counter of connection cache hits per upstream and protocol.',
    ['proxy_name', 'to', 'proto'])),
  connMisses: registered(registry, () => new SeriesCounter('coredns_proxy_conn_cache_misses_total', 'Counter of connection cache misses per upstream and protocol.',
    ['proxy_name', 'to', 'proto'])),
  // coredns_forward_*
  requests: registered(registry, () => new SeriesCounter('coredns_forward_requests_total', 'Counter of requests made per upstream.', ['to'])),
  responses: registered(registry, () => new SeriesCounter('coredns_forward_responses_total', 'Counter of responses received per upstream.', ['rcode', 'to'])),
  duration: registered(registry, () => new SeriesHistogram('coredns_forward_request_duration_seconds', 'Histogram of the time each request took.',
    ['to', 'rcode'], TIME_BUCKETS)),
  hcFailures: counter('coredns_forward_healthcheck_failures_total', 'Counter of the number of failed healthchecks.', ['to']),
  hcBroken: counter('coredns_forward_healthcheck_broken_total', 'Counter of the number of complete failures of the healthchecks.'),
  maxConcurrentRejects: counter('coredns_forward_max_concurrent_rejects_total',
    'Counter of the number of queries rejected because the concurrent queries were at maximum.'),
});

/** The per-query metrics of one upstream, with its series held. */
export function upstreamMetrics(to: string) {
  const m = forwardMetrics();
  const requests = m.requests.series(to, { to });
  const byRcode = new Map<string, [HistogramSeries, HistogramSeries, CounterSeries]>();
  const conn = (reused: boolean, proto: string): CounterSeries =>
    (reused ? m.connHits : m.connMisses).series(`${to}\0${proto}`, { proxy_name: 'forward', to, proto });
  return {
    /** A query sent to this upstream. */
    request(): void { requests.value++; },
    /** Its answer came back with `rcode` after `secs`. */
    answered(rcode: string, secs: number): void {
      let r = byRcode.get(rcode);
      if (!r) {
        r = [m.duration.series(`${to}\0${rcode}`, { to, rcode }),
          m.proxyDuration.series(`${to}\0${rcode}`, { proxy_name: 'forward', to, rcode }),
          m.responses.series(`${rcode}\0${to}`, { rcode, to })];
        byRcode.set(rcode, r);
      }
      m.duration.observe(r[0], secs);
      m.proxyDuration.observe(r[1], secs);
      r[2].value++;
    },
    /** The connection-cache counter for a reused (hit) or new (miss) connection of `proto`. */
    conn,
  };
}

