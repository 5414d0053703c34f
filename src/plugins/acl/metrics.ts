/**
 * acl's metrics, named and labelled as CoreDNS's plugin/acl/metrics.go (`view` is empty:
 * clusterdns has no view plugin). Series counters, as the per-query metrics of src/metrics/dns.ts:
 * every query through acl bumps one, so a label lookup per query would cost on the hot path.
 */
import { registry } from '../../metrics/registry.ts';
import { registered, SeriesCounter, type CounterSeries } from '../../metrics/series.ts';

let cached: ReturnType<typeof make> | undefined;
const make = () => ({
  blocked: registered(registry, () => new SeriesCounter('coredns_acl_blocked_requests_total', 'Counter of DNS requests being blocked.', ['server', 'zone', 'view'])),
  filtered: registered(registry, () => new SeriesCounter('coredns_acl_filtered_requests_total', 'Counter of DNS requests being filtered.', ['server', 'zone', 'view'])),
  allowed: registered(registry, () => new SeriesCounter('coredns_acl_allowed_requests_total', 'Counter of DNS requests being allowed.', ['server', 'view'])),
  dropped: registered(registry, () => new SeriesCounter('coredns_acl_dropped_requests_total', 'Counter of DNS requests being dropped.', ['server', 'zone', 'view'])),
});
export const aclMetrics = () => (cached ??= make());

/** The series for one outcome (blocked, filtered, dropped) of a zone, or for `allowed` (no zone). */
export function aclSeries(kind: 'blocked' | 'filtered' | 'dropped' | 'allowed', server: string, zone = ''): CounterSeries {
  const m = aclMetrics()[kind];
  if (kind === 'allowed') return m.series(server, { server, view: '' });
  return m.series(`${server}\0${zone}`, { server, zone, view: '' });
}
