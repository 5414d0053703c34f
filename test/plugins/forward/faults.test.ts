// forward under upstream faults (issue 11): an answer that does not decode is a failed try, not a
// reason to ask again in a tight loop; a TCP upstream that never answers one query does not hold
// unrelated queries; every failure reaches the errors plugin in CoreDNS's wording, so
// `consolidate ".* i/o timeout$"` matches.
import { afterEach, describe, expect, test } from 'vitest';
import { Forward, type Timeouts } from '../../../src/plugins/forward/forward.ts';
import { parseForward } from '../../../src/plugins/forward/setup.ts';
import { MAX_CONNS } from '../../../src/plugins/forward/stream.ts';
import { replyTo } from '../../../src/dns/message.ts';
import { Rcode, Type } from '../../../src/dns/types.ts';
import type { AData, Message } from '../../../src/dns/types.ts';
import type { Next } from '../../../src/plugin/contract.ts';
import { reportedErrors } from '../../../src/plugin/errors.ts';
import { Upstream } from '../../support/upstream.ts';
import { startTestServer } from '../../support/server.ts';
import { query } from '../../support/dns-client.ts';
import { directive, makeReq, memLogger } from './helpers.ts';
import { until } from '../../support/wait.ts';

const cleanup: (() => unknown)[] = [];
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });

async function upstream(): Promise<Upstream> {
  const u = await Upstream.start();
  u.add({ name: 'a.example.', type: 'A', ttl: 300, data: '192.0.2.1' });
  for (let i = 1; i <= 4; i++) u.add({ name: `n${i}.example.`, type: 'A', ttl: 300, data: `192.0.2.${10 + i}` });
  cleanup.push(() => u.close());
  return u;
}

function forward(line: string, t: Timeouts): Forward {
  const f = new Forward(parseForward(directive(line), '/tmp/Corefile'), memLogger(), t);
  f.start();
  cleanup.push(() => f.close());
  return f;
}

const nextNx: Next = (req) => replyTo(req.msg, Rcode.NXDOMAIN);
const addr = (m: Message) => m.answers.map((r) => (r.data as AData).address);

describe('an upstream answer that does not decode', () => {
  for (const how of ['pointer-loop', 'junk'] as const) {
    test(`(${how}) is a failed try: a few upstream queries, then SERVFAIL with the decode error`, async () => {
      const u = await upstream();
      u.behaviour.malformed = how;
      // CoreDNS's real deadlines: before the fix one query was re-sent until the 5 s deadline.
      const f = forward(`forward . ${u.address}`, { overallMs: 5000, readMs: 2000, hcTimeoutMs: 1000 });
      const req = makeReq('a.example.', Type.A);
      const res = await f.serve(req, nextNx);
      expect(res.rcode).toBe(Rcode.SERVFAIL);
      const asked = u.seen('a.example.').length;
      expect(asked).toBeGreaterThanOrEqual(1);
      expect(asked).toBeLessThanOrEqual(3);
      expect(reportedErrors(req).map((e) => e.message)).toEqual([expect.stringMatching(/^dns: /)]);
      // Health checks get the same garbage: they fail and the upstream is marked down.
      expect(await until(() => f.proxies[0]!.down(2), 4000)).toBe(true);
    });
  }

  test('with a good upstream next to it, every query gets the good answer and the bad one is asked at most once each', async () => {
    const bad = await upstream();
    bad.behaviour.malformed = 'pointer-loop';
    const good = await upstream();
    const f = forward(`forward . ${bad.address} ${good.address} {\n policy sequential\n}`, { overallMs: 5000, readMs: 2000, hcTimeoutMs: 1000 });
    for (let i = 0; i < 10; i++) {
      const res = await f.serve(makeReq('a.example.', Type.A), nextNx);
      expect(res.rcode).toBe(Rcode.NOERROR);
      expect(addr(res)).toEqual(['192.0.2.1']);
    }
    expect(bad.seen('a.example.').length).toBeLessThanOrEqual(10);
    expect(good.seen('a.example.').length).toBe(10);
  });
});

