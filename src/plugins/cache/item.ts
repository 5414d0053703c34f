/**
 * What the cache stores and how a hit is served. An answer is stored once, encoded without an OPT
 * record and with every TTL at its cache lifetime, with the offsets of its TTL fields (store.ts
 * keeps the bytes in shared memory). A hit gets a fresh copy of those bytes and patches: the id,
 * the opcode, RD/AD/CD as the asker's query wants them, the question name (the asker's case), an
 * OPT record mirroring the asker's (its UDP size, the entry's DO bit) and the TTLs (the remaining
 * lifetime, counting down). The Message handed back carries the header from those bytes; its
 * record sections are decoded from them only if a plugin before cache reads them.
 */
import { decode, encode, ttlOffsets } from '../../dns/codec.ts';
import type { Edns, Message, Question, ResourceRecord } from '../../dns/types.ts';
import { Opcode, Rcode, Type } from '../../dns/types.ts';
import type { Request } from '../../plugin/contract.ts';

/** CoreDNS's response.Type, the classes of answer the cache tells apart. */
export type ResponseType = 'noerror' | 'nxdomain' | 'nodata' | 'delegation' | 'servererror' | 'othererror' | 'meta' | 'update';

export function classify(m: Message): ResponseType {
  if (m.opcode === Opcode.UPDATE) return 'update';
  if (m.opcode === Opcode.NOTIFY) return 'meta';
  const q = m.questions[0];
  if (q && (q.type === Type.AXFR || q.type === Type.IXFR)) return 'meta';
  if (m.answers.length > 0 && m.rcode === Rcode.NOERROR) return 'noerror';
  let soa = false, ns = 0;
  for (const r of m.authority) { if (r.type === Type.SOA) soa = true; else if (r.type === Type.NS) ns++; }
  if (soa && m.rcode === Rcode.NOERROR) return 'nodata';
  if (soa && m.rcode === Rcode.NXDOMAIN) return 'nxdomain';
  if (m.rcode === Rcode.SERVFAIL || m.rcode === Rcode.NOTIMP) return 'servererror';
  if (ns > 0 && m.rcode === Rcode.NOERROR) return 'delegation';
  if (m.rcode === Rcode.NOERROR) return 'noerror';
  return 'othererror';
}

const MAX_TTL = 3600, MIN_DEFAULT = 5;

/**
 * The smallest TTL in the message (CoreDNS's dnsutil.MinimalTTL), in seconds. For a denial the SOA
 * counts with min(its TTL, its MINIMUM) as RFC 2308 says.
 */
export function minimalTTL(m: Message, t: ResponseType): number {
  if (t !== 'noerror' && t !== 'nxdomain' && t !== 'nodata') return MIN_DEFAULT;
  if (m.answers.length + m.authority.length + m.additional.length === 0) return MIN_DEFAULT;
  let min = MAX_TTL;
  const denial = t !== 'noerror';
  const see = (rs: ResourceRecord[]) => {
    for (const r of rs) {
      let ttl = r.ttl;
      if (denial && r.type === Type.SOA) ttl = Math.min(ttl, (r.data as { minimum?: number }).minimum ?? ttl);
      if (ttl < min) min = ttl;
    }
  };
  see(m.answers); see(m.authority); see(m.additional);
  return min;
}

/** An answer as stored: its bytes (no OPT, every TTL at `ttl`) and where its TTL fields are. */
export interface Stored { wire: Buffer; ttls: number[] }

/** Encode `res` for the cache: TC off, no OPT, every TTL `ttl` (what a relayed upstream sent is not kept). */
export function encodeForCache(res: Message, ttl: number): Stored {
  const setTTL = (rs: ResourceRecord[]) => rs.map((r) => ({ ...r, ttl }));
  const { wire: _relayed, ...fields } = res;
  const wire = encode({
    ...fields, tc: false, edns: undefined,
    answers: setTTL(res.answers), authority: setTTL(res.authority), additional: setTTL(res.additional),
  });
  return { wire, ttls: ttlOffsets(wire) };
}

const OPT_LEN = 11;

/** Bytes a hit needs after the stored answer: room for the asker's OPT record. */
export function extraFor(req: Request): number { return req.msg.edns ? OPT_LEN : 0; }

