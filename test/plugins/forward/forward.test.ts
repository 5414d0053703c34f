import { afterEach, describe, expect, test } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_MAX_CONCURRENT, Forward, type Timeouts } from '../../../src/plugins/forward/forward.ts';
import { parseForward } from '../../../src/plugins/forward/setup.ts';
import { registry } from '../../../src/metrics/registry.ts';
import { replyTo } from '../../../src/dns/message.ts';
import { Rcode, Type } from '../../../src/dns/types.ts';
import type { AData, Message } from '../../../src/dns/types.ts';
import type { Next, Request } from '../../../src/plugin/contract.ts';
import { reportedErrors } from '../../../src/plugin/errors.ts';
import { manyA, Upstream } from '../../support/upstream.ts';
import { directive, makeReq, memLogger } from './helpers.ts';
import { sleep, until } from '../../support/wait.ts';

const FAST: Timeouts = { overallMs: 1500, readMs: 400, hcTimeoutMs: 200 };
const cleanup: (() => unknown)[] = [];
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });

async function upstream(): Promise<Upstream> {
  const u = await Upstream.start();
  u.add({ name: 'a.example.', type: 'A', ttl: 300, data: '192.0.2.1' });
  cleanup.push(() => u.close());
  return u;
}

function forward(line: string, t: Timeouts = FAST, corefile = '/tmp/Corefile'): Forward {
  const f = new Forward(parseForward(directive(line, corefile), corefile), memLogger(), t);
  f.start();
  cleanup.push(() => f.close());
  return f;
}

const nextNx: Next = (req) => replyTo(req.msg, Rcode.NXDOMAIN);
const addr = (m: Message) => m.answers.map((r) => (r.data as AData).address);

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  if (!m) return 0;
  return (m.values as { value: number; labels: Record<string, string | number>; metricName?: string }[])
    .filter((v) => (v.metricName === undefined || v.metricName === name) && Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val))
    .reduce((s, v) => s + v.value, 0);
}

