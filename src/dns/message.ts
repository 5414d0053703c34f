/**
 * Building responses: `replyTo` (miekg/dns SetReply plus CoreDNS's EDNS echo) and one small
 * builder per record type, class IN unless given otherwise.
 */
import { Class, Opcode, Type } from './types.ts';
import type {
  AData, Message, MXData, NameData, ResourceRecord, SOAData, SRVData, TXTData,
} from './types.ts';

/**
 * A response skeleton for `query`: same id and opcode, qr set, rd and cd copied (for QUERY),
 * the first question as asked (miekg/dns SetReply keeps only that one). When the query had
 * EDNS, the reply carries a fresh OPT as CoreDNS's SizeAndDo writes it: the client's UDP size,
 * its DO bit, version 0, no options.
 */
export function replyTo(query: Message, rcode = 0): Message {
  const q = query.questions[0];
  const isQuery = query.opcode === Opcode.QUERY;
  const e = query.edns;
  return {
    id: query.id,
    qr: true, opcode: query.opcode, aa: false, tc: false,
    rd: isQuery && query.rd, ra: false, z: false, ad: false, cd: isQuery && query.cd,
    rcode,
    questions: q ? [{ name: q.name, type: q.type, class: q.class }] : [],
    answers: [], authority: [], additional: [],
    edns: e ? { udpSize: e.udpSize, extendedRcode: 0, version: 0, do: e.do, options: [] } : undefined,
  };
}

export function a(name: string, ttl: number, address: string, cls: number = Class.IN): ResourceRecord<AData> {
  return { name, type: Type.A, class: cls, ttl, data: { address } };
}
export function aaaa(name: string, ttl: number, address: string, cls: number = Class.IN): ResourceRecord<AData> {
  return { name, type: Type.AAAA, class: cls, ttl, data: { address } };
}
export function cname(name: string, ttl: number, target: string, cls: number = Class.IN): ResourceRecord<NameData> {
  return { name, type: Type.CNAME, class: cls, ttl, data: { target } };
}
export function ptr(name: string, ttl: number, target: string, cls: number = Class.IN): ResourceRecord<NameData> {
  return { name, type: Type.PTR, class: cls, ttl, data: { target } };
}
export function ns(name: string, ttl: number, target: string, cls: number = Class.IN): ResourceRecord<NameData> {
  return { name, type: Type.NS, class: cls, ttl, data: { target } };
}
export function mx(name: string, ttl: number, preference: number, exchange: string, cls: number = Class.IN): ResourceRecord<MXData> {
  return { name, type: Type.MX, class: cls, ttl, data: { preference, exchange } };
}
export function srv(
  name: string, ttl: number, priority: number, weight: number, port: number, target: string, cls: number = Class.IN,
): ResourceRecord<SRVData> {
  return { name, type: Type.SRV, class: cls, ttl, data: { priority, weight, port, target } };
}
/** TXT from strings (UTF-8) or raw bytes; each becomes one character-string (≤ 255 octets). */
export function txt(name: string, ttl: number, ...texts: (string | Uint8Array)[]): ResourceRecord<TXTData> {
  return {
    name, type: Type.TXT, class: Class.IN, ttl,
    data: { texts: texts.map((t) => (typeof t === 'string' ? Buffer.from(t, 'utf8') : t)) },
  };
}
export function soa(name: string, ttl: number, data: SOAData, cls: number = Class.IN): ResourceRecord<SOAData> {
  return { name, type: Type.SOA, class: cls, ttl, data: { ...data } };
}
