/**
 * Cluster image benchmark (src/plugins/kubernetes/cluster-image.ts): at 10,000 Services and
 * 100,000 endpoints (the footprint bench's cluster: 100 namespaces, one EndpointSlice of 10
 * endpoints per Service, every 5th Service headless), in this process, no server:
 *  1. the image's size and build time from the control side's records, kept as kubeadm's Corefile
 *     keeps them (no pod names without endpoint_pod_names): the first build, then the median of
 *     the next ones, with the builder's scratch memory kept between builds as the server keeps it;
 *  2. lookups per second, ClusterIndex (one thread's own index) vs ImageView (the shared image):
 *     a hot set of 1,200 Services (the pod mix's), misses, namespaces, headless endpoints.
 *
 *   node test/bench/image.ts [--services 10000] [--builds 10]
 */
import os from 'node:os';
import { ClusterIndex } from '../../src/plugins/kubernetes/cluster-index.ts';
import { Scratch, buildImage } from '../../src/plugins/kubernetes/cluster-image.ts';
import { ImageView } from '../../src/plugins/kubernetes/image-view.ts';
import type { ClusterView } from '../../src/plugins/kubernetes/cluster-view.ts';
import { Kind } from '../../src/plugins/kubernetes/records.ts';
import { clusterIp, endpointIp, isHeadless, NAMESPACES, nsOf, PER_SLICE } from './_cluster.ts';
import { benchArg } from './dnsperf.ts';

const SERVICES = benchArg('services', 10_000);
const BUILDS = benchArg('builds', 10);

function cluster(secondary: boolean): ClusterIndex {
  const ix = new ClusterIndex({ secondary });
  for (let n = 0; n < NAMESPACES; n++) ix.apply({ k: Kind.Namespace, key: `ns${n}`, v: { name: `ns${n}`, rv: String(n) } });
  for (let i = 0; i < SERVICES; i++) {
    const ns = nsOf(i);
    ix.apply({ k: Kind.Service, key: `svc${i}.${ns}`, v: {
      ns, name: `svc${i}`, rv: String(1000 + i), type: 'ClusterIP', clusterIPs: [isHeadless(i) ? 'None' : clusterIp(i)],
      externalName: '', ports: [{ name: 'http', protocol: 'TCP', port: 80 }], selector: true,
    } });
    ix.apply({ k: Kind.Slice, key: `${ns}/svc${i}-abcde`, v: {
      ns, name: `svc${i}-abcde`, rv: String(50_000 + i), service: `svc${i}`, ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
      addresses: Array.from({ length: PER_SLICE }, (_, e) => ({ ip: endpointIp(i, e), hostname: '', pod: '' })), changed: 0,
    } });
  }
  return ix;
}

const records = cluster(false);
const scratch = new Scratch();
const first = buildImage(records, scratch);
const times: number[] = [];
for (let k = 0; k < BUILDS; k++) times.push(buildImage(records, scratch).buildMs);
times.sort((a, b) => a - b);

const index = cluster(true);
const image = new ImageView(first.buffer, false);
const hot = Array.from({ length: 1200 }, (_, k) => (k * 7919) % SERVICES);
function rate(v: ClusterView, what: 'hot' | 'miss' | 'namespace' | 'headless'): number {
  const rounds = 200;
  let x = 0;
  const t = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const i of hot) {
      const ns = nsOf(i);
      if (what === 'hot') { if (v.service(`svc${i}`, ns)) x++; }
      else if (what === 'miss') { if (v.service(`svc${i}x`, ns)) x++; }
      else if (what === 'namespace') { if (v.hasNamespace(ns)) x++; }
      else x += v.slicesOf(`svc${i - (i % 5)}`, nsOf(i - (i % 5))).length;
    }
  }
  if (x < 0) console.log(x);
  return (rounds * hot.length) / ((performance.now() - t) / 1000);
}
const rows: [string, string][] = [];
rows.push(['image size', `${(first.buffer.byteLength / 2 ** 20).toFixed(2)} MiB (${first.buffer.byteLength.toLocaleString('en')} bytes)`]);
rows.push([`build time: first / median of ${BUILDS} / min`, `${first.buildMs.toFixed(0)} / ${times[Math.floor(times.length / 2)]!.toFixed(0)} / ${times[0]!.toFixed(0)} ms`]);
for (const what of ['hot', 'miss', 'namespace', 'headless'] as const) {
  rate(index, what); rate(image, what);   // warm up
  const a = rate(index, what), b = rate(image, what);
  rows.push([`lookups/s, ${what}: ClusterIndex / ImageView`, `${(a / 1e6).toFixed(2)}M / ${(b / 1e6).toFixed(2)}M (${(b / a).toFixed(2)}×)`]);
}
console.log(`\n## Cluster image: ${SERVICES.toLocaleString('en')} Services, ${(SERVICES * PER_SLICE).toLocaleString('en')} endpoints`);
console.log(`\n\`node test/bench/image.ts\` on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}\n`);
console.log('| measure | result |\n|---|---:|');
for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
