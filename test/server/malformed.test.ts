// Malformed and unwanted input over UDP: each case gets FORMERR (same id) or is dropped, never
// crashes the handler, and the server keeps answering. Responses (QR=1) are never answered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';
import { buildQuery, exchange, query } from '../support/dns-client.ts';
import { prng } from '../dns/helpers.ts';
import dgram from 'node:dgram';
import { header, opt, packet, question, udpCollect } from './helpers.ts';
import { sleep } from '../support/wait.ts';

const FORMERR = 1, NOTIMP = 4;

describe('malformed input over UDP', () => {
  let s: TestServer;
  beforeAll(async () => { s = await startTestServer('. {\n  whoami\n}\n'); });
  afterAll(() => s.stop());

  const stillServes = async () => {
    const r = await query(s.port, 'alive.example.org', 'A');
    expect(r.header.rcode).toBe(0);
  };
  const escaped = () => s.logs.filter((l) => /udp query from|Recovered from panic/.test(l));

  it('drops a packet shorter than a header', async () => {
    for (const len of [0, 1, 5, 11]) {
      const b = Buffer.alloc(len, 0x11);
      expect(await udpCollect(s.port, b, 150)).toEqual([]);
    }
    await stillServes();
  });

  const formerrCases: [string, Buffer][] = [
    ['a label length running past the end', packet({ id: 0x0101 }, Buffer.from([0x3f, 0x61, 0x62, 0x00, 0x00, 0x01]))],
    ['a label length of 64 (reserved bits 01)', packet({ id: 0x0102 }, Buffer.concat([Buffer.from([0x40]), Buffer.alloc(64, 0x61), Buffer.from([0, 0, 1, 0, 1])]))],
    ['a compression pointer to itself', packet({ id: 0x0103 }, Buffer.from([0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01]))],
    ['a compression loop between two pointers', packet({ id: 0x0104 }, Buffer.from([0x01, 0x61, 0xc0, 0x0e, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01]))],
    ['a forward compression pointer past the end', packet({ id: 0x0105 }, Buffer.from([0xc0, 0xff, 0x00, 0x01, 0x00, 0x01]))],
    ['a question without type and class', packet({ id: 0x0106 }, Buffer.from([0x01, 0x61, 0x00, 0x00]))],
    ['qdcount 3 with one question', packet({ id: 0x0107, qd: 3 }, question('example.org'))],
    ['ancount 5 with no records', packet({ id: 0x0108, an: 5 }, question('example.org'))],
    ['arcount 1 with an rdlength past the end', packet({ id: 0x0109, ar: 1 }, Buffer.concat([question('example.org'), opt(1232).subarray(0, 9), Buffer.from([0x01, 0x00])]))],
    ['qdcount 0', packet({ id: 0x010a, qd: 0 })],
    ['qdcount 2 (two well-formed questions)', packet({ id: 0x010b, qd: 2 }, Buffer.concat([question('a.org'), question('b.org')]))],
    ['an OPT in the answer section', packet({ id: 0x010c, an: 1 }, Buffer.concat([question('example.org'), opt(1232)]))],
    // miekg/dns's DefaultMsgAcceptFunc limits, checked before parsing: at most 1 answer, 1 authority, 2 additional
    ['ancount 2', packet({ id: 0x010d, an: 2 }, question('example.org'))],
    ['nscount 2', packet({ id: 0x010e, ns: 2 }, question('example.org'))],
    ['arcount 3 (even with well-formed OPTs)', packet({ id: 0x010f, ar: 3 }, Buffer.concat([question('example.org'), opt(1232), opt(1232), opt(1232)]))],
  ];

  it.each(formerrCases)('answers FORMERR with the same id to %s', async (_what, wire) => {
    const raw = await exchange(s.port, wire);
    expect(raw).not.toBeNull();
    const h = header(raw!);
    expect(h.id).toBe(wire.readUInt16BE(0));
    expect(h.qr).toBe(1);
    expect(h.rcode).toBe(FORMERR);
    expect(h.an).toBe(0);
    await stillServes();
  });

  it('never answers a response (QR=1), well-formed or not', async () => {
    const valid = buildQuery('example.org', 'A', { id: 0x2000 });
    valid[2] |= 0x80;
    const broken = packet({ id: 0x2001, flags: 0x8100 }, Buffer.from([0x3f, 0x61]));
    const loop = packet({ id: 0x2002, flags: 0x8000 }, Buffer.from([0xc0, 0x0c, 0, 1, 0, 1]));
    for (const w of [valid, broken, loop]) expect(await udpCollect(s.port, w, 150)).toEqual([]);
    await stillServes();
  });

  it.each([
    ['UPDATE', 5], ['STATUS', 2], ['IQUERY', 1], ['unassigned 15', 15],
  ])('answers NOTIMP to opcode %s, keeping id and opcode', async (_name, opcode) => {
    const wire = packet({ id: 0x3000 + opcode, flags: (opcode << 11) | 0x0100 }, question('example.org', 6));
    const raw = (await exchange(s.port, wire))!;
    expect(raw).not.toBeNull();
    const h = header(raw);
    expect(h.id).toBe(0x3000 + opcode);
    expect(h.qr).toBe(1);
    expect(h.opcode).toBe(opcode);
    expect(h.rcode).toBe(NOTIMP);
    expect(h.an).toBe(0);
  });

  it('answers NOTIMP to an UPDATE before looking at its (malformed) body, header only', async () => {
    const raw = (await exchange(s.port, packet({ id: 0x3100, flags: 5 << 11, qd: 1, an: 7 }, Buffer.from([0xc0, 0x0c]))))!;
    expect(raw).not.toBeNull();
    expect(raw.length).toBe(12);
    expect(header(raw)).toMatchObject({ id: 0x3100, qr: 1, opcode: 5, rcode: NOTIMP, qd: 0, an: 0, ns: 0, ar: 0 });
  });

  it('takes NOTIFY through the plugin chain like a query', async () => {
    const raw = (await exchange(s.port, packet({ id: 0x4000, flags: 4 << 11 }, question('example.org', 6))))!;
    const h = header(raw);
    expect(h.opcode).toBe(4);
    expect(h.rcode).toBe(0);
    expect(h.ar).toBe(2); // whoami answered
  });

  it('survives 2,000 random packets and 2,000 mutated queries, then answers normally', async () => {
    const rnd = prng(0xc0ffee);
    const sock = dgram.createSocket('udp4');
    const replies: Buffer[] = [];
    sock.on('message', (m) => replies.push(m));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const base = buildQuery('mutate.example.org', 'A', { udpSize: 1232, id: 1 });
    let sent = 0;
    for (let i = 0; i < 4000; i++) {
      let b: Buffer;
      if (i < 2000) {
        b = Buffer.alloc(Math.floor(rnd() * 300));
        for (let j = 0; j < b.length; j++) b[j] = Math.floor(rnd() * 256);
      } else {
        b = Buffer.from(base);
        const flips = 1 + Math.floor(rnd() * 4);
        for (let k = 0; k < flips; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
        if (rnd() < 0.2) b = b.subarray(0, Math.floor(rnd() * b.length));
      }
      sock.send(b, s.port, '127.0.0.1');
      sent++;
      if (i % 200 === 199) await sleep(5); // let the server drain its socket buffer
    }
    await sleep(300);
    sock.close();
    expect(sent).toBe(4000);
    // Every reply is a response with a header; none was thrown out of the handler.
    for (const r of replies) {
      expect(r.length).toBeGreaterThanOrEqual(12);
      expect(header(r).qr).toBe(1);
    }
    expect(replies.length).toBeGreaterThan(0);
    expect(escaped()).toEqual([]);
    await stillServes();
  });
});
