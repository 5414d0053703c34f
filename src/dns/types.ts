/**
 * DNS vocabulary: numeric constants and the in-memory message model.
 *
 * Names are absolute, dotted, with a trailing dot ("example.org."), in the case they were
 * received or built with; compare with `lowerName` from ./name.ts. The root is ".".
 * Record data is a small object per type; a type this codec does not know keeps its rdata
 * as opaque bytes (`{ raw }`) so forward and cache relay it unchanged.
 */

export const Type = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, HINFO: 13, MX: 15, TXT: 16, AAAA: 28, SRV: 33,
  NAPTR: 35, DS: 43, OPT: 41, RRSIG: 46, NSEC: 47, DNSKEY: 48, HTTPS: 65, SVCB: 64,
  IXFR: 251, AXFR: 252, ANY: 255, CAA: 257,
} as const;

export const Class = { IN: 1, CH: 3, NONE: 254, ANY: 255 } as const;

export const Rcode = {
  NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5,
  YXDOMAIN: 6, YXRRSET: 7, NXRRSET: 8, NOTAUTH: 9, NOTZONE: 10, BADVERS: 16,
} as const;

export const Opcode = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5 } as const;

const typeNames = new Map<number, string>(Object.entries(Type).map(([k, v]) => [v, k]));
const rcodeNames = new Map<number, string>(Object.entries(Rcode).map(([k, v]) => [v, k]));
const classNames = new Map<number, string>(Object.entries(Class).map(([k, v]) => [v, k]));

/** "A", "AAAA", or "TYPE65280" for types without a mnemonic (RFC 3597 style). */
export function typeName(t: number): string { return typeNames.get(t) ?? `TYPE${t}`; }
/** "NOERROR", "NXDOMAIN", ... or the number for an unnamed rcode. */
export function rcodeName(r: number): string { return rcodeNames.get(r) ?? String(r); }
export function className(c: number): string { return classNames.get(c) ?? `CLASS${c}`; }
/** Parse an rcode mnemonic ("NXDOMAIN", "servfail") into its number, or undefined. */
export function rcodeFromName(s: string): number | undefined {
  return (Rcode as Record<string, number>)[s.toUpperCase()];
}

export interface Question { name: string; type: number; class: number }

export interface AData { address: string }              // A and AAAA, textual form
export interface NameData { target: string }            // CNAME, PTR, NS, DNAME
export interface MXData { preference: number; exchange: string }
export interface SRVData { priority: number; weight: number; port: number; target: string }
export interface TXTData { texts: Uint8Array[] }        // character-strings, raw bytes
export interface SOAData {
  mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number;
}
export interface RawData { raw: Uint8Array }             // any type this codec does not model
export type RData = AData | NameData | MXData | SRVData | TXTData | SOAData | RawData;

export interface ResourceRecord<D extends RData = RData> {
  name: string; type: number; class: number; ttl: number; data: D;
}

export interface EdnsOption { code: number; data: Uint8Array }
export interface Edns {
  udpSize: number;          // requestor's payload size (the OPT record's class)
  extendedRcode: number;    // upper 8 bits of the 12-bit rcode (already merged into Message.rcode on decode)
  version: number;
  do: boolean;              // DNSSEC OK
  options: EdnsOption[];
}

export interface Message {
  id: number;
  qr: boolean; opcode: number; aa: boolean; tc: boolean; rd: boolean; ra: boolean;
  z: boolean; ad: boolean; cd: boolean;
  rcode: number;            // full 12-bit rcode (header 4 bits + OPT extended bits)
  questions: Question[];
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[]; // never contains the OPT record: that lives in `edns`
  edns?: Edns;
  /**
   * A complete pre-encoded form of this response (e.g. a cache hit or a relayed upstream answer).
   * When present the writer sends these bytes, patching only the id, unless they exceed the client's
   * size, in which case it encodes from the decoded fields above. A plugin that changes the fields
   * must drop `wire`. The buffer is handed over to the writer, which patches it in place: give each
   * response its own buffer, never one kept in a cache.
   */
  wire?: Buffer;
}
