/**
 * RDATA in zone-file text → the record data clusterdns encodes. Types the codec models (A, AAAA,
 * NS, CNAME, PTR, DNAME, MX, SRV, TXT, SOA) become their objects; the other types a zone file
 * commonly holds (SPF, CAA, HINFO, NAPTR, SSHFP, TLSA, SMIMEA, DS, CDS, DNSKEY, CDNSKEY, RRSIG,
 * NSEC, URI) are written to wire bytes here and served as opaque RDATA (a signed zone loads; its
 * signatures are plain records to the plugin). Any type, known or not, may be written in RFC 3597's
 * generic form `\# LENGTH HEX`. Types whose text form is not read here (SVCB, HTTPS, ...) are
 * refused with their line, pointing at the generic form.
 */
import { formatIPv6, parseIPv4, parseIPv6 } from '../../dns/ip.ts';
import { typeByName, typeString } from '../../dns/mnemonics.ts';
import type { RData } from '../../dns/types.ts';
import type { Token } from './lexer.ts';
import { lower, nameWire, readWireName, zoneName } from './names.ts';

export class RdataError extends Error {
  readonly token: Token | undefined;
  constructor(message: string, token: Token | undefined) { super(message); this.token = token; }
}

const T = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, HINFO: 13, MX: 15, TXT: 16, AAAA: 28, SRV: 33, NAPTR: 35,
  DNAME: 39, DS: 43, SSHFP: 44, RRSIG: 46, NSEC: 47, DNSKEY: 48, NSEC3: 50, NSEC3PARAM: 51, TLSA: 52, SMIMEA: 53, CDS: 59,
  CDNSKEY: 60, SPF: 99, URI: 256, CAA: 257,
} as const;

/** Reads the tokens of one record's RDATA, in order. */
class Cursor {
  private i = 0;
  private readonly toks: readonly Token[];
  private readonly type: number;
  private readonly after: Token;
  constructor(toks: readonly Token[], type: number, after: Token) { this.toks = toks; this.type = type; this.after = after; }
  get done(): boolean { return this.i >= this.toks.length; }
  peek(): Token | undefined { return this.toks[this.i]; }
  next(field: string): Token {
    const t = this.toks[this.i++];
    if (!t) throw new RdataError(`${typeString(this.type)} record is missing its ${field}`, this.toks[this.toks.length - 1] ?? this.after);
    return t;
  }
  rest(): Token[] { const r = this.toks.slice(this.i); this.i = this.toks.length; return r; }
  end(): void {
    const t = this.toks[this.i];
    if (t) throw new RdataError(`unexpected ${JSON.stringify(t.text)} after the ${typeString(this.type)} record's data`, t);
  }
  uint(field: string, max: number): number {
    const t = this.next(field);
    if (t.quoted || !/^\d+$/.test(t.text) || Number(t.text) > max) {
      throw new RdataError(`bad ${field} ${JSON.stringify(t.text)} in ${typeString(this.type)} record: need a number from 0 to ${max}`, t);
    }
    return Number(t.text);
  }
  name(field: string, origin: string, toLower: boolean): string {
    const t = this.next(field);
    const n = t.quoted ? undefined : zoneName(t.text, origin);
    if (n === undefined) throw new RdataError(`bad ${field} ${JSON.stringify(t.text)} in ${typeString(this.type)} record: not a domain name`, t);
    return toLower ? lower(n) : n;
  }
}

/** The bytes of a character-string: `\DDD` is a byte, `\X` is X, other characters their UTF-8. */
export function stringBytes(s: string, tok: Token): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      if (i + 1 >= s.length) throw new RdataError('a string ends in a lone backslash', tok);
      if (/^\d{3}$/.test(s.slice(i + 1, i + 4))) {
        const v = Number(s.slice(i + 1, i + 4));
        if (v > 255) throw new RdataError(`bad escape \\${s.slice(i + 1, i + 4)}: more than 255`, tok);
        out.push(v);
        i += 3;
        continue;
      }
      const cp = s.codePointAt(i + 1)!;
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) out.push(b);
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const cp = s.codePointAt(i)!;
    if (cp < 0x80) { out.push(cp); continue; }
    for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) out.push(b);
    if (cp > 0xffff) i++;
  }
  return Buffer.from(out);
}

/** Character-strings longer than 255 octets are split, as miekg/dns does. */
function chunks(b: Buffer): Buffer[] {
  if (b.length <= 255) return [b];
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += 255) out.push(b.subarray(i, i + 255));
  return out;
}

