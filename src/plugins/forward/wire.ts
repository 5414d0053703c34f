/**
 * Byte-level helpers for relaying: query ids, question matching, header bits. forward reads only
 * what it must from upstream answers before handing them to the codec.
 */
import { randomFillSync } from 'node:crypto';

const pool = Buffer.alloc(4096);
let poolAt = pool.length;

/** A cryptographically random 16-bit query id (ids are drawn from a refilled random pool). */
export function randomId(): number {
  if (poolAt >= pool.length) { randomFillSync(pool); poolAt = 0; }
  const v = (pool[poolAt]! << 8) | pool[poolAt + 1]!;
  poolAt += 2;
  return v;
}

/** Offset just past the question section of a query (uncompressed name at offset 12); -1 if malformed. */
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

/** Whether `resp` is a response carrying the same question as query[12..qEnd], ASCII case-insensitively. */
export function sameQuestion(query: Uint8Array, qEnd: number, resp: Uint8Array): boolean {
  if (resp.length < qEnd || (resp[2]! & 0x80) === 0 || resp[4] !== 0 || resp[5] !== 1) return false;
  for (let i = 12; i < qEnd; i++) {
    let a = query[i]!, b = resp[i]!;
    if (a === b) continue;
    if (a >= 65 && a <= 90) a += 32;
    if (b >= 65 && b <= 90) b += 32;
    if (a !== b) return false;
  }
  return true;
}

export const isTruncated = (buf: Uint8Array): boolean => (buf[2]! & 0x02) !== 0;

/** A fresh copy of `query` with its id set to `id`. */
export function withId(query: Uint8Array, id: number): Buffer {
  const b = Buffer.allocUnsafe(query.length);
  b.set(query);
  b[0] = id >> 8; b[1] = id & 0xff;
  return b;
}

/** Errors of one exchange with one upstream. */
export class UpstreamError extends Error {
  /** 'closed': a reused connection was closed by the peer (try again on a new one). */
  readonly kind: 'timeout' | 'network' | 'closed' | 'stopped';
  constructor(kind: UpstreamError['kind'], message: string) {
    super(message);
    this.name = 'UpstreamError';
    this.kind = kind;
  }
}

/** A query sent to an upstream and waiting for its answer (matched by id and question). */
export interface Pending {
  query: Buffer;
  qEnd: number;
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}