describe('forward', () => {
  test('relays the answer with the client id restored; upstream saw a different random id', async () => {
    const u = await upstream();
    const f = forward(`forward . ${u.address}`);
    const req = makeReq('A.example.', Type.A, { id: 4321 });
    const res = await f.serve(req, nextNx);
    expect(res.id).toBe(4321);
    expect(res.rcode).toBe(Rcode.NOERROR);
    expect(addr(res)).toEqual(['192.0.2.1']);
    expect(res.wire!.readUInt16BE(0)).toBe(4321);
    expect(u.queries).toHaveLength(1);
    expect(u.queries[0]!.name).toBe('A.example.'); // case as asked
    expect(u.queries[0]!.protocol).toBe('udp');
    // NXDOMAIN relayed as such
    const nx = await f.serve(makeReq('nope.example.', Type.A), nextNx);
    expect(nx.rcode).toBe(Rcode.NXDOMAIN);
    expect(nx.authority[0]!.type).toBe(Type.SOA);
  });

  test('names outside FROM and names under except go to the next plugin', async () => {
    const u = await upstream();
    const f = forward(`forward example. ${u.address} {\n except private.example\n}`);
    expect((await f.serve(makeReq('a.example.', Type.A), nextNx)).rcode).toBe(Rcode.NOERROR);
    expect((await f.serve(makeReq('a.other.', Type.A), nextNx)).rcode).toBe(Rcode.NXDOMAIN);
    expect((await f.serve(makeReq('x.private.example.', Type.A), nextNx)).rcode).toBe(Rcode.NXDOMAIN);
    expect(u.count()).toBe(1);
  });

  test('protocol follows the client; force_tcp and prefer_udp override it', async () => {
    const u = await upstream();
    const plain = forward(`forward . ${u.address}`);
    await plain.serve(makeReq('a.example.', Type.A, { protocol: 'tcp' }), nextNx);
    await plain.serve(makeReq('a.example.', Type.A, { protocol: 'udp' }), nextNx);
    expect(u.queries.map((q) => q.protocol)).toEqual(['tcp', 'udp']);
    u.queries.length = 0;
    const tcp = forward(`forward . ${u.address} {\n force_tcp\n}`);
    await tcp.serve(makeReq('a.example.', Type.A, { protocol: 'udp' }), nextNx);
    const udp = forward(`forward . ${u.address} {\n prefer_udp\n}`);
    await udp.serve(makeReq('a.example.', Type.A, { protocol: 'tcp' }), nextNx);
    expect(u.queries.map((q) => q.protocol)).toEqual(['tcp', 'udp']);
  });

  test('a truncated UDP answer is asked again over TCP and the whole answer relayed', async () => {
    const u = await upstream();
    u.add(...manyA('big.example.', 900));
    const f = forward(`forward . ${u.address}`);
    const res = await f.serve(makeReq('big.example.', Type.A), nextNx);
    expect(res.tc).toBe(false);
    expect(res.answers.length).toBe(manyA('big.example.', 900).length);
    expect(u.seen('big.example.').map((q) => q.protocol)).toEqual(['udp', 'tcp']);
  });

  test('TCP connections carry one query at a time, are reused, and one closed by the peer is retried', async () => {
    const u = await upstream();
    const f = forward(`forward . ${u.address} {\n force_tcp\n}`);
    const rs = await Promise.all([1, 2, 3].map(() => f.serve(makeReq('a.example.', Type.A), nextNx)));
    expect(rs.every((r) => r.rcode === Rcode.NOERROR)).toBe(true);
    expect(new Set(u.queries.map((q) => q.remotePort)).size).toBe(3); // three at once: three connections
    for (let i = 0; i < 3; i++) expect((await f.serve(makeReq('a.example.', Type.A), nextNx)).rcode).toBe(Rcode.NOERROR);
    expect(new Set(u.queries.map((q) => q.remotePort)).size).toBe(3); // one after the other: reused
    u.behaviour.closeTcpAfterAnswer = true;
    await f.serve(makeReq('a.example.', Type.A), nextNx);
    await sleep(50);
    const again = await f.serve(makeReq('a.example.', Type.A), nextNx);
    expect(again.rcode).toBe(Rcode.NOERROR);
  });

  test('UDP queries go out from several random source ports with random ids', async () => {
    const u = await upstream();
    const f = forward(`forward . ${u.address}`);
    for (let i = 0; i < 8; i++) await f.serve(makeReq('a.example.', Type.A, { id: 7 }), nextNx);
    const ports = new Set(u.queries.map((q) => q.remotePort));
    const ids = new Set(u.queries.map((q) => q.id));
    expect(ports.size).toBeGreaterThan(1);
    expect(ids.size).toBeGreaterThan(4);
    expect(ids.has(7)).toBe(false);
  });

  test('answers with a wrong id are ignored; all upstreams dead → SERVFAIL within the deadline', async () => {
    const u = await upstream();
    u.behaviour.wrongId = true;
    const f = forward(`forward . ${u.address}`);
    const t0 = Date.now();
    const res = await f.serve(makeReq('a.example.', Type.A), nextNx);
    const took = Date.now() - t0;
    expect(res.rcode).toBe(Rcode.SERVFAIL);
    expect(took).toBeGreaterThanOrEqual(FAST.overallMs - 50);
    expect(took).toBeLessThan(FAST.overallMs + 1000);
    u.behaviour = { silent: true };
    const res2 = await f.serve(makeReq('a.example.', Type.A), nextNx);
    expect(res2.rcode).toBe(Rcode.SERVFAIL);
  });

  test('failover: a silent upstream is skipped, then marked down by health checks', async () => {
    const dead = await upstream();
    dead.behaviour.silent = true;
    const good = await upstream();
    const f = forward(`forward . ${dead.address} ${good.address} {\n policy sequential\n max_fails 1\n health_check 50ms\n}`);
    const res = await f.serve(makeReq('a.example.', Type.A), nextNx);
    expect(res.rcode).toBe(Rcode.NOERROR);
    expect(dead.seen('a.example.')).toHaveLength(1);
    // health checks (". NS") fail until fails > max_fails: then the dead one is skipped without waiting
    expect(await until(() => f.proxies[0]!.down(1), 3000)).toBe(true);
    expect(dead.seen('.').length).toBeGreaterThanOrEqual(2);
    expect(dead.seen('.')[0]!.rd).toBe(true);
    const t0 = Date.now();
    await f.serve(makeReq('a.example.', Type.A), nextNx);
    expect(Date.now() - t0).toBeLessThan(FAST.readMs);
    expect(dead.seen('a.example.')).toHaveLength(1);
    expect(await metric('coredns_forward_healthcheck_failures_total', { to: dead.address })).toBeGreaterThanOrEqual(2);
    expect(await metric('coredns_proxy_healthcheck_failures_total', { proxy_name: 'forward', to: dead.address })).toBeGreaterThanOrEqual(2);
    // it comes back: a good health check resets the fails
    dead.behaviour = {};
    expect(await until(() => !f.proxies[0]!.down(1), 3000)).toBe(true);
  });

  test('when all upstreams are down one is tried anyway and healthcheck_broken counts', async () => {
    const u = await upstream();
    const f = forward(`forward . ${u.address} {\n max_fails 1\n}`);
    f.proxies[0]!.fails = 5;
    const before = await metric('coredns_forward_healthcheck_broken_total');
    const res = await f.serve(makeReq('a.example.', Type.A), nextNx);
    expect(res.rcode).toBe(Rcode.NOERROR);
    expect(await metric('coredns_forward_healthcheck_broken_total')).toBe(before + 1);
    const ff = forward(`forward . ${u.address} {\n max_fails 1\n failfast_all_unhealthy_upstreams\n}`);
    ff.proxies[0]!.fails = 5;
    expect((await ff.serve(makeReq('a.example.', Type.A), nextNx)).rcode).toBe(Rcode.SERVFAIL);
  });

  test('policies: sequential always asks the first; round_robin rotates', async () => {
    const a = await upstream(), b = await upstream();
    const seq = forward(`forward . ${a.address} ${b.address} {\n policy sequential\n}`);
    for (let i = 0; i < 4; i++) await seq.serve(makeReq('a.example.', Type.A), nextNx);
    expect([a.count(), b.count()]).toEqual([4, 0]);
    const rr = forward(`forward . ${a.address} ${b.address} {\n policy round_robin\n}`);
    for (let i = 0; i < 4; i++) await rr.serve(makeReq('a.example.', Type.A), nextNx);
    expect([a.count(), b.count()]).toEqual([6, 2]);
    const rnd = forward(`forward . ${a.address} ${b.address}`);
    for (let i = 0; i < 40; i++) await rnd.serve(makeReq('a.example.', Type.A), nextNx);
    expect(a.count() - 6).toBeGreaterThan(5);
    expect(b.count() - 2).toBeGreaterThan(5);
  });

  test('max_concurrent answers REFUSED over the limit and counts it', async () => {
    const u = await upstream();
    u.behaviour.delayMs = 150;
    const f = forward(`forward . ${u.address} {\n max_concurrent 2\n}`);
    const before = await metric('coredns_forward_max_concurrent_rejects_total');
    const reqs = [1, 2, 3, 4].map(() => makeReq('a.example.', Type.A));
    const rs = await Promise.all(reqs.map((r) => f.serve(r, nextNx)));
    expect(rs.map((r) => r.rcode).sort()).toEqual([Rcode.NOERROR, Rcode.NOERROR, Rcode.REFUSED, Rcode.REFUSED]);
    expect(await metric('coredns_forward_max_concurrent_rejects_total')).toBe(before + 2);
    // the refusals carry CoreDNS's error for the errors plugin
    expect(reqs.flatMap((r) => reportedErrors(r).map((e) => e.message))).toEqual(['concurrent queries exceeded maximum 2', 'concurrent queries exceeded maximum 2']);
    // and the slots are released
    expect((await f.serve(makeReq('a.example.', Type.A), nextNx)).rcode).toBe(Rcode.NOERROR);
  });

  test('without max_concurrent, in-flight queries are still bounded: a flood to a silent upstream gets REFUSED past the default', async () => {
    const u = await upstream();
    u.behaviour.silent = true;
    const f = forward(`forward . ${u.address}`);
    const before = await metric('coredns_forward_max_concurrent_rejects_total');
    const extra = 25;
    const rs = await Promise.all(Array.from({ length: DEFAULT_MAX_CONCURRENT + extra }, (_, i) => f.serve(makeReq(`n${i}.flood.example.`, Type.A), nextNx)));
    expect(rs.filter((r) => r.rcode === Rcode.REFUSED)).toHaveLength(extra);
    expect(rs.filter((r) => r.rcode === Rcode.SERVFAIL)).toHaveLength(DEFAULT_MAX_CONCURRENT);   // the deadline passed
    expect(await metric('coredns_forward_max_concurrent_rejects_total')).toBe(before + extra);
  }, 20_000);

  test('next RCODE hands the query to the following forward; failover tries the next upstream', async () => {
    const a = await upstream(), b = await upstream();
    b.add({ name: 'only-b.example.', type: 'A', ttl: 60, data: '192.0.2.9' });
    const first = forward(`forward . ${a.address} {\n next NXDOMAIN\n}`);
    const second = forward(`forward . ${b.address}`);
    // The chain tells a plugin what follows it (next.plugin), as buildChain's links do.
    const toSecond = Object.assign((req: Request) => second.serve(req, nextNx), { plugin: second });
    const res = await first.serve(makeReq('only-b.example.', Type.A), toSecond);
    expect(addr(res)).toEqual(['192.0.2.9']);
    // without a forward after it, `next` is ignored
    expect((await first.serve(makeReq('only-b.example.', Type.A), nextNx)).rcode).toBe(Rcode.NXDOMAIN);
    const toOther = Object.assign((req: Request) => second.serve(req, nextNx), { plugin: { name: 'whoami' } });
    expect((await first.serve(makeReq('only-b.example.', Type.A), toOther)).rcode).toBe(Rcode.NXDOMAIN);

    a.behaviour.rcode = Rcode.SERVFAIL;
    const fo = forward(`forward . ${a.address} ${b.address} {\n policy sequential\n failover SERVFAIL\n}`);
    expect(addr(await fo.serve(makeReq('only-b.example.', Type.A), nextNx))).toEqual(['192.0.2.9']);
    b.behaviour.rcode = Rcode.SERVFAIL;
    expect((await fo.serve(makeReq('only-b.example.', Type.A), nextNx)).rcode).toBe(Rcode.SERVFAIL);
  });

  test('metrics per upstream: requests, responses by rcode, duration', async () => {
    const u = await upstream();
    const f = forward(`forward . ${u.address}`);
    await f.serve(makeReq('a.example.', Type.A), nextNx);
    await f.serve(makeReq('nx.example.', Type.A), nextNx);
    expect(await metric('coredns_forward_requests_total', { to: u.address })).toBe(2);
    expect(await metric('coredns_forward_responses_total', { to: u.address, rcode: 'NXDOMAIN' })).toBe(1);
    const text = await registry.metrics();
    expect(text).toContain(`coredns_proxy_request_duration_seconds_count{proxy_name="forward",to="${u.address}",rcode="NOERROR"} 1`);
    expect(text).toContain(`coredns_forward_request_duration_seconds_bucket{le="0.00025",to="${u.address}",rcode="NOERROR"}`);
    expect(text).toContain(`coredns_proxy_conn_cache_misses_total{proxy_name="forward",to="${u.address}",proto="udp"}`);
  });
});

