/**
 * One resource record in RFC 1035 zone-file text — what a template renders — parsed as miekg/dns's
 * NewRR reads it (CoreDNS's template calls dns.NewRR): `NAME [TTL] [CLASS] TYPE RDATA`, TTL and
 * CLASS in either order and both optional (TTL 3600, class IN), names not ending in a dot made
 * absolute (origin "."), `;` comments, `( ... )` groups, quoted strings with `\"`, `\\`, `\DDD`.
 * RDATA is read for A, AAAA, CNAME, NS, PTR, DNAME, MX, SRV, TXT and SOA; another type is an
 * error (an rr failure, as a malformed record is).
 */
import { parseIPv4, parseIPv6, formatIPv6 } from '../../dns/ip.ts';
import { isValidName } from '../../dns/name.ts';
import { classByName, typeByName } from '../../dns/mnemonics.ts';
import { Type, type RData, type ResourceRecord } from '../../dns/types.ts';

export class RRError extends Error {}

interface Tok { text: string; end: number; quoted: boolean }

/** Split into tokens: whitespace-separated, quotes kept together, parentheses and comments dropped. */
function tokens(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '(' || c === ')') { i++; continue; }
    if (c === ';') { while (i < s.length && s[i] !== '\n') i++; continue; }
    if (c === '"') {
      let j = i + 1;
      let text = '';
      while (j < s.length && s[j] !== '"') {
        if (s[j] === '\\' && j + 1 < s.length) { text += s[j]! + s[j + 1]!; j += 2; continue; }
        text += s[j++]!;
      }
      if (j >= s.length) throw new RRError(`dns: bad TXT Txt: unterminated quoted string at line: 1:${j}`);
      out.push({ text, end: j + 1, quoted: true });
      i = j + 1;
      continue;
    }
    let j = i;
    let text = '';
    while (j < s.length && !' \t\n\r();"'.includes(s[j]!)) {
      if (s[j] === '\\' && j + 1 < s.length) { text += s[j]! + s[j + 1]!; j += 2; continue; }
      text += s[j++]!;
    }
    out.push({ text, end: j, quoted: false });
    i = j;
  }
  return out;
}

function fail(what: string, t: Tok | undefined, fallbackEnd: number): never {
  throw new RRError(`dns: ${what}: "${t?.text ?? ''}" at line: 1:${t?.end ?? fallbackEnd}`);
}

/** A TTL as miekg reads it: seconds, or a sum of units (1h30m, 1d, 2w). */
function ttlValue(s: string): number | undefined {
  if (/^\d+$/.test(s)) { const n = Number(s); return n <= 0xffffffff ? n : undefined; }
  const m = /^(?:\d+[smhdwSMHDW])+$/.test(s) ? s.match(/\d+[smhdwSMHDW]/g)! : null;
  if (!m) return undefined;
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  let total = 0;
  for (const part of m) total += Number(part.slice(0, -1)) * unit[part.slice(-1).toLowerCase()]!;
  return total <= 0xffffffff ? total : undefined;
}

function absolute(name: string): string | undefined {
  const n = name === '@' ? '.' : /(^|[^\\])(\\\\)*\.$/.test(name) || name === '.' ? name : `${name}.`;
  return isValidName(n) ? n : undefined;
}

/** The bytes of a character-string with zone-file escapes (`\DDD` a byte, `\X` the character X). */
function stringBytes(s: string): Uint8Array {
  const chars = Array.from(s);
  const out: number[] = [];
  for (let i = 0; i < chars.length; i++) {
    let c = chars[i]!;
    if (c === '\\' && i + 1 < chars.length) {
      const d = chars.slice(i + 1, i + 4).join('');
      if (/^\d{3}$/.test(d)) { out.push(Number(d) & 0xff); i += 3; continue; }
      c = chars[++i]!;
    }
    for (const b of Buffer.from(c, 'utf8')) out.push(b);
  }
  return Uint8Array.from(out);
}

