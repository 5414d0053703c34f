import { describe, expect, it } from 'vitest';
import { decode, decodeQuery, DecodeError, encode, encodeQuery, ttlOffsets } from '../../src/dns/codec.ts';
import { a } from '../../src/dns/message.ts';
import { Rcode } from '../../src/dns/types.ts';
import { msg } from './helpers.ts';

/** A header with the given counts followed by `body`. */
function packet(counts: [number, number, number, number], ...body: number[]): Buffer {
  const b = Buffer.alloc(12 + body.length);
  b.writeUInt16BE(0xabcd, 0);
  counts.forEach((c, i) => b.writeUInt16BE(c, 4 + 2 * i));
  Buffer.from(body).copy(b, 12);
  return b;
}
const Q_A = [0, 1, 0, 1];                           // type A, class IN
const A_RR = [0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4]; // after an owner name
const OPT = [0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0];   // root, OPT, 1232, ttl 0, rdlen 0
const long = (n: number): number[] => [n, ...Array<number>(n).fill(0x61)];

const cases: [string, Buffer][] = [
  ['empty', Buffer.alloc(0)],
  ['truncated header', Buffer.alloc(11)],
  ['question name runs off the end', packet([1, 0, 0, 0], 3, 0x61, 0x62)],
  ['question without type/class', packet([1, 0, 0, 0], 1, 0x61, 0)],
  ['question with half a type', packet([1, 0, 0, 0], 0, 0, 1, 0)],
  ['reserved label type 0x40', packet([1, 0, 0, 0], 0x41, 0x61, 0, ...Q_A)],
  ['reserved label type 0x80', packet([1, 0, 0, 0], 0x81, 0x61, 0, ...Q_A)],
  ['label length past the end', packet([1, 0, 0, 0], 63, 0x61, 0x61, 0, ...Q_A)],
  ['name longer than 255 octets', packet([1, 0, 0, 0], ...long(63), ...long(63), ...long(63), ...long(63), 0, ...Q_A)],
  ['pointer to itself', packet([1, 0, 0, 0], 0xc0, 12, ...Q_A)],
  ['pointer loop through a label', packet([1, 0, 0, 0], 1, 0x61, 0xc0, 12, ...Q_A)],
  ['two-step pointer loop', packet([2, 0, 0, 0], 1, 0x61, 0xc0, 20, ...Q_A, 0xc0, 12, ...Q_A)],
  ['forward pointer', packet([1, 0, 0, 0], 0xc0, 18, ...Q_A, 1, 0x61, 0)],
  ['pointer past the end', packet([1, 0, 0, 0], 0xff, 0xff, ...Q_A)],
  ['truncated pointer', packet([1, 0, 0, 0], 0xc0)],
  ['answer count lies (no bytes)', packet([1, 1, 0, 0], 0, ...Q_A)],
  ['answer count lies (one of two)', packet([1, 2, 0, 0], 0, ...Q_A, 0xc0, 12, ...A_RR)],
  ['additional count lies', packet([0, 0, 0, 3], ...OPT)],
  ['question count far beyond the bytes', packet([65535, 0, 0, 0], 0, ...Q_A)],
  ['truncated RR header', packet([0, 1, 0, 0], 0, 0, 1, 0, 1, 0)],
  ['rdlength overruns the message', packet([0, 1, 0, 0], 0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 100, 1, 2, 3, 4)],
  ['A with rdlength 5', packet([0, 1, 0, 0], 0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 5, 1, 2, 3, 4, 5)],
  ['AAAA with rdlength 4', packet([0, 1, 0, 0], 0, 0, 28, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4)],
  ['CNAME target overruns rdata', packet([0, 1, 0, 0], 0, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 3, 0x61, 0x62, 0x63, 0)],
  ['CNAME rdata longer than the name', packet([0, 1, 0, 0], 0, 0, 5, 0, 1, 0, 0, 0, 60, 0, 3, 0, 0, 0)],
  ['MX too short', packet([0, 1, 0, 0], 0, 0, 15, 0, 1, 0, 0, 0, 60, 0, 2, 0, 10)],
  ['SOA missing numbers', packet([0, 1, 0, 0], 0, 0, 6, 0, 1, 0, 0, 0, 60, 0, 6, 0, 0, 0, 0, 0, 1)],
  ['TXT string overruns rdata', packet([0, 1, 0, 0], 0, 0, 16, 0, 1, 0, 0, 0, 60, 0, 3, 5, 0x61, 0x62)],
  ['OPT in the answer section', packet([0, 1, 0, 0], ...OPT)],
  ['two OPT records', packet([0, 0, 0, 2], ...OPT, ...OPT)],
  ['EDNS option overruns OPT rdata', packet([0, 0, 0, 1], 0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 6, 0, 10, 0, 8, 1, 2)],
];

