/** The autopath plugin's metric, named as CoreDNS's plugin/autopath/metrics.go. */
import { counter } from '../../metrics/registry.ts';

export function autopathSuccess() {
  return counter('coredns_autopath_success_total', 'Counter of requests that did autopath.', ['server']);
}