function charString(b: Buffer, tok: Token, type: number): Buffer {
  if (b.length > 255) throw new RdataError(`a string in a ${typeString(type)} record is longer than 255 octets`, tok);
  return Buffer.concat([Buffer.from([b.length]), b]);
}

function hexBytes(toks: Token[], type: number, field: string, after: Token): Buffer {
  const s = toks.map((t) => t.text).join('');
  if (s === '' || s.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(s)) {
    throw new RdataError(`bad ${field} in ${typeString(type)} record: need an even number of hex digits`, toks[0] ?? after);
  }
  return Buffer.from(s, 'hex');
}

function base64Bytes(toks: Token[], type: number, field: string, after: Token): Buffer {
  const s = toks.map((t) => t.text).join('');
  if (s === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(s) || s.length % 4 !== 0) {
    throw new RdataError(`bad ${field} in ${typeString(type)} record: not base64`, toks[0] ?? after);
  }
  return Buffer.from(s, 'base64');
}

/** A TTL-like SOA timer: seconds, or units (1h, 2d, 1w30m) as miekg/dns's stringToTTL reads them. */
export function ttlValue(s: string): number | undefined {
  if (/^\d+$/.test(s)) { const n = Number(s); return n <= 0xffffffff ? n : undefined; }
  if (!/^(\d+[smhdwSMHDW])+\d*$/.test(s)) return undefined;
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  let total = 0;
  for (const m of s.matchAll(/(\d+)([smhdwSMHDW]?)/g)) total += Number(m[1]) * (m[2] ? unit[m[2].toLowerCase()]! : 1);
  return total <= 0xffffffff ? total : undefined;
}

/** A type mnemonic or TYPEnnn inside RDATA (RRSIG's type covered, NSEC's type list). */
function typeOf(t: Token, type: number): number {
  const up = t.text.toUpperCase();
  const n = t.quoted ? undefined : typeByName(up) ?? (/^TYPE\d+$/.test(up) && Number(up.slice(4)) <= 0xffff ? Number(up.slice(4)) : undefined);
  if (n === undefined) throw new RdataError(`unknown type ${JSON.stringify(t.text)} in ${typeString(type)} record`, t);
  return n;
}

/** An RRSIG time: YYYYMMDDHHmmSS (UTC), or seconds since 1970, as 32-bit serial arithmetic (RFC 4034 3.2). */
function sigTime(t: Token): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(t.text);
  if (m) return (Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) / 1000) >>> 0;
  if (/^\d{1,10}$/.test(t.text) && Number(t.text) <= 0xffffffff) return Number(t.text);
  throw new RdataError(`bad time ${JSON.stringify(t.text)} in RRSIG record: write YYYYMMDDHHmmSS`, t);
}

/** The NSEC type bitmap (RFC 4034 4.1.2): per 256-type window, its number, length and bits. */
function typeBitmap(types: number[]): Buffer {
  const windows = new Map<number, Uint8Array>();
  for (const t of types) {
    const w = t >>> 8;
    let bits = windows.get(w);
    if (!bits) { bits = new Uint8Array(32); windows.set(w, bits); }
    bits[(t & 0xff) >>> 3]! |= 0x80 >>> (t & 7);
  }
  const out: Buffer[] = [];
  for (const w of [...windows.keys()].sort((a, b) => a - b)) {
    const bits = windows.get(w)!;
    let len = 32;
    while (len > 0 && bits[len - 1] === 0) len--;
    out.push(Buffer.from([w, len]), Buffer.from(bits.subarray(0, len)));
  }
  return Buffer.concat(out);
}

const u16 = (v: number) => Buffer.from([v >>> 8, v & 0xff]);
const u8 = (v: number) => Buffer.from([v]);

/**
 * RDATA of `type` from its tokens, names made absolute against `origin`. `after` is the token
 * before the RDATA (the type), for errors about RDATA that is missing entirely.
 */
