/**
 * hosts benchmark:
 *  1. load time of a 100k-entry hosts file (read + parse into the shared table; parse into Maps,
 *     as the Corefile's inline entries are), and in-process lookups/s;
 *  2. QPS of a hosts answer served from a 100k-entry file versus a 1-entry file, with dnsperf
 *     against the real server (src/cli.ts) on 127.0.0.1 — the two should be equal within noise.
 *
 *   node test/bench/hosts.ts [--seconds 10] [--workers N] [--rounds 3]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Type } from '../../src/dns/types.ts';
import { definition } from '../../src/plugins/hosts/index.ts';
import { HostsIndex, emptyHostsMap, parseHosts } from '../../src/plugins/hosts/hostsfile.ts';
import { HostsTable, parseHostsTable } from '../../src/plugins/hosts/table.ts';
import { directive, recordingNext, request } from '../plugins/hosts/request.ts';
import { setupContext } from '../support/setup-context.ts';
import { query } from '../support/dns-client.ts';
import { freePort } from '../support/ports.ts';
import { dnsperf, type PerfResult, benchArg, spawnClusterdns } from './dnsperf.ts';

const arg = benchArg;
const seconds = arg('seconds', 10);
const workers = arg('workers', availableParallelism());
const ENTRIES = 100_000;

const dir = mkdtempSync(join(tmpdir(), 'bench-hosts-'));
const ip = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const lines: string[] = [];
for (let i = 0; i < ENTRIES; i++) lines.push(`${ip(i)} host${i}.bench.test`);
const bigText = lines.join('\n') + '\n';
const bigFile = join(dir, 'hosts-100k');
const smallFile = join(dir, 'hosts-1');
writeFileSync(bigFile, bigText);
writeFileSync(smallFile, `${ip(77_777)} host77777.bench.test\n`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// 1. load time
const parseMs: number[] = [];
const tableMs: number[] = [];
const setupMs: number[] = [];
for (let r = 0; r < 7; r++) {
  let t = performance.now();
  parseHosts(bigText, { origins: ['.'], autoReverse: true });
  parseMs.push(performance.now() - t);
  t = performance.now();
  parseHostsTable(bigText, { origins: ['.'], autoReverse: true });
  tableMs.push(performance.now() - t);
  t = performance.now();
  await definition.setup(directive('hosts', [bigFile]), setupContext());
  setupMs.push(performance.now() - t);
}
const table = parseHostsTable(bigText, { origins: ['.'], autoReverse: true });
const idx = new HostsIndex(emptyHostsMap(), new HostsTable(table));
const plugin = await definition.setup(directive('hosts', [bigFile]), setupContext());
const reqs = Array.from({ length: 1000 }, (_, i) => request(`host${(i * 97) % ENTRIES}.bench.test.`, Type.A));
const next = recordingNext();
let n = 0;
const t0 = performance.now();
while (performance.now() - t0 < 1000) { for (const r of reqs) plugin.serve!(r, next); n += reqs.length; }
const servePerSec = n / ((performance.now() - t0) / 1000);
let found = 0;
const t1 = performance.now();
for (let i = 0; i < 1_000_000; i++) if (idx.owner(`host${i % ENTRIES}.bench.test.`)) found++;
const lookupPerSec = 1_000_000 / ((performance.now() - t1) / 1000);

console.log(`\n## hosts: ${ENTRIES.toLocaleString('en')} entries (${(bigText.length / 1e6).toFixed(1)} MB), median of 7\n`);
console.log('| step | result |');
console.log('|---|---:|');
console.log(`| parse into Maps (parseHosts) | ${median(parseMs).toFixed(0)} ms |`);
console.log(`| parse into the shared table (parseHostsTable) | ${median(tableMs).toFixed(0)} ms, ${(table.byteLength / 2 ** 20).toFixed(1)} MiB |`);
console.log(`| plugin setup (stat + read + parse into the table) | ${median(setupMs).toFixed(0)} ms |`);
console.log(`| index lookups (owner), in process | ${(lookupPerSec / 1e6).toFixed(1)} M/s (${found} found) |`);
console.log(`| serve() A answers, in process | ${(servePerSec / 1e3).toFixed(0)} k/s |`);

// 2. QPS over sockets, 100k-entry file versus 1-entry file. The three servers run side by side and
// the dnsperf runs are interleaved, ROUNDS times, keeping each one's best: on a shared 2-core
// machine this cancels most of the drift between runs.
const ROUNDS = arg('rounds', 3);

async function startServer(file: string): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const corefile = join(dir, `Corefile-${port}`);
  writeFileSync(corefile, `bench.test:${port} {\n  bind 127.0.0.1\n  hosts ${file}\n}\n`);
  const p = spawnClusterdns(corefile, workers, 'ignore');
  for (let i = 0; i < 100; i++) {
    try { if ((await query(port, 'host77777.bench.test', 'A', { timeoutMs: 200 })).answers.length) break; } catch { /* not up yet */ }
    await sleep(100);
  }
  return { port, stop: async () => { p.kill('SIGTERM'); await new Promise((r) => p.once('exit', r)); } };
}

const one = ['host77777.bench.test A'];
const spread = Array.from({ length: 10_000 }, (_, i) => `host${(i * 7919) % ENTRIES}.bench.test A`);
const configs = [
  { file: '1 entry', names: '1 name', server: await startServer(smallFile), queries: one, best: undefined as PerfResult | undefined },
  { file: '100k entries', names: 'the same name', server: await startServer(bigFile), queries: one, best: undefined as PerfResult | undefined },
  { file: '100k entries', names: '10k names spread over the file', server: await startServer(bigFile), queries: spread, best: undefined as PerfResult | undefined },
];
for (const c of configs) await dnsperf(c.server.port, c.queries, { seconds: 2 }); // warm up the JIT
for (let r = 0; r < ROUNDS; r++) {
  for (const c of configs) {
    const res = await dnsperf(c.server.port, c.queries, { seconds });
    if (!c.best || res.qps > c.best.qps) c.best = res;
  }
}
for (const c of configs) await c.server.stop();
rmSync(dir, { recursive: true, force: true });

const fmt = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
console.log(`\n## hosts answer QPS: dnsperf -c 4 -T 1 -q 100 -l ${seconds} (UDP), ${workers} workers, 127.0.0.1, best of ${ROUNDS} interleaved runs\n`);
console.log('| hosts file | queried names | QPS | lost | p50 ms | p99 ms |');
console.log('|---|---|---:|---:|---:|---:|');
for (const c of configs) {
  const r = c.best!;
  console.log(`| ${c.file} | ${c.names} | ${fmt(r.qps)} | ${r.lost} | ${fmt(r.p50ms, 3)} | ${fmt(r.p99ms, 3)} |`);
}
const [small, bigOne, bigSpread] = configs.map((c) => c.best!.qps) as [number, number, number];
console.log(`\n100k / 1-entry QPS ratio: ${(bigOne / small).toFixed(2)} (same name), ${(bigSpread / small).toFixed(2)} (spread)`);
