/**
 * Wire → model. Reads the caller's bytes directly (no reader object, no per-bit work) and
 * copies out whatever it keeps, so the model never aliases the caller's buffer.
 *
 * Strictness (answers FORMERR): truncated header/sections, reserved label types, names over
 * 255 octets, compression pointers that do not point strictly backwards (before the start of
 * the labels being read, so no loop is possible), counts claiming more records than the bytes
 * hold, rdata overrunning its rdlength or not filling it, OPT outside the additional section
 * or more than one OPT (RFC 6891 6.1.1). Trailing bytes after the last record are ignored, as
 * miekg/dns (and so CoreDNS) ignores them.
 */
import { DecodeError } from './errors.ts';
import { formatIPv4, formatIPv6 } from './ip.ts';
import type { Edns, EdnsOption, Message, Question, ResourceRecord, RData } from './types.ts';

const TYPE_OPT = 41;
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Buffer, s: number, e: number): string }).latin1Slice;

// Text of the name being read: 255 wire octets escape to at most 4 chars each.
const TEXT = Buffer.allocUnsafe(1100);

/** Offset just after the name most recently read by readName/skipName. */
let nameEnd = 0;

/** Byte classes for label text: 0 plain, 1 backslash-escape, 2 \DDD. */
const ESC = new Uint8Array(256);
for (let b = 0; b < 256; b++) ESC[b] = b < 0x20 || b > 0x7e ? 2 : 0;
for (const ch of '. \'@;()"\\') ESC[ch.charCodeAt(0)] = 1;

/**
 * Read a (possibly compressed) name at `off`; labels written inline must end before `limit`.
 * Sets `nameEnd` to the offset after the name as it appears at `off`.
 */
function readName(buf: Uint8Array, off: number, limit: number): string {
  let pos = off;
  let runStart = off;
  let end = -1;
  let wire = 1;
  let t = 0;
  for (;;) {
    if (pos >= limit) throw new DecodeError('truncated name', pos);
    const len = buf[pos]!;
    if (len === 0) { pos++; break; }
    if (len >= 0xc0) {
      if (pos + 1 >= limit) throw new DecodeError('truncated compression pointer', pos);
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (target >= runStart) throw new DecodeError('compression pointer does not point backwards', pos);
      if (end < 0) end = pos + 2;
      pos = target;
      runStart = target;
      limit = buf.length;
      continue;
    }
    if (len > 63) throw new DecodeError('bad label type', pos);
    wire += len + 1;
    if (wire > 255) throw new DecodeError('name longer than 255 octets', pos);
    const stop = pos + 1 + len;
    if (stop > limit) throw new DecodeError('truncated label', pos);
    for (let i = pos + 1; i < stop; i++) {
      const b = buf[i]!;
      const e = ESC[b];
      if (e === 0) {
        TEXT[t++] = b;
      } else if (e === 1) {
        TEXT[t++] = 92; TEXT[t++] = b;
      } else {
        TEXT[t++] = 92;
        TEXT[t++] = 48 + ((b / 100) | 0);
        TEXT[t++] = 48 + (((b / 10) | 0) % 10);
        TEXT[t++] = 48 + (b % 10);
      }
    }
    TEXT[t++] = 46;
    pos = stop;
  }
  nameEnd = end < 0 ? pos : end;
  return t === 0 ? '.' : latin1Slice.call(TEXT, 0, t);
}

/** Step over a name without reading it (pointers are not followed). Sets nameEnd. */
function skipName(buf: Uint8Array, off: number): void {
  const limit = buf.length;
  let pos = off;
  for (;;) {
    if (pos >= limit) throw new DecodeError('truncated name', pos);
    const len = buf[pos]!;
    if (len === 0) { nameEnd = pos + 1; return; }
    if (len >= 0xc0) {
      if (pos + 1 >= limit) throw new DecodeError('truncated compression pointer', pos);
      nameEnd = pos + 2;
      return;
    }
    if (len > 63) throw new DecodeError('bad label type', pos);
    pos += len + 1;
  }
}

