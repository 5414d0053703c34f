/**
 * kubernetes benchmark, against the real server (src/cli.ts) fed by the fake API server through
 * @kubernetes/client-node, at 10,000 Services and 100,000 endpoints (10,000 EndpointSlices):
 *  1. first sync: time from start to the first answer, and RSS after sync (all threads);
 *  2. propagation: time from a watch event (Service or EndpointSlice change written to the API)
 *     to the change being answerable over UDP, p50/p99;
 *  3. QPS (dnsperf) of a ClusterIP A answer and a headless A answer with 10 endpoints, against
 *     the static whoami answer of the same server.
 *
 *   node test/bench/kubernetes.ts [--services 10000] [--workers N] [--seconds 5] [--changes 300]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeApiServer, endpointSlice, namespace, service } from '../support/fake-apiserver.ts';
import { query } from '../support/dns-client.ts';
import { freePort } from '../support/ports.ts';
import { dnsperf, rssMiB, benchArg, spawnClusterdns } from './dnsperf.ts';

const arg = benchArg;
const SERVICES = arg('services', 10_000);
const PER_SLICE = 10;
const workers = arg('workers', availableParallelism());
const seconds = arg('seconds', 5);
const CHANGES = arg('changes', 300);
const NAMESPACES = 100;

const ip = (base: number, i: number) => `${base}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const nsOf = (i: number) => `ns${i % NAMESPACES}`;
const headless = (i: number) => i % 10 === 0;   // every tenth service is headless

// ---- the cluster -----------------------------------------------------------------------------
const api = await FakeApiServer.start();
let t = performance.now();
for (let n = 0; n < NAMESPACES; n++) api.upsert('namespaces', namespace(`ns${n}`));
for (let i = 0; i < SERVICES; i++) {
  api.upsert('services', service(nsOf(i), `svc${i}`, {
    clusterIP: headless(i) ? 'None' : ip(10, i), ports: [{ name: 'http', port: 80 }], selector: { app: `svc${i}` },
  }));
  api.upsert('endpointslices', endpointSlice(nsOf(i), `svc${i}-abcde`, `svc${i}`, {
    endpoints: Array.from({ length: PER_SLICE }, (_, e) => ({ ip: ip(11, i * PER_SLICE + e), pod: `svc${i}-pod-${e}` })),
    ports: [{ name: 'http', port: 8080 }],
  }));
}
const endpoints = SERVICES * PER_SLICE;
console.log(`\n## kubernetes: ${SERVICES.toLocaleString('en')} Services, ${endpoints.toLocaleString('en')} endpoints in ${SERVICES.toLocaleString('en')} EndpointSlices, ${workers} workers`);
console.log(`(fake API server filled in ${(performance.now() - t).toFixed(0)} ms)\n`);

const dir = mkdtempSync(join(tmpdir(), 'bench-k8s-'));
const kubeconfig = api.writeKubeconfig(dir);
const port = await freePort();
const corefile = join(dir, 'Corefile');
writeFileSync(corefile, `cluster.local:${port} in-addr.arpa:${port} {
  bind 127.0.0.1
  kubernetes cluster.local in-addr.arpa {
    kubeconfig ${kubeconfig}
    pods insecure
  }
}
whoami.test:${port} {
  bind 127.0.0.1
  whoami
}
`);

// ---- 1. first sync and memory ----------------------------------------------------------------
t = performance.now();
const child = spawnClusterdns(corefile, workers, 'ignore');
const probe = 'svc1.ns1.svc.cluster.local';
let syncMs = NaN;
for (let i = 0; i < 600; i++) {
  try {
    if ((await query(port, probe, 'A', { timeoutMs: 200 })).answers.length) { syncMs = performance.now() - t; break; }
  } catch { /* not up yet */ }
  await sleep(50);
}
if (!Number.isFinite(syncMs)) throw new Error('server did not answer within 30 s');
await sleep(1000);
const mem = rssMiB(child.pid!);
const coreDnsMiB = (SERVICES + endpoints) / 1000 + 54;

