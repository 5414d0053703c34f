// Differential tests against dns2, the independent reference codec: ours encodes → dns2
// decodes, dns2 encodes (with its own compression) → ours decodes, on seeded random messages.
import { describe, expect, it } from 'vitest';
import dns2 from 'dns2';
import { decode, decodeQuery, encode } from '../../src/dns/codec.ts';
import { a, aaaa, cname, mx, ns, ptr, soa, srv, txt } from '../../src/dns/message.ts';
import type { Message, ResourceRecord, MXData, NameData, SOAData, SRVData, TXTData, AData } from '../../src/dns/types.ts';
import { msg, normalize, prng } from './helpers.ts';
import { canonicalIP } from '../../src/dns/ip.ts';

// dns2 ships no types; describe the part we use.
interface D2Packet {
  header: Record<string, number>;
  questions: Record<string, unknown>[];
  answers: Record<string, unknown>[];
  authorities: Record<string, unknown>[];
  additionals: Record<string, unknown>[];
  toBuffer(): Buffer;
}
const Packet = (dns2 as unknown as { Packet: { new(): D2Packet; parse(b: Buffer): D2Packet; Resource: { EDNS(rdata: unknown[], o: object): Record<string, unknown> } } }).Packet;

const strip = (n: string): string => (n === '.' ? '' : n.replace(/\.$/, ''));
const abs = (n: string): string => (n === '' ? '.' : n + '.');

function toDns2RR(rr: ResourceRecord): Record<string, unknown> {
  const b: Record<string, unknown> = { name: strip(rr.name), type: rr.type, class: rr.class, ttl: rr.ttl };
  const d = rr.data;
  switch (rr.type) {
    case 1: case 28: return { ...b, address: (d as AData).address };
    case 5: case 12: return { ...b, domain: strip((d as NameData).target) };
    case 2: return { ...b, ns: strip((d as NameData).target) };
    case 15: return { ...b, priority: (d as MXData).preference, exchange: strip((d as MXData).exchange) };
    case 33: { const s = d as SRVData; return { ...b, priority: s.priority, weight: s.weight, port: s.port, target: strip(s.target) }; }
    case 16: return { ...b, data: (d as TXTData).texts.map((t) => Buffer.from(t)) };
    case 6: {
      const s = d as SOAData;
      return { ...b, primary: strip(s.mname), admin: strip(s.rname), serial: s.serial, refresh: s.refresh, retry: s.retry, expiration: s.expire, minimum: s.minimum };
    }
  }
  throw new Error(`no dns2 mapping for ${rr.type}`);
}

function fromDns2RR(r: Record<string, unknown>): ResourceRecord {
  const name = abs(r.name as string), ttl = r.ttl as number, cls = r.class as number;
  switch (r.type) {
    case 1: return a(name, ttl, r.address as string, cls);
    case 28: return aaaa(name, ttl, r.address as string, cls);
    case 5: return cname(name, ttl, abs(r.domain as string), cls);
    case 12: return ptr(name, ttl, abs(r.domain as string), cls);
    case 2: return ns(name, ttl, abs(r.ns as string), cls);
    case 15: return mx(name, ttl, r.priority as number, abs(r.exchange as string), cls);
    case 33: return srv(name, ttl, r.priority as number, r.weight as number, r.port as number, abs(r.target as string), cls);
    case 16: return { ...txt(name, ttl, ...(r.data as string[])), class: cls };
    case 6: return soa(name, ttl, {
      mname: abs(r.primary as string), rname: abs(r.admin as string), serial: r.serial as number, refresh: r.refresh as number,
      retry: r.retry as number, expire: r.expiration as number, minimum: r.minimum as number,
    }, cls);
  }
  throw new Error(`no mapping from dns2 type ${String(r.type)}`);
}

function toDns2(m: Message): Buffer {
  const p = new Packet();
  p.header = { id: m.id, qr: +m.qr, opcode: m.opcode, aa: +m.aa, tc: +m.tc, rd: +m.rd, ra: +m.ra, z: 0, ad: +m.ad, cd: +m.cd, rcode: m.rcode };
  p.questions = m.questions.map((q) => ({ name: strip(q.name), type: q.type, class: q.class }));
  p.answers = m.answers.map(toDns2RR);
  p.authorities = m.authority.map(toDns2RR);
  p.additionals = m.additional.map(toDns2RR);
  if (m.edns) {
    p.additionals.push({ name: '', ...Packet.Resource.EDNS([], { udpPayloadSize: m.edns.udpSize, doFlag: m.edns.do, version: m.edns.version }) });
  }
  return p.toBuffer();
}

function fromDns2(p: D2Packet): Message {
  const h = p.header;
  const opt = p.additionals.find((r) => r.type === 41);
  return msg({
    id: h.id!, qr: !!h.qr, opcode: h.opcode!, aa: !!h.aa, tc: !!h.tc, rd: !!h.rd, ra: !!h.ra, z: !!h.z, ad: !!h.ad, cd: !!h.cd, rcode: h.rcode!,
    questions: p.questions.map((q) => ({ name: abs(q.name as string), type: q.type as number, class: q.class as number })),
    answers: p.answers.map(fromDns2RR),
    authority: p.authorities.map(fromDns2RR),
    additional: p.additionals.filter((r) => r.type !== 41).map(fromDns2RR),
    edns: opt ? { udpSize: opt.class as number, extendedRcode: opt.extendedRcode as number, version: opt.version as number, do: !!opt.doFlag, options: [] } : undefined,
  });
}

const LABELS = ['web', 'db', 'default', 'kube-system', 'svc', 'cluster', 'local', 'pod', '_http', '_tcp', 'x', 'ns', 'a-b-c', '10-0-0-1'];