export function parseRR(text: string): ResourceRecord {
  const toks = tokens(text);
  const endOf = text.replace(/\s+$/, '').length;
  const owner = toks[0];
  if (!owner) throw new RRError('dns: empty record');
  const name = absolute(owner.text);
  if (!name) fail('bad owner name', owner, endOf);
  let ttl: number | undefined;
  let cls: number | undefined;
  let i = 1;
  let typeTok: Tok | undefined;
  for (; i < toks.length; i++) {
    const t = toks[i]!;
    const up = t.text.toUpperCase();
    const asTtl = ttl === undefined ? ttlValue(t.text) : undefined;
    if (asTtl !== undefined) { ttl = asTtl; continue; }
    const asClass = cls === undefined ? (classByName(up) ?? (/^CLASS\d+$/.test(up) ? Number(up.slice(5)) : undefined)) : undefined;
    if (asClass !== undefined && up !== 'NONE' && up !== 'ANY') { cls = asClass; continue; }
    typeTok = t;
    i++;
    break;
  }
  if (!typeTok) fail(toks.length === 1 ? 'not a TTL' : 'unknown RR type', toks.length === 1 ? owner : toks[toks.length - 1], endOf);
  const up = typeTok.text.toUpperCase();
  const type = typeByName(up) ?? (/^TYPE\d+$/.test(up) ? Number(up.slice(4)) : undefined);
  if (type === undefined) fail('unknown RR type', typeTok, endOf);
  const rdata = toks.slice(i);
  const mnemonic = up;
  const need = (n: number) => { if (rdata.length < n) fail(`bad ${mnemonic} ${rdataField(type)}`, rdata[rdata.length - 1] ?? typeTok, endOf); };
  const nameAt = (k: number, field: string) => absolute(rdata[k]!.text) ?? fail(`bad ${mnemonic} ${field}`, rdata[k], endOf);
  const u16 = (k: number, field: string) => {
    const t = rdata[k]!;
    if (!/^\d+$/.test(t.text) || Number(t.text) > 0xffff) fail(`bad ${mnemonic} ${field}`, t, endOf);
    return Number(t.text);
  };
  let data: RData;
  switch (type) {
    case Type.A: {
      need(1);
      const b = new Uint8Array(4);
      if (!parseIPv4(rdata[0]!.text, b, 0)) fail('bad A A', rdata[0], endOf);
      data = { address: `${b[0]}.${b[1]}.${b[2]}.${b[3]}` };
      break;
    }
    case Type.AAAA: {
      need(1);
      const b = new Uint8Array(16);
      if (!rdata[0]!.text.includes(':') || !parseIPv6(rdata[0]!.text, b, 0)) fail('bad AAAA AAAA', rdata[0], endOf);
      data = { address: formatIPv6(b, 0) };
      break;
    }
    case Type.CNAME: case Type.NS: case Type.PTR: case 39:
      need(1);
      data = { target: nameAt(0, rdataField(type)) };
      break;
    case Type.MX:
      need(2);
      data = { preference: u16(0, 'Pref'), exchange: nameAt(1, 'Mx') };
      break;
    case Type.SRV:
      need(4);
      data = { priority: u16(0, 'Priority'), weight: u16(1, 'Weight'), port: u16(2, 'Port'), target: nameAt(3, 'Target') };
      break;
    case Type.TXT:
      need(1);
      data = { texts: rdata.map((t) => stringBytes(t.text)).flatMap((b) => chunks(b)) };
      break;
    case Type.SOA: {
      need(7);
      const timer = (k: number, f: string) => ttlValue(rdata[k]!.text) ?? fail(`bad SOA ${f}`, rdata[k], endOf);
      data = {
        mname: nameAt(0, 'Ns'), rname: nameAt(1, 'Mbox'), serial: timer(2, 'Serial'), refresh: timer(3, 'Refresh'),
        retry: timer(4, 'Retry'), expire: timer(5, 'Expire'), minimum: timer(6, 'Minttl'),
      };
      break;
    }
    default:
      fail(`record type ${mnemonic} is not supported in templates here`, typeTok, endOf);
  }
  return { name, type, class: cls ?? 1, ttl: ttl ?? 3600, data };
}

function rdataField(type: number): string {
  switch (type) {
    case Type.CNAME: return 'Target';
    case Type.NS: return 'Ns';
    case Type.PTR: return 'Ptr';
    case 39: return 'Target';
    case Type.MX: return 'Mx';
    case Type.SRV: return 'Target';
    case Type.TXT: return 'Txt';
    case Type.SOA: return 'Ns';
    default: return 'rdata';
  }
}

/** Character-strings are at most 255 octets: a longer string is split, as miekg/dns does. */
function chunks(b: Uint8Array): Uint8Array[] {
  if (b.length <= 255) return [b];
  const out: Uint8Array[] = [];
  for (let i = 0; i < b.length; i += 255) out.push(b.subarray(i, i + 255));
  return out;
}
