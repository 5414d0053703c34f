import { describe, expect, it } from 'vitest';
import { decode, decodeQuery, encode, encodeQuery, EncodeError, patchId, ttlOffsets } from '../../src/dns/codec.ts';
import { a, aaaa, cname, mx, ns, ptr, replyTo, soa, srv, txt } from '../../src/dns/message.ts';
import { Type } from '../../src/dns/types.ts';
import type { Message, RawData } from '../../src/dns/types.ts';
import { msg, plain, rrs } from './helpers.ts';

const Q = { name: 'web.default.svc.cluster.local.', type: Type.A, class: 1 };

function allTypes(): Message {
  return msg({
    aa: true,
    questions: [Q],
    answers: [
      a('web.default.svc.cluster.local.', 5, '10.0.0.1'),
      aaaa('web.default.svc.cluster.local.', 5, 'fd00::a'),
      cname('c.cluster.local.', 5, 'web.default.svc.cluster.local.'),
      ptr('1.0.0.10.in-addr.arpa.', 5, 'web.default.svc.cluster.local.'),
      ns('cluster.local.', 5, 'ns.dns.cluster.local.'),
      mx('cluster.local.', 5, 10, 'mail.cluster.local.'),
      srv('_http._tcp.web.default.svc.cluster.local.', 5, 0, 100, 80, 'web.default.svc.cluster.local.'),
      txt('web.default.svc.cluster.local.', 5, 'v=1', '', 'x'.repeat(255)),
      { name: 'd.cluster.local.', type: 39, class: 1, ttl: 5, data: { target: 'other.org.' } },
      { name: 'u.cluster.local.', type: 65280, class: 1, ttl: 5, data: { raw: Uint8Array.of(1, 2, 3, 0xc0, 0x0c) } },
    ],
    authority: [soa('cluster.local.', 30, {
      mname: 'ns.dns.cluster.local.', rname: 'hostmaster.cluster.local.', serial: 4294967295,
      refresh: 7200, retry: 1800, expire: 86400, minimum: 30,
    })],
    additional: [a('ns.dns.cluster.local.', 5, '10.96.0.10')],
    edns: { udpSize: 1232, extendedRcode: 0, version: 0, do: true, options: [{ code: 10, data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) }] },
  });
}


