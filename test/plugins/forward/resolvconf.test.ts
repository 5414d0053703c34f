/**
 * Issue 15, item 3: a missing, empty or garbage resolv.conf never takes cluster DNS down.
 * A real server (one thread, and two workers) with hosts, kubernetes (manifests) and
 * `forward . DIR/resolv.conf`; real clients (dns2, Node's resolver, HTTP to /health, /ready,
 * /metrics); a loopback upstream (test/support/upstream.ts) that the file comes to name.
 * -validate still fails with FILE:LINE, so CI catches it.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { query, resolver } from '../../support/dns-client.ts';
import { freePort } from '../../support/ports.ts';
import { eventually } from '../../support/wait.ts';
import { Upstream } from '../../support/upstream.ts';
import { NoUpstreamReport } from '../../../src/plugins/forward/noupstream.ts';
import { degradations } from '../../../src/plugin/degraded.ts';
import { registry } from '../../../src/metrics/registry.ts';
import { memLogger } from './helpers.ts';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const cleanup: (() => unknown)[] = [];
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fwd-resolvconf-'));
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
async function upstream(): Promise<Upstream> {
  const u = await Upstream.start();
  u.add({ name: 'www.example.org', type: 'A', ttl: 300, data: '192.0.2.80' });
  cleanup.push(() => u.close());
  return u;
}
async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}
/** The rcode name and sorted addresses of an A query through dns2's client. */
async function a(port: number, name: string): Promise<string> {
  const p = await query(port, name, 'A');
  return [['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN'][p.header.rcode], ...p.answers.map((r) => r.address as string).sort()].join(' ');
}

interface Degraded { s: TestServer; rc: string; line: number; health: string; ready: string; metrics: string }

/** `n` free ports, all different (each freePort() releases its port, so two calls can repeat one). */
async function freePorts(n: number): Promise<number[]> {
  const out = new Set<number>();
  while (out.size < n) out.add(await freePort());
  return [...out];
}

/**
 * A server whose only forward names `rc` (line 14 of its Corefile), with hosts and kubernetes in
 * front; `kubeadm` adds the rest of kubeadm's Corefile (cache 30, loop, reload, loadbalance).
 */
async function serverWith(rc: string, workers: number, kubeadm = false): Promise<Degraded> {
  const [port, hp, rp, mp] = await freePorts(4);
  const s = await startTestServer(`. {
    errors
    health 127.0.0.1:${hp}
    ready 127.0.0.1:${rp}
    prometheus 127.0.0.1:${mp}
    hosts {
        192.0.2.53 static.example
        fallthrough
    }
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        manifests ${repo}deploy/examples/cluster
        fallthrough in-addr.arpa ip6.arpa
    }
    forward . ${rc}
${kubeadm ? '    cache 30\n    loop\n    reload\n    loadbalance\n' : ''}}
`, { workers, port });
  cleanup.push(() => s.stop());
  return {
    s, rc, line: 14,
    health: `http://127.0.0.1:${hp}/health`, ready: `http://127.0.0.1:${rp}/ready`, metrics: `http://127.0.0.1:${mp}/metrics`,
  };
}

const upstreamsMetric = async (d: Degraded) => {
  const m = new RegExp(`^coredns_forward_upstreams\\{server="dns://:${d.s.port}",from="\\."\\} (\\d+)$`, 'm').exec((await get(d.metrics)).body);
  return m ? Number(m[1]) : undefined;
};

