// A plugin that throws (synchronously, by rejecting, or by returning a response that cannot be
// encoded) gives SERVFAIL and counts in coredns_panics_total; the listener keeps serving. The
// QueryHandler is driven through a real UDP/TCP listener with a chain built from test plugins.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenTcp, listenUdp, type Listener } from '../../src/server/listeners.ts';
import { QueryHandler, type BlockRuntime } from '../../src/server/handler.ts';
import { buildChain } from '../../src/server/chain.ts';
import { makeLogger } from '../../src/server/log.ts';
import { registry } from '../../src/metrics/registry.ts';
import { panics } from '../../src/metrics/dns.ts';
import { replyTo, a } from '../../src/dns/message.ts';
import type { Plugin } from '../../src/plugin/contract.ts';
import { query } from '../support/dns-client.ts';

async function panicCount(): Promise<number> {
  panics(); // make sure it is registered
  const m = await registry.getSingleMetric('coredns_panics_total')!.get();
  return m.values.reduce((s, v) => s + v.value, 0);
}

const boom: Plugin = {
  name: 'boom',
  serve(req, next) {
    const l = req.qname.split('.')[0];
    if (l === 'sync') throw new Error('sync boom');
    if (l === 'async') return Promise.reject(new Error('async boom'));
    if (l === 'string') throw 'a string, not an Error'; // eslint-disable-line no-throw-literal
    if (l === 'badrr') {
      const r = replyTo(req.msg);
      r.answers.push(a(req.question.name, 0, 'not-an-ip'));
      return r;
    }
    if (l === 'later') return new Promise((_, rej) => setTimeout(() => rej(new Error('late boom')), 5));
    return next(req);
  },
};
const fine: Plugin = { name: 'fine', serve: (req) => { const r = replyTo(req.msg); r.answers.push(a(req.question.name, 5, '192.0.2.1')); return r; } };

describe('panics in the plugin chain', () => {
  const logs: string[] = [];
  const observed: string[] = [];
  let udp: Listener, tcp: Listener;
  beforeAll(async () => {
    const block: BlockRuntime = {
      zones: ['.'], server: 'dns://:0', plugins: [boom, fine],
      observers: [
        (req, res, _size, writer) => { observed.push(`${req.qname} ${res.rcode} ${writer}`); },
        () => { throw new Error('observer boom'); },
      ],
      chain: buildChain([boom, fine], true),
    };
    const log = makeLogger({ write: (l) => logs.push(l) });
    const h = new QueryHandler([block], log);
    // UDP on a free port, then TCP on the same number; another test process may hold that TCP
    // port, so try a few ports.
    for (let attempt = 0; ; attempt++) {
      udp = await listenUdp('127.0.0.1', 0, h, false, log);
      try {
        tcp = await listenTcp('127.0.0.1', udp.port, h, false, log);
        break;
      } catch (e) {
        await udp.close();
        if (attempt >= 5) throw e;
      }
    }
  });
  afterAll(async () => { await udp.close(); await tcp.close(); });

  it.each([
    ['sync.example.org', 'udp'], ['async.example.org', 'udp'], ['string.example.org', 'udp'], ['badrr.example.org', 'udp'],
    ['later.example.org', 'tcp'], ['sync.example.org', 'tcp'],
  ] as const)('%s over %s → SERVFAIL, panics counted, still serving', async (name, protocol) => {
    const before = await panicCount();
    const r = await query(udp.port, name, 'A', { protocol, id: 321 });
    expect(r.header.rcode).toBe(2);
    expect(r.header.id).toBe(321);
    expect(r.answers).toHaveLength(0);
    expect(await panicCount()).toBe(before + 1);
    expect(logs.some((l) => l.startsWith('[ERROR] Recovered from panic in server: "dns://:0"'))).toBe(true);
    const ok = await query(udp.port, 'ok.example.org', 'A', { protocol });
    expect(ok.header.rcode).toBe(0);
    expect(ok.answers.map((x) => x.address)).toEqual(['192.0.2.1']);
  });

  it('reports the panic response to observers, and a throwing observer does not stop the reply', async () => {
    observed.length = 0;
    const r = await query(udp.port, 'sync.example.org', 'A');
    expect(r.header.rcode).toBe(2);
    expect(observed).toEqual(['sync.example.org. 2 ']); // SERVFAIL written by the server, not a plugin
    const ok = await query(udp.port, 'ok.example.org', 'A');
    expect(ok.header.rcode).toBe(0);
    expect(observed[1]).toBe('ok.example.org. 0 fine');
    expect(logs.some((l) => l.includes('observer failed: Error: observer boom'))).toBe(true);
  });

  it('100 throwing queries in a row leave the handler with nothing in flight', async () => {
    const before = await panicCount();
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => query(udp.port, i % 2 ? 'sync.x' : 'async.x', 'A')));
    expect(answers.every((r) => r.header.rcode === 2)).toBe(true);
    expect(await panicCount()).toBe(before + 100);
    expect(udp.handler.inflight).toBe(0);
  });
});