describe('encode/decode round trip', () => {
  it('round-trips every modelled type, EDNS options and flags', () => {
    const m = allTypes();
    const wire = encode(m);
    const back = decode(wire);
    expect(plain(back)).toEqual(plain({ ...m, edns: { ...m.edns!, extendedRcode: 0 } }));
  });

  it('round-trips every header flag and the opcode', () => {
    const m = msg({ qr: false, opcode: 5, aa: true, tc: true, rd: false, ra: true, z: true, ad: true, cd: true, rcode: 3, questions: [Q] });
    expect(decode(encode(m))).toEqual({ ...m, edns: undefined });
  });

  it('splits and merges the extended rcode through OPT', () => {
    const m = msg({ rcode: 16, questions: [Q], edns: { udpSize: 512, extendedRcode: 0, version: 0, do: false, options: [] } });
    const wire = encode(m);
    expect(wire[3]! & 0xf).toBe(0);
    const back = decode(wire);
    expect(back.rcode).toBe(16);
    expect(back.edns!.extendedRcode).toBe(1);
    expect(() => encode(msg({ rcode: 16 }))).toThrow(EncodeError);
  });

  it('compresses names: 50 A records for one name take 858 octets', () => {
    const name = 'headless.default.svc.cluster.local.';
    const m = msg({ questions: [{ name, type: 1, class: 1 }], answers: rrs(50, (i) => a(name, 30, `10.0.${i >> 8}.${i & 255}`)) });
    const wire = encode(m);
    expect(wire.length).toBe(12 + (name.length + 1) + 4 + 50 * (2 + 10 + 4)); // 852
    expect(decode(wire).answers.map((r) => r.name)).toEqual(Array(50).fill(name));
  });

  it('compresses case-insensitively but keeps the case of the first occurrence', () => {
    const m = msg({ questions: [{ name: 'WeB.Default.svc.cluster.local.', type: 1, class: 1 }], answers: [a('web.default.svc.cluster.local.', 5, '1.2.3.4')] });
    const wire = encode(m);
    expect(wire.subarray(12).includes(0xc0)).toBe(true);
    const back = decode(wire);
    expect(back.questions[0]!.name).toBe('WeB.Default.svc.cluster.local.');
    expect(back.answers[0]!.name).toBe('WeB.Default.svc.cluster.local.');
  });

  it('preserves case when nothing is shared', () => {
    const m = msg({ questions: [{ name: 'MiXeD.CaSe.', type: 1, class: 1 }] });
    expect(decode(encode(m)).questions[0]!.name).toBe('MiXeD.CaSe.');
  });

  it('does not compress SRV or DNAME targets but does compress CNAME/MX/SOA', () => {
    const target = 'web.default.svc.cluster.local.';
    const s = encode(msg({ questions: [Q], answers: [srv('_x._tcp.cluster.local.', 5, 1, 2, 3, target)] }));
    const sDec = decode(s);
    expect((sDec.answers[0]!.data as { target: string }).target).toBe(target);
    // rdata = 6 + full uncompressed target
    const rdlen = s.readUInt16BE(s.length - (target.length + 1) - 6 - 2);
    expect(rdlen).toBe(6 + target.length + 1);
    const c = encode(msg({ questions: [Q], answers: [cname('c.cluster.local.', 5, target)] }));
    expect(c.length).toBeLessThan(12 + 2 * (target.length + 1) + 4 + 10 + 17);
    expect(c.readUInt16BE(c.length - 2)).toBe(0xc00c);
  });

  it('writes escaped names to the right bytes and reads them back escaped like miekg/dns', () => {
    const name = 'a\\.b\\032c\\\\d\\000\\255\\"\\@\\;\\(\\)\\\'.example.';
    const wire = encode(msg({ questions: [{ name, type: 1, class: 1 }] }));
    const labelLen = wire[12]!;
    expect(Array.from(wire.subarray(13, 13 + labelLen))).toEqual([97, 46, 98, 32, 99, 92, 100, 0, 255, 34, 64, 59, 40, 41, 39]);
    expect(decode(wire).questions[0]!.name).toBe('a\\.b\\ c\\\\d\\000\\255\\"\\@\\;\\(\\)\\\'.example.');
    // the decoded text re-encodes to the same bytes
    const again = encode(decode(wire));
    expect(Buffer.compare(again, wire)).toBe(0);
  });

  it('compresses escaped names against each other', () => {
    const n = 'x\\.y.example.';
    const m = msg({ questions: [{ name: n, type: 1, class: 1 }], answers: [a(n, 1, '1.1.1.1'), a('z.x\\.y.example.', 1, '1.1.1.2')] });
    const wire = encode(m);
    expect(decode(wire).answers.map((r) => r.name)).toEqual([n, 'z.x\\.y.example.']);
    expect(wire.length).toBe(12 + (13 + 4) + (2 + 10 + 4) + (2 + 2 + 10 + 4));
  });

  it('compresses many distinct names (past the list scan) and targets names in SRV rdata', () => {
    const zone = 'headless.default.svc.cluster.local.';
    const n = 150; // > the list scan, and every target below 0x4000
    const targets = Array.from({ length: n }, (_, i) => `10-1-${i >> 8}-${i & 255}.${zone}`);
    const m = msg({
      questions: [{ name: '_http._tcp.' + zone, type: Type.SRV, class: 1 }],
      answers: targets.map((t) => srv('_http._tcp.' + zone, 5, 0, 10, 80, t)),
      additional: targets.map((t, i) => a(t.toUpperCase(), 5, `10.1.${i >> 8}.${i & 255}`)),
    });
    const wire = encode(m);
    const back = decode(wire);
    expect(back.answers.map((r) => (r.data as { target: string }).target)).toEqual(targets);
    // each additional owner is a pointer to the SRV target written before it (case-insensitive)
    expect(back.additional.map((r) => r.name)).toEqual(targets);
    const srvBytes = (2 + 10 + 6) + 0; // owner pointer, fixed fields, priority/weight/port
    const tBytes = targets.reduce((sum, t) => sum + t.length + 1, 0);
    expect(wire.length).toBe(12 + ('_http._tcp.' + zone).length + 1 + 4 + n * srvBytes + tBytes + n * (2 + 10 + 4));
  });

  it('never points past 0x3fff and still round-trips big messages', () => {
    const m = msg({
      questions: [{ name: 'big.example.', type: Type.TXT, class: 1 }],
      answers: Array.from({ length: 100 }, (_, i) => txt(`n${i}.big.example.`, 5, 'x'.repeat(250))),
      additional: Array.from({ length: 100 }, (_, i) => a(`n${i}.big.example.`, 5, '1.2.3.4')),
    });
    const wire = encode(m);
    expect(wire.length).toBeGreaterThan(0x4000);
    const back = decode(wire);
    expect(back.additional.map((r) => r.name)).toEqual(m.additional.map((r) => r.name));
    expect(back.answers.length).toBe(100);
    let maxPtr = 0;
    for (let i = 12; i + 1 < wire.length; i++) {
      if (wire[i]! >= 0xc0 && wire[i + 2] === 0) maxPtr = Math.max(maxPtr, ((wire[i]! & 0x3f) << 8) | wire[i + 1]!);
    }
    expect(maxPtr).toBeLessThan(0x4000);
  });

  it('compresses plain and escaped names in one message (list and map modes)', () => {
    for (const count of [3, 60]) {
      const names = Array.from({ length: count }, (_, i) => (i % 3 === 0 ? `e\.${i}.Zone.` : `p${i}.zone.`));
      const m = msg({ questions: [{ name: 'zone.', type: 1, class: 1 }], answers: names.map((x) => a(x, 1, '1.1.1.1')), additional: names.map((x) => a(x, 1, '2.2.2.2')) });
      const back = decode(encode(m));
      expect(back.answers.map((r) => r.name.toLowerCase())).toEqual(names.map((x) => x.toLowerCase()));
      expect(back.additional.map((r) => r.name.toLowerCase())).toEqual(names.map((x) => x.toLowerCase()));
    }
  });

  it('rejects invalid names on encode', () => {
    for (const bad of ['a..b.', 'x'.repeat(64) + '.', `${'x'.repeat(63)}.`.repeat(4) + 'abc.', 'a\\999.']) {
      expect(() => encode(msg({ questions: [{ name: bad, type: 1, class: 1 }] })), bad).toThrow(EncodeError);
    }
    expect(() => encode(msg({ answers: [a('a.', 1, '1.2.3')] }))).toThrow(EncodeError);
    expect(() => encode(msg({ answers: [aaaa('a.', 1, '1::2::3')] }))).toThrow(EncodeError);
  });

  it('accepts names without the trailing dot as absolute', () => {
    expect(decode(encode(msg({ questions: [{ name: 'a.b', type: 1, class: 1 }] }))).questions[0]!.name).toBe('a.b.');
    expect(decode(encode(msg({ questions: [{ name: '.', type: 2, class: 1 }] }))).questions[0]!.name).toBe('.');
  });

  it('relays an unknown type byte-exact and copies raw data out of the input', () => {
    const raw = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
    const m = msg({ questions: [Q], answers: [{ name: 'u.example.', type: 65000, class: 3, ttl: 9, data: { raw } }] });
    const wire = encode(m);
    const back = decode(wire);
    const got = (back.answers[0]!.data as RawData).raw;
    expect(Array.from(got)).toEqual(Array.from(raw));
    wire.fill(0); // the decoded message must not alias the wire
    expect(Array.from(got)).toEqual(Array.from(raw));
    expect(back.answers[0]!.class).toBe(3);
  });

  it('keeps a record with empty rdata as raw (dynamic-update style) and re-encodes it', () => {
    const m = msg({ answers: [{ name: 'a.', type: 1, class: 255, ttl: 0, data: { raw: new Uint8Array(0) } }] });
    const back = decode(encode(m));
    expect((back.answers[0]!.data as RawData).raw.length).toBe(0);
  });

  it('returns a fresh buffer each time', () => {
    const w1 = encode(msg({ questions: [Q] }));
    const w2 = encode(msg({ id: 9, questions: [Q] }));
    expect(w1.readUInt16BE(0)).toBe(0x1234);
    expect(w2.readUInt16BE(0)).toBe(9);
  });
});