function randomMessage(r: () => number): Message {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const randCase = (s: string): string => (r() < 0.3 ? [...s].map((c) => (r() < 0.5 ? c.toUpperCase() : c)).join('') : s);
  const name = (): string => {
    if (r() < 0.03) return '.';
    const n = 1 + Math.floor(r() * 5);
    return Array.from({ length: n }, () => randCase(pick(LABELS))).join('.') + '.';
  };
  const u16 = (): number => Math.floor(r() * 65536);
  const u31 = (): number => Math.floor(r() * 0x7fffffff);
  const ip4 = (): string => Array.from({ length: 4 }, () => Math.floor(r() * 256)).join('.');
  const ip6 = (): string => {
    const g = Array.from({ length: 8 }, () => (r() < 0.4 ? 0 : u16()));
    return canonicalIP(g.map((v) => v.toString(16)).join(':'))!;
  };
  const rr = (): ResourceRecord => {
    const owner = name(), ttl = u31();
    switch (Math.floor(r() * 9)) {
      case 0: return a(owner, ttl, ip4());
      case 1: return aaaa(owner, ttl, ip6());
      case 2: return cname(owner, ttl, name());
      case 3: return ptr(owner, ttl, name());
      case 4: return ns(owner, ttl, name());
      case 5: return mx(owner, ttl, u16(), name());
      case 6: return srv(owner, ttl, u16(), u16(), u16(), name());
      case 7: return txt(owner, ttl, ...Array.from({ length: 1 + Math.floor(r() * 3) }, () => 'v='.padEnd(Math.floor(r() * 40), 'z')));
      default: return soa(owner, ttl, { mname: name(), rname: name(), serial: u31(), refresh: u31(), retry: u31(), expire: u31(), minimum: u31() });
    }
  };
  const n = (): number => Math.floor(r() * 5);
  return msg({
    id: u16(), qr: r() < 0.5, opcode: pick([0, 0, 0, 2, 4, 5]), aa: r() < 0.5, tc: r() < 0.2, rd: r() < 0.5, ra: r() < 0.5,
    z: false, ad: r() < 0.3, cd: r() < 0.3, rcode: Math.floor(r() * 16),
    questions: Array.from({ length: r() < 0.9 ? 1 : 2 }, () => ({ name: name(), type: pick([1, 28, 33, 12, 255]), class: pick([1, 1, 3, 255]) })),
    answers: Array.from({ length: n() }, rr), authority: Array.from({ length: n() }, rr), additional: Array.from({ length: n() }, rr),
    edns: r() < 0.5 ? { udpSize: 512 + Math.floor(r() * 3584), extendedRcode: 0, version: 0, do: r() < 0.5, options: [] } : undefined,
  });
}

const CASES = 400;

describe('differential against dns2', () => {
  it('what ours encodes, dns2 decodes to the same message', () => {
    const r = prng(1);
    for (let i = 0; i < CASES; i++) {
      const m = randomMessage(r);
      const wire = encode(m);
      const theirs = fromDns2(Packet.parse(wire));
      expect(normalize(theirs), `case ${i}`).toEqual(normalize(m));
      // exact case: both decoders see the same bytes
      expect(normalize(decode(wire))).toEqual(normalize(theirs));
      expect(JSON.stringify(fromDns2(Packet.parse(wire)).questions)).toBe(JSON.stringify(decode(wire).questions));
    }
  });

  it('what dns2 encodes (with its compression), ours decodes to the same message', () => {
    const r = prng(2);
    for (let i = 0; i < CASES; i++) {
      const m = randomMessage(r);
      const wire = toDns2(m);
      const ours = decode(wire);
      expect(normalize(ours), `case ${i}`).toEqual(normalize(m));
      const theirs = fromDns2(Packet.parse(wire));
      expect(ours.answers.map((x) => x.name)).toEqual(theirs.answers.map((x) => x.name));
    }
  });

  it('ours compresses at least as well as dns2 (SRV aside: dns2 compresses its target, RFC 2782 says not to)', () => {
    const r = prng(3);
    const noSrv = (rs: ResourceRecord[]): ResourceRecord[] => rs.filter((x) => x.type !== 33);
    for (let i = 0; i < 100; i++) {
      const m0 = randomMessage(r);
      const m = { ...m0, answers: noSrv(m0.answers), authority: noSrv(m0.authority), additional: noSrv(m0.additional) };
      expect(encode(m).length).toBeLessThanOrEqual(toDns2(m).length);
    }
  });

  it('decodeQuery reads a dns2-built EDNS query', () => {
    const p = new Packet();
    p.header = { id: 513, rd: 1 };
    p.questions = [{ name: 'kubernetes.default.svc.cluster.local', type: 28, class: 1 }];
    p.additionals = [{ name: '', ...Packet.Resource.EDNS([], { udpPayloadSize: 1232, doFlag: true }) }];
    const q = decodeQuery(p.toBuffer());
    expect(q.id).toBe(513);
    expect(q.rd).toBe(true);
    expect(q.questions).toEqual([{ name: 'kubernetes.default.svc.cluster.local.', type: 28, class: 1 }]);
    expect(q.edns).toEqual({ udpSize: 1232, extendedRcode: 0, version: 0, do: true, options: [] });
  });

  it('extended rcode crosses both ways', () => {
    const m = msg({ rcode: 16, questions: [{ name: 'a.', type: 1, class: 1 }], edns: { udpSize: 1232, extendedRcode: 1, version: 0, do: false, options: [] } });
    expect(Packet.parse(encode(m)).header.rcode).toBe(16);
    expect(decode(toDns2(m)).rcode).toBe(16);
  });
});
