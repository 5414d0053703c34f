/**
 * CoreDNS's core DNS metrics (plugin/metrics/vars), with its names, labels and buckets, so
 * existing dashboards and alerts keep working. The prometheus plugin records them per response;
 * the server records queries that never reach a block under the zone "dropped".
 */
import type { Request } from '../plugin/contract.ts';
import { rcodeName, Type, typeName } from '../dns/types.ts';
import { counter, gauge, registry, TIME_BUCKETS } from './registry.ts';
import { registered, SeriesCounter, SeriesHistogram, type CounterSeries, type HistogramSeries } from './series.ts';

const SIZE_BUCKETS = [0, 100, 200, 300, 400, 511, 1023, 2047, 4095, 8291, 16e3, 32e3, 48e3, 64e3];

let cached: ReturnType<typeof makeDnsMetrics> | undefined;
export const dnsMetrics = () => (cached ??= makeDnsMetrics());

const makeDnsMetrics = () => ({
  requests: registered(registry, () => new SeriesCounter('coredns_dns_requests_total', 'Counter of DNS requests made per zone, protocol and family.',
    ['server', 'zone', 'view', 'proto', 'family', 'type'])),
  duration: registered(registry, () => new SeriesHistogram('coredns_dns_request_duration_seconds', 'Histogram of the time (in seconds) each request took per zone.',
    ['server', 'zone', 'view', 'type'], TIME_BUCKETS)),
  requestSize: registered(registry, () => new SeriesHistogram('coredns_dns_request_size_bytes', 'Size of the EDNS0 UDP buffer in bytes (64K for TCP) per zone and protocol.',
    ['server', 'zone', 'view', 'proto'], SIZE_BUCKETS)),
  doRequests: registered(registry, () => new SeriesCounter('coredns_dns_do_requests_total', 'Counter of DNS requests with DO bit set per zone.', ['server', 'view', 'zone'])),
  responseSize: registered(registry, () => new SeriesHistogram('coredns_dns_response_size_bytes', 'Size of the returned response in bytes.',
    ['server', 'zone', 'view', 'proto'], SIZE_BUCKETS)),
  responses: registered(registry, () => new SeriesCounter('coredns_dns_responses_total', 'Counter of response status codes.',
    ['server', 'zone', 'view', 'rcode', 'plugin'])),
});

export const panics = () => counter('coredns_panics_total', 'A metrics that counts the number of panics.');
export const pluginEnabled = () => gauge('coredns_plugin_enabled', 'A metric that monitors which plugin(s) is(are) enabled.',
  ['server', 'zone', 'view', 'name']);
export const buildInfo = () => gauge('coredns_build_info', 'A metric with a constant \'1\' value labeled by version, revision, and goversion from which CoreDNS was built.',
  ['version', 'revision', 'goversion']);

const MONITORED = new Set<number>([
  Type.AAAA, Type.A, Type.CNAME, Type.DNSKEY, Type.DS, Type.MX, 50 /* NSEC3 */, Type.NSEC, Type.NS, Type.PTR,
  Type.RRSIG, Type.SOA, Type.SRV, Type.TXT, Type.HTTPS, Type.IXFR, Type.AXFR, Type.ANY,
]);

/** The `type` label: the common types by name, everything else "other" (bounded cardinality). */
export function typeLabel(t: number): string { return MONITORED.has(t) ? typeName(t) : 'other'; }

/** What report() reads of a query: a Request, or the few fields the server has for a dropped one. */
export type Reported = Pick<Request, 'protocol' | 'remoteAddress' | 'qtype' | 'do'> & { wire: { length: number } };

/** The series one label combination of report() touches, looked up once per combination. */
interface Row {
  requests: CounterSeries; duration: HistogramSeries; responseSize: HistogramSeries; requestSize: HistogramSeries;
  responses: CounterSeries; doRequests: CounterSeries;
}
/**
 * Rows by server (one reporter each), zone and plugin (strings the callers hold, whose hashes V8
 * keeps), then by one number for query type, protocol, family and rcode: no key string is built
 * per query.
 */
type ByKind = Map<number, Row>;
type ByPlugin = Map<string, ByKind>;
type ByZone = Map<string, ByPlugin>;
const reporters = new Map<string, Reporter>();

/** Records one answered query of a server, as CoreDNS's vars.Report. */
export type Reporter = (zone: string, req: Reported, rcode: number, plugin: string, size: number, seconds: number) => void;

function makeRow(server: string, zone: string, proto: string, family: string, type: string, rcode: string, plugin: string): Row {
  const m = dnsMetrics();
  const view = '';
  return {
    requests: m.requests.series(`${server}\0${zone}\0${proto}\0${family}\0${type}`, { server, zone, view, proto, family, type }),
    duration: m.duration.series(`${server}\0${zone}\0${type}`, { server, zone, view, type }),
    responseSize: m.responseSize.series(`${server}\0${zone}\0${proto}`, { server, zone, view, proto }),
    requestSize: m.requestSize.series(`${server}\0${zone}\0${proto}`, { server, zone, view, proto }),
    responses: m.responses.series(`${server}\0${zone}\0${rcode}\0${plugin}`, { server, zone, view, rcode, plugin }),
    doRequests: m.doRequests.series(`${server}\0${zone}`, { server, view, zone }),
  };
}

/** The reporter of `server` (its label, e.g. "dns://:53"). */
export function reporterFor(server: string): Reporter {
  const known = reporters.get(server);
  if (known) return known;
  const byZone: ByZone = new Map();
  const m = dnsMetrics();
  const r: Reporter = (zone, req, rcode, plugin, size, seconds) => {
    const tcp = req.protocol === 'tcp';
    const v6 = req.remoteAddress.includes(':');
    let byPlugin = byZone.get(zone);
    if (byPlugin === undefined) { byPlugin = new Map(); byZone.set(zone, byPlugin); }
    let byKind = byPlugin.get(plugin);
    if (byKind === undefined) { byKind = new Map(); byPlugin.set(plugin, byKind); }
    // < 2^30 (a small integer for V8): 16 bits of type, protocol and family, 12 bits of rcode
    const kind = (((req.qtype & 0xffff) * 4 + (tcp ? 2 : 0) + (v6 ? 1 : 0)) * 4096) + (rcode & 0xfff);
    let row = byKind.get(kind);
    if (!row) {
      row = makeRow(server, zone, req.protocol, v6 ? '2' : '1', typeLabel(req.qtype), rcodeName(rcode), plugin);
      byKind.set(kind, row);
    }
    if (req.do) row.doRequests.value++;
    row.requests.value++;
    m.duration.observe(row.duration, seconds);
    m.responseSize.observe(row.responseSize, size);
    m.requestSize.observe(row.requestSize, req.wire.length);
    row.responses.value++;
  };
  reporters.set(server, r);
  return r;
}