describe('truncation', () => {
  const name = 'headless.default.svc.cluster.local.';
  const big = (n: number, edns = true): Message => msg({
    questions: [{ name, type: 1, class: 1 }],
    answers: rrs(n, (i) => a(name, 30, `10.1.${i >> 8}.${i & 255}`)),
    authority: [soa('cluster.local.', 5, { mname: 'ns.dns.cluster.local.', rname: 'h.cluster.local.', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 5 })],
    additional: [a('ns.dns.cluster.local.', 5, '10.96.0.10')],
    edns: edns ? { udpSize: 512, extendedRcode: 0, version: 0, do: false, options: [{ code: 10, data: new Uint8Array(8) }] } : undefined,
  });

  it('does nothing when the message fits', () => {
    const w = encode(big(5), 512);
    expect(w[2]! & 2).toBe(0);
    expect(decode(w).answers.length).toBe(5);
  });

  it('drops records from the end, keeps OPT, sets TC and never exceeds maxSize', () => {
    for (const max of [512, 600, 1000, 1232]) {
      const w = encode(big(200), max);
      expect(w.length).toBeLessThanOrEqual(max);
      const d = decode(w);
      expect(d.tc).toBe(true);
      expect(d.edns?.options[0]?.code).toBe(10);
      expect(d.authority.length).toBe(0);
      expect(d.additional.length).toBe(0);
      // one more answer would not have fitted
      expect(w.length + 16).toBeGreaterThan(max);
      expect(d.answers.length).toBe(Math.floor((max - 12 - (name.length + 5) - 23) / 16));
    }
  });

  it('drops additional before authority before answers', () => {
    const full = encode(big(10, false));
    const w = encode(big(10, false), full.length - 1);
    const d = decode(w);
    expect(d.answers.length).toBe(10);
    expect(d.authority.length).toBe(1);
    expect(d.additional.length).toBe(0);
    expect(d.tc).toBe(true); // miekg/dns sets TC when any record is omitted
    expect(w.length).toBe(full.length - (2 + 10 + 4)); // the additional A: its owner is a pointer to the SOA mname
  });

  it('truncates without EDNS too, and keeps TC already set', () => {
    const w = encode(big(100, false), 512);
    expect(w.length).toBeLessThanOrEqual(512);
    const d = decode(w);
    expect(d.tc).toBe(true);
    expect(d.edns).toBeUndefined();
    const m = big(1, false);
    m.tc = true;
    expect(decode(encode(m)).tc).toBe(true);
  });

  it('throws when even the question and OPT do not fit', () => {
    expect(() => encode(big(1), 40)).toThrow(EncodeError);
  });
});

