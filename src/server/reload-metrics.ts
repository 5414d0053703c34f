/**
 * CoreDNS's reload metrics (plugin/reload/metrics.go).
 *
 * coredns_reload_version_info carries the SHA-512 of the Corefile being served. The hash is taken
 * when the metric is read (a scrape), not at each start or reload: node:crypto is then loaded only
 * by a server that has metrics to serve (about 1.5 MiB of resident memory for one that has none),
 * and a Corefile is hashed once however often it is scraped.
 */
import { counter, registry } from '../metrics/registry.ts';
import { Gauge } from '../metrics/prom.ts';

const VERSION = 'coredns_reload_version_info';
let served: string | undefined;
let hashed: { text: string; hex: string } | undefined;

function sha512(text: string): string {
  if (hashed?.text !== text) hashed = { text, hex: process.getBuiltinModule('node:crypto').createHash('sha512').update(text).digest('hex') };
  return hashed.hex;
}

function versionGauge(): Gauge<'hash' | 'value'> {
  const existing = registry.getSingleMetric(VERSION);
  if (existing) return existing as Gauge<'hash' | 'value'>;
  return new Gauge<'hash' | 'value'>({
    name: VERSION,
    help: 'A metric with a constant \'1\' value labeled by hash, and value which type of hash generated.',
    labelNames: ['hash', 'value'],
    registers: [registry],
    collect() {
      this.reset();                       // one version at a time
      if (served !== undefined) this.set({ hash: 'sha512', value: sha512(served) }, 1);
    },
  });
}

export const reloadMetrics = () => ({
  failed: counter('coredns_reload_failed_total', 'Counter of the number of failed reload attempts.'),
});

/** The Corefile text now served (after start and each successful reload): the version metric's source. */
export function servedCorefile(text: string): void {
  served = text;
  versionGauge();
}