describe('a TCP upstream that never answers one query', () => {
  test('does not hold unrelated queries sent meanwhile (one query per connection)', async () => {
    const u = await upstream();
    u.behaviour.hang = ['hang.example.'];
    u.behaviour.tcpInOrder = true; // answers a connection's queries one after the other, as miekg/dns servers do
    const f = forward(`forward . ${u.address} {\n force_tcp\n}`, { overallMs: 1500, readMs: 1000, hcTimeoutMs: 500 });
    // A connection that has answered before, so reuse is in play.
    expect((await f.serve(makeReq('a.example.', Type.A), nextNx)).rcode).toBe(Rcode.NOERROR);
    const hung = f.serve(makeReq('hang.example.', Type.A), nextNx);
    await until(() => u.seen('hang.example.').length === 1, 1000);
    const others = await Promise.all([1, 2, 3, 4].map((i) => f.serve(makeReq(`n${i}.example.`, Type.A), nextNx)));
    expect(others.map((r) => r.rcode)).toEqual([0, 0, 0, 0]);
    expect(others.map((r) => addr(r)[0])).toEqual(['192.0.2.11', '192.0.2.12', '192.0.2.13', '192.0.2.14']);
    // Each unrelated query was asked once: none waited behind the stuck one and had to be retried.
    for (let i = 1; i <= 4; i++) expect(u.seen(`n${i}.example.`)).toHaveLength(1);
    expect((await hung).rcode).toBe(Rcode.SERVFAIL);
  });

  test(`past ${MAX_CONNS} busy connections, queries share them instead of opening more`, async () => {
    const u = await upstream();
    u.behaviour.delayMs = 50;
    const f = forward(`forward . ${u.address} {\n force_tcp\n}`, { overallMs: 3000, readMs: 2000, hcTimeoutMs: 500 });
    const rs = await Promise.all(Array.from({ length: MAX_CONNS + 40 }, () => f.serve(makeReq('a.example.', Type.A), nextNx)));
    expect(new Set(rs.map((r) => r.rcode))).toEqual(new Set([Rcode.NOERROR]));
    expect(new Set(u.queries.map((q) => q.remotePort)).size).toBe(MAX_CONNS);
  });

  test('max_idle_conns bounds the connections kept for reuse', async () => {
    const u = await upstream();
    const t = { overallMs: 3000, readMs: 2000, hcTimeoutMs: 500 };
    const ports = async (f: Forward) => {
      const seen = () => new Set(u.queries.map((q) => q.remotePort));
      const before = seen();
      for (let round = 0; round < 2; round++) {
        const rs = await Promise.all([1, 2, 3].map(() => f.serve(makeReq('a.example.', Type.A), nextNx)));
        expect(rs.map((r) => r.rcode)).toEqual([0, 0, 0]);
      }
      return [...seen()].filter((p) => !before.has(p)).length;
    };
    expect(await ports(forward(`forward . ${u.address} {\n force_tcp\n}`, t))).toBe(3);                      // all three reused
    expect(await ports(forward(`forward . ${u.address} {\n force_tcp\n max_idle_conns 1\n}`, t))).toBe(5); // one kept, two new
  });

  test('a connection whose query timed out is not reused', async () => {
    const u = await upstream();
    u.behaviour.hang = ['hang.example.'];
    u.behaviour.tcpInOrder = true;
    const f = forward(`forward . ${u.address} {\n force_tcp\n max_fails 0\n}`, { overallMs: 400, readMs: 300, hcTimeoutMs: 200 });
    expect((await f.serve(makeReq('hang.example.', Type.A), nextNx)).rcode).toBe(Rcode.SERVFAIL);
    const hangPorts = new Set(u.seen('hang.example.').map((q) => q.remotePort));
    const res = await f.serve(makeReq('a.example.', Type.A), nextNx);
    expect(res.rcode).toBe(Rcode.NOERROR);
    expect(hangPorts.has(u.seen('a.example.')[0]!.remotePort)).toBe(false);
  });
});

