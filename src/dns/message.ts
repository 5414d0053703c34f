/**
 * Building responses: `replyTo` (miekg/dns SetReply plus CoreDNS's EDNS echo) and one small
 * builder per record type, class IN unless given otherwise.
 */
import { decode } from './decode.ts';
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

/**
 * The fields of response `m`: `m` itself, or its bytes decoded when it carries `wire` (a cache hit
 * or a relayed upstream answer may hold only the bytes). Read it before changing such a response.
 */
export function fieldsOf(m: Message): Message {
  return m.wire ? decode(m.wire) : m;
}

const derivedFrom = new WeakMap<Message, Message>();

/**
 * A changed copy of the response `from` — the one way a plugin changes a response it got from
 * `next`: `changes` laid over `base` (from's fields; pass fieldsOf(from) when from may carry only
 * bytes), never with a `wire` (the old bytes no longer match, and the writer would send them), and
 * remembered as derived from `from`, so the chain keeps naming the plugin that wrote `from` in
 * metrics and logs. `from` is not changed. The copy leaves `wire` out of the object instead of
 * deleting it (a delete puts the object in V8's slow mode on a hot path).
 */
export function derive(from: Message, changes: Partial<Omit<Message, 'wire'>> = {}, base: Message = from): Message {
  const { wire: _bytes, ...fields } = base;
  const out: Message = { ...fields, ...changes };
  if ('wire' in out) delete out.wire;   // only when `changes` smuggled one in
  derivedFrom.set(out, from);
  return out;
}

/** The response `m` was derived from with derive(), or undefined when it was built afresh. */
export function originOf(m: Message): Message | undefined {
  return derivedFrom.get(m);
}
