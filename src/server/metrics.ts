/** Metrics the server itself records, outside any plugin. */
import { reporterFor } from '../metrics/dns.ts';
import { Rcode } from '../dns/types.ts';
export { panics } from '../metrics/dns.ts';

/**
 * A query for a name in no zone: CoreDNS answers REFUSED and reports it like any other query
 * (vars.Report from errorAndMetricsFunc) under the zone "dropped", with no plugin, labelled with
 * the server (address:port) of the listener it came in on.
 */
export function reportDropped(
  server: string, proto: 'udp' | 'tcp', remoteAddress: string, qtype: number, doBit: boolean, requestSize: number, responseSize: number,
): void {
  reporterFor(server)('dropped', { protocol: proto, remoteAddress, qtype, do: doBit, wire: { length: requestSize } }, Rcode.REFUSED, '', responseSize, 0);
}
