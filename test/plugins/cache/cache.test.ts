import { describe, expect, test } from 'vitest';
import { Cache } from '../../../src/plugins/cache/cache.ts';
import { parseCache } from '../../../src/plugins/cache/setup.ts';
import { SUCCESS } from '../../../src/plugins/cache/store.ts';
import { decode } from '../../../src/dns/codec.ts';
import { a, replyTo, soa, txt } from '../../../src/dns/message.ts';
import { Rcode, Type } from '../../../src/dns/types.ts';
import type { Message } from '../../../src/dns/types.ts';
import type { BlockInfo, Next, Request } from '../../../src/plugin/contract.ts';
import { registry } from '../../../src/metrics/registry.ts';
import { directive, makeReq, memLogger, type ReqOptions } from '../forward/helpers.ts';
import { sleep } from '../../support/wait.ts';

let blockN = 0;
function block(): BlockInfo {
  return { zones: ['.'], port: 53, transport: 'dns', listenAddresses: [], server: `dns://:${10000 + ++blockN}`, observers: [] };
}

/** A cache over a programmable "next plugin" that answers like an upstream and counts calls. */
function setup(line = 'cache') {
  const b = block();
  const c = new Cache(parseCache(directive(line), b.zones), b, memLogger());
  let t = 1_000_000_000_000;
  c.now = () => t;
  const calls: Request[] = [];
  const answer: { fn: (req: Request) => Message } = {
    fn: (req) => ({ ...replyTo(req.msg), ra: true, answers: [a(req.question.name, 300, '192.0.2.1')] }),
  };
  const next: Next = (req) => { calls.push(req); return answer.fn(req); };
  const ask = async (name: string, type: number = Type.A, o: ReqOptions = {}) => {
    const req = makeReq(name, type, o);
    const res = await c.serve(req, next);
    // what the client would get: the wire when it fits, as the server's writer does
    const wire = res.wire && res.wire.length <= req.size ? res.wire : undefined;
    return { res, wire, dec: wire ? decode(wire) : res };
  };
  return { c, calls, answer, ask, server: b.server, advance: (s: number) => { t += s * 1000; } };
}

const nxdomain = (req: Request, soaTtl = 600, minimum = 60): Message => ({
  ...replyTo(req.msg, Rcode.NXDOMAIN),
  authority: [soa('example.', soaTtl, { mname: 'ns.example.', rname: 'h.example.', serial: 1, refresh: 1, retry: 1, expire: 1, minimum })],
});

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values ?? []).filter((v) => Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val))
    .reduce((s, v) => s + v.value, 0);
}

