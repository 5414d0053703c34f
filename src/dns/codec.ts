/**
 * The DNS wire codec: decode bytes into the model of ./types.ts and encode it back.
 *
 * Why it is hand-written rather than a library: on this machine dns2 3.x encodes about 7,400
 * responses/s (its writer stores one array element per *bit*) and parses about 30,000
 * queries/s, which caps a server far below CoreDNS; dns-packet is fast but does not compress
 * names on encode (50 A records: 2,297 bytes vs 858), which pushes headless-service answers
 * over 512 bytes and into truncation. So this codec reads and writes Buffers directly:
 * `decodeQuery` parses only header, first question and OPT; `encode` writes into a reused
 * scratch buffer with a case-insensitive compression table and truncates like miekg/dns.
 * dns2 stays as the independent reference in the tests (test/dns).
 */
export { decode, decodeQuery, questionEnd, ttlOffsets } from './decode.ts';
export { encode, encodeQuery } from './encode.ts';
export type { QueryOptions } from './encode.ts';
export { DecodeError, EncodeError } from './errors.ts';

/** Overwrite the message id in place (for answers served from a wire cache). */
export function patchId(buf: Uint8Array, id: number): void {
  buf[0] = (id >>> 8) & 0xff;
  buf[1] = id & 0xff;
}
