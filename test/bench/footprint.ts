/**
 * Footprint benchmark (issue 10): does clusterdns fit kubeadm's `limits.memory: 170Mi` and stay
 * there? 10,000 Services / 100,000 endpoints (10,000 EndpointSlices, every 5th Service headless)
 * on the fake API server, kubeadm's Corefile, the server started as the image starts it
 * (src/bin.js, default thread count and heap limits), inside a 170Mi memory cgroup made for it
 * (v1 or v2; when that is not allowed, RSS only). It prints:
 *  1. alive through sync and 60 s of the pod query mix (no OOM kill); RSS idle and after the mix;
 *  2. RSS after 60 s of random forwarded names, and after 100 Corefile reloads (SIGUSR1, one at a time);
 *  3. RSS of a hosts-only Corefile on one thread;
 *  4. the pod query mix, QPS side by side with unbound serving the same answers (2 threads each),
 *     in interleaved rounds, and the RSS of that 2-worker server.
 * The mix is what pods with ndots:5 send (glibc asks A and AAAA for each search candidate): 60 %
 * Service lookups (half `svc` in the pod's namespace, half `svc.other-ns`), 40 % external names
 * (three NXDOMAIN expansions, then the name itself, forwarded once and cached).
 *
 *   npm run bench -- footprint [--services 10000] [--seconds 60] [--reloads 100] [--qps-seconds 10] [--rounds 3]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ext, EXTERNAL, fakeCluster, kubeadmCorefile, PER_SLICE, podMix, referenceData } from './_cluster.ts';
import { benchArg, dnsperf, rssMiB } from './dnsperf.ts';
import { freePort } from '../support/ports.ts';
import { query } from '../support/dns-client.ts';
import { startUnbound } from '../support/unbound.ts';

const SERVICES = benchArg('services', 10_000);
const SECONDS = benchArg('seconds', 60);
const RELOADS = benchArg('reloads', 100);
const QPS_SECONDS = benchArg('qps-seconds', 10);
const ROUNDS = benchArg('rounds', 3);
const LIMIT = 170 * 2 ** 20;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// ---- a memory cgroup of 170Mi (v1 or v2) ------------------------------------------------------
interface Cgroup { version: 1 | 2; dir: string; oomKills(): number; peak(): number; remove(): void }
function makeCgroup(): Cgroup | string {
  const name = `clusterdns-footprint-${process.pid}`;
  try {
    if (existsSync('/sys/fs/cgroup/cgroup.controllers')) {
      if (!readFileSync('/sys/fs/cgroup/cgroup.subtree_control', 'utf8').includes('memory')) return 'cgroup v2 without the memory controller delegated';
      const dir = `/sys/fs/cgroup/${name}`;
      mkdirSync(dir);
      writeFileSync(`${dir}/memory.max`, String(LIMIT));
      writeFileSync(`${dir}/memory.swap.max`, '0');
      const ev = () => readFileSync(`${dir}/memory.events`, 'utf8');
      return { version: 2, dir, oomKills: () => Number(/oom_kill (\d+)/.exec(ev())?.[1] ?? 0), peak: () => Number(readFileSync(`${dir}/memory.peak`, 'utf8')), remove: () => rmdirSync(dir) };
    }
    const dir = `/sys/fs/cgroup/memory/${name}`;
    mkdirSync(dir);
    writeFileSync(`${dir}/memory.limit_in_bytes`, String(LIMIT));
    const oc = () => readFileSync(`${dir}/memory.oom_control`, 'utf8');
    return { version: 1, dir, oomKills: () => Number(/oom_kill (\d+)/.exec(oc())?.[1] ?? 0), peak: () => Number(readFileSync(`${dir}/memory.max_usage_in_bytes`, 'utf8')), remove: () => rmdirSync(dir) };
  } catch (e) {
    return `no memory cgroup: ${(e as Error).message}`;
  }
}

/** Start the clusterdns command (src/bin.js), inside the cgroup from its first instruction when there is one. */
function startClusterdns(corefile: string, cg: Cgroup | undefined, extra: string[] = []): ChildProcess & { log: string } {
  const cmd = [process.execPath, join(ROOT, 'src/bin.js'), '-conf', corefile, '-quiet', ...extra];
  const p = cg
    ? spawn('/bin/sh', ['-c', `echo $$ > ${cg.dir}/cgroup.procs && exec "$@"`, 'sh', ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = Object.assign(p, { log: '' });
  p.stdout!.on('data', (c: Buffer) => { out.log += c.toString(); });
  p.stderr!.on('data', (c: Buffer) => { out.log += c.toString(); });
  return out;
}

async function answers(port: number, name: string, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try { if ((await query(port, name, 'A', { timeoutMs: 300 })).answers.length) return true; } catch { /* not yet */ }
    await sleep(100);
  }
  return false;
}

// ---- run ------------------------------------------------------------------------------------------
const mib = (n: number) => `${n.toFixed(0)} MiB`;
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(`\n## Footprint: ${SERVICES.toLocaleString('en')} Services, ${(SERVICES * PER_SLICE).toLocaleString('en')} endpoints, kubeadm's Corefile`);
console.log(`\n\`npm run bench -- footprint\` (${process.argv.slice(2).join(' ') || 'defaults'}) on ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${os.release()}, Node ${process.version}`);

const api = await fakeCluster(SERVICES);
const upstream = await startUnbound({
  localZones: ['"example.com." static', '"random.test." static'],
  localData: Array.from({ length: EXTERNAL }, (_, i) => `${ext(i)}. 300 IN A 192.0.2.${1 + (i % 250)}`),
  threads: 1,
});
const dir = mkdtempSync(join(os.tmpdir(), 'bench-footprint-'));
const port = await freePort();
const corefile = join(dir, 'Corefile');
writeFileSync(corefile, kubeadmCorefile({ port, kubeconfig: api.writeKubeconfig(dir), upstream: upstream.address, health: await freePort(), ready: await freePort(), metrics: await freePort() }));
const mix = podMix(SERVICES);
const rows: [string, string][] = [];
const made = makeCgroup();
const cg = typeof made === 'string' ? undefined : made;
rows.push(['memory limit', cg ? `170Mi (cgroup v${cg.version})` : `none (${made as string}): RSS only`]);

// 1. sync and the mix, inside the limit.
let t = Date.now();
const server = startClusterdns(corefile, cg);
const synced = await answers(port, 'svc1.ns1.svc.cluster.local', 120_000);
rows.push(['first answer after start', synced ? `${((Date.now() - t) / 1000).toFixed(1)} s` : 'never (120 s)']);
await sleep(3000);
const idle = rssMiB(server.pid!).rss;
rows.push(['RSS idle after sync (target ≤ 164 MiB, stretch ≤ 82)', mib(idle)]);
const m1 = await dnsperf(port, mix, { seconds: SECONDS, clients: 20, outstanding: 100, latency: false });
const alive = () => server.exitCode === null && server.signalCode === null;
rows.push([`alive after ${SECONDS} s of the pod mix`, alive() ? `yes (${m1.qps.toFixed(0)} QPS, ${m1.lost} lost)` : `NO: ${server.signalCode ?? server.exitCode}`]);
if (alive()) rows.push(['RSS after the mix', mib(rssMiB(server.pid!).rss)]);

// 2. random forwarded names, then reloads.
const bound = (base: number) => base + Math.max(32, base * 0.2);
if (alive()) {
  const random = Array.from({ length: 200_000 }, (_, i) => `r${i}-${Math.random().toString(36).slice(2, 8)}.random.test A`);
  const m2 = await dnsperf(port, random, { seconds: SECONDS, clients: 20, outstanding: 100, latency: false });
  await sleep(2000);
  const after = rssMiB(server.pid!).rss;
  rows.push([`RSS after ${SECONDS} s of random forwarded names (${m2.qps.toFixed(0)} QPS; target ≤ ${mib(bound(idle))})`, alive() ? mib(after) : `died: ${server.signalCode ?? server.exitCode}`]);
}
if (alive()) {
  t = Date.now();
  let done = 0;
  for (let i = 0; i < RELOADS && alive(); i++) {
    const want = (server.log.match(/Reloading complete/g) ?? []).length + 1;
    server.kill('SIGUSR1');
    const end = Date.now() + 60_000;
    while (alive() && (server.log.match(/Reloading complete/g) ?? []).length < want && Date.now() < end) await sleep(20);
    done = (server.log.match(/Reloading complete/g) ?? []).length;
  }
  await sleep(3000);
  rows.push([`RSS after ${done} reloads in ${((Date.now() - t) / 1000).toFixed(0)} s (target ≤ ${mib(bound(idle))})`, alive() ? mib(rssMiB(server.pid!).rss) : `died: ${server.signalCode ?? server.exitCode}`]);
}
if (cg) rows.push(['cgroup: peak usage / OOM kills', `${mib(cg.peak() / 2 ** 20)} / ${cg.oomKills()}`]);
server.kill('SIGKILL');
await sleep(500);
cg?.remove();

// 3. hosts only, one thread.
const hostsPort = await freePort();
const hostsFile = join(dir, 'Corefile.hosts');
writeFileSync(hostsFile, `.:${hostsPort} {\n  bind 127.0.0.1\n  hosts {\n    10.0.0.1 a.test\n  }\n}\n`);
const hosts = startClusterdns(hostsFile, undefined, ['-workers', '1']);
await answers(hostsPort, 'a.test', 30_000);
await sleep(2000);
rows.push(['hosts-only Corefile, 1 thread: RSS (target ≤ 60 MiB)', mib(rssMiB(hosts.pid!).rss)]);
hosts.kill('SIGKILL');

// 4. the mix, side by side with unbound (2 threads each).
const two = startClusterdns(corefile, undefined, ['-workers', '2']);
await answers(port, 'svc1.ns1.svc.cluster.local', 120_000);
await dnsperf(port, mix, { seconds: 2, clients: 20, latency: false });            // fill the cache
const reference = await startUnbound({ ...referenceData(SERVICES), threads: 2 });
// Same answers: rcode and sorted addresses of every distinct query of the mix's first 400 lines.
const answerOf = async (p: number, line: string) => {
  const [name, type] = line.split(' ') as [string, string];
  const r = await query(p, name, type);
  return `${r.header.rcode} ${r.answers.map((a) => a.address as string).sort().join(',')}`;
};
let differ = 0, compared = 0;
for (const line of new Set(mix.slice(0, 400))) {
  compared++;
  if (await answerOf(port, line) !== await answerOf(reference.port, line)) differ++;
}
// Interleaved rounds (ours, theirs, ours, ...): dnsperf and the servers share the cores, and one
// pair of runs moves ±10 % from run to run; the ratio of the medians is steadier.
const oursQps: number[] = [], theirsQps: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  oursQps.push((await dnsperf(port, mix, { seconds: QPS_SECONDS, clients: 20, outstanding: 100, latency: false })).qps);
  theirsQps.push((await dnsperf(reference.port, mix, { seconds: QPS_SECONDS, clients: 20, outstanding: 100, latency: false })).qps);
}
const twoRss = rssMiB(two.pid!).rss;
two.kill('SIGKILL');
await reference.stop();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
rows.push(['pod mix: answers that differ from unbound\'s', `${differ} of ${compared} distinct queries`]);
rows.push(['-workers 2: RSS after the mix (one cluster image shared by the workers)', mib(twoRss)]);
rows.push([`pod mix, dnsperf -c 20 -q 100 -l ${QPS_SECONDS}, ${ROUNDS} interleaved rounds: clusterdns -workers 2 / unbound 2 threads (medians; each round's ratio)`,
  `${median(oursQps).toFixed(0)} / ${median(theirsQps).toFixed(0)} QPS = ${(median(oursQps) / median(theirsQps)).toFixed(2)}× (target ≥ 1.0×; ${oursQps.map((q, i) => (q / theirsQps[i]!).toFixed(2)).join(', ')})`]);

await upstream.stop();
await api.close();
console.log('\n| measure | result |\n|---|---:|');
for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
process.exit(0);
