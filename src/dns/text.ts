/**
 * Resource records in zone-file (presentation) form, one line each, as dig and miekg/dns's
 * RR.String() print them: `name.<TAB>ttl<TAB>class<TAB>type<TAB>rdata`. Types the codec does not
 * model are written in RFC 3597's generic form (`\# LENGTH HEX`). Used by /explain to show the
 * final records.
 */
import type { AData, MXData, NameData, RawData, ResourceRecord, SOAData, SRVData, TXTData } from './types.ts';
import { Type } from './types.ts';
import { classString, typeString } from './mnemonics.ts';

/** A character-string in quotes, with `"` and `\` escaped and bytes outside printable ASCII as \DDD. */
function quoted(b: Uint8Array): string {
  let s = '"';
  for (const c of b) {
    if (c === 0x22 || c === 0x5c) s += `\\${String.fromCharCode(c)}`;
    else if (c < 0x20 || c > 0x7e) s += `\\${String(c).padStart(3, '0')}`;
    else s += String.fromCharCode(c);
  }
  return `${s}"`;
}

export function rdataText(rr: ResourceRecord): string {
  const d = rr.data;
  switch (rr.type) {
    case Type.A:
    case Type.AAAA: return (d as AData).address;
    case Type.CNAME:
    case Type.PTR:
    case Type.NS:
    case 39 /* DNAME */: return (d as NameData).target;
    case Type.MX: return `${(d as MXData).preference} ${(d as MXData).exchange}`;
    case Type.SRV: { const v = d as SRVData; return `${v.priority} ${v.weight} ${v.port} ${v.target}`; }
    case Type.TXT: return (d as TXTData).texts.map(quoted).join(' ');
    case Type.SOA: { const v = d as SOAData; return `${v.mname} ${v.rname} ${v.serial} ${v.refresh} ${v.retry} ${v.expire} ${v.minimum}`; }
  }
  const raw = (d as RawData).raw;
  if (!raw) return '';
  return raw.length === 0 ? '\\# 0' : `\\# ${raw.length} ${Buffer.from(raw).toString('hex')}`;
}

export function recordText(rr: ResourceRecord): string {
  return `${rr.name}\t${rr.ttl}\t${classString(rr.class)}\t${typeString(rr.type)}\t${rdataText(rr)}`;
}
