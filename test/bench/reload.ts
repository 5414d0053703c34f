/**
 * Reload switch-over under load: dnsperf runs against clusterdns while the Corefile is rewritten
 * and reloaded 20 times (SIGUSR1, as an operator or the reload plugin would trigger it). Every
 * reload builds the new plugins beside the old ones and swaps them behind the open sockets, so
 * the target is 0 lost queries.
 *
 *   node test/bench/reload.ts [--reloads 20] [--workers N]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../support/ports.ts';
import { defaultWorkers } from '../../src/server/sizing.ts';
import { dnsperf, benchArg, spawnClusterdns } from './dnsperf.ts';

const arg = benchArg;
const reloads = arg('reloads', 20);
const workers = arg('workers', defaultWorkers());
const dir = mkdtempSync(join(tmpdir(), 'bench-reload-'));
const port = await freePort();
const corefile = join(dir, 'Corefile');
const write = (i: number) => writeFileSync(corefile, `bench.test:${port} {\n  bind 127.0.0.1\n  hosts {\n    10.0.0.${1 + (i % 200)} static.bench.test\n  }\n  cache 30\n  loadbalance\n}\n`);
write(0);
const p = spawnClusterdns(corefile, workers, 'pipe');
let log = '';
p.stdout!.on('data', (c: Buffer) => { log += c.toString(); });
await sleep(2000);
const seconds = Math.max(5, Math.ceil(reloads * 0.4) + 3);
const run = dnsperf(port, ['static.bench.test A'], { seconds, clients: 8 });
await sleep(1000);
for (let i = 1; i <= reloads; i++) {
  write(i);
  p.kill('SIGUSR1');
  await sleep(400);
}
const r = await run;
p.kill('SIGTERM');
const done = (log.match(/Reloading complete/g) ?? []).length;
console.log(`\n## Reload under load: ${reloads} reloads (SIGUSR1, Corefile rewritten each time) during ${seconds} s of dnsperf -c 8 -q 100, ${workers} workers\n`);
console.log('| measure | result |\n|---|---:|');
console.log(`| reloads completed | ${done} of ${reloads} |`);
console.log(`| queries sent / lost | ${r.sent} / ${r.lost} |`);
console.log(`| QPS, p50 / p99 ms | ${r.qps.toFixed(0)}, ${r.p50ms.toFixed(2)} / ${r.p99ms.toFixed(2)} |`);
if (r.lost > 0 || done < reloads) process.exitCode = 1;
