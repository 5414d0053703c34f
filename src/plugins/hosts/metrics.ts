/**
 * The hosts plugin's metrics, named and labelled as CoreDNS's plugin/hosts/metrics.go. Like
 * CoreDNS's, they are process-wide: with several hosts blocks the last reload sets them.
 */
import type { Gauge } from 'prom-client';
import { gauge } from '../../metrics/registry.ts';

export interface HostsMetrics {
  entries: Gauge;
  reloadTimestamp: Gauge;
}

export function hostsMetrics(): HostsMetrics {
  return {
    entries: gauge('coredns_hosts_entries', 'The combined number of entries in hosts and Corefile.'),
    reloadTimestamp: gauge('coredns_hosts_reload_timestamp_seconds', 'The timestamp of the last reload of hosts file.'),
  };
}
