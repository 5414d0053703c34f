/**
 * forward + cache through the real server over real sockets: Node's resolver and dns2 as clients,
 * unbound (Debian's) and the programmable upstream as upstreams.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { query, resolver } from '../../support/dns-client.ts';
import { startUnbound, type Unbound } from '../../support/unbound.ts';
import { manyA, Upstream } from '../../support/upstream.ts';

let unbound: Unbound;
const cleanup: (() => unknown)[] = [];
beforeAll(async () => {
  unbound = await startUnbound({
    localZones: ['example. static'],
    localData: ['www.example. 300 IN A 192.0.2.10', 'www.example. 300 IN AAAA 2001:db8::10', 'short.example. 20 IN A 192.0.2.11'],
  });
});
afterAll(async () => { await unbound?.stop(); });
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });

async function server(corefile: string, files?: Record<string, string>, workers = 1): Promise<TestServer> {
  const s = await startTestServer(corefile, { files, workers });
  cleanup.push(() => s.stop());
  return s;
}
async function upstream(): Promise<Upstream> {
  const u = await Upstream.start();
  cleanup.push(() => u.close());
  return u;
}

describe('forward and cache over sockets', () => {
  test('next NXDOMAIN: the chain tells forward that another forward follows it (one and two answering threads)', async () => {
    const a = await upstream(), b = await upstream();
    b.add({ name: 'only-b.example.', type: 'A', ttl: 60, data: '192.0.2.9' });
    for (const workers of [1, 2]) {
      const s = await server(`. {\n  forward . ${a.address} {\n    next NXDOMAIN\n  }\n  forward . ${b.address}\n}\n`, undefined, workers);
      expect(await resolver(s.port).resolve4('only-b.example')).toEqual(['192.0.2.9']);
      // The last forward has no forward after it: its NXDOMAIN is the answer.
      await expect(resolver(s.port).resolve4('nowhere.example')).rejects.toMatchObject({ code: 'ENOTFOUND' });
      await s.stop();
    }
  });

  test('answers from unbound through forward, with cache in front (Node resolver and dns2)', async () => {
    const s = await server(`. {\n  cache\n  forward . ${unbound.address}\n}\n`);
    const r = resolver(s.port);
    expect(await r.resolve4('www.example')).toEqual(['192.0.2.10']);
    expect(await r.resolve6('www.example')).toEqual(['2001:db8::10']);
    await expect(r.resolve4('missing.example')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    const viaTcp = await query(s.port, 'WWW.Example.', 'A', { protocol: 'tcp' });
    expect(viaTcp.header.rcode).toBe(0);
    expect(viaTcp.questions[0]!.name).toBe('WWW.Example');
    expect(viaTcp.answers[0]!.address).toBe('192.0.2.10');
  });

  test('cached TTLs count down; a second query does not reach the upstream', async () => {
    const u = await upstream();
    u.add({ name: 'tick.example.', type: 'A', ttl: 60, data: '192.0.2.20' });
    const s = await server(`. {\n  cache\n  forward . ${u.address}\n}\n`);
    const first = await query(s.port, 'tick.example', 'A');
    expect(first.answers[0]!.ttl).toBe(60);
    await new Promise((r) => setTimeout(r, 1100));
    const second = await query(s.port, 'tick.example', 'A');
    expect(second.answers[0]!.ttl).toBe(59);
    expect(u.seen('tick.example.')).toHaveLength(1);
  });

  test('a big answer: upstream UDP truncates, forward asks over TCP, the client gets TC then the whole answer from cache', async () => {
    const u = await upstream();
    u.add(...manyA('big.example.', 1500));
    const s = await server(`. {\n  cache\n  forward . ${u.address}\n}\n`);
    const udp = await query(s.port, 'big.example', 'A', { protocol: 'udp' });
    expect(udp.header.tc).toBe(1);
    const tcp = await query(s.port, 'big.example', 'A', { protocol: 'tcp' });
    expect(tcp.header.tc).toBe(0);
    expect(tcp.answers).toHaveLength(manyA('big.example.', 1500).length);
    expect(u.seen('big.example.').map((q) => q.protocol)).toEqual(['udp', 'tcp']);
    // Node's resolver does the UDP→TCP dance itself and gets everything
    expect(await resolver(s.port).resolve4('big.example')).toHaveLength(manyA('big.example.', 1500).length);
  });

  test('forward to a resolv.conf-style file next to the Corefile', async () => {
    const s = await server(`. {\n  forward . upstreams.conf\n}\n`, { 'upstreams.conf': `nameserver ${unbound.address}\n` });
    expect(await resolver(s.port).resolve4('www.example')).toEqual(['192.0.2.10']);
  });

  test('all upstreams silent: SERVFAIL within CoreDNS\'s 5 s, the server stays responsive', async () => {
    const u = await upstream();
    u.behaviour.silent = true;
    const s = await server(`. {\n  forward . ${u.address}\n}\n`);
    const t0 = Date.now();
    const res = await query(s.port, 'www.example', 'A', { timeoutMs: 8000 });
    const took = Date.now() - t0;
    expect(res.header.rcode).toBe(2);
    expect(took).toBeGreaterThan(4500);
    expect(took).toBeLessThan(6500);
  });

  test('a multi-worker server forwards and caches in every worker', async () => {
    const s = await server(`. {\n  cache\n  forward . ${unbound.address}\n}\n`, undefined, 2);
    const r = resolver(s.port);
    const answers = await Promise.all(Array.from({ length: 20 }, () => r.resolve4('www.example')));
    expect(answers.every((a) => a[0] === '192.0.2.10')).toBe(true);
  });
});