/** Everything the degraded mode promises, checked on a running server whose file names no nameserver. */
async function expectDegraded(d: Degraded, reason: string): Promise<void> {
  const { s } = d;
  const where = `${s.corefilePath}:${d.line}: forward: ${reason}`;
  // Cluster and hosts names answer (two independent clients); forwarded names get SERVFAIL at once.
  expect(await resolver(s.port).resolve4('kubernetes.default.svc.cluster.local')).toEqual(['10.96.0.1']);
  expect(await a(s.port, 'static.example')).toBe('NOERROR 192.0.2.53');
  expect(await a(s.port, 'www.example.org')).toBe('SERVFAIL');
  // The start-up error, with FILE:LINE and what it means; the errors plugin's line for the query.
  await eventually(() => s.logs, (l) => l.some((x) => x.startsWith(`[ERROR] plugin/forward: ${where} — names under "." get SERVFAIL until it names a nameserver`)), 5000, 'the start-up error');
  // Once per process, not once per thread (the next one is 30 s away).
  expect(s.logs.filter((x) => x.startsWith('[ERROR] plugin/forward:'))).toHaveLength(1);
  await eventually(() => s.logs, (l) => l.includes(`[ERROR] plugin/errors: 2 www.example.org. A: no upstreams: ${reason}`), 5000, 'the errors plugin line');
  // /ready is 200 (the cluster is served); /health is 200 and says what is degraded; the gauge is 0.
  await eventually(() => get(d.ready), (r) => r.status === 200, 10_000, '/ready 200');
  const h = await get(d.health);
  expect(h.status).toBe(200);
  expect(h.body).toMatch(new RegExp(`^Degraded: ${escape(where)} — `));
  expect(await upstreamsMetric(d)).toBe(0);
}

/** The file now names the upstream: forwarding starts by itself, /health is OK, the gauge is 1. */
async function expectRecovered(d: Degraded, u: Upstream): Promise<void> {
  await eventually(() => a(d.s.port, 'www.example.org'), (r) => r === 'NOERROR 192.0.2.80', 10_000, 'forwarding to start');
  expect(await resolver(d.s.port).resolve4('www.example.org')).toEqual(['192.0.2.80']);
  expect(u.seen('www.example.org').length).toBeGreaterThan(0);
  await eventually(() => get(d.health), (r) => r.status === 200 && r.body === 'OK', 5000, '/health OK');
  expect(await upstreamsMetric(d)).toBe(1);
  expect(d.s.logs.some((l) => l === `[INFO] plugin/forward: upstreams of . changed: ${u.address}`)).toBe(true);
}

function escape(s: string): string { return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }

