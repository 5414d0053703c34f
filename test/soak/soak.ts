/**
 * `npm run soak`: a long run of a kube-system-shaped server under steady load while everything an
 * operator changes keeps changing: dnsperf queries a mix of cluster, hijacked and forwarded names
 * while Services change on the fake API server, the hosts file is edited and the Corefile is
 * rewritten (reload) every few seconds. It reports lost queries, reloads and RSS over time, and
 * exits 1 if any query was lost or memory kept growing.
 *
 *   npm run soak                      10 minutes
 *   SOAK_SECONDS=60 npm run soak      one minute
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeApiServer, namespace, service, endpointSlice } from '../support/fake-apiserver.ts';
import { Upstream } from '../support/upstream.ts';
import { freePort } from '../support/ports.ts';
import { dnsperf, rssMiB, spawnClusterdns } from '../bench/dnsperf.ts';

const seconds = Number(process.env.SOAK_SECONDS ?? 600);
const dir = mkdtempSync(join(tmpdir(), 'soak-'));
const api = await FakeApiServer.start();
api.upsert('namespaces', namespace('default'));
for (let i = 0; i < 200; i++) {
  api.upsert('services', service('default', `svc${i}`, { clusterIP: `10.96.${i >> 8}.${i & 255}` }));
  api.upsert('endpointslices', endpointSlice('default', `svc${i}-a`, `svc${i}`, { endpoints: [{ ip: `10.244.${i >> 8}.${i & 255}` }] }));
}
const upstream = await Upstream.start();
for (let i = 0; i < 100; i++) upstream.add({ name: `ext${i}.example.`, type: 'A', ttl: 20, data: `192.0.2.${i}` });
const kubeconfig = api.writeKubeconfig(dir);
const [port, mport] = [await freePort(), await freePort()];
const hostsFile = join(dir, 'hosts');
const corefile = join(dir, 'Corefile');
const writeCorefile = (ttl: number) => writeFileSync(corefile, `.:${port} {
  bind 127.0.0.1
  errors
  prometheus 127.0.0.1:${mport}
  hosts ${hostsFile} {
    reload 1s
    fallthrough
  }
  kubernetes cluster.local in-addr.arpa ip6.arpa {
    kubeconfig ${kubeconfig}
    ttl ${ttl}
    fallthrough in-addr.arpa ip6.arpa
  }
  forward . ${upstream.address}
  cache 5
  reload 2s 1s
  loadbalance
}
`);
writeFileSync(hostsFile, '10.0.0.50 registry.example.com\n');
writeCorefile(5);
const child = spawnClusterdns(corefile, undefined, 'pipe');
let log = '';
child.stdout!.on('data', (c: Buffer) => { log += c.toString(); });
await sleep(4000);

const queries = [
  ...Array.from({ length: 200 }, (_, i) => `svc${i}.default.svc.cluster.local A`),
  ...Array.from({ length: 100 }, (_, i) => `ext${i}.example A`),
  'registry.example.com A', 'nothere.default.svc.cluster.local A',
];
const samples: { t: number; rss: number }[] = [];
let changes = 0;
let stop = false;
const churn = (async () => {
  for (let k = 1; !stop; k++) {
    await sleep(3000);
    if (stop) break;
    const i = k % 200;
    api.upsert('services', service('default', `svc${i}`, { clusterIP: `10.96.${i >> 8}.${i & 255}` , ports: [{ name: 'p', port: 1000 + k % 1000 }] }));
    writeFileSync(hostsFile, `10.0.0.50 registry.example.com\n10.0.1.${k % 250} churn${k}.example.com\n`);
    if (k % 3 === 0) writeCorefile(5 + (k % 2));
    changes++;
    samples.push({ t: Math.round(process.uptime()), rss: rssMiB(child.pid!).rss });
  }
})();
const r = await dnsperf(port, queries, { seconds, clients: 8, outstanding: 50, latency: false });
stop = true;
await churn;
const reloads = (log.match(/Reloading complete/g) ?? []).length;
const failures = (log.match(/Restart failed|panic/g) ?? []).length;
child.kill('SIGTERM');
await upstream.close();
await api.close();

const first = samples.slice(0, Math.max(1, Math.floor(samples.length / 4)));
const last = samples.slice(-Math.max(1, Math.floor(samples.length / 4)));
const avg = (xs: { rss: number }[]) => xs.reduce((a, b) => a + b.rss, 0) / xs.length;
console.log(`\n## Soak: ${seconds} s of dnsperf (-c 8 -q 50) with churn every 3 s\n`);
console.log('| measure | result |\n|---|---:|');
console.log(`| queries sent / lost | ${r.sent} / ${r.lost} |`);
console.log(`| QPS, average latency ms | ${r.qps.toFixed(0)}, ${r.avgms.toFixed(2)} |`);
console.log(`| changes (Services, hosts file; Corefile every 3rd) | ${changes} |`);
console.log(`| reloads completed / failed or panics | ${reloads} / ${failures} |`);
console.log(`| RSS first quarter → last quarter (MiB) | ${avg(first).toFixed(0)} → ${avg(last).toFixed(0)} |`);
const grew = avg(last) > avg(first) * 1.5;
if (r.lost > 0 || failures > 0 || grew || reloads === 0) {
  console.log(`\nFAILED: ${[r.lost > 0 && 'lost queries', failures > 0 && 'reload failures or panics', grew && 'memory kept growing', reloads === 0 && 'no reload happened'].filter(Boolean).join(', ')}`);
  process.exitCode = 1;
}