describe('forward failures reach the errors plugin as CoreDNS words them', () => {
  test('every upstream marked down with failfast_all_unhealthy_upstreams: `no healthy proxies`', async () => {
    const closed = await Upstream.start();
    const port = closed.port;
    await closed.close();
    const f = forward(`forward . 127.0.0.1:${port} {\n max_fails 1\n health_check 50ms\n failfast_all_unhealthy_upstreams\n}`,
      { overallMs: 1000, readMs: 300, hcTimeoutMs: 100 });
    const first = makeReq('a.example.', Type.A);
    expect((await f.serve(first, nextNx)).rcode).toBe(Rcode.SERVFAIL);
    expect(reportedErrors(first).map((e) => e.message)).toEqual([expect.stringMatching(/: read: connection refused$/)]);
    expect(await until(() => f.proxies[0]!.down(1), 3000)).toBe(true);
    const later = makeReq('a.example.', Type.A);
    expect((await f.serve(later, nextNx)).rcode).toBe(Rcode.SERVFAIL);
    expect(reportedErrors(later).map((e) => e.message)).toEqual(['no healthy proxies']);
  });

  // forward reads its timeouts from the environment the server was given (ServerOptions.env), not
  // process.env: these tests hand them to the server only.
  const env = { CLUSTERDNS_FORWARD_TIMEOUT_MS: '900', CLUSTERDNS_FORWARD_READ_TIMEOUT_MS: '400', CLUSTERDNS_FORWARD_HC_TIMEOUT_MS: '200' };

  test('an upstream that never answers: `2 NAME. A: read udp SRC->DST: i/o timeout`', async () => {
    const u = await upstream();
    u.behaviour.hang = ['hang.example.org.'];
    const s = await startTestServer(`. {\n  errors\n  forward . ${u.address}\n}\n`, { env });
    cleanup.push(() => s.stop());
    const r = await query(s.port, 'hang.example.org', 'A', { timeoutMs: 3000 });
    expect(r.header.rcode).toBe(Rcode.SERVFAIL);
    const re = new RegExp(`^\\[ERROR\\] plugin/errors: 2 hang\\.example\\.org\\. A: read udp 127\\.0\\.0\\.1:\\d+->${u.address.replace(/\./g, '\\.')}: i/o timeout$`);
    expect(await until(() => s.logs.some((l) => re.test(l)), 2000), s.logs.join('\n')).toBe(true);
    // Over TCP: the same with `read tcp`.
    const t = await query(s.port, 'hang.example.org', 'AAAA', { protocol: 'tcp', timeoutMs: 3000 });
    expect(t.header.rcode).toBe(Rcode.SERVFAIL);
    expect(await until(() => s.logs.some((l) => / 2 hang\.example\.org\. AAAA: read tcp 127\.0\.0\.1:\d+->127\.0\.0\.1:\d+: i\/o timeout$/.test(l)), 2000), s.logs.join('\n')).toBe(true);
  });

  test('consolidate ".* i/o timeout$" folds them into one line per period', async () => {
    const u = await upstream();
    u.behaviour.hang = ['hang.example.org.'];
    const s = await startTestServer(`. {\n  errors {\n    consolidate 2s ".* i/o timeout$" warning\n  }\n  forward . ${u.address}\n}\n`, { env });
    cleanup.push(() => s.stop());
    const rs = await Promise.all([1, 2, 3].map(() => query(s.port, 'hang.example.org', 'A', { timeoutMs: 3000 })));
    expect(rs.map((r) => r.header.rcode)).toEqual([2, 2, 2]);
    expect(await until(() => s.logs.some((l) => l.includes('errors like')), 4000), s.logs.join('\n')).toBe(true);
    expect(s.logs.filter((l) => l.includes('plugin/errors'))).toEqual([`[WARNING] plugin/errors: 3 errors like '.* i/o timeout$' occurred in last 2s`]);
  });

  test('refused and malformed answers are logged too; nothing is logged for answered queries', async () => {
    const closed = await Upstream.start();
    const port = closed.port;
    await closed.close();
    const bad = await upstream();
    bad.behaviour.malformed = 'junk';
    const good = await upstream();
    const s = await startTestServer(`a.test {\n  errors\n  forward . 127.0.0.1:${port}\n}\nb.test {\n  errors\n  forward . ${bad.address}\n}\n`
      + `c.test {\n  errors\n  forward . 127.0.0.1:${port} {\n    force_tcp\n  }\n}\nd.test {\n  errors\n  forward . ${good.address}\n}\n`, { env });
    cleanup.push(() => s.stop());
    expect((await query(s.port, 'x.d.test', 'A', { timeoutMs: 3000 })).header.rcode).toBe(Rcode.NXDOMAIN);
    expect((await query(s.port, 'x.a.test', 'A', { timeoutMs: 3000 })).header.rcode).toBe(Rcode.SERVFAIL);
    expect((await query(s.port, 'x.b.test', 'A', { timeoutMs: 3000 })).header.rcode).toBe(Rcode.SERVFAIL);
    expect((await query(s.port, 'x.c.test', 'A', { timeoutMs: 3000 })).header.rcode).toBe(Rcode.SERVFAIL);
    const errs = () => s.logs.filter((l) => l.includes('plugin/errors'));
    await until(() => errs().length >= 3, 2000);
    expect(errs(), s.logs.join('\n')).toEqual([
      expect.stringMatching(new RegExp(`^\\[ERROR\\] plugin/errors: 2 x\\.a\\.test\\. A: read udp 127\\.0\\.0\\.1:\\d+->127\\.0\\.0\\.1:${port}: read: connection refused$`)),
      expect.stringMatching(/^\[ERROR\] plugin\/errors: 2 x\.b\.test\. A: dns: /),
      `[ERROR] plugin/errors: 2 x.c.test. A: dial tcp 127.0.0.1:${port}: connect: connection refused`,
    ]);
  });
});

