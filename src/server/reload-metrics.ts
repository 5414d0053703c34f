/** CoreDNS's reload metrics (plugin/reload/metrics.go). */
import { counter, gauge } from '../metrics/registry.ts';

export const reloadMetrics = () => ({
  failed: counter('coredns_reload_failed_total', 'Counter of the number of failed reload attempts.'),
  version: gauge('coredns_reload_version_info', 'A metric with a constant \'1\' value labeled by hash, and value which type of hash generated.', ['hash', 'value']),
});
