/**
 * Model → wire. Writes into one reused scratch Buffer, compressing names (./compress.ts),
 * then returns a right-sized copy. Truncation follows miekg/dns Msg.Truncate:
 * keep the longest prefix of answer+authority+additional that fits with the OPT record,
 * set TC when anything was left out.
 */
import { EncodeError } from './errors.ts';
import { parseIPv4, parseIPv6 } from './ip.ts';
import { resetNames, writeName as writeNameAt } from './compress.ts';
import type {
  AData, Edns, Message, MXData, NameData, RawData, ResourceRecord, SOAData, SRVData, TXTData,
} from './types.ts';

const MAX_MSG = 65535;
let out = Buffer.allocUnsafe(MAX_MSG + 8192);
let pos = 0;

/** End offset of each RR written, in order: answer, authority, additional. */
let rrEnds = new Int32Array(1024);

function ensure(n: number): void {
  if (pos + n <= out.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, pos + n + 1024));
  out.copy(bigger, 0, 0, pos);
  out = bigger;
}

function w16(v: number): void { out[pos++] = v >>> 8; out[pos++] = v; }
function w32(v: number): void {
  out[pos++] = v >>> 24; out[pos++] = v >>> 16; out[pos++] = v >>> 8; out[pos++] = v;
}

function writeName(name: string, compress: boolean): void {
  pos = writeNameAt(out, pos, name, compress);
}

function writeRdata(rr: ResourceRecord): void {
  const d = rr.data;
  const raw = (d as RawData).raw;
  if (raw !== undefined) {
    ensure(raw.length);
    out.set(raw, pos);
    pos += raw.length;
    return;
  }
  switch (rr.type) {
    case 1:
      if (!parseIPv4((d as AData).address, out, pos)) throw new EncodeError(`bad IPv4 address ${JSON.stringify((d as AData).address)}`);
      pos += 4;
      return;
    case 28:
      if (!parseIPv6((d as AData).address, out, pos)) throw new EncodeError(`bad IPv6 address ${JSON.stringify((d as AData).address)}`);
      pos += 16;
      return;
    case 2: case 5: case 12:
      writeName((d as NameData).target, true);
      return;
    case 39: // DNAME target is not compressed (RFC 6672)
      writeName((d as NameData).target, false);
      return;
    case 15:
      w16((d as MXData).preference);
      writeName((d as MXData).exchange, true);
      return;
    case 33: { // SRV target is not compressed (RFC 2782), as miekg/dns writes it
      const s = d as SRVData;
      w16(s.priority); w16(s.weight); w16(s.port);
      writeName(s.target, false);
      return;
    }
    case 16: {
      const texts = (d as TXTData).texts;
      let total = 0;
      for (const t of texts) total += 1 + t.length;
      ensure(total);
      for (const t of texts) {
        if (t.length > 255) throw new EncodeError('TXT string longer than 255 octets');
        out[pos++] = t.length;
        out.set(t, pos);
        pos += t.length;
      }
      return;
    }
    case 6: {
      const s = d as SOAData;
      writeName(s.mname, true);
      writeName(s.rname, true);
      w32(s.serial); w32(s.refresh); w32(s.retry); w32(s.expire); w32(s.minimum);
      return;
    }
    default:
      throw new EncodeError(`no rdata to write for type ${rr.type}`);
  }
}

function writeRR(rr: ResourceRecord): void {
  ensure(1024);
  writeName(rr.name, true);
  w16(rr.type); w16(rr.class); w32(rr.ttl);
  const rdlenPos = pos;
  pos += 2;
  writeRdata(rr);
  const rdlen = pos - rdlenPos - 2;
  if (rdlen > 0xffff) throw new EncodeError(`rdata of ${rdlen} octets`);
  out[rdlenPos] = rdlen >>> 8; out[rdlenPos + 1] = rdlen;
}

function writeOpt(edns: Edns, rcode: number): void {
  let olen = 0;
  for (const o of edns.options) olen += 4 + o.data.length;
  if (olen > 0xffff) throw new EncodeError('EDNS options longer than 65535 octets');
  ensure(11 + olen);
  out[pos++] = 0;
  w16(41); w16(edns.udpSize);
  out[pos++] = (rcode >>> 4) & 0xff;
  out[pos++] = edns.version;
  out[pos++] = edns.do ? 0x80 : 0;
  out[pos++] = 0;
  w16(olen);
  for (const o of edns.options) {
    w16(o.code); w16(o.data.length);
    out.set(o.data, pos);
    pos += o.data.length;
  }
}