describe('a missing or empty resolv.conf never takes cluster DNS down', () => {
  for (const workers of [1, 2]) {
    const kubeadm = workers > 1;
    test(`missing at start (${workers} thread${workers > 1 ? 's' : ''}${kubeadm ? ", kubeadm's Corefile" : ''}): cluster names answer, forwarded ones SERVFAIL; forwarding starts once the file appears`, async () => {
      const rc = path.join(tempDir(), 'resolv.conf');
      const d = await serverWith(rc, workers, kubeadm);
      await expectDegraded(d, `${rc}: no such file`);
      const u = await upstream();
      fs.writeFileSync(rc, `search example.org\nnameserver ${u.address}\n`);
      await expectRecovered(d, u);
      // Cluster names still answer locally, never upstream.
      expect(await a(d.s.port, 'kubernetes.default.svc.cluster.local')).toBe('NOERROR 10.96.0.1');
      expect(u.seen('kubernetes.default.svc.cluster.local')).toEqual([]);
    }, 40_000);
  }

  test('an empty file at start: the same degraded mode, until a nameserver line is added', async () => {
    const rc = path.join(tempDir(), 'resolv.conf');
    fs.writeFileSync(rc, '');
    const d = await serverWith(rc, 1);
    await expectDegraded(d, `${rc}: no nameserver lines with an IP address`);
    const u = await upstream();
    fs.appendFileSync(rc, `nameserver ${u.address}\n`);
    await expectRecovered(d, u);
  }, 30_000);

  test('a file whose every nameserver line is unusable: the same degraded mode', async () => {
    const rc = path.join(tempDir(), 'resolv.conf');
    fs.writeFileSync(rc, 'nameserver\nnameserver dns.example.com\nnameserver 999.1.1.1\nnameserver tls://192.0.2.1\n# nameserver 192.0.2.2\n');
    const d = await serverWith(rc, 1);
    await expectDegraded(d, `${rc}: no nameserver lines with an IP address`);
    const u = await upstream();
    fs.writeFileSync(rc, `nameserver garbage\nnameserver ${u.address}\n`);
    await expectRecovered(d, u);
  }, 30_000);

  test('a file that loses its nameservers keeps the last ones (as CoreDNS, which reads it once), and switches to new ones', async () => {
    const rc = path.join(tempDir(), 'resolv.conf');
    const u = await upstream();
    fs.writeFileSync(rc, `nameserver ${u.address}\n`);
    const d = await serverWith(rc, 1);
    expect(await a(d.s.port, 'www.example.org')).toBe('NOERROR 192.0.2.80');
    fs.rmSync(rc);
    await eventually(() => d.s.logs, (l) => l.includes(`[WARNING] plugin/forward: keeping upstreams ${u.address}: ${rc}: no such file`), 5000, 'the warning');
    expect(await a(d.s.port, 'www.example.org')).toBe('NOERROR 192.0.2.80');
    expect((await get(d.health)).body).toBe('OK');
    expect(await upstreamsMetric(d)).toBe(1);
    const v = await Upstream.start();
    cleanup.push(() => v.close());
    v.add({ name: 'www.example.org', type: 'A', ttl: 300, data: '192.0.2.81' });
    fs.writeFileSync(rc, `nameserver ${v.address}\n`);
    await eventually(() => a(d.s.port, 'www.example.org'), (r) => r === 'NOERROR 192.0.2.81', 10_000, 'the new upstream');
  }, 30_000);

  test('reload: a Corefile naming a missing file is applied (degraded), and a vanished file keeps the nameservers it gave', async () => {
    const dir = tempDir();
    const rc = path.join(dir, 'resolv.conf');
    const u = await upstream();
    fs.writeFileSync(rc, `nameserver ${u.address}\n`);
    const d = await serverWith(rc, 1);
    expect(await a(d.s.port, 'www.example.org')).toBe('NOERROR 192.0.2.80');
    fs.rmSync(rc);
    // A reload while the file is gone keeps forwarding to what the file named.
    const text = fs.readFileSync(d.s.corefilePath, 'utf8');
    expect(await d.s.reload(text.replace('192.0.2.53 static.example', '192.0.2.54 static.example'))).toBe(true);
    expect(await a(d.s.port, 'static.example')).toBe('NOERROR 192.0.2.54');
    expect(await a(d.s.port, 'www.example.org')).toBe('NOERROR 192.0.2.80');
    // A reload to a file never seen: applied, degraded, cluster names answer.
    const other = path.join(dir, 'other.conf');
    expect(await d.s.reload(text.replace(`forward . ${rc}`, `forward . ${other}`))).toBe(true);
    expect(await a(d.s.port, 'kubernetes.default.svc.cluster.local')).toBe('NOERROR 10.96.0.1');
    expect(await a(d.s.port, 'www.example.org')).toBe('SERVFAIL');
    await eventually(() => upstreamsMetric(d), (n) => n === 0, 5000, 'the gauge at 0');
    expect((await get(d.health)).body).toContain(`forward: ${other}: no such file`);
    fs.writeFileSync(other, `nameserver ${u.address}\n`);
    await eventually(() => a(d.s.port, 'www.example.org'), (r) => r === 'NOERROR 192.0.2.80', 10_000, 'forwarding to start');
  }, 30_000);

  test('worker threads started after the file vanished forward to what it last named, like the rest of the process', async () => {
    const rc = path.join(tempDir(), 'resolv.conf');
    const u = await upstream();
    fs.writeFileSync(rc, `nameserver ${u.address}\n`);
    const d = await serverWith(rc, 2);
    expect(await a(d.s.port, 'www.example.org')).toBe('NOERROR 192.0.2.80');
    fs.rmSync(rc);
    await eventually(() => d.s.logs, (l) => l.some((x) => x.startsWith('[WARNING] plugin/forward: keeping upstreams')), 5000, 'the warning');
    // Replace both original workers (as test/server/worker-crash.test.ts): from then on only
    // threads that never read the file with a nameserver in it answer.
    const restarted = (n: number) => eventually(() => d.s.logs.filter((l) => l.includes('worker exited with code 1; starting a new one')).length, (k) => k >= n, 10_000, `${n} replacements`);
    d.s.server.crashWorkerForTest!();
    await restarted(1);
    d.s.server.crashWorkerForTest!();
    await restarted(2);
    await eventually(() => query(d.s.port, 'www.example.org', 'A', { timeoutMs: 500 }).then(() => true, () => false), (ok) => ok, 10_000, 'a replacement answering');
    const answers = await Promise.all(Array.from({ length: 40 }, () => a(d.s.port, 'www.example.org').catch((e: unknown) => String(e))));
    expect(answers.filter((x) => x !== 'NOERROR 192.0.2.80')).toEqual([]);
    expect(await a(d.s.port, 'kubernetes.default.svc.cluster.local')).toBe('NOERROR 10.96.0.1');
  }, 40_000);

  test('a fixed upstream beside a missing file: forwards to the fixed one, logs and shows the file on /health', async () => {
    const dir = tempDir();
    const rc = path.join(dir, 'resolv.conf');
    const u = await upstream();
    const [port, hp] = await freePorts(2);
    const s = await startTestServer(`. {\n    health 127.0.0.1:${hp}\n    forward . ${u.address} ${rc}\n}\n`, { port });
    cleanup.push(() => s.stop());
    expect(await a(s.port, 'www.example.org')).toBe('NOERROR 192.0.2.80');
    expect(s.logs).toContain(`[ERROR] plugin/forward: ${s.corefilePath}:3: forward: ${rc}: no such file — forwarding "." to the other upstreams until it names a nameserver (re-read every 1s)`);
    expect((await get(`http://127.0.0.1:${hp}/health`)).body).toContain(`${rc}: no such file`);
  }, 20_000);
});