// ---- 2. propagation --------------------------------------------------------------------------
async function answeredWithin(name: string, want: string, limitMs = 5000): Promise<number> {
  const start = performance.now();
  for (;;) {
    const p = await query(port, name, 'A', { timeoutMs: 500 });
    if (p.answers.some((r) => r.address === want)) return performance.now() - start;
    if (performance.now() - start > limitMs) throw new Error(`${name} never answered ${want}`);
  }
}
const lat: number[] = [];
for (let c = 0; c < CHANGES; c++) {
  const i = (c * 7919) % SERVICES;
  if (c % 2 === 0 && !headless(i)) {
    const fresh = ip(12, c);                                    // a Service gets a new cluster IP
    const start = performance.now();
    api.upsert('services', service(nsOf(i), `svc${i}`, { clusterIP: fresh, ports: [{ name: 'http', port: 80 }], selector: { app: `svc${i}` } }));
    await answeredWithin(`svc${i}.${nsOf(i)}.svc.cluster.local`, fresh);
    lat.push(performance.now() - start);
  } else {
    const fresh = ip(13, c);                                    // an endpoint is replaced in a slice
    const start = performance.now();
    api.upsert('endpointslices', endpointSlice(nsOf(i), `svc${i}-abcde`, `svc${i}`, {
      endpoints: [{ ip: fresh, hostname: 'fresh' }, ...Array.from({ length: PER_SLICE - 1 }, (_, e) => ({ ip: ip(11, i * PER_SLICE + e) }))],
      ports: [{ name: 'http', port: 8080 }],
    }));
    await answeredWithin(`fresh.svc${i}.${nsOf(i)}.svc.cluster.local`, fresh);
    lat.push(performance.now() - start);
  }
}
lat.sort((a, b) => a - b);
const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))]!;

// ---- 3. QPS ----------------------------------------------------------------------------------
const hd = 20;   // svc20 is headless: 10 endpoints
const runs = [
  { what: 'static answer (whoami)', q: ['x.whoami.test A'] },
  { what: 'ClusterIP service A', q: ['svc1.ns1.svc.cluster.local A'] },
  { what: 'headless service A (10 endpoints)', q: [`svc${hd}.${nsOf(hd)}.svc.cluster.local A`] },
];
const qps: number[] = [];
for (const r of runs) await dnsperf(port, r.q, { seconds: 1, clients: 20 });   // warm up
const results = [];
for (const r of runs) {
  const res = await dnsperf(port, r.q, { seconds, clients: 20 }); // many source ports, as real clients: spread over the workers
  results.push(res);
  qps.push(res.qps);
}
const memAfter = rssMiB(child.pid!);
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
await api.close();
rmSync(dir, { recursive: true, force: true });

console.log('| measure | result |');
console.log('|---|---:|');
console.log(`| start to first answer (list of everything + index) | ${(syncMs / 1000).toFixed(2)} s |`);
console.log(`| RSS after sync (process, all threads) | ${mem.rss.toFixed(0)} MiB (peak ${mem.peak.toFixed(0)} MiB) |`);
console.log(`| CoreDNS's documented estimate, (pods+services)/1000+54 with pods = endpoints | ${coreDnsMiB.toFixed(0)} MiB (half: ${(coreDnsMiB / 2).toFixed(0)}) |`);
console.log(`| RSS after the QPS runs | ${memAfter.rss.toFixed(0)} MiB |`);
console.log(`| propagation, watch event → answerable, p50 (${lat.length} changes) | ${pct(0.5).toFixed(1)} ms |`);
console.log(`| propagation p90 / p99 / max | ${pct(0.9).toFixed(1)} ms / ${pct(0.99).toFixed(1)} ms / ${lat[lat.length - 1]!.toFixed(1)} ms |`);
console.log(`\n### QPS: dnsperf -c 20 -T 1 -q 100 -l ${seconds} (UDP), ${workers} workers, 127.0.0.1\n`);
console.log('| query | QPS | ratio to static | lost | p50 ms | p99 ms |');
console.log('|---|---:|---:|---:|---:|---:|');
results.forEach((r, i) => {
  console.log(`| ${runs[i]!.what} | ${r.qps.toFixed(0)} | ${(r.qps / qps[0]!).toFixed(2)} | ${r.lost} | ${r.p50ms.toFixed(3)} | ${r.p99ms.toFixed(3)} |`);
});