export function parseRdata(type: number, toks: readonly Token[], origin: string, after: Token): RData {
  if (type === T.NSEC3 || type === T.NSEC3PARAM) throw new RdataError('NSEC3 zones are not supported (as in CoreDNS)', after);
  if (toks.length > 0 && !toks[0]!.quoted && toks[0]!.text === '\\#') return generic(type, toks, after);
  const c = new Cursor(toks, type, after);
  let data: RData;
  switch (type) {
    case T.A: {
      const t = c.next('address');
      const b = new Uint8Array(4);
      if (t.quoted || !parseIPv4(t.text, b, 0)) throw new RdataError(`bad IPv4 address ${JSON.stringify(t.text)} in A record`, t);
      data = { address: `${b[0]}.${b[1]}.${b[2]}.${b[3]}` };
      break;
    }
    case T.AAAA: {
      const t = c.next('address');
      const b = new Uint8Array(16);
      if (t.quoted || !t.text.includes(':') || !parseIPv6(t.text, b, 0)) throw new RdataError(`bad IPv6 address ${JSON.stringify(t.text)} in AAAA record`, t);
      data = { address: formatIPv6(b, 0) };
      break;
    }
    case T.NS: case T.CNAME:
      data = { target: c.name('target', origin, true) };
      break;
    case T.PTR: case T.DNAME:
      data = { target: c.name('target', origin, false) };
      break;
    case T.MX:
      data = { preference: c.uint('preference', 0xffff), exchange: c.name('exchange', origin, true) };
      break;
    case T.SRV:
      data = {
        priority: c.uint('priority', 0xffff), weight: c.uint('weight', 0xffff), port: c.uint('port', 0xffff),
        target: c.name('target', origin, true),
      };
      break;
    case T.SOA: {
      const mname = c.name('primary name server', origin, true);
      const rname = c.name('mailbox', origin, true);
      const serial = c.uint('serial', 0xffffffff);
      const timer = (field: string) => {
        const t = c.next(field);
        const v = t.quoted ? undefined : ttlValue(t.text);
        if (v === undefined) throw new RdataError(`bad ${field} ${JSON.stringify(t.text)} in SOA record: need seconds or a duration like 1h`, t);
        return v;
      };
      data = { mname, rname, serial, refresh: timer('refresh'), retry: timer('retry'), expire: timer('expire'), minimum: timer('minimum') };
      break;
    }
    case T.TXT: case T.SPF: {
      const all = c.rest();
      if (all.length === 0) throw new RdataError(`${typeString(type)} record needs at least one string`, after);
      const texts = all.flatMap((t) => chunks(stringBytes(t.text, t)));
      if (type === T.TXT) return { texts };
      return { raw: Buffer.concat(texts.map((b) => Buffer.concat([u8(b.length), b]))) };
    }
    case T.CAA: {
      const flags = c.uint('flags', 255);
      const tagTok = c.next('tag');
      if (tagTok.quoted || !/^[A-Za-z0-9]+$/.test(tagTok.text)) throw new RdataError(`bad tag ${JSON.stringify(tagTok.text)} in CAA record: letters and digits only`, tagTok);
      const valueTok = c.next('value');
      const value = stringBytes(valueTok.text, valueTok);
      data = { raw: Buffer.concat([u8(flags), u8(tagTok.text.length), Buffer.from(tagTok.text, 'ascii'), value]) };
      break;
    }
    case T.HINFO: {
      const cpu = c.next('CPU');
      const os = c.next('OS');
      data = { raw: Buffer.concat([charString(stringBytes(cpu.text, cpu), cpu, type), charString(stringBytes(os.text, os), os, type)]) };
      break;
    }
    case T.NAPTR: {
      const order = c.uint('order', 0xffff);
      const pref = c.uint('preference', 0xffff);
      const strs = ['flags', 'services', 'regexp'].map((f) => { const t = c.next(f); return charString(stringBytes(t.text, t), t, type); });
      const repl = c.name('replacement', origin, false);
      data = { raw: Buffer.concat([u16(order), u16(pref), ...strs, nameWire(repl)]) };
      break;
    }
    case T.SSHFP: {
      const alg = c.uint('algorithm', 255);
      const fp = c.uint('fingerprint type', 255);
      data = { raw: Buffer.concat([u8(alg), u8(fp), hexBytes(c.rest(), type, 'fingerprint', after)]) };
      break;
    }
    case T.TLSA: case T.SMIMEA: {
      const usage = c.uint('usage', 255);
      const sel = c.uint('selector', 255);
      const mt = c.uint('matching type', 255);
      data = { raw: Buffer.concat([u8(usage), u8(sel), u8(mt), hexBytes(c.rest(), type, 'certificate data', after)]) };
      break;
    }
    case T.DS: case T.CDS: {
      const tag = c.uint('key tag', 0xffff);
      const alg = c.uint('algorithm', 255);
      const dt = c.uint('digest type', 255);
      data = { raw: Buffer.concat([u16(tag), u8(alg), u8(dt), hexBytes(c.rest(), type, 'digest', after)]) };
      break;
    }
    case T.DNSKEY: case T.CDNSKEY: {
      const flags = c.uint('flags', 0xffff);
      const proto = c.uint('protocol', 255);
      const alg = c.uint('algorithm', 255);
      data = { raw: Buffer.concat([u16(flags), u8(proto), u8(alg), base64Bytes(c.rest(), type, 'public key', after)]) };
      break;
    }
    case T.RRSIG: {
      const covered = typeOf(c.next('type covered'), type);
      const alg = c.uint('algorithm', 255);
      const labels = c.uint('labels', 255);
      const ttlTok = c.next('original TTL');
      const origTtl = ttlValue(ttlTok.text);
      if (ttlTok.quoted || origTtl === undefined) throw new RdataError(`bad original TTL ${JSON.stringify(ttlTok.text)} in RRSIG record`, ttlTok);
      const expiration = sigTime(c.next('expiration'));
      const inception = sigTime(c.next('inception'));
      const tag = c.uint('key tag', 0xffff);
      const signer = c.name('signer', origin, false);
      const head = Buffer.alloc(18);
      head.writeUInt16BE(covered, 0); head[2] = alg; head[3] = labels;
      head.writeUInt32BE(origTtl, 4); head.writeUInt32BE(expiration, 8); head.writeUInt32BE(inception, 12); head.writeUInt16BE(tag, 16);
      data = { raw: Buffer.concat([head, nameWire(signer), base64Bytes(c.rest(), type, 'signature', after)]) };
      break;
    }
    case T.NSEC: {
      const next = c.name('next name', origin, false);
      data = { raw: Buffer.concat([nameWire(next), typeBitmap(c.rest().map((t) => typeOf(t, type)))]) };
      break;
    }
    case T.URI: {
      const prio = c.uint('priority', 0xffff);
      const weight = c.uint('weight', 0xffff);
      const t = c.next('target');
      data = { raw: Buffer.concat([u16(prio), u16(weight), stringBytes(t.text, t)]) };
      break;
    }
    default:
      throw new RdataError(
        `records of type ${typeString(type)} are not read in their text form here — write them in RFC 3597 form (TYPE${type} \\# LENGTH HEX)`, after,
      );
  }
  c.end();
  return data;
}