describe('cache', () => {
  test('a hit is served from stored bytes: asker id and case, TTL counting down', async () => {
    const s = setup();
    const first = await s.ask('www.Example.org.', Type.A, { id: 11 });
    expect(s.calls).toHaveLength(1);
    expect(first.dec.answers[0]!.ttl).toBe(300);
    s.advance(7);
    const hit = await s.ask('WWW.example.ORG.', Type.A, { id: 22 });
    expect(s.calls).toHaveLength(1);
    expect(hit.wire).toBeDefined();
    expect(hit.dec.id).toBe(22);
    expect(hit.dec.questions[0]!.name).toBe('WWW.example.ORG.');
    expect(hit.dec.answers[0]!.ttl).toBe(293);
    expect(hit.dec.ra).toBe(true);
    expect(hit.dec.qr).toBe(true);
    expect(await metric('coredns_cache_hits_total', { server: s.server, type: 'success' })).toBe(1);
    expect(await metric('coredns_cache_misses_total', { server: s.server })).toBe(1);
    expect(await metric('coredns_cache_requests_total', { server: s.server })).toBe(2);
    expect(await metric('coredns_cache_entries', { server: s.server, type: 'success' })).toBe(1);
    // expired: asked again
    s.advance(300);
    await s.ask('www.example.org.');
    expect(s.calls).toHaveLength(2);
  });

  test('a hit\'s record sections decode from its bytes when read, with the TTL counting down, and can be replaced', async () => {
    const s = setup();
    s.answer.fn = (req) => ({ ...replyTo(req.msg), answers: [a(req.question.name, 300, '192.0.2.1'), a(req.question.name, 300, '192.0.2.2')] });
    await s.ask('sec.example.');
    s.advance(10);
    const { res } = await s.ask('Sec.Example.');
    expect(res.answers.map((r) => [r.name, r.ttl, (r.data as { address: string }).address]))
      .toEqual([['Sec.Example.', 290, '192.0.2.1'], ['Sec.Example.', 290, '192.0.2.2']]);
    expect(res.authority).toEqual([]);
    res.answers = res.answers.slice(1);
    expect(res.answers).toHaveLength(1);
    const { wire: _w, ...fields } = res;
    const copy = { ...fields, answers: res.answers, authority: res.authority, additional: res.additional };
    expect(copy.answers).toHaveLength(1);
    expect(copy.rcode).toBe(Rcode.NOERROR);
  });

  test('TTL is capped by the max TTL and raised to the min TTL', async () => {
    const s = setup('cache 30');
    expect((await s.ask('a.example.')).dec.answers[0]!.ttl).toBe(30);
    s.answer.fn = (req) => ({ ...replyTo(req.msg), answers: [a(req.question.name, 1, '192.0.2.1')] });
    expect((await s.ask('b.example.')).dec.answers[0]!.ttl).toBe(5);
    const s2 = setup('cache {\n success 2048 60 20\n}');
    s2.answer.fn = s.answer.fn;
    expect((await s2.ask('b.example.')).dec.answers[0]!.ttl).toBe(20);
  });

  test('denial: NXDOMAIN cached by the SOA (min of TTL and MINIMUM), in the denial cache', async () => {
    const s = setup();
    s.answer.fn = (req) => nxdomain(req, 600, 45);
    const r1 = await s.ask('nx.example.');
    expect(r1.dec.rcode).toBe(Rcode.NXDOMAIN);
    expect(r1.dec.authority[0]!.ttl).toBe(45);
    s.advance(5);
    const r2 = await s.ask('nx.example.');
    expect(s.calls).toHaveLength(1);
    expect(r2.dec.rcode).toBe(Rcode.NXDOMAIN);
    expect(r2.dec.authority[0]!.ttl).toBe(40);
    expect(await metric('coredns_cache_hits_total', { server: s.server, type: 'denial' })).toBe(1);
    expect(await metric('coredns_cache_entries', { server: s.server, type: 'denial' })).toBe(1);
    // NODATA too; capped at the denial max TTL
    const s3 = setup('cache {\n denial 2048 10\n}');
    s3.answer.fn = (req) => ({ ...nxdomain(req), rcode: Rcode.NOERROR });
    expect((await s3.ask('nodata.example.', Type.AAAA)).dec.authority[0]!.ttl).toBe(10);
    await s3.ask('nodata.example.', Type.AAAA);
    expect(s3.calls).toHaveLength(1);
  });

  test('the key covers type, class, DO and CD; each asker gets EDNS only when it sent EDNS', async () => {
    const s = setup();
    await s.ask('k.example.');
    await s.ask('k.example.', Type.AAAA);
    await s.ask('k.example.', Type.A, { do: true });
    await s.ask('k.example.', Type.A, { cd: true });
    expect(s.calls).toHaveLength(4);
    const plain = await s.ask('k.example.');
    const edns = await s.ask('k.example.', Type.A, { udpSize: 1400 });
    const withDo = await s.ask('k.example.', Type.A, { do: true, udpSize: 4000 });
    expect(s.calls).toHaveLength(4);
    expect(plain.dec.edns).toBeUndefined();
    expect(edns.dec.edns).toMatchObject({ udpSize: 1400, do: false });
    expect(withDo.dec.edns).toMatchObject({ udpSize: 4000, do: true });
    const cd = await s.ask('k.example.', Type.A, { cd: true });
    expect(cd.dec.cd).toBe(true);
    expect(plain.dec.cd).toBe(false);
  });

  test('AD is kept only for askers that set DO or AD; RD follows the asker', async () => {
    const s = setup();
    s.answer.fn = (req) => ({ ...replyTo(req.msg), ad: true, answers: [a(req.question.name, 300, '192.0.2.1')] });
    await s.ask('ad.example.');
    expect((await s.ask('ad.example.')).dec.ad).toBe(false);
    expect((await s.ask('ad.example.', Type.A, { ad: true })).dec.ad).toBe(true);
    expect((await s.ask('ad.example.', Type.A, { rd: false })).dec.rd).toBe(false);
    expect((await s.ask('ad.example.', Type.A, { rd: true })).dec.rd).toBe(true);
  });

  test('a cached answer too big for a UDP asker comes back as fields (the writer truncates)', async () => {
    const s = setup();
    s.answer.fn = (req) => ({ ...replyTo(req.msg), answers: Array.from({ length: 40 }, (_, i) => txt(req.question.name, 300, `record number ${i} with padding`)) });
    await s.ask('big.example.', Type.TXT, { protocol: 'tcp' });
    const udp = await s.ask('big.example.', Type.TXT);
    expect(s.calls).toHaveLength(1);
    expect(udp.res.wire).toBeUndefined();
    expect(udp.res.answers).toHaveLength(40);
    const tcp = await s.ask('big.example.', Type.TXT, { protocol: 'tcp' });
    expect(tcp.wire).toBeDefined();
    expect(tcp.dec.answers).toHaveLength(40);
  });

  test('truncated and REFUSED answers are not cached; SERVFAIL is cached for 5s (servfail 0: never)', async () => {
    const s = setup();
    s.answer.fn = (req) => ({ ...replyTo(req.msg), tc: true });
    await s.ask('tc.example.'); await s.ask('tc.example.');
    s.answer.fn = (req) => replyTo(req.msg, Rcode.REFUSED);
    await s.ask('ref.example.'); await s.ask('ref.example.');
    expect(s.calls).toHaveLength(4);
    s.answer.fn = (req) => replyTo(req.msg, Rcode.SERVFAIL);
    await s.ask('sf.example.'); await s.ask('sf.example.');
    expect(s.calls).toHaveLength(5);
    s.advance(5);
    await s.ask('sf.example.');
    expect(s.calls).toHaveLength(6);
    const s0 = setup('cache {\n servfail 0\n}');
    s0.answer.fn = s.answer.fn;
    await s0.ask('sf.example.'); await s0.ask('sf.example.');
    expect(s0.calls).toHaveLength(2);
  });

  test('a response for another question is not cached and counts as a drop', async () => {
    const s = setup();
    s.answer.fn = (req) => ({ ...replyTo(req.msg), questions: [{ name: 'other.example.', type: Type.A, class: 1 }], answers: [a('other.example.', 300, '192.0.2.1')] });
    await s.ask('q.example.'); await s.ask('q.example.');
    expect(s.calls).toHaveLength(2);
    expect(await metric('coredns_cache_drops_total', { server: s.server })).toBe(2);
    // Also for a name whose success and denial caching are both disabled (it skips the store).
    const d = setup('cache {\n disable success example.\n disable denial example.\n}');
    d.answer.fn = s.answer.fn;
    await d.ask('q.example.'); await d.ask('Q.example.');
    expect(await metric('coredns_cache_drops_total', { server: d.server })).toBe(2);
    d.answer.fn = (req) => ({ ...replyTo(req.msg), ra: true, answers: [a(req.question.name, 300, '192.0.2.1')] });
    await d.ask('q.example.');
    expect(await metric('coredns_cache_drops_total', { server: d.server })).toBe(2);
  });

  test('only names in the cache zones; disable success/denial per zone', async () => {
    const s = setup('cache 60 example.org');
    await s.ask('a.example.net.'); await s.ask('a.example.net.');
    await s.ask('a.example.org.'); await s.ask('a.example.org.');
    expect(s.calls).toHaveLength(3);
    const d = setup('cache {\n disable success sub.example.org\n}');
    await d.ask('x.sub.example.org.'); await d.ask('x.sub.example.org.');
    await d.ask('x.example.org.'); await d.ask('x.example.org.');
    expect(d.calls).toHaveLength(3);
    const n = setup('cache {\n disable denial\n}');
    n.answer.fn = (req) => nxdomain(req);
    await n.ask('nx.example.'); await n.ask('nx.example.');
    expect(n.calls).toHaveLength(2);
  });

  test('a name whose success and denial caching are both disabled goes straight on: no waiting behind the same query', async () => {
    const s = setup('cache {\n disable success cluster.local\n disable denial cluster.local\n}');
    const pending: (() => void)[] = [];
    const next: Next = (req) => { s.calls.push(req); return new Promise<Message>((r) => pending.push(() => r(nxdomain(req)))); };
    // Two of the same query at once: nothing for the name is ever stored, so the second does not
    // wait for the first's fetch (it would find nothing to read) but asks the next plugin itself.
    const one = s.c.serve(makeReq('x.ns.svc.cluster.local.', Type.A), next);
    const two = s.c.serve(makeReq('x.ns.svc.cluster.local.', Type.A), next);
    expect(s.calls).toHaveLength(2);
    for (const p of pending) p();
    expect((await one).rcode).toBe(Rcode.NXDOMAIN);
    expect((await two).rcode).toBe(Rcode.NXDOMAIN);
    expect(await metric('coredns_cache_requests_total', { server: s.server })).toBe(2);
    expect(await metric('coredns_cache_misses_total', { server: s.server })).toBe(2);
    // Outside those zones the cache works as before.
    await s.ask('a.example.org.'); await s.ask('a.example.org.');
    expect(s.calls).toHaveLength(3);
  });

  test('keepttl serves the stored TTL without counting down', async () => {
    const s = setup('cache {\n keepttl\n}');
    await s.ask('k.example.');
    s.advance(100);
    expect((await s.ask('k.example.')).dec.answers[0]!.ttl).toBe(300);
  });

  test('prefetch refreshes a popular entry before it expires', async () => {
    const s = setup('cache {\n prefetch 2 1m 50%\n}');
    s.answer.fn = (req) => ({ ...replyTo(req.msg), answers: [a(req.question.name, 100, `192.0.2.${s.calls.length}`)] });
    await s.ask('p.example.');            // miss, stored with TTL 100
    await s.ask('p.example.');            // hit 1: TTL 100 > 50: no prefetch
    expect(s.calls).toHaveLength(1);
    s.advance(60);
    const r = await s.ask('p.example.');  // hit 2 at TTL 40 <= 50 and 2 hits: prefetch, served from cache
    expect(r.dec.answers[0]!.ttl).toBe(40);
    await sleep(10);
    expect(s.calls).toHaveLength(2);
    const after = await s.ask('p.example.');
    expect(after.dec.answers[0]!.ttl).toBe(100);
    expect((after.dec.answers[0]!.data as { address: string }).address).toBe('192.0.2.2');
    expect(await metric('coredns_cache_prefetch_total', { server: s.server })).toBe(1);
  });

  test('serve_stale: an expired entry is served with TTL 0 and refreshed; a failed refresh keeps it', async () => {
    const s = setup('cache {\n serve_stale 1h\n}');
    await s.ask('st.example.');
    s.advance(400);
    s.answer.fn = (req) => replyTo(req.msg, Rcode.SERVFAIL);
    const stale = await s.ask('st.example.');
    expect(stale.dec.rcode).toBe(Rcode.NOERROR);
    expect(stale.dec.answers[0]!.ttl).toBe(0);
    await sleep(10);
    expect(s.calls).toHaveLength(2);
    expect((await s.ask('st.example.')).dec.answers[0]!.ttl).toBe(0); // still stale (SERVFAIL did not replace it)
    await sleep(10);
    s.answer.fn = (req) => ({ ...replyTo(req.msg), answers: [a(req.question.name, 300, '192.0.2.7')] });
    await s.ask('st.example.');
    await sleep(10);
    expect((await s.ask('st.example.')).dec.answers[0]!.ttl).toBe(300);
    expect(await metric('coredns_cache_served_stale_total', { server: s.server })).toBe(3);
    // beyond the stale window: a miss
    s.advance(300 + 3601);
    await s.ask('st.example.');
    expect(s.calls.length).toBeGreaterThanOrEqual(5);
  });

  test('serve_stale verified asks first and serves stale only when the source fails', async () => {
    const s = setup('cache {\n serve_stale 1h verified\n}');
    await s.ask('v.example.');
    s.advance(400);
    s.answer.fn = (req) => ({ ...replyTo(req.msg), answers: [a(req.question.name, 300, '192.0.2.8')] });
    const fresh = await s.ask('v.example.');
    expect(fresh.dec.answers[0]!.ttl).toBe(300);
    expect((fresh.dec.answers[0]!.data as { address: string }).address).toBe('192.0.2.8');
    s.advance(400);
    s.answer.fn = (req) => replyTo(req.msg, Rcode.SERVFAIL);
    const stale = await s.ask('v.example.');
    expect(stale.dec.rcode).toBe(Rcode.NOERROR);
    expect(stale.dec.answers[0]!.ttl).toBe(0);
  });

  test('max_bytes bounds a cache in bytes: large answers push older ones out', async () => {
    const s = setup('cache {\n max_bytes 16K\n}');
    s.answer.fn = (req) => ({ ...replyTo(req.msg), answers: Array.from({ length: 8 }, (_, i) => txt(req.question.name, 300, `${i}`.padEnd(120, 'x'))) });
    for (let i = 0; i < 40; i++) await s.ask(`big${i}.example.`, Type.TXT, { protocol: 'tcp' });
    const held = s.c.store.count(SUCCESS);
    expect(held).toBeGreaterThan(5);
    expect(held).toBeLessThan(16);                      // ~1.1 KB each in 16 KiB
    expect(s.c.store.used(SUCCESS)).toBeLessThanOrEqual(16 * 1024);
    expect(await metric('coredns_cache_evictions_total', { server: s.server, type: 'success' })).toBe(40 - held);
    await s.ask('big39.example.', Type.TXT, { protocol: 'tcp' });   // the newest is still there
    expect(s.calls).toHaveLength(40);
    await s.ask('big0.example.', Type.TXT, { protocol: 'tcp' });    // the oldest is gone
    expect(s.calls).toHaveLength(41);
  });

  test('capacity is rounded to a multiple of 256 (at least 1024) and evictions are counted', async () => {
    const s = setup('cache {\n success 1000\n}');
    expect(s.c.cfg.pcap).toBe(1024);
    for (let i = 0; i < 1030; i++) await s.ask(`n${i}.example.`);
    expect(s.c.store.count(SUCCESS)).toBe(1024);
    expect(await metric('coredns_cache_evictions_total', { server: s.server, type: 'success' })).toBe(6);
  });
});