function u16(buf: Uint8Array, o: number): number { return (buf[o]! << 8) | buf[o + 1]!; }
function u32(buf: Uint8Array, o: number): number {
  return ((buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!) >>> 0;
}
function copy(buf: Uint8Array, start: number, end: number): Uint8Array {
  return Buffer.from(buf.subarray(start, end));
}

function checkCounts(len: number, qd: number, rrs: number): void {
  // the smallest question is 5 octets (root, type, class), the smallest RR 11
  if (12 + qd * 5 + rrs * 11 > len) throw new DecodeError('section counts exceed the message', 4);
}

function newMessage(buf: Uint8Array): Message {
  const f1 = buf[2]!, f2 = buf[3]!;
  return {
    id: u16(buf, 0),
    qr: (f1 & 0x80) !== 0, opcode: (f1 >> 3) & 0xf, aa: (f1 & 4) !== 0, tc: (f1 & 2) !== 0,
    rd: (f1 & 1) !== 0, ra: (f2 & 0x80) !== 0, z: (f2 & 0x40) !== 0, ad: (f2 & 0x20) !== 0,
    cd: (f2 & 0x10) !== 0, rcode: f2 & 0xf,
    questions: [], answers: [], authority: [], additional: [],
    edns: undefined,
  };
}

function readQuestion(buf: Uint8Array, off: number): Question {
  const name = readName(buf, off, buf.length);
  const o = nameEnd;
  if (o + 4 > buf.length) throw new DecodeError('truncated question', o);
  nameEnd = o + 4;
  return { name, type: u16(buf, o), class: u16(buf, o + 2) };
}

function readOpt(buf: Uint8Array, o: number, rdEnd: number, msg: Message): void {
  if (msg.edns !== undefined) throw new DecodeError('more than one OPT record', o);
  const ttl = u32(buf, o + 4);
  const options: EdnsOption[] = [];
  let p = o + 10;
  while (p < rdEnd) {
    if (p + 4 > rdEnd) throw new DecodeError('truncated EDNS option', p);
    const code = u16(buf, p), olen = u16(buf, p + 2);
    if (p + 4 + olen > rdEnd) throw new DecodeError('EDNS option overruns OPT rdata', p);
    options.push({ code, data: copy(buf, p + 4, p + 4 + olen) });
    p += 4 + olen;
  }
  const edns: Edns = {
    udpSize: u16(buf, o + 2),
    extendedRcode: ttl >>> 24,
    version: (ttl >>> 16) & 0xff,
    do: (ttl & 0x8000) !== 0,
    options,
  };
  msg.edns = edns;
  msg.rcode = (edns.extendedRcode << 4) | (msg.rcode & 0xf);
}

function readRdata(buf: Uint8Array, type: number, p: number, end: number): RData {
  const rdlen = end - p;
  if (rdlen === 0) return { raw: new Uint8Array(0) }; // no rdata (as in dynamic updates)
  switch (type) {
    case 1:
      if (rdlen !== 4) break;
      return { address: formatIPv4(buf, p) };
    case 28:
      if (rdlen !== 16) break;
      return { address: formatIPv6(buf, p) };
    case 2: case 5: case 12: case 39: {
      const target = readName(buf, p, end);
      if (nameEnd !== end) break;
      return { target };
    }
    case 15: {
      if (rdlen < 3) break;
      const exchange = readName(buf, p + 2, end);
      if (nameEnd !== end) break;
      return { preference: u16(buf, p), exchange };
    }
    case 33: {
      if (rdlen < 7) break;
      const target = readName(buf, p + 6, end);
      if (nameEnd !== end) break;
      return { priority: u16(buf, p), weight: u16(buf, p + 2), port: u16(buf, p + 4), target };
    }
    case 16: {
      const texts: Uint8Array[] = [];
      while (p < end) {
        const l = buf[p]!;
        if (p + 1 + l > end) throw new DecodeError('TXT string overruns rdata', p);
        texts.push(copy(buf, p + 1, p + 1 + l));
        p += 1 + l;
      }
      return { texts };
    }
    case 6: {
      const mname = readName(buf, p, end);
      const rname = readName(buf, nameEnd, end);
      const q = nameEnd;
      if (q + 20 !== end) break;
      return {
        mname, rname, serial: u32(buf, q), refresh: u32(buf, q + 4), retry: u32(buf, q + 8),
        expire: u32(buf, q + 12), minimum: u32(buf, q + 16),
      };
    }
    default:
      return { raw: copy(buf, p, end) };
  }
  throw new DecodeError(`bad rdlength ${rdlen} for type ${type}`, p);
}

/** Read `count` RRs of section `sec` (1 answer, 2 authority, 3 additional) from `off`; returns the offset after. */
function readSection(buf: Uint8Array, off: number, count: number, sec: number, msg: Message, out: ResourceRecord[]): number {
  const len = buf.length;
  for (let i = 0; i < count; i++) {
    const name = readName(buf, off, len);
    const o = nameEnd;
    if (o + 10 > len) throw new DecodeError('truncated resource record', o);
    const type = u16(buf, o);
    const end = o + 10 + u16(buf, o + 8);
    if (end > len) throw new DecodeError('rdlength overruns the message', o + 8);
    if (type === TYPE_OPT) {
      if (sec !== 3) throw new DecodeError('OPT record outside the additional section', off);
      readOpt(buf, o, end, msg);
    } else {
      const data = readRdata(buf, type, o + 10, end);
      out.push({ name, type, class: u16(buf, o + 2), ttl: u32(buf, o + 4), data });
    }
    off = end;
  }
  return off;
}

/**
 * Step over one resource record at `off` without reading it: returns the offset after it and
 * leaves `nameEnd` at its type field. Throws DecodeError like readSection.
 */
function skipRecord(buf: Uint8Array, off: number): number {
  skipName(buf, off);
  const o = nameEnd;
  if (o + 10 > buf.length) throw new DecodeError('truncated resource record', o);
  const end = o + 10 + u16(buf, o + 8);
  if (end > buf.length) throw new DecodeError('rdlength overruns the message', o + 8);
  return end;
}

/** Step over `count` questions from `off`; returns the offset after them. */
function skipQuestions(buf: Uint8Array, off: number, count: number): number {
  for (let i = 0; i < count; i++) {
    skipName(buf, off);
    off = nameEnd + 4;
    if (off > buf.length) throw new DecodeError('truncated question', nameEnd);
  }
  return off;
}

/** The header's counts, checked against the length; and a message with the header's fields. */
function begin(buf: Uint8Array): [Message, number, number, number, number] {
  const len = buf.length;
  if (len < 12) throw new DecodeError('truncated header', 0);
  const qd = u16(buf, 4), an = u16(buf, 6), ns = u16(buf, 8), ar = u16(buf, 10);
  checkCounts(len, qd, an + ns + ar);
  return [newMessage(buf), qd, an, ns, ar];
}

/** Decode a whole message. Throws DecodeError (answer FORMERR) on malformed input. */
export function decode(buf: Uint8Array): Message {
  const [msg, qd, an, ns, ar] = begin(buf);
  let off = 12;
  for (let i = 0; i < qd; i++) {
    msg.questions.push(readQuestion(buf, off));
    off = nameEnd;
  }
  off = readSection(buf, off, an, 1, msg, msg.answers);
  off = readSection(buf, off, ns, 2, msg, msg.authority);
  readSection(buf, off, ar, 3, msg, msg.additional);
  return msg;
}

/**
 * Decode what a server needs from a query: header, first question, and EDNS (OPT). Other
 * questions and records are stepped over without being read (answers/authority/additional
 * come back empty). Throws DecodeError like decode() for anything it has to step over.
 */
export function decodeQuery(buf: Uint8Array): Message {
  const [msg, qd, an, ns, ar] = begin(buf);
  let off = 12;
  if (qd > 0) {
    msg.questions.push(readQuestion(buf, off));
    off = skipQuestions(buf, nameEnd, qd - 1);
  }
  const rrs = an + ns + ar;
  for (let i = 0; i < rrs; i++) {
    const end = skipRecord(buf, off);
    const o = nameEnd;
    if (u16(buf, o) === TYPE_OPT) {
      if (i < an + ns) throw new DecodeError('OPT record outside the additional section', off);
      readOpt(buf, o, end, msg);
    }
    off = end;
  }
  return msg;
}

/** Offsets of the TTL field of every RR except OPT, in message order (for patching cached answers). */
export function ttlOffsets(buf: Uint8Array): number[] {
  const len = buf.length;
  if (len < 12) throw new DecodeError('truncated header', 0);
  const qd = u16(buf, 4);
  const rrs = u16(buf, 6) + u16(buf, 8) + u16(buf, 10);
  checkCounts(len, qd, rrs);
  let off = skipQuestions(buf, 12, qd);
  const out: number[] = [];
  for (let i = 0; i < rrs; i++) {
    const end = skipRecord(buf, off);
    const o = nameEnd;
    if (u16(buf, o) !== TYPE_OPT) out.push(o + 4);
    off = end;
  }
  return out;
}

/**
 * Offset just past the question of a query whose one question name is written plainly at offset 12
 * (as queries are: no compression), or -1 otherwise. Cache keys and forward match answers by it.
 */
export function questionEnd(buf: Uint8Array): number {
  if (buf.length < 12 || buf[4] !== 0 || buf[5] !== 1) return -1;
  let off = 12;
  while (off < buf.length) {
    const len = buf[off]!;
    if (len === 0) return off + 5 <= buf.length ? off + 5 : -1;
    if (len > 63) return -1;
    off += len + 1;
  }
  return -1;
}
