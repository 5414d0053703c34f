/** Metrics the server itself records, outside any plugin. */
import { dnsMetrics } from '../metrics/dns.ts';
export { panics } from '../metrics/dns.ts';

let droppedServer = 'dns://:53';
/** The server label used for queries that reach no block (set by the server at start). */
export function setDroppedServer(s: string): void { droppedServer = s; }

/** A query for a name in no zone: CoreDNS counts it under the zone "dropped" and answers REFUSED. */
export function reportDropped(proto: 'udp' | 'tcp', size: number): void {
  const m = dnsMetrics();
  m.requestSize.observe({ server: droppedServer, zone: 'dropped', view: '', proto }, size);
  m.responses.inc({ server: droppedServer, zone: 'dropped', view: '', rcode: 'REFUSED', plugin: '' });
}
