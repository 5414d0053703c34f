// Shared helpers for the codec tests: a seeded PRNG and message builders.
import type { Message, ResourceRecord } from '../../src/dns/types.ts';

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function msg(over: Partial<Message> = {}): Message {
  return {
    id: 0x1234, qr: true, opcode: 0, aa: false, tc: false, rd: true, ra: true, z: false, ad: false, cd: false,
    rcode: 0, questions: [], answers: [], authority: [], additional: [], ...over,
  };
}

/** Deep copy with bytes as plain arrays (Buffer.toJSON would otherwise get in the way). */
export function plain(v: unknown, lower = false): unknown {
  if (v instanceof Uint8Array) return Array.from(v);
  if (typeof v === 'string') return lower ? v.toLowerCase() : v;
  if (Array.isArray(v)) return v.map((x) => plain(x, lower));
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = plain(x, lower);
    return o;
  }
  return v;
}

/** Names lowered, bytes as plain arrays: for comparing messages modulo compression's case folding. */
export function normalize(m: unknown): unknown {
  return plain(m, true);
}

export function rrs(n: number, make: (i: number) => ResourceRecord): ResourceRecord[] {
  return Array.from({ length: n }, (_, i) => make(i));
}