/** RFC 3597 `\# LENGTH HEX...`; the types the codec models are turned back into their objects. */
function generic(type: number, toks: readonly Token[], after: Token): RData {
  const lenTok = toks[1];
  if (!lenTok || !/^\d+$/.test(lenTok.text) || Number(lenTok.text) > 0xffff) {
    throw new RdataError('bad RFC 3597 data: "\\#" must be followed by the length in octets', lenTok ?? toks[0] ?? after);
  }
  const len = Number(lenTok.text);
  const hex = toks.slice(2).map((t) => t.text).join('');
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length !== len * 2) {
    throw new RdataError(`bad RFC 3597 data: need ${len} octets of hex after "\\# ${len}"`, toks[2] ?? lenTok);
  }
  const b = Buffer.from(hex, 'hex');
  const bad = () => new RdataError(`bad RFC 3597 data for a ${typeString(type)} record`, lenTok);
  const name = (off: number) => readWireName(b, off) ?? (() => { throw bad(); })();
  switch (type) {
    case T.A:
      if (len !== 4) throw bad();
      return { address: `${b[0]}.${b[1]}.${b[2]}.${b[3]}` };
    case T.AAAA:
      if (len !== 16) throw bad();
      return { address: formatIPv6(b, 0) };
    case T.NS: case T.CNAME: case T.PTR: case T.DNAME: {
      const [n, end] = name(0);
      if (end !== len) throw bad();
      return { target: type === T.NS || type === T.CNAME ? lower(n) : n };
    }
    case T.MX: {
      if (len < 3) throw bad();
      const [n, end] = name(2);
      if (end !== len) throw bad();
      return { preference: b.readUInt16BE(0), exchange: lower(n) };
    }
    case T.SRV: {
      if (len < 7) throw bad();
      const [n, end] = name(6);
      if (end !== len) throw bad();
      return { priority: b.readUInt16BE(0), weight: b.readUInt16BE(2), port: b.readUInt16BE(4), target: lower(n) };
    }
    case T.SOA: {
      const [mname, p1] = name(0);
      const [rname, p2] = name(p1);
      if (p2 + 20 !== len) throw bad();
      return {
        mname: lower(mname), rname: lower(rname), serial: b.readUInt32BE(p2), refresh: b.readUInt32BE(p2 + 4),
        retry: b.readUInt32BE(p2 + 8), expire: b.readUInt32BE(p2 + 12), minimum: b.readUInt32BE(p2 + 16),
      };
    }
    case T.TXT: {
      const texts: Buffer[] = [];
      for (let p = 0; p < len;) {
        const l = b[p]!;
        if (p + 1 + l > len) throw bad();
        texts.push(b.subarray(p + 1, p + 1 + l));
        p += 1 + l;
      }
      return { texts };
    }
    default:
      return { raw: b };
  }
}
