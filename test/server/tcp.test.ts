// TCP transport: length framing, pipelining on one connection, frames split across segments,
// the read timeout for a started frame, frames too short to be DNS, and the server serving on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';
import { buildQuery, decodeWithDns2, query, TYPE } from '../support/dns-client.ts';
import { TCP_IDLE_TIMEOUT_MS, TCP_READ_TIMEOUT_MS } from '../../src/server/listeners.ts';
import { header, TcpSession } from './helpers.ts';
import { listenTcp } from '../../src/server/listeners.ts';
import { QueryHandler } from '../../src/server/handler.ts';
import { buildChain } from '../../src/server/chain.ts';
import { makeLogger } from '../../src/server/log.ts';
import { replyTo } from '../../src/dns/message.ts';
import type { Plugin } from '../../src/plugin/contract.ts';
import { sleep } from '../support/wait.ts';

describe('TCP', () => {
  let s: TestServer;
  beforeAll(async () => { s = await startTestServer('. {\n  whoami\n}\n'); });
  afterAll(() => s.stop());

  it('answers several queries pipelined on one connection (matched by id)', async () => {
    const t = await TcpSession.open(s.port);
    const ids = Array.from({ length: 20 }, (_, i) => 1000 + i * 7);
    // all frames in a single write: the server must split them itself
    t.write(Buffer.concat(ids.map((id, i) => TcpSession.frame(buildQuery(`q${i}.example.org`, 'A', { id })))));
    const got = await t.waitFor(ids.length);
    expect(got).toHaveLength(ids.length);
    const byId = new Map(got.map((m) => [header(m).id, decodeWithDns2(m)]));
    expect([...byId.keys()].sort((a, b) => a - b)).toEqual(ids);
    for (const [i, id] of ids.entries()) {
      const r = byId.get(id)!;
      expect(r.questions[0]!.name).toBe(`q${i}.example.org`);
      expect(r.additionals.find((x) => x.type === TYPE.SRV)!.port).toBe(t.sock.localPort);
    }
    expect(t.closed).toBe(false);
    t.destroy();
  });

  it('reassembles frames split across segments, byte by byte', async () => {
    const t = await TcpSession.open(s.port);
    t.sock.setNoDelay(true);
    const f = Buffer.concat([TcpSession.frame(buildQuery('split.example.org', 'A', { id: 31 })), TcpSession.frame(buildQuery('two.example.org', 'A', { id: 32 }))]);
    for (let i = 0; i < f.length; i++) {
      t.write(f.subarray(i, i + 1));
      if (i % 8 === 0) await sleep(1);
    }
    const got = await t.waitFor(2);
    expect(got.map((m) => header(m).id).sort()).toEqual([31, 32]);
    t.destroy();
  });

  it('closes a connection whose frame does not complete within the read timeout, but keeps an idle one open longer', async () => {
    expect(TCP_READ_TIMEOUT_MS).toBeLessThan(TCP_IDLE_TIMEOUT_MS);
    const half = await TcpSession.open(s.port);
    const full = TcpSession.frame(buildQuery('half.example.org', 'A', { id: 5 }));
    half.write(full.subarray(0, 10));         // length and a few bytes, then nothing
    const idle = await TcpSession.open(s.port);
    idle.write(TcpSession.frame(buildQuery('idle.example.org', 'A', { id: 6 })));
    expect(await idle.waitFor(1)).toHaveLength(1);
    // a slow drip: one byte of a frame every 400 ms never completes a frame in time either
    const drip = await TcpSession.open(s.port);
    const dripFrame = TcpSession.frame(buildQuery('drip.example.org', 'A', { id: 7 }));
    let sent = 0;
    const dripper = setInterval(() => { if (!drip.closed && sent < dripFrame.length) drip.write(dripFrame.subarray(sent, ++sent)); }, 400);
    try {
      await sleep(TCP_READ_TIMEOUT_MS / 2);
      expect(half.closed).toBe(false);        // not closed at once
      await Promise.race([half.closedAt, sleep(TCP_READ_TIMEOUT_MS * 2)]);
      expect(half.closed).toBe(true);
      expect(half.messages).toHaveLength(0);
      await Promise.race([drip.closedAt, sleep(TCP_READ_TIMEOUT_MS * 2)]);
      expect(drip.closed).toBe(true);         // the read timeout runs per frame, not per segment
      expect(drip.messages).toHaveLength(0);
      // the connection that finished its query is idle, not reading: the idle timeout (10 s) applies
      expect(idle.closed).toBe(false);
      idle.write(TcpSession.frame(buildQuery('again.example.org', 'A', { id: 8 })));
      expect((await idle.waitFor(2)).map((m) => header(m).id)).toEqual([6, 8]);
    } finally {
      clearInterval(dripper);
      idle.destroy(); drip.destroy(); half.destroy();
    }
  });

  it.each([0, 1, 11])('closes the connection on a frame of length %i (cannot be DNS), and still serves', async (len) => {
    const t = await TcpSession.open(s.port);
    const bad = Buffer.alloc(2 + len);
    bad.writeUInt16BE(len, 0);
    t.write(Buffer.concat([bad, TcpSession.frame(buildQuery('after.example.org', 'A', { id: 9 }))]));
    await Promise.race([t.closedAt, sleep(2000)]);
    expect(t.closed).toBe(true);
    expect(t.messages).toHaveLength(0);
    const r = await query(s.port, 'still.example.org', 'A', { protocol: 'tcp' });
    expect(r.header.rcode).toBe(0);
  });

  it('answers a malformed frame of DNS size with FORMERR and keeps the connection', async () => {
    const t = await TcpSession.open(s.port);
    const junk = Buffer.alloc(20, 0xff);
    junk.writeUInt16BE(0x4242, 0);
    junk[2] = 0x01; // QR=0, RD
    junk.writeUInt16BE(1, 4); // qdcount 1 followed by a label length that overruns
    t.write(Buffer.concat([TcpSession.frame(junk), TcpSession.frame(buildQuery('ok.example.org', 'A', { id: 43 }))]));
    const got = await t.waitFor(2);
    expect(got).toHaveLength(2);
    const formerr = got.find((m) => header(m).id === 0x4242)!;
    expect(header(formerr).rcode).toBe(1);
    expect(header(formerr).qr).toBe(1);
    expect(header(got.find((m) => header(m).id === 43)!).rcode).toBe(0);
    expect(t.closed).toBe(false);
    t.destroy();
  });
});

