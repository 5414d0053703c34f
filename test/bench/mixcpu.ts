/**
 * CPU time per query of the pod query mix (footprint.ts's mix at 10k Services, kubeadm's
 * Corefile): the server's user+system CPU (/proc/PID/stat) over a dnsperf run, divided by the
 * queries answered. Unlike QPS this figure holds up while other jobs share the cores. With
 * --unbound N it measures unbound (N threads) serving the same answers from local data, the
 * footprint bench's reference, the same way.
 *
 *   node test/bench/mixcpu.ts [--services 10000] [--seconds 10] [--workers 1] [--runs 3] [--unbound 0]
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ext, EXTERNAL, fakeCluster, kubeadmCorefile, podMix, referenceData } from './_cluster.ts';
import { benchArg, dnsperf, spawnClusterdns } from './dnsperf.ts';
import { freePort } from '../support/ports.ts';
import { query } from '../support/dns-client.ts';
import { startUnbound } from '../support/unbound.ts';

const SERVICES = benchArg('services', 10_000);
const SECONDS = benchArg('seconds', 10);
const WORKERS = benchArg('workers', 1);
const RUNS = benchArg('runs', 3);
const UNBOUND = benchArg('unbound', 0);
const TICK = 100; // clock ticks per second (USER_HZ)

/** utime + stime of a process (all its threads), in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK;
}

let port: number;
let pid: number, what: string, stop: () => Promise<void>;
if (UNBOUND > 0) {
  const reference = await startUnbound({ ...referenceData(SERVICES), threads: UNBOUND });
  ({ port, pid } = reference);
  what = `unbound, ${UNBOUND} threads`;
  stop = () => reference.stop();
} else {
  const api = await fakeCluster(SERVICES);
  const upstream = await startUnbound({
    localZones: ['"example.com." static'],
    localData: Array.from({ length: EXTERNAL }, (_, i) => `${ext(i)}. 300 IN A 192.0.2.${1 + (i % 250)}`),
    threads: 1,
  });
  const dir = mkdtempSync(join(os.tmpdir(), 'bench-mixcpu-'));
  port = await freePort();
  const corefile = join(dir, 'Corefile');
  writeFileSync(corefile, kubeadmCorefile({ port, kubeconfig: api.writeKubeconfig(dir), upstream: upstream.address, health: await freePort(), ready: await freePort(), metrics: await freePort() }));
  const server = spawnClusterdns(corefile, WORKERS, 'ignore');
  pid = server.pid!;
  what = `clusterdns -workers ${WORKERS}`;
  stop = async () => { server.kill('SIGTERM'); await upstream.stop(); await api.close(); };
  const end = Date.now() + 120_000;
  for (;;) {
    try { if ((await query(port, 'svc1.ns1.svc.cluster.local', 'A', { timeoutMs: 300 })).answers.length) break; } catch { /* not yet */ }
    if (Date.now() > end) throw new Error('server did not sync');
    await sleep(200);
  }
}
const mix = podMix(SERVICES);
await dnsperf(port, mix, { seconds: 2, clients: 20, latency: false });   // fill the cache, warm the JIT
const per: number[] = [];
for (let r = 0; r < RUNS; r++) {
  const c0 = cpuSeconds(pid);
  const res = await dnsperf(port, mix, { seconds: SECONDS, clients: 20, outstanding: 100, latency: false });
  const used = cpuSeconds(pid) - c0;
  const answered = res.sent - res.lost;
  per.push((used / answered) * 1e6);
  console.log(`run ${r + 1}: ${answered} answered, ${used.toFixed(2)} s CPU, ${((used / answered) * 1e6).toFixed(2)} µs CPU/query (${res.qps.toFixed(0)} QPS, unreliable on a shared machine)`);
}
per.sort((a, b) => a - b);
console.log(`\nmix CPU per query, ${what}, ${SERVICES} Services: median ${per[Math.floor(per.length / 2)]!.toFixed(2)} µs (min ${per[0]!.toFixed(2)})`);
await stop();
process.exit(0);