describe('-validate still fails on it, with FILE:LINE (so CI catches it)', () => {
  const cli = path.resolve('src/cli.ts');
  const nodeBin = path.resolve('node_modules/.bin/node');
  const cases: [string, string | undefined, string][] = [
    ['a missing', undefined, 'no such file'],
    ['an empty', '', 'no nameserver lines with an IP address'],
    ['a garbage-only', 'nameserver\nnameserver not-an-ip\n', 'no nameserver lines with an IP address'],
  ];
  for (const [what, content, reason] of cases) {
    test(`${what} resolv.conf`, () => {
      const dir = tempDir();
      const rc = path.join(dir, 'resolv.conf');
      if (content !== undefined) fs.writeFileSync(rc, content);
      const corefile = path.join(dir, 'Corefile');
      fs.writeFileSync(corefile, `. {\n  cache\n  forward . ${rc}\n}\n`);
      const r = spawnSync(nodeBin, [cli, '-conf', corefile, '-validate'], { encoding: 'utf8', timeout: 15_000 });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`${corefile}:3: forward: ${rc}: ${reason} — name an upstream IP, e.g. forward . 8.8.8.8`);
    }, 20_000);
  }
});

describe('the no-upstream report', () => {
  test('logs at start and again every interval while the file names no nameserver; stops once it does', async () => {
    const log = memLogger();
    const shared = new Map<string, unknown>();
    const r = new NoUpstreamReport({ log, at: { file: '/etc/coredns/Corefile', line: 7 }, from: '.', server: () => 'dns://:5353', shared, pollMs: 1000, repeatMs: 40 });
    cleanup.push(() => r.close());
    r.update(0, [{ path: '/etc/resolv.conf', error: '/etc/resolv.conf: no such file' }]);
    r.start();
    const line = '[ERROR] /etc/coredns/Corefile:7: forward: /etc/resolv.conf: no such file — names under "." get SERVFAIL until it names a nameserver (re-read every 1s)';
    expect(log.lines).toEqual([line]);
    expect(degradations({ shared })).toEqual([line.slice('[ERROR] '.length)]);
    expect(await registry.getSingleMetricAsString('coredns_forward_upstreams')).toContain('coredns_forward_upstreams{server="dns://:5353",from="."} 0');
    await eventually(() => log.lines.length, (n) => n >= 3, 3000, 'two repeats');
    expect(new Set(log.lines)).toEqual(new Set([line]));
    r.update(2, []);
    const n = log.lines.length;
    expect(degradations({ shared })).toEqual([]);
    expect(await registry.getSingleMetricAsString('coredns_forward_upstreams')).toContain('coredns_forward_upstreams{server="dns://:5353",from="."} 2');
    // Ten intervals later: no new line (the timer is gone, not merely quiet).
    await new Promise((res) => setTimeout(res, 400));
    expect(log.lines.length).toBe(n);
    r.close();
    expect(await registry.getSingleMetricAsString('coredns_forward_upstreams')).not.toContain('dns://:5353');
  });
});
