/**
 * A plugin that changes the response it got from `next` does it with derive() (src/dns/message.ts)
 * and nothing else: the client gets the new bytes (not the stale `wire` of the original), and
 * metrics and observers still name the plugin that wrote the original answer — the chain keeps
 * the writer, no plugin touches its bookkeeping.
 */
import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../src/dns/codec.ts';
import { a, derive, fieldsOf, replyTo } from '../../src/dns/message.ts';
import { Type, type Message } from '../../src/dns/types.ts';
import type { Plugin, ResponseObserver } from '../../src/plugin/contract.ts';
import { buildChain } from '../../src/server/chain.ts';
import { QueryHandler } from '../../src/server/handler.ts';
import { metric, scrape } from './helpers.ts';
import { buildQuery, query } from '../support/dns-client.ts';
import { freePort } from '../support/ports.ts';
import { startTestServer } from '../support/server.ts';
import { Upstream } from '../support/upstream.ts';

/** Answers every A query with 192.0.2.1, pre-encoded (as cache and forward hand over responses). */
const encoder: Plugin = {
  name: 'encoder',
  serve(req) {
    const m = replyTo(req.msg);
    m.answers = [a(req.question.name, 60, '192.0.2.1')];
    m.wire = encode(m);
    return m;
  },
};

/** Rewrites the address of the answer it gets from next, through derive() only. */
const renumber: Plugin = {
  name: 'renumber',
  serve(req, next) {
    const res = next(req) as Message;
    const fields = fieldsOf(res);
    return derive(res, { answers: fields.answers.map((rr) => ({ ...rr, data: { address: '198.51.100.7' } })) }, fields);
  },
};

/** Builds its own response from the one it got: a new answer, so it is the writer. */
const replacer: Plugin = {
  name: 'replacer',
  serve(req, next) {
    next(req);
    const m = replyTo(req.msg);
    m.answers = [a(req.question.name, 60, '203.0.113.3')];
    return m;
  },
};

function run(plugins: Plugin[]): Promise<{ bytes: Buffer; writer: string }> {
  let bytes: Buffer | null = null;
  return new Promise((resolve) => {
    // The handler writes the bytes, then tells the observers (prometheus, log) who wrote them.
    const observers: ResponseObserver[] = [(_req, _res, _size, writer) => resolve({ bytes: bytes!, writer })];
    const block = { zones: ['.'], server: 'dns://:53', plugins, observers, chain: buildChain(plugins, true) };
    const h = new QueryHandler([block], { info() {}, warning() {}, error() {}, debug() {} });
    const t = { protocol: 'udp' as const, remoteAddress: '127.0.0.1', remotePort: 5353, localAddress: '127.0.0.1', localPort: 53 };
    h.handle(buildQuery('x.example', 'A', { id: 77 }), t, (b) => { bytes = b; });
  });
}

describe('the chain keeps the writer of a derived response', () => {
  it('new bytes on the wire, the original writer named', async () => {
    const { bytes, writer } = await run([renumber, encoder]);
    const got = decode(bytes);
    expect(got.id).toBe(77);
    expect(got.answers.map((rr) => (rr.data as { address: string }).address)).toEqual(['198.51.100.7']);
    expect(writer).toBe('encoder');
  });

  it('a response built afresh names the plugin that built it; next.plugin names what follows', async () => {
    expect((await run([replacer, encoder])).writer).toBe('replacer');
    const seen: (string | undefined)[] = [];
    const peek: Plugin = { name: 'peek', serve(req, next) { seen.push(next.plugin?.name); return next(req); } };
    await run([peek, renumber, encoder]);
    expect(seen).toEqual(['renumber']);
    expect(buildChain([peek, encoder], false).plugin).toBe(peek);
  });

  it('derive drops wire and leaves the original as it was', () => {
    const m = replyTo(decode(buildQuery('x.example', 'A')));
    m.wire = encode(m);
    const d = derive(m, { aa: true });
    expect('wire' in d).toBe(false);
    expect(m.wire).toBeDefined();
    expect(m.aa).toBe(false);
    expect(d.aa).toBe(true);
  });
});

describe('rewrite and loadbalance over forward, through the real server', () => {
  it('the client gets the rewritten bytes and metrics name forward as the writer', async () => {
    const u = await Upstream.start();
    const mport = await freePort();
    for (let i = 1; i <= 4; i++) u.add({ name: 'real.example.', type: 'A', ttl: 60, data: `192.0.2.${i}` });
    const s = await startTestServer(`. {\n  prometheus 127.0.0.1:${mport}\n  rewrite name exact asked.example real.example\n  loadbalance\n  forward . ${u.address}\n}\n`);
    try {
      const r = await query(s.port, 'asked.example', Type.A);
      expect(r.questions[0]!.name).toBe('asked.example');     // forward's wire said real.example
      expect(r.answers.map((x) => x.address).sort()).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4']);
      const samples = await scrape(mport);
      const server = `dns://:${s.port}`;
      expect(metric(samples, 'coredns_dns_responses_total', { server, rcode: 'NOERROR', plugin: 'forward' })).toBe(1);
      expect(metric(samples, 'coredns_dns_responses_total', { server, plugin: 'rewrite' })).toBe(0);
      expect(metric(samples, 'coredns_dns_responses_total', { server, plugin: 'loadbalance' })).toBe(0);
    } finally {
      await s.stop();
      await u.close();
    }
  });
});