describe('queries, ttlOffsets, patchId, replyTo', () => {
  it('encodeQuery and decodeQuery agree with decode', () => {
    const q = encodeQuery('Kubernetes.Default.svc.cluster.local', Type.AAAA, { id: 77, udpSize: 4096, do: true });
    const full = decode(q);
    const fast = decodeQuery(q);
    expect(fast).toEqual(full);
    expect(fast.questions[0]).toEqual({ name: 'Kubernetes.Default.svc.cluster.local.', type: 28, class: 1 });
    expect(fast.edns).toEqual({ udpSize: 4096, extendedRcode: 0, version: 0, do: true, options: [] });
    expect(fast.rd).toBe(true);
    const plainQ = decodeQuery(encodeQuery('a.', 1, { rd: false }));
    expect(plainQ.edns).toBeUndefined();
    expect(plainQ.rd).toBe(false);
  });

  it('decodeQuery skips other records but still finds OPT', () => {
    const m = allTypes();
    m.qr = false;
    const fast = decodeQuery(encode(m));
    expect(fast.questions).toEqual([Q]);
    expect(fast.answers).toEqual([]);
    expect(fast.edns!.udpSize).toBe(1232);
    expect(Array.from(fast.edns!.options[0]!.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('ttlOffsets points at every TTL except OPT', () => {
    const m = allTypes();
    const wire = encode(m);
    const offs = ttlOffsets(wire);
    expect(offs.length).toBe(m.answers.length + m.authority.length + m.additional.length);
    const expected = [...m.answers, ...m.authority, ...m.additional].map((r) => r.ttl);
    expect(offs.map((o) => wire.readUInt32BE(o))).toEqual(expected);
    for (const o of offs) wire.writeUInt32BE(1, o);
    const back = decode(wire);
    expect([...back.answers, ...back.authority, ...back.additional].every((r) => r.ttl === 1)).toBe(true);
    expect(back.edns!.do).toBe(true);
  });

  it('patchId rewrites the id in place', () => {
    const wire = encodeQuery('a.', 1, { id: 1 });
    patchId(wire, 0xbeef);
    expect(decode(wire).id).toBe(0xbeef);
  });

  it('replyTo copies id, opcode, rd, cd, the first question, and echoes EDNS without options', () => {
    const query = decode(encodeQuery('A.Example.', Type.MX, { id: 42, udpSize: 4096, do: true, cd: true }));
    query.edns!.options.push({ code: 10, data: new Uint8Array(8) });
    const r = replyTo(query, 3);
    expect(r).toMatchObject({ id: 42, qr: true, opcode: 0, rd: true, cd: true, aa: false, ra: false, rcode: 3 });
    expect(r.questions).toEqual([{ name: 'A.Example.', type: Type.MX, class: 1 }]);
    expect(r.questions[0]).not.toBe(query.questions[0]);
    expect(r.edns).toEqual({ udpSize: 4096, extendedRcode: 0, version: 0, do: true, options: [] });
    expect(replyTo(decode(encodeQuery('a.', 1))).edns).toBeUndefined();
    const decoded = decode(encode(r));
    expect(decoded.rcode).toBe(3);
    expect(decoded.qr).toBe(true);
  });
});
