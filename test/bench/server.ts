/**
 * Server benchmark: dnsperf against clusterdns serving a static answer (a hosts entry) and against
 * unbound serving the same name as local-data, one after the other in the same run on this machine.
 * Prints QPS, lost queries, p50/p99 latency and RSS for both, and their QPS ratio.
 *
 * dnsperf uses 20 client sockets (-c 20) for both servers by default: many source ports, as real
 * clients (every pod's resolver) would; with a handful, the kernel's SO_REUSEPORT hashing can leave
 * a worker with little to do.
 *
 *   node test/bench/server.ts [--seconds 10] [--workers N] [--clients 20]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startUnbound, freePort } from '../support/unbound.ts';
import { dnsperf, pidOf, rssMiB, type PerfResult, benchArg, spawnClusterdns } from './dnsperf.ts';

const arg = benchArg;
const seconds = arg('seconds', 10);
const workers = arg('workers', availableParallelism());
const clients = arg('clients', 20);
const queries = ['static.bench.test A'];

async function benchClusterdns(): Promise<PerfResult & { rss: number; peak: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  const port = await freePort();
  writeFileSync(join(dir, 'Corefile'), `bench.test:${port} {\n  bind 127.0.0.1\n  hosts {\n    10.0.0.1 static.bench.test\n  }\n}\n`);
  const p = spawnClusterdns(join(dir, 'Corefile'), workers);
  await sleep(1500);
  try {
    await dnsperf(port, queries, { seconds: 2, clients }); // warm up the JIT
    const r = await dnsperf(port, queries, { seconds, clients });
    return { ...r, ...rssMiB(p.pid!) };
  } finally {
    p.kill('SIGTERM');
  }
}

async function benchUnbound(): Promise<PerfResult & { rss: number; peak: number; threads: number }> {
  const threads = Math.max(1, Math.min(2, availableParallelism()));
  const u = await startUnbound({ threads, localZones: ['bench.test. static'], localData: ['static.bench.test. 3600 IN A 10.0.0.1'] });
  try {
    await dnsperf(u.port, queries, { seconds: 2, clients });
    const r = await dnsperf(u.port, queries, { seconds, clients });
    const pid = pidOf(u.dir);
    return { ...r, ...(pid ? rssMiB(pid) : { rss: NaN, peak: NaN }), threads };
  } finally {
    await u.stop();
  }
}

const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const c = await benchClusterdns();
const u = await benchUnbound();
console.log(`\n## Server: static answer, dnsperf -c ${clients} -T 1 -q 100 -l ${seconds} (UDP), same machine, one after the other\n`);
console.log('| server | QPS | lost | p50 ms | p99 ms | RSS MiB |');
console.log('|---|---:|---:|---:|---:|---:|');
console.log(`| clusterdns (${workers} workers) | ${fmt(c.qps)} | ${c.lost} | ${fmt(c.p50ms, 3)} | ${fmt(c.p99ms, 3)} | ${fmt(c.rss)} |`);
console.log(`| unbound (${u.threads} threads, local-data) | ${fmt(u.qps)} | ${u.lost} | ${fmt(u.p50ms, 3)} | ${fmt(u.p99ms, 3)} | ${fmt(u.rss)} |`);
console.log(`\nclusterdns / unbound QPS ratio: ${(c.qps / u.qps).toFixed(2)}`);
