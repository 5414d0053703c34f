/**
 * dns64's metric, named and labelled as CoreDNS's plugin/dns64/metrics.go.
 */
import { registry } from '../../metrics/registry.ts';
import { registered, SeriesCounter, type CounterSeries } from '../../metrics/series.ts';

let translated: SeriesCounter | undefined;

/** coredns_dns64_requests_translated_total{server}: the series of one server. */
export function translatedSeries(server: string): CounterSeries {
  translated ??= registered(registry, () => new SeriesCounter('coredns_dns64_requests_translated_total', 'Counter of DNS requests translated by dns64.', ['server']));
  return translated.series(server, { server });
}