function writeSection(rrs: ResourceRecord[], k: number): number {
  for (let i = 0; i < rrs.length; i++) {
    writeRR(rrs[i]!);
    rrEnds[k++] = pos;
  }
  return k;
}

/**
 * Encode a message. OPT (from msg.edns) is written last in additional; its extended-rcode
 * bits come from msg.rcode (edns.extendedRcode is ignored), and rcode > 15 without EDNS throws.
 * When the result would exceed maxSize, records are dropped from the end (additional, then
 * authority, then answer) until it fits with the OPT record, and TC is set. Throws EncodeError
 * on invalid names/addresses, or when even header+question+OPT exceed maxSize.
 */
export function encode(msg: Message, maxSize = MAX_MSG): Buffer {
  if (maxSize > MAX_MSG) maxSize = MAX_MSG;
  const edns = msg.edns;
  if (msg.rcode > 15 && edns === undefined) throw new EncodeError(`extended rcode ${msg.rcode} needs EDNS`);
  const an = msg.answers.length, ns = msg.authority.length, ar = msg.additional.length;
  const nrr = an + ns + ar;
  if (rrEnds.length < nrr) rrEnds = new Int32Array(nrr * 2);
  pos = 0;
  resetNames();
  w16(msg.id);
  out[pos++] = (msg.qr ? 0x80 : 0) | ((msg.opcode & 0xf) << 3) | (msg.aa ? 4 : 0) | (msg.tc ? 2 : 0) | (msg.rd ? 1 : 0);
  out[pos++] = (msg.ra ? 0x80 : 0) | (msg.z ? 0x40 : 0) | (msg.ad ? 0x20 : 0) | (msg.cd ? 0x10 : 0) | (msg.rcode & 0xf);
  w16(msg.questions.length); w16(an); w16(ns); w16(ar + (edns ? 1 : 0));
  for (const q of msg.questions) {
    ensure(512);
    writeName(q.name, true);
    w16(q.type); w16(q.class);
  }
  const qEnd = pos;
  let k = writeSection(msg.answers, 0);
  k = writeSection(msg.authority, k);
  writeSection(msg.additional, k);
  const optStart = pos;
  if (edns) writeOpt(edns, msg.rcode);
  if (pos > maxSize) truncate(maxSize, qEnd, optStart, an, ns, ar, edns !== undefined);
  const res = Buffer.allocUnsafe(pos);
  out.copy(res, 0, 0, pos);
  return res;
}

function truncate(maxSize: number, qEnd: number, optStart: number, an: number, ns: number, ar: number, hasOpt: boolean): void {
  const optLen = pos - optStart;
  const budget = maxSize - optLen;
  if (qEnd > budget) throw new EncodeError(`header, question and OPT need more than ${maxSize} octets`);
  let keep = 0;
  while (keep < an + ns + ar && rrEnds[keep]! <= budget) keep++;
  const cut = keep === 0 ? qEnd : rrEnds[keep - 1]!;
  if (hasOpt) out.copyWithin(cut, optStart, optStart + optLen);
  pos = cut + optLen;
  const kan = Math.min(keep, an);
  const kns = Math.min(keep - kan, ns);
  const kar = keep - kan - kns;
  out[2] |= 2; // TC: something was left out (miekg/dns sets it for any omitted record)
  out[6] = kan >>> 8; out[7] = kan;
  out[8] = kns >>> 8; out[9] = kns;
  const arc = kar + (hasOpt ? 1 : 0);
  out[10] = arc >>> 8; out[11] = arc;
}

export interface QueryOptions {
  id?: number;
  rd?: boolean;          // default true
  qclass?: number;       // default IN
  udpSize?: number;      // adds an OPT record (with do, if given)
  do?: boolean;          // adds an OPT record (udpSize defaults to 1232)
  cd?: boolean;
  ad?: boolean;
}

/** A query message for `name`/`type`, for clients and tests. */
export function encodeQuery(name: string, type: number, opts: QueryOptions = {}): Buffer {
  const withEdns = opts.udpSize !== undefined || opts.do !== undefined;
  return encode({
    id: opts.id ?? ((Math.random() * 0x10000) | 0),
    qr: false, opcode: 0, aa: false, tc: false, rd: opts.rd ?? true, ra: false,
    z: false, ad: opts.ad ?? false, cd: opts.cd ?? false, rcode: 0,
    questions: [{ name, type, class: opts.qclass ?? 1 }],
    answers: [], authority: [], additional: [],
    edns: withEdns ? { udpSize: opts.udpSize ?? 1232, extendedRcode: 0, version: 0, do: opts.do ?? false, options: [] } : undefined,
  });
}
