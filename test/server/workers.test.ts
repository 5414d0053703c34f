// Worker-thread mode: two data-plane workers on reusePort sockets answer over UDP and TCP, the
// control plane merges their metrics at /metrics, and a reload reaches both workers.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/server/index.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { freePort } from '../support/ports.ts';
import { query, resolver, TYPE } from '../support/dns-client.ts';
import { httpGet, metric, scrape } from './helpers.ts';
import { sleep } from '../support/wait.ts';

describe('workers: 2', () => {
  let s: TestServer;
  let mport: number;
  const corefile = (extra: string) => `. {\n  whoami\n  prometheus 127.0.0.1:${mport}\n${extra}}\nsub.example.org {\n  hosts {\n    10.9.9.9 a.sub.example.org\n  }\n}\n`;
  beforeAll(async () => {
    mport = await freePort();
    s = await startTestServer(corefile(''), { workers: 2 });
  });
  afterAll(() => s.stop());

  it('runs two workers and answers over UDP and TCP', async () => {
    expect(s.server.workers).toBe(2);
    for (const protocol of ['udp', 'tcp'] as const) {
      const r = await query(s.port, 'w.example.org', 'A', { protocol });
      expect(r.header.rcode).toBe(0);
      expect(r.additionals.find((x) => x.type === TYPE.SRV)!.name).toBe(`_${protocol}.w.example.org`);
    }
    expect(await resolver(s.port).resolve4('a.sub.example.org')).toEqual(['10.9.9.9']);
  });

  it('sums requests from both workers at /metrics', async () => {
    const server = `dns://:${s.port}`;
    const before = await scrape(mport);
    const base = (p: string) => metric(before, 'coredns_dns_requests_total', { server, zone: '.', proto: p });
    const [u0, t0] = [base('udp'), base('tcp')];
    // 50 UDP queries, each from its own socket (source port), so the kernel spreads them over both workers
    const udp = await Promise.all(Array.from({ length: 50 }, (_, i) => query(s.port, `m${i}.example.org`, 'A')));
    const tcp = await Promise.all(Array.from({ length: 10 }, (_, i) => query(s.port, `t${i}.example.org`, 'A', { protocol: 'tcp' })));
    expect([...udp, ...tcp].every((r) => r.header.rcode === 0)).toBe(true);
    const after = await scrape(mport);
    expect(metric(after, 'coredns_dns_requests_total', { server, zone: '.', proto: 'udp' }) - u0).toBe(50);
    expect(metric(after, 'coredns_dns_requests_total', { server, zone: '.', proto: 'tcp' }) - t0).toBe(10);
    expect(metric(after, 'coredns_dns_responses_total', { server, zone: '.', rcode: 'NOERROR', plugin: 'whoami' })).toBeGreaterThanOrEqual(60);
    // gauges set once by the control plane are not multiplied by the number of workers
    expect(metric(after, 'coredns_build_info')).toBe(1);
    expect(metric(after, 'coredns_plugin_enabled', { server, zone: '.', name: 'whoami' })).toBe(1);
  });

  it('keeps the old generation when the new one cannot start or no worker can switch', async () => {
    expect(await s.reload(corefile('  chaos before-failures\n'))).toBe(true);
    const net = await import('node:net');
    const blocker = net.createServer();
    const busy = await freePort();
    await new Promise<void>((r) => blocker.listen(busy, '0.0.0.0', () => r()));
    try {
      // a side listener (prometheus) on a taken port: the control side fails to start
      let n = s.logs.length;
      expect(await s.reload(`. {\n  whoami\n  chaos never-1\n  prometheus 127.0.0.1:${busy}\n}\n`)).toBe(false);
      expect(s.logs.slice(n).filter((l) => l.startsWith('[ERROR] Restart failed: '))).toHaveLength(1);
      // the DNS port taken: every worker fails to listen
      n = s.logs.length;
      expect(await s.reload(`.:${busy} {\n  whoami\n  chaos never-2\n  prometheus 127.0.0.1:${mport}\n}\n`)).toBe(false);
      expect(s.logs.slice(n).some((l) => l.startsWith('[ERROR] Restart failed: ') && l.includes(String(busy)))).toBe(true);
      const answers = await Promise.all(Array.from({ length: 10 }, () => query(s.port, 'version.bind', 'TXT', { class: 3 })));
      expect(answers.map((r) => r.answers[0]?.data?.[0])).toEqual(Array(10).fill('before-failures'));
      expect(metric(await scrape(mport), 'coredns_reload_failed_total')).toBe(2);
    } finally {
      blocker.close();
    }
  });

  it('reloads every worker', async () => {
    expect(await s.reload(corefile('  chaos reloaded-v2\n'))).toBe(true);
    const answers = await Promise.all(Array.from({ length: 20 }, () => query(s.port, 'version.bind', 'TXT', { class: 3 })));
    expect(answers.map((r) => r.answers[0]?.data?.[0])).toEqual(Array(20).fill('reloaded-v2'));
  });
});

describe('workers: start-up order', () => {
  it('/ready says 200 only once the workers listen on the DNS port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clusterdns-ready-'));
    const [port, rport] = [await freePort(), await freePort()];
    const corefilePath = join(dir, 'Corefile');
    writeFileSync(corefilePath, `. {\n  whoami\n  ready 127.0.0.1:${rport}\n}\n`);
    const starting = startServer({ corefilePath, dnsPort: port, workers: 2, quiet: true, sink: { write: () => {} } });
    let firstReady = -1;
    try {
      // poll /ready until it first says 200, then ask DNS at once (bounded: 15 s)
      for (let i = 0; i < 1500 && firstReady < 0; i++) {
        const r = await httpGet(`http://127.0.0.1:${rport}/ready`, 200).catch(() => null);
        if (r?.status === 200) firstReady = i;
        else await sleep(10);
      }
      expect(firstReady).toBeGreaterThanOrEqual(0);
      const a = await query(port, 'ready.example.org', 'A', { timeoutMs: 1000 });
      expect(a.header.rcode).toBe(0);
    } finally {
      await (await starting).stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);
});