/**
 * The response for `req` from `w`, a fresh copy of a stored answer (wireLen bytes, then extraFor(req)
 * spare bytes), with `ttl` seconds on every record (never below 0). `qEnd`: end of the question in req.wire.
 */
export function respond(req: Request, w: Buffer, wireLen: number, ttls: ArrayLike<number>, nttl: number, ttl: number, ednsDo: boolean, qEnd: number): Message {
  const t = ttl < 0 ? 0 : ttl;
  const q = req.msg;
  const ad = (w[3]! & 0x20) !== 0 && (req.do || q.ad);
  w[0] = q.id >> 8; w[1] = q.id & 0xff;
  // QR, the asker's opcode (a NOTIFY stays a NOTIFY), AA as stored (CoreDNS #6185), TC off, RD as asked.
  w[2] = 0x80 | (q.opcode << 3) | (w[2]! & 0x04) | (q.rd ? 1 : 0);
  w[3] = (w[3]! & 0xcf) | (ad ? 0x20 : 0) | (q.cd ? 0x10 : 0);   // AD, CD
  req.wire.copy(w, 12, 12, qEnd - 4);                             // the question name as asked
  for (let i = 0; i < nttl; i++) w.writeUInt32BE(t, ttls[i]!);
  let edns: Edns | undefined;
  if (q.edns) {
    edns = { udpSize: q.edns.udpSize, extendedRcode: 0, version: 0, do: ednsDo, options: [] };
    const o = wireLen;
    w[o] = 0; w.writeUInt16BE(Type.OPT, o + 1); w.writeUInt16BE(q.edns.udpSize, o + 3);
    w[o + 5] = 0; w[o + 6] = 0; w.writeUInt16BE(ednsDo ? 0x8000 : 0, o + 7); w.writeUInt16BE(0, o + 9);
    w.writeUInt16BE(w.readUInt16BE(10) + 1, 10);
  }
  return cachedMessage(req, w, ad, edns);
}

function cachedMessage(req: Request, w: Buffer, ad: boolean, edns: Edns | undefined): Message {
  return new CachedMessage(req, w, ad, edns);
}

/**
 * The Message of a hit: header fields from the bytes, the asker's question, and record sections
 * decoded from the bytes on first read (plugins before cache, such as log or loadbalance, may read
 * or replace them; most hits never decode). `wire` is left out when the bytes are larger than the
 * asker takes: the writer then truncates from the fields.
 *
 * The sections are accessors on the class (an object literal with getters costs six closures per
 * hit: 3× slower hits, measured); so a copy must name them, as loadbalance does
 * (`{ ...fields, answers: ..., authority: ..., additional: ... }`), not rely on `{ ...res }`.
 */
class CachedMessage implements Message {
  id: number; qr = true; opcode: number; aa: boolean; tc = false; rd: boolean; ra: boolean; z: boolean; ad: boolean; cd: boolean;
  rcode: number; questions: Question[]; edns: Edns | undefined; wire: Buffer | undefined;
  private readonly bytes: Buffer;
  private dec: Message | undefined = undefined;
  private an: ResourceRecord[] | undefined = undefined;
  private ns: ResourceRecord[] | undefined = undefined;
  private ar: ResourceRecord[] | undefined = undefined;
  constructor(req: Request, w: Buffer, ad: boolean, edns: Edns | undefined) {
    const b2 = w[2]!, b3 = w[3]!;
    this.id = req.msg.id; this.opcode = (b2 >> 3) & 0xf; this.aa = (b2 & 0x04) !== 0; this.rd = (b2 & 1) !== 0;
    this.ra = (b3 & 0x80) !== 0; this.z = (b3 & 0x40) !== 0; this.ad = ad; this.cd = (b3 & 0x10) !== 0; this.rcode = b3 & 0xf;
    this.questions = [req.question]; this.edns = edns; this.wire = w.length <= req.size ? w : undefined; this.bytes = w;
  }
  get answers(): ResourceRecord[] { return this.an ??= (this.dec ??= decode(this.bytes)).answers; }
  set answers(v) { this.an = v; }
  get authority(): ResourceRecord[] { return this.ns ??= (this.dec ??= decode(this.bytes)).authority; }
  set authority(v) { this.ns = v; }
  get additional(): ResourceRecord[] { return this.ar ??= (this.dec ??= decode(this.bytes)).additional; }
  set additional(v) { this.ar = v; }
}
