/**
 * The kubernetes plugin's metric, named and bucketed as CoreDNS's plugin/kubernetes/object/metrics.go:
 * coredns_kubernetes_dns_programming_duration_seconds{service_kind}, the DNS programming latency
 * SLI — from the endpoints controller's last-change-trigger-time annotation to the moment the
 * change is answerable here. Like CoreDNS, only headless services with a selector are measured.
 */
import { exponentialBuckets, histogram } from '../../metrics/registry.ts';

export function programmingDuration() {
  return histogram(
    'coredns_kubernetes_dns_programming_duration_seconds',
    'Histogram of the time (in seconds) it took to program a dns instance.',
    ['service_kind'],
    exponentialBuckets(0.001, 2, 20),
  );
}
