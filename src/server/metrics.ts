/** Metrics the server itself records, outside any plugin. */
import { dnsMetrics, typeLabel } from '../metrics/dns.ts';
export { panics } from '../metrics/dns.ts';

/**
 * A query for a name in no zone: CoreDNS answers REFUSED and reports it like any other query
 * (vars.Report from errorAndMetricsFunc) under the zone "dropped", with no plugin, labelled with
 * the server (address:port) of the listener it came in on.
 */
export function reportDropped(
  server: string, proto: 'udp' | 'tcp', remoteAddress: string, qtype: number, doBit: boolean, requestSize: number, responseSize: number,
): void {
  const m = dnsMetrics();
  const zone = 'dropped', view = '';
  const type = typeLabel(qtype);
  if (doBit) m.doRequests.inc({ server, view, zone });
  m.requests.inc({ server, zone, view, proto, family: remoteAddress.includes(':') ? '2' : '1', type });
  m.duration.observe({ server, zone, view, type }, 0);
  m.responseSize.observe({ server, zone, view, proto }, responseSize);
  m.requestSize.observe({ server, zone, view, proto }, requestSize);
  m.responses.inc({ server, zone, view, rcode: 'REFUSED', plugin: '' });
}