describe('cache: concurrent misses in one thread', () => {
  test('wait for the first fetch; an answer that may not be cached lets the waiters ask at once', async () => {
    const s = setup();
    let pending: ((m: Message) => void)[] = [];
    const next: Next = (req) => new Promise<Message>((resolve) => {
      s.calls.push(req);
      pending.push((m) => resolve(m));
    });
    const ask = (name: string) => s.c.serve(makeReq(name, Type.A), next) as Promise<Message>;
    // cacheable: one fetch, three answers
    const three = [ask('w.example.'), ask('w.example.'), ask('w.example.')];
    await sleep(20);
    expect(s.calls).toHaveLength(1);
    pending.shift()!({ ...replyTo(s.calls[0]!.msg), answers: [a('w.example.', 300, '192.0.2.1')] });
    expect((await Promise.all(three)).map((r) => r.answers[0]!.ttl)).toEqual([300, 300, 300]);
    // REFUSED (not cached): the two waiters then ask together, not one after the other
    s.calls.length = 0;
    pending = [];
    const more = [ask('r.example.'), ask('r.example.'), ask('r.example.')];
    await sleep(20);
    expect(s.calls).toHaveLength(1);
    pending.shift()!(replyTo(s.calls[0]!.msg, Rcode.REFUSED));
    await sleep(20);
    expect(s.calls).toHaveLength(3);
    for (const p of pending) p(replyTo(s.calls[0]!.msg, Rcode.REFUSED));
    expect((await Promise.all(more)).map((r) => r.rcode)).toEqual([Rcode.REFUSED, Rcode.REFUSED, Rcode.REFUSED]);
  });
});
