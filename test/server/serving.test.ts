// The query path end to end over real sockets: whoami over UDP and TCP, the question echoed as
// asked, server-block selection by longest zone, REFUSED outside every zone, the root block, and
// EDNS (OPT echo, truncation at 512 / the client's size, BADVERS).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';
import { buildQuery, decodeWithDns2, exchange, query, resolver, TYPE } from '../support/dns-client.ts';
import { findOpt, header, opt, packet, question } from './helpers.ts';

const LONG = (c: string) => c.repeat(150);
const AUTHORS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map(LONG);

describe('serving', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(`
example.org {
  whoami
}
sub.example.org {
  hosts {
    10.1.1.1 a.sub.example.org
  }
}
bind {
  chaos clusterdns-test ${AUTHORS.join(' ')}
}
`);
  });
  afterAll(() => s.stop());

  it.each(['udp', 'tcp'] as const)('whoami over %s: A and SRV in additional with the client address and port', async (protocol) => {
    const r = await query(s.port, 'example.org', 'A', { protocol });
    expect(r.header.rcode).toBe(0);
    expect(r.header.qr).toBe(1);
    expect(r.header.aa).toBe(1);
    expect(r.answers).toHaveLength(0);
    const a = r.additionals.find((x) => x.type === TYPE.A)!;
    const srv = r.additionals.find((x) => x.type === TYPE.SRV)!;
    expect(a.address).toBe('127.0.0.1');
    expect(a.name.toLowerCase()).toBe('example.org');
    expect(a.ttl).toBe(0);
    expect(srv.name.toLowerCase()).toBe(`_${protocol}.example.org`);
    expect(srv.port).toBeGreaterThan(0);
    expect(srv.target).toBe('');
  });

  it('whoami SRV carries the source port the query came from', async () => {
    // Send from a socket whose port we know.
    const dgram = await import('node:dgram');
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const myPort = sock.address().port;
    const answer = new Promise<Buffer>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no answer')), 2000);
      sock.once('message', (m) => { clearTimeout(t); resolve(m); });
    });
    sock.send(buildQuery('example.org', 'A', { id: 4242 }), s.port, '127.0.0.1');
    const raw = await answer;
    sock.close();
    const r = decodeWithDns2(raw);
    expect(r.header.id).toBe(4242);
    expect(r.additionals.find((x) => x.type === TYPE.SRV)!.port).toBe(myPort);
  });

  it('echoes the question exactly as asked (mixed case) and matches case-insensitively', async () => {
    const q = buildQuery('ExAmPlE.OrG', 'A', { id: 7 });
    const raw = (await exchange(s.port, q))!;
    expect(raw).not.toBeNull();
    const h = header(raw);
    expect(h.rcode).toBe(0);
    expect(h.aa).toBe(1);                     // whoami answered: the zone matched despite the case
    const qlen = q.length - 12;               // no OPT: the question is the rest of the query
    expect(raw.subarray(12, 12 + qlen).equals(q.subarray(12, 12 + qlen))).toBe(true);
    expect(decodeWithDns2(raw).questions[0]!.name).toBe('ExAmPlE.OrG');
  });

  it('picks the block with the longest matching zone on a shared port', async () => {
    // sub.example.org's block (hosts) answers its names; example.org's (whoami) answers the rest.
    const sub = await query(s.port, 'a.sub.example.org', 'A');
    expect(sub.answers.map((x) => x.address)).toEqual(['10.1.1.1']);
    const subMiss = await query(s.port, 'b.sub.example.org', 'A');
    // hosts without fallthrough answers SERVFAIL for a name it lacks (as CoreDNS): not whoami's NOERROR
    expect(subMiss.header.rcode).toBe(2);
    expect(subMiss.additionals).toHaveLength(0);
    const parent = await query(s.port, 'b.example.org', 'A');
    expect(parent.header.rcode).toBe(0);
    expect(parent.additionals.some((x) => x.type === TYPE.SRV)).toBe(true);
    // and an independent client (c-ares) sees the same thing
    expect(await resolver(s.port).resolve4('a.sub.example.org')).toEqual(['10.1.1.1']);
  });

  it('answers REFUSED for a name in no zone, with the same id and question', async () => {
    for (const protocol of ['udp', 'tcp'] as const) {
      const r = await query(s.port, 'example.net', 'A', { protocol, id: 999 });
      expect(r.header.rcode).toBe(5);
      expect(r.header.id).toBe(999);
      expect(r.questions[0]!.name).toBe('example.net');
    }
    // "example.org" must not match "notexample.org": zones are whole labels
    expect((await query(s.port, 'notexample.org', 'A')).header.rcode).toBe(5);
  });
});

