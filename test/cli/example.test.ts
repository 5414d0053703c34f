/**
 * `npm start` as a new user runs it: the CLI serving Corefile.example on 127.0.0.1:1053, answering
 * cluster names from the example manifests, the hosts hijack, whoami and chaos, and forwarding the
 * rest to the upstream named in $CLUSTERDNS_UPSTREAM (here a loopback test upstream).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { Upstream } from '../support/upstream.ts';
import { query, resolver } from '../support/dns-client.ts';
import { defaultWorkers } from '../../src/server/sizing.ts';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { quickStartBlocks, quickStartCommands, runReadmeCommand } from './readme-commands.ts';
import { until } from '../support/wait.ts';

const PORT = 1053;
let child: ChildProcess;
let upstream: Upstream;
let out = '';

/** Wait for `ok` (a failed request counts as not yet), or fail with the server's output. */
async function waitReady(ok: () => Promise<boolean>, ms: number): Promise<void> {
  if (!(await until(() => ok().catch(() => false), ms, 100))) throw new Error(`not ready within ${ms} ms; output:\n${out}`);
}

beforeAll(async () => {
  upstream = await Upstream.start();
  upstream.add({ name: 'outside.example.', type: 'A', ttl: 300, data: '192.0.2.7' });
  // The same command as `npm start` (package.json), with the upstream pointed at loopback.
  child = spawn(process.execPath, ['src/bin.js', '-conf', 'Corefile.example', '-dns.port', String(PORT)], {
    env: { ...process.env, CLUSTERDNS_UPSTREAM: upstream.address },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
  await waitReady(async () => (await fetch('http://127.0.0.1:8181/ready')).status === 200, 20_000);
}, 30_000);

afterAll(async () => {
  child?.kill('SIGTERM');
  await new Promise((r) => child?.once('exit', r));
  await upstream?.close();
});

describe('npm start (Corefile.example)', () => {
  it('prints where it listens', () => {
    // UDP through the batched native I/O that `npm ci` builds (node:dgram only if it could not).
    expect(out).toContain('listening on udp 127.0.0.1:1053 (batched recvmmsg/sendmmsg)');
    expect(out).toContain('listening on tcp 127.0.0.1:1053');
  });

  it('answers kubernetes.default.svc.cluster.local from the example manifests', async () => {
    expect(await resolver(PORT).resolve4('kubernetes.default.svc.cluster.local')).toEqual(['10.96.0.1']);
    const srv = await resolver(PORT).resolveSrv('_http._tcp.web.shop.svc.cluster.local');
    expect(srv).toEqual([expect.objectContaining({ port: 80, name: 'web.shop.svc.cluster.local' })]);
    expect(await resolver(PORT).reverse('10.96.0.1')).toEqual(['kubernetes.default.svc.cluster.local']);
  });

  it('hijacks registry.example.com and falls through for the rest', async () => {
    expect(await resolver(PORT).resolve4('registry.example.com')).toEqual(['10.0.0.50']);
    // Each worker thread has its own cache, so at most one miss per worker reaches the upstream.
    for (let i = 0; i < 8; i++) expect(await resolver(PORT).resolve4('outside.example')).toEqual(['192.0.2.7']);
    const misses = upstream.seen('outside.example.').length;
    expect(misses).toBeGreaterThanOrEqual(1);
    expect(misses).toBeLessThanOrEqual(defaultWorkers());
  });

  it('serves whoami and chaos over TCP too', async () => {
    const who = await query(PORT, 'whoami.test', 'A', { protocol: 'tcp' });
    expect(who.additionals.find((r) => r.type === 1)?.address).toBe('127.0.0.1');
    const ver = await query(PORT, 'version.bind', 'TXT', { class: 3 });
    expect(JSON.stringify(ver.answers)).toContain('clusterdns-');
  });

  it('serves health and metrics', async () => {
    expect(await (await fetch('http://127.0.0.1:8080/health')).text()).toBe('OK');
    const metrics = await (await fetch('http://127.0.0.1:9153/metrics')).text();
    expect(metrics).toMatch(/coredns_dns_requests_total\{[^}]*zone="\."/);
    expect(metrics).toContain('coredns_hosts_entries');
  });
});

describe('the README\'s quick start, as written, against npm start', () => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const commands = quickStartCommands(root);

  it('is the server npm start runs (Corefile.example on port 1053), and says how to choose the upstream', () => {
    const start = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts.start!;
    expect(start).toContain('-conf Corefile.example');
    expect(start).toContain('-dns.port 1053');
    expect(quickStartBlocks(root).flat()).toContain('npm start     # serves Corefile.example on 127.0.0.1:1053 — no cluster and no internet needed');
    expect(readFileSync(`${root}Corefile.example`, 'utf8')).toContain('forward . {$CLUSTERDNS_UPSTREAM:');
    const upstreamLine = quickStartBlocks(root).flat().find((l) => l.includes('CLUSTERDNS_UPSTREAM='));
    expect(upstreamLine, 'the quick start shows how to set CLUSTERDNS_UPSTREAM').toMatch(/^CLUSTERDNS_UPSTREAM=127\.0\.0\.1:\d+ npm start$/);
    expect(commands.length).toBeGreaterThanOrEqual(8);
  });

  for (const c of commands) {
    it(c.command, () => {
      const before = upstream.queries.length;
      const r = runReadmeCommand(c, root);
      expect(r.status, r.output).toBe(0);
      expect(r.missing, `README.md says: ${c.line}\nit printed:\n${r.output}`).toEqual([]);
      // answered here: nothing went to the upstream (with the default, that is the machine's resolver)
      expect(upstream.queries.slice(before).map((q) => q.name), 'forwarded to the upstream').toEqual([]);
    });
  }
});