describe('malformed input → DecodeError (FORMERR)', () => {
  it.each(cases)('%s', (_name, buf) => {
    let err: unknown;
    try { decode(buf); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as DecodeError).rcode).toBe(Rcode.FORMERR);
  });

  // The fast paths step over names and rdata without reading them, so they catch structural
  // damage (lengths, counts, OPT placement) but not bad pointers or rdata contents.
  const structural = new Set([
    'empty', 'truncated header', 'question name runs off the end', 'question without type/class',
    'question with half a type', 'reserved label type 0x40', 'reserved label type 0x80', 'label length past the end',
    'truncated pointer', 'answer count lies (no bytes)', 'answer count lies (one of two)', 'additional count lies',
    'question count far beyond the bytes', 'truncated RR header', 'rdlength overruns the message',
  ]);
  it('decodeQuery and ttlOffsets reject structural damage', () => {
    for (const [name, buf] of cases) {
      if (!structural.has(name)) continue;
      expect(() => decodeQuery(buf), name).toThrow(DecodeError);
      expect(() => ttlOffsets(buf), name).toThrow(DecodeError);
    }
  });

  it('decodeQuery also rejects bad first-question names and OPT misuse', () => {
    for (const name of ['pointer to itself', 'pointer loop through a label', 'two-step pointer loop', 'forward pointer',
      'pointer past the end', 'name longer than 255 octets', 'OPT in the answer section', 'two OPT records', 'EDNS option overruns OPT rdata']) {
      const buf = cases.find((c) => c[0] === name)![1];
      expect(() => decodeQuery(buf), name).toThrow(DecodeError);
    }
  });

  it('tolerates trailing bytes after the last record, as miekg/dns does', () => {
    const wire = encode(msg({ questions: [{ name: 'a.b.', type: 1, class: 1 }], answers: [a('a.b.', 5, '1.2.3.4')] }));
    const padded = Buffer.concat([wire, Buffer.from([1, 2, 3, 4, 5])]);
    expect(decode(padded)).toEqual(decode(wire));
    expect(decodeQuery(padded)).toEqual(decodeQuery(wire));
    expect(ttlOffsets(padded)).toEqual(ttlOffsets(wire));
  });

  it('accepts a legitimate chain of backward pointers', () => {
    // "b.a." at 12 (question), "c" + pointer to "b.a." (answer owner), "d" + pointer to "c.b.a."
    const buf = packet([1, 2, 0, 0],
      1, 0x62, 1, 0x61, 0, ...Q_A,            // 12..
      1, 0x63, 0xc0, 12, ...A_RR,             // 21: c.b.a.
      1, 0x64, 0xc0, 21, ...A_RR);            // d.c.b.a.
    const m = decode(buf);
    expect(m.answers.map((r) => r.name)).toEqual(['c.b.a.', 'd.c.b.a.']);
  });

  it('a query decodes the same through decode and decodeQuery', () => {
    const q = encodeQuery('x.y.', 16, { udpSize: 1400 });
    expect(decodeQuery(q)).toEqual(decode(q));
  });
});
