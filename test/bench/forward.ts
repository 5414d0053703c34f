/**
 * Forward benchmark: dnsperf through clusterdns (forward, no cache) to unbound, against unbound
 * directly, one after the other on this machine; then the latency a forwarded miss adds, at low load
 * (1 client, 1 outstanding query), as p50/p99 through clusterdns minus unbound direct.
 *
 *   node test/bench/forward.ts [--seconds 10] [--workers N]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startUnbound } from '../support/unbound.ts';
import { dnsperf, type PerfResult, benchArg, spawnClusterdns } from './dnsperf.ts';

const arg = benchArg;
const seconds = arg('seconds', 10);
const workers = arg('workers', availableParallelism());
// Distinct names so unbound answers local data (no upstream cache in between).
const names = Array.from({ length: 1000 }, (_, i) => `n${i}.bench.test`);
const queries = names.map((n) => `${n} A`);

const u = await startUnbound({
  threads: Math.max(1, Math.min(2, availableParallelism())),
  localZones: ['bench.test. static'],
  localData: names.map((n, i) => `${n}. 3600 IN A 10.1.${i >> 8}.${i & 255}`),
});
const dir = mkdtempSync(join(tmpdir(), 'bench-fwd-'));
const port = await freePort();
writeFileSync(join(dir, 'Corefile'), `.:${port} {\n  bind 127.0.0.1\n  forward . ${u.address}\n}\n`);
const p = spawnClusterdns(join(dir, 'Corefile'), workers);
let via: PerfResult, direct: PerfResult, viaLow: PerfResult, directLow: PerfResult;
try {
  await sleep(2500);
  await dnsperf(port, queries, { seconds: 2 });
  via = await dnsperf(port, queries, { seconds });
  direct = await dnsperf(u.port, queries, { seconds });
  const low = { seconds: Math.max(3, Math.floor(seconds / 2)), clients: 1, outstanding: 1 };
  viaLow = await dnsperf(port, queries, low);
  directLow = await dnsperf(u.port, queries, low);
} finally {
  p.kill('SIGTERM');
  await u.stop();
}
const f = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
console.log(`\n## Forward: dnsperf -c 4 -T 1 -q 100 -l ${seconds} (UDP), 1000 names of unbound local-data, same machine\n`);
console.log('| path | QPS | lost | p50 ms | p99 ms |');
console.log('|---|---:|---:|---:|---:|');
console.log(`| clusterdns (${workers} workers, forward) → unbound | ${f(via.qps)} | ${via.lost} | ${f(via.p50ms, 3)} | ${f(via.p99ms, 3)} |`);
console.log(`| unbound direct | ${f(direct.qps)} | ${direct.lost} | ${f(direct.p50ms, 3)} | ${f(direct.p99ms, 3)} |`);
console.log(`\nforwarded / direct QPS ratio: ${(via.qps / direct.qps).toFixed(2)}`);
console.log(`\n## Added latency of a forwarded miss (dnsperf -c 1 -q 1)\n`);
console.log('| path | p50 ms | p99 ms |');
console.log('|---|---:|---:|');
console.log(`| clusterdns → unbound | ${f(viaLow.p50ms, 3)} | ${f(viaLow.p99ms, 3)} |`);
console.log(`| unbound direct | ${f(directLow.p50ms, 3)} | ${f(directLow.p99ms, 3)} |`);
console.log(`| added by clusterdns | ${f(viaLow.p50ms - directLow.p50ms, 3)} | ${f(viaLow.p99ms - directLow.p99ms, 3)} |`);
