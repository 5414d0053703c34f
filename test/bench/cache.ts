/**
 * Cache benchmark: dnsperf against clusterdns answering from its cache (forward to unbound behind
 * it, every name already cached) and against clusterdns answering a static hosts entry, one after
 * the other on this machine. Target: cache-hit QPS ≥ 0.9 × static QPS.
 *
 * Then churn: 200,000 distinct names forwarded to unbound through a cache of 1024 + 1024 entries,
 * so nearly every query is a miss that stores an entry and evicts one (the shared store's write
 * path under load, from every thread); the server's RSS after it shows the cache stays bounded.
 * Last, the hit path alone in this process (no sockets: the cost of serve() for a hit, which the
 * shared CPU disturbs far less than a dnsperf run).
 *
 * Both use dnsperf with 20 client sockets (many source ports, as real clients; with only a few, the
 * kernel's SO_REUSEPORT hashing can leave one worker idle and the figures swing run to run), and the
 * two servers run side by side with interleaved measurements, best of 3 each.
 *
 *   node test/bench/cache.ts [--seconds 10] [--workers N] [--clients 20]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startUnbound } from '../support/unbound.ts';
import { dnsperf, type PerfResult, benchArg, rssMiB, spawnClusterdns } from './dnsperf.ts';
import { Cache } from '../../src/plugins/cache/cache.ts';
import { parseCache } from '../../src/plugins/cache/setup.ts';
import { a, replyTo } from '../../src/dns/message.ts';
import { Type } from '../../src/dns/types.ts';
import type { Next } from '../../src/plugin/contract.ts';
import { directive, makeReq, memLogger } from '../plugins/forward/helpers.ts';
import { query } from '../support/dns-client.ts';

/** Wait until a server answers `name` (its workers start slower than a fixed sleep on a busy machine). */
async function answering(port: number, name: string): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    try { await query(port, name, 'A', { timeoutMs: 500 }); return; } catch { /* not listening yet */ }
    if (Date.now() > until) throw new Error(`no answer from 127.0.0.1:${port} within 60 s`);
    await sleep(200);
  }
}

const arg = benchArg;
const seconds = arg('seconds', 10);
const workers = arg('workers', availableParallelism());
const clients = arg('clients', 20);

async function startServer(corefile: (port: number) => string) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-cache-'));
  const port = await freePort();
  writeFileSync(join(dir, 'Corefile'), corefile(port));
  const p = spawnClusterdns(join(dir, 'Corefile'), workers);
  return { port, pid: p.pid!, stop: () => p.kill('SIGTERM') };
}

const u = await startUnbound({ localZones: ['bench.test. static'], localData: ['static.bench.test. 3600 IN A 10.0.0.1'] });
const queries = ['static.bench.test A'];
const cached = await startServer((port) => `.:${port} {\n  bind 127.0.0.1\n  cache\n  forward . ${u.address}\n}\n`);
const hosts = await startServer((port) => `bench.test:${port} {\n  bind 127.0.0.1\n  hosts {\n    10.0.0.1 static.bench.test\n  }\n}\n`);
const best = (a: PerfResult | undefined, b: PerfResult) => (!a || b.qps > a.qps ? b : a);
let hit: PerfResult | undefined, stat: PerfResult | undefined;
try {
  await answering(cached.port, 'static.bench.test');
  await answering(hosts.port, 'static.bench.test');
  for (const s of [cached, hosts]) await dnsperf(s.port, queries, { seconds: 3, clients }); // fill the caches, warm up the JIT
  for (let round = 0; round < 3; round++) {
    hit = best(hit, await dnsperf(cached.port, queries, { seconds, clients }));
    stat = best(stat, await dnsperf(hosts.port, queries, { seconds, clients }));
  }
} finally {
  cached.stop();
  hosts.stop();
  await u.stop();
}
const f = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
console.log(`\n## Cache hits vs static answers: dnsperf -c ${clients} -T 1 -q 100 -l ${seconds} (UDP), ${workers} workers, same machine, best of 3 interleaved\n`);
console.log('| answer | QPS | lost | p50 ms | p99 ms |');
console.log('|---|---:|---:|---:|---:|');
console.log(`| cache hit (cache + forward → unbound) | ${f(hit!.qps)} | ${hit!.lost} | ${f(hit!.p50ms, 3)} | ${f(hit!.p99ms, 3)} |`);
console.log(`| static (hosts) | ${f(stat!.qps)} | ${stat!.lost} | ${f(stat!.p50ms, 3)} | ${f(stat!.p99ms, 3)} |`);
console.log(`\ncache-hit / static QPS ratio: ${(hit!.qps / stat!.qps).toFixed(2)}`);

// Churn: distinct names, a small cache, every thread storing and evicting.
const u2 = await startUnbound({ localZones: ['churn.test. redirect'], localData: ['churn.test. 3600 IN A 10.0.0.2'] });
const churn = await startServer((port) => `churn.test:${port} {\n  bind 127.0.0.1\n  cache {\n    success 1024\n    denial 1024\n  }\n  forward . ${u2.address}\n}\n`);
let miss: PerfResult | undefined;
let rss = { idle: NaN, after: NaN };
try {
  await answering(churn.port, 'ready.churn.test');
  rss.idle = rssMiB(churn.pid).rss;
  const names = Array.from({ length: 200_000 }, (_, i) => `n${i}.churn.test A`);
  miss = await dnsperf(churn.port, names, { seconds, clients });
  rss.after = rssMiB(churn.pid).rss;
} finally {
  churn.stop();
  await u2.stop();
}
console.log(`\n## Cache churn: 200,000 distinct names through a 1024-entry cache to unbound, dnsperf -c ${clients} -q 100 -l ${seconds}, ${workers} workers\n`);
console.log('| case | QPS | lost | p50 ms | p99 ms | RSS idle → after (MiB) |');
console.log('|---|---:|---:|---:|---:|---:|');
console.log(`| miss + store + evict | ${f(miss!.qps)} | ${miss!.lost} | ${f(miss!.p50ms, 3)} | ${f(miss!.p99ms, 3)} | ${f(rss.idle)} → ${f(rss.after)} |`);

// The hit path in process: 8 names, asked with and without EDNS, best of 5 rounds of 300k hits.
const block = { zones: ['.'], port: 53, transport: 'dns' as const, listenAddresses: [], server: 'dns://:0', observers: [] };
const c = new Cache(parseCache(directive('cache'), block.zones), block, memLogger());
const answer: Next = (req) => ({ ...replyTo(req.msg), ra: true, answers: [a(req.question.name, 300, '192.0.2.1')] });
const reqs = Array.from({ length: 64 }, (_, i) => makeReq(`www${i % 8}.Example.org.`, Type.A, { id: i, udpSize: i % 2 ? 1232 : undefined }));
for (const r of reqs) await c.serve(r, answer);
let bestNs = Infinity;
for (let round = 0; round < 5; round++) {
  const n = 300_000;
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += (c.serve(reqs[i & 63]!, answer) as { wire?: Buffer }).wire?.length ?? 0;
  if (bytes === 0) throw new Error('no hit was served from bytes');
  bestNs = Math.min(bestNs, Number(process.hrtime.bigint() - t0) / n);
}
c.close();
console.log(`\n## Cache hit path in process (serve() of a hit, one thread, best of 5 × 300k): ${f(bestNs)} ns per hit`);