describe('root block', () => {
  let s: TestServer;
  beforeAll(async () => { s = await startTestServer('. {\n  whoami\n}\n'); });
  afterAll(() => s.stop());

  it('serves every name, and the root itself', async () => {
    for (const name of ['anything.test', 'a.b.c.d.e', 'example.org']) {
      const r = await query(s.port, name, 'AAAA');
      expect(r.header.rcode).toBe(0);
      expect(r.additionals.find((x) => x.type === TYPE.A)!.address).toBe('127.0.0.1');
    }
    const raw = (await exchange(s.port, packet({ id: 5 }, question('.', 1))))!;
    const r = decodeWithDns2(raw);
    expect(r.header.rcode).toBe(0);
    // CoreDNS names the SRV "_udp." for the root
    expect(r.additionals.find((x) => x.type === TYPE.SRV)!.name).toBe('_udp');
  });
});

describe('EDNS', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(`. {\n  chaos clusterdns-test ${AUTHORS.join(' ')}\n  whoami\n}\n`);
  });
  afterAll(() => s.stop());

  it('echoes OPT when the query had one, and adds none otherwise', async () => {
    const withOpt = (await exchange(s.port, buildQuery('example.org', 'A', { udpSize: 1400 })))!;
    const o = findOpt(withOpt);
    expect(o).toBeDefined();
    expect(o!.version).toBe(0);
    expect(o!.udpSize).toBe(1400);            // the client's size, as CoreDNS's SizeAndDo echoes it
    expect(o!.do).toBe(false);
    const withDo = findOpt((await exchange(s.port, buildQuery('example.org', 'A', { udpSize: 1232, do: true })))!)!;
    expect(withDo.do).toBe(true);             // DO echoed
    const without = (await exchange(s.port, buildQuery('example.org', 'A')))!;
    expect(findOpt(without)).toBeUndefined();
    expect(header(without).ar).toBe(2);       // A + SRV, no OPT
  });

  it('truncates an answer over 512 bytes without EDNS (TC=1) over UDP, complete over TCP', async () => {
    const q = buildQuery('authors.bind', 'TXT', { class: 3, id: 11 });
    const udp = (await exchange(s.port, q, 'udp'))!;
    const hu = header(udp);
    expect(udp.length).toBeLessThanOrEqual(512);
    expect(hu.tc).toBe(1);
    expect(hu.id).toBe(11);
    expect(hu.an).toBeLessThan(AUTHORS.length);
    // what is there still parses (records dropped whole, counts adjusted)
    expect(decodeWithDns2(udp).answers).toHaveLength(hu.an);

    const tcp = (await exchange(s.port, q, 'tcp'))!;
    const ht = header(tcp);
    expect(tcp.length).toBeGreaterThan(512);
    expect(ht.tc).toBe(0);
    expect(ht.an).toBe(AUTHORS.length);
    const texts = decodeWithDns2(tcp).answers.map((a) => (a.data as string[]).join(''));
    expect(texts).toEqual(AUTHORS);
  });

  it("honours the client's EDNS UDP size, up to the server's 1232-byte UDP limit", async () => {
    // a 4096 offer is held to 1232 without bufsize (see test/server/udp-answer-size.test.ts)
    const big = (await exchange(s.port, buildQuery('authors.bind', 'TXT', { class: 3, udpSize: 4096 })))!;
    expect(header(big).tc).toBe(1);
    expect(big.length).toBeLessThanOrEqual(1232);
    expect(big.length).toBeGreaterThan(900);

    const mid = (await exchange(s.port, buildQuery('authors.bind', 'TXT', { class: 3, udpSize: 900 })))!;
    expect(header(mid).tc).toBe(1);
    expect(mid.length).toBeLessThanOrEqual(900);
    expect(mid.length).toBeGreaterThan(512);
    expect(findOpt(mid)).toBeDefined();       // OPT survives truncation

    // A size below 512 counts as 512 (RFC 6891 6.2.5).
    const tiny = (await exchange(s.port, buildQuery('authors.bind', 'TXT', { class: 3, udpSize: 100 })))!;
    expect(header(tiny).tc).toBe(1);
    expect(tiny.length).toBeGreaterThan(100);
    expect(tiny.length).toBeLessThanOrEqual(512);
  });

  it('answers BADVERS to EDNS version 1, with an OPT of version 0', async () => {
    const raw = (await exchange(s.port, packet({ id: 77, ar: 1 }, Buffer.concat([question('example.org', 1), opt(1232, 1)]))))!;
    expect(raw).not.toBeNull();
    const h = header(raw);
    expect(h.id).toBe(77);
    const o = findOpt(raw)!;
    expect(o).toBeDefined();
    expect((o.extRcode << 4) | h.rcode).toBe(16); // BADVERS = 16: 1 in the OPT's upper bits, 0 in the header
    expect(o.version).toBe(0);
    expect(h.an + h.ar).toBe(1);              // nothing but the OPT
  });
});
