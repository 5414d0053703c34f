/**
 * file benchmark: reading a zone of 100,000 A records and 10,000 TXT records (lex + parse + index),
 * the heap the loaded zone keeps, and in-process lookups per second through lookup().
 *
 *   node test/bench/file.ts [--rounds 3]
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { performance } from 'node:perf_hooks';
import { lookup } from '../../src/plugins/file/lookup.ts';
import { parseZone } from '../../src/plugins/file/parse.ts';
import type { Zone } from '../../src/plugins/file/zone.ts';
import { benchArg } from './dnsperf.ts';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;
const rounds = benchArg('rounds', 3);

const A = 100_000, TXT = 10_000;
const parts = ['$ORIGIN bench.test.\n$TTL 300\n@ IN SOA ns1 hostmaster ( 1 7200 3600 1209600 300 )\n  IN NS ns1\n'];
for (let i = 0; i < A; i++) parts.push(`host-${i} IN A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}\n`);
for (let i = 0; i < TXT; i++) parts.push(`txt-${i} IN TXT "v=spf1 include:_spf.bench.test ~all" "second"\n`);
const text = parts.join('');

const times: number[] = [];
let zone: Zone | undefined;
let retained = 0;
for (let r = 0; r < rounds; r++) {
  zone = undefined;
  gc();
  const before = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  zone = parseZone(text, { origin: 'bench.test.', file: 'bench', readInclude: () => '' });
  times.push(performance.now() - t0);
  gc();
  retained = process.memoryUsage().heapUsed - before;
}
const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;

const N = 1_000_000;
const t1 = performance.now();
let answers = 0;
for (let i = 0; i < N; i++) answers += lookup(zone!, `host-${(i * 7919) % A}.bench.test.`, 1).answer.length;
const lookupsPerSec = N / ((performance.now() - t1) / 1000);

console.log(`| zone file | records | load (median of ${rounds}) | heap kept | lookups/s (in process) |`);
console.log('|---|---:|---:|---:|---:|');
console.log(`| ${(text.length / 1e6).toFixed(1)} MB | ${zone!.size.toLocaleString('en')} | ${median.toFixed(0)} ms | ${(retained / 1048576).toFixed(0)} MiB | ${Math.round(lookupsPerSec).toLocaleString('en')} |`);
if (answers !== N) throw new Error(`expected ${N} answers, got ${answers}`);