describe('TCP pipelining with slow answers', () => {
  it('answers each query as soon as it is ready, not in arrival order (no head-of-line blocking)', async () => {
    // a plugin that answers names starting with "slow" after 300 ms and the rest at once
    const slow: Plugin = {
      name: 'slow',
      serve(req) {
        const r = replyTo(req.msg);
        return req.qname.startsWith('slow') ? new Promise((ok) => setTimeout(() => ok(r), 300)) : r;
      },
    };
    const log = makeLogger({ write: () => {} });
    const h = new QueryHandler([{ zones: ['.'], server: 'dns://:0', plugins: [slow], observers: [], chain: buildChain([slow], false) }], log);
    const l = await listenTcp('127.0.0.1', 0, h, false, log);
    try {
      const t = await TcpSession.open(l.port);
      t.write(Buffer.concat([
        TcpSession.frame(buildQuery('slow1.example.org', 'A', { id: 1 })),
        TcpSession.frame(buildQuery('fast2.example.org', 'A', { id: 2 })),
        TcpSession.frame(buildQuery('slow3.example.org', 'A', { id: 3 })),
        TcpSession.frame(buildQuery('fast4.example.org', 'A', { id: 4 })),
      ]));
      const got = await t.waitFor(4);
      expect(got.map((m) => header(m).id)).toEqual([2, 4, 1, 3]);
      // a connection with answers pending is not cut by the read or idle timer meanwhile
      expect(t.closed).toBe(false);
      t.destroy();
      expect(h.inflight).toBe(0);

      // a client that half-closes (FIN after its queries) still gets every answer, then the server closes
      const hc = await TcpSession.open(l.port);
      hc.write(Buffer.concat([
        TcpSession.frame(buildQuery('slow5.example.org', 'A', { id: 5 })),
        TcpSession.frame(buildQuery('fast6.example.org', 'A', { id: 6 })),
      ]));
      hc.sock.end();
      const both = await hc.waitFor(2);
      expect(both.map((m) => header(m).id)).toEqual([6, 5]);
      await Promise.race([hc.closedAt, sleep(2000)]);
      expect(hc.closed).toBe(true);
    } finally {
      await l.close();
    }
  });
});
