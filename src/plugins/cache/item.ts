/**
 * A cached response and how a hit is served from it. The response is stored decoded (for the
 * rare re-encode) and pre-encoded in two forms, with and without an OPT record (encoded lazily),
 * together with the offsets of every TTL field. A hit copies the bytes and patches: the id, the opcode,
 * question name (the asker's case), RD/AD/CD as the asker's query wants them, the OPT's UDP size,
 * and the TTLs (the remaining lifetime, counting down).
 */
import { encode, ttlOffsets } from '../../dns/codec.ts';
import type { Message, ResourceRecord } from '../../dns/types.ts';
import { Opcode, Rcode, Type } from '../../dns/types.ts';
import type { Request } from '../../plugin/contract.ts';
import { questionEnd, sameQuestion } from '../forward/wire.ts';

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

interface Variant { wire: Buffer; ttls: number[]; optAt: number }

export class Item {
  readonly msg: Message;          // as stored: no OPT, every TTL = origTTL
  readonly origTTL: number;       // seconds
  readonly stored: number;        // ms since epoch
  readonly success: boolean;      // which cache it lives in
  hits = 0;                       // prefetch frequency: queries seen without a gap of the prefetch window
  lastHit = 0;
  private plain: Variant | undefined;
  private edns: Variant | undefined;
  private readonly ednsDo: boolean;

  constructor(res: Message, ttl: number, now: number, success: boolean, dobit: boolean) {
    const setTTL = (rs: ResourceRecord[]) => rs.map((r) => ({ ...r, ttl }));
    // The fields are what is stored; a relayed upstream's bytes are not. (Leaving `wire` out of the
    // copy, rather than deleting it afterwards, keeps the object in V8's fast mode: every hit
    // spreads it, and a delete made hits of forwarded answers 20% slower.)
    const { wire: _relayed, ...fields } = res;
    this.msg = {
      ...fields, tc: false,
      answers: setTTL(res.answers), authority: setTTL(res.authority), additional: setTTL(res.additional),
      edns: undefined,
    };
    this.origTTL = ttl;
    this.stored = now;
    this.success = success;
    this.ednsDo = dobit;
  }

  /** Seconds left (negative once expired). */
  ttl(now: number): number { return this.origTTL - Math.floor((now - this.stored) / 1000); }

  private variant(withEdns: boolean): Variant {
    const have = withEdns ? this.edns : this.plain;
    if (have) return have;
    const m: Message = withEdns
      ? { ...this.msg, edns: { udpSize: 1232, extendedRcode: 0, version: 0, do: this.ednsDo, options: [] } }
      : this.msg;
    const wire = encode(m);
    const ttls = ttlOffsets(wire);
    // The OPT record we added is the last record: its class (UDP size) is patched per asker.
    let optAt = -1;
    if (withEdns && wire.length >= 11 && wire[wire.length - 11] === 0 && wire.readUInt16BE(wire.length - 10) === Type.OPT) {
      optAt = wire.length - 11;
    }
    const v = { wire, ttls, optAt };
    if (withEdns) this.edns = v; else this.plain = v;
    return v;
  }

  /** The response for `req` with `ttl` seconds on every record (never below 0). */
  toResponse(req: Request, ttl: number): Message {
    const t = ttl < 0 ? 0 : ttl;
    const q = req.msg;
    const ad = this.msg.ad && (req.do || q.ad);
    const v = this.variant(q.edns !== undefined);
    const base: Message = {
      ...this.msg, id: q.id, opcode: q.opcode, rd: q.rd, cd: q.cd, ad, questions: [req.question],
      edns: q.edns ? { udpSize: q.edns.udpSize, extendedRcode: 0, version: 0, do: this.ednsDo, options: [] } : undefined,
    };
    const qEnd = questionEnd(req.wire);
    if (v.wire.length > req.size || qEnd < 0 || !sameQuestion(req.wire, qEnd, v.wire)) {
      // Too big for this client (the writer truncates from the fields) or an unusual query: no wire.
      const set = (rs: ResourceRecord[]) => rs.map((r) => ({ ...r, ttl: t }));
      return { ...base, answers: set(base.answers), authority: set(base.authority), additional: set(base.additional) };
    }
    const w = Buffer.allocUnsafe(v.wire.length);
    v.wire.copy(w);
    w[0] = q.id >> 8; w[1] = q.id & 0xff;
    // The asker's opcode (a NOTIFY hit answers as NOTIFY, as CoreDNS's SetReply), TC off, RD as
    // asked (QR and AA as stored, CoreDNS #6185).
    w[2] = (w[2]! & 0x84) | ((q.opcode & 0xf) << 3) | (q.rd ? 1 : 0);
    w[3] = (w[3]! & 0xcf) | (ad ? 0x20 : 0) | (q.cd ? 0x10 : 0);   // AD, CD
    req.wire.copy(w, 12, 12, qEnd - 4);                             // the question name as asked
    if (v.optAt >= 0 && q.edns) w.writeUInt16BE(q.edns.udpSize, v.optAt + 3);
    for (const off of v.ttls) w.writeUInt32BE(t, off);
    base.wire = w;
    return base;
  }
}