describe('forward with resolv.conf files', () => {
  test('reads nameserver lines and re-reads the file when it changes', async () => {
    const a = await upstream();
    const b = await Upstream.start();
    cleanup.push(() => b.close());
    b.add({ name: 'a.example.', type: 'A', ttl: 300, data: '192.0.2.2' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fwd-'));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const rc = path.join(dir, 'resolv.conf');
    fs.writeFileSync(rc, `# test\nsearch example\nnameserver ${a.address}\noptions ndots:5\n`);
    const log = memLogger();
    const f = new Forward(parseForward(directive(`forward . ${rc}`), '/tmp/Corefile'), log, FAST);
    f.start();
    cleanup.push(() => f.close());
    expect(addr(await f.serve(makeReq('a.example.', Type.A), nextNx))).toEqual(['192.0.2.1']);
    await sleep(20);
    fs.writeFileSync(rc, `nameserver ${b.address}\n`);
    expect(await until(() => f.proxies[0]?.label === b.address, 4000)).toBe(true);
    expect(addr(await f.serve(makeReq('a.example.', Type.A), nextNx))).toEqual(['192.0.2.2']);
    expect(log.lines.some((l) => l.includes(b.address))).toBe(true);
    // a broken file keeps the old upstreams
    fs.writeFileSync(rc, `# nothing here\n`);
    await until(() => log.lines.some((l) => l.startsWith('[WARNING]')), 4000);
    expect(log.lines.find((l) => l.startsWith('[WARNING]'))).toContain('no nameserver');
    expect(f.proxies[0]!.label).toBe(b.address);
  });

  test('a relative path is looked up next to the Corefile', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fwd-'));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(dir, 'upstreams.conf'), 'nameserver 127.0.0.1\nnameserver ::1\n');
    const corefile = path.join(dir, 'Corefile');
    const cfg = parseForward(directive('forward . upstreams.conf', corefile), corefile);
    expect(cfg.upstreams.map((u) => u.label)).toEqual(['127.0.0.1:53', '[::1]:53']);
  });
});

describe('forward to a port nobody listens on', () => {
  test('connection refused gives SERVFAIL at once, without spinning until the deadline', async () => {
    const u = await Upstream.start();
    const port = u.port;
    await u.close();
    const f = forward(`forward . 127.0.0.1:${port}`, { overallMs: 3000, readMs: 1000, hcTimeoutMs: 200 });
    const t0 = Date.now();
    const res = await f.serve(makeReq('a.example.', Type.A), nextNx);
    expect(res.rcode).toBe(Rcode.SERVFAIL);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await metric('coredns_forward_requests_total', { to: `127.0.0.1:${port}` })).toBeLessThanOrEqual(2);
  });
});
