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

/**
 * Errors of one exchange with one upstream. Messages follow Go's net errors as CoreDNS returns them to
 * the errors plugin (`read udp 10.0.0.1:40000->10.0.0.10:53: i/o timeout`,
 * `dial tcp 10.0.0.10:53: connect: connection refused`), so log queries and the documented
 * `consolidate ".* i/o timeout$"` keep matching.
 */
export class UpstreamError extends Error {
  /**
   * 'closed': a reused connection was closed by the peer (try again on a new one);
   * 'malformed': an answer that matched the query but could not be decoded.
   */
  readonly kind: 'timeout' | 'network' | 'closed' | 'stopped' | 'malformed';
  constructor(kind: UpstreamError['kind'], message: string) {
    super(message);
    this.name = 'UpstreamError';
    this.kind = kind;
  }
}

/** Go's text for an errno (syscall.Errno.Error()), for the codes a socket to an upstream meets. */
const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  ENETUNREACH: 'network is unreachable',
  EHOSTUNREACH: 'no route to host',
  EADDRNOTAVAIL: 'cannot assign requested address',
  EAFNOSUPPORT: 'address family not supported by protocol',
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EPIPE: 'broken pipe',
  ETIMEDOUT: 'connection timed out',
  EMSGSIZE: 'message too long',
  ENOBUFS: 'no buffer space available',
  EINVAL: 'invalid argument',
};

/** The reason part of a Node socket error, as Go would word it ("connection refused"). */
export function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code && ERRNO_TEXT[code]) return ERRNO_TEXT[code];
  return (e as Error | undefined)?.message ?? String(e);
}

/** "IP:PORT" or "[IPv6]:PORT" of a socket address, as Go prints it; "" when unknown. */
export function hostPort(address: string | undefined, port: number | undefined): string {
  if (!address || port === undefined) return '';
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** A query sent to an upstream and waiting for its answer (matched by id and question). */
export interface Pending {
  query: Buffer;
  qEnd: number;
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** Go's net.OpError text: `OP NET [SOURCE->]ADDR: REASON` (e.g. `read udp 127.0.0.1:40000->127.0.0.1:53: i/o timeout`). */
export function opError(op: 'dial' | 'read' | 'write', net: string, source: string, addr: string, reason: string): string {
  return `${op} ${net} ${source ? `${source}->` : ''}${addr}: ${reason}`;
}
