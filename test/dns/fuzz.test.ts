// Bounded, seeded fuzzing of the decoder: mutated valid packets and random buffers.
// Properties: decoding throws nothing but DecodeError; whatever decodes re-encodes, and the
// re-encoding decodes to the same message (names compared case-insensitively, since
// compression folds case onto the first occurrence); decodeQuery agrees with decode.
import { describe, expect, it } from 'vitest';
import { decode, decodeQuery, DecodeError, encode, EncodeError, ttlOffsets } from '../../src/dns/codec.ts';
import { a, aaaa, cname, mx, ns, ptr, soa, srv, txt } from '../../src/dns/message.ts';
import type { Message } from '../../src/dns/types.ts';
import { msg, normalize, prng } from './helpers.ts';

// `npm test` runs a bounded 20k of each kind with a fixed seed; `npm run fuzz` runs far more with a
// seed of its own (FUZZ_ITERATIONS, FUZZ_SEED), printed so a failure can be replayed.
const N = Number(process.env.FUZZ_ITERATIONS ?? 20_000);
const SEED = Number(process.env.FUZZ_SEED ?? (process.env.FUZZ_ITERATIONS ? Date.now() % 0x7fffffff : 0xdecaf));
if (process.env.FUZZ_ITERATIONS) console.log(`fuzz: ${N} iterations per case, FUZZ_SEED=${SEED}`);

function seeds(): Buffer[] {
  const n = 'web.default.svc.cluster.local.';
  const base = msg({
    questions: [{ name: n, type: 1, class: 1 }],
    answers: [a(n, 5, '10.0.0.1'), a(n, 5, '10.0.0.2'), aaaa(n, 5, 'fd00::1'), cname('c.cluster.local.', 5, n),
      srv('_http._tcp.' + n, 5, 0, 10, 80, n), txt(n, 5, 'hello', 'x'), mx('cluster.local.', 5, 1, 'mx.cluster.local.'),
      ptr('1.0.0.10.in-addr.arpa.', 5, n), { name: 'u.', type: 99, class: 1, ttl: 1, data: { raw: Uint8Array.of(1, 2, 3) } }],
    authority: [soa('cluster.local.', 5, { mname: 'ns.dns.cluster.local.', rname: 'h.cluster.local.', serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5 }),
      ns('cluster.local.', 5, 'ns.dns.cluster.local.')],
    additional: [a('ns.dns.cluster.local.', 5, '10.96.0.10')],
    edns: { udpSize: 1232, extendedRcode: 0, version: 0, do: true, options: [{ code: 10, data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) }] },
  });
  const query = msg({ qr: false, questions: [{ name: 'A\\.b.Example.', type: 28, class: 1 }], edns: base.edns });
  return [encode(base), encode(query), encode(msg({ questions: [{ name: '.', type: 2, class: 1 }] }))];
}

function check(buf: Buffer, stats: { ok: number; bad: number }): void {
  let m: Message;
  try {
    m = decode(buf);
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    stats.bad++;
    return;
  }
  stats.ok++;
  let wire: Buffer;
  try {
    wire = encode(m);
  } catch (e) {
    // the only thing a decoded message may fail on: nothing; report it clearly
    throw new Error(`decoded message does not re-encode: ${(e as Error).message} (${buf.toString('hex')})`);
  }
  const again = decode(wire);
  if (JSON.stringify(normalize(again)) !== JSON.stringify(normalize(m))) {
    expect(normalize(again), buf.toString('hex')).toEqual(normalize(m));
  }
  const q = decodeQuery(buf);
  if (q.questions[0]?.name !== m.questions[0]?.name || JSON.stringify(normalize(q.edns)) !== JSON.stringify(normalize(m.edns)) || q.rcode !== m.rcode) {
    expect({ q: q.questions[0], e: normalize(q.edns), r: q.rcode }).toEqual({ q: m.questions[0], e: normalize(m.edns), r: m.rcode });
  }
  expect(ttlOffsets(buf).length).toBe(m.answers.length + m.authority.length + m.additional.length);
}

function lenient(fn: () => unknown): void {
  try { fn(); } catch (e) { if (!(e instanceof DecodeError)) throw e; }
}

describe('fuzz', () => {
  it(`${N} mutated valid packets`, () => {
    const r = prng(SEED);
    const base = seeds();
    const stats = { ok: 0, bad: 0 };
    for (let i = 0; i < N; i++) {
      const src = base[i % base.length]!;
      let buf = Buffer.from(src);
      const edits = 1 + Math.floor(r() * 4);
      for (let k = 0; k < edits; k++) {
        const op = r();
        const at = Math.floor(r() * buf.length);
        if (op < 0.6) buf[at] = Math.floor(r() * 256);
        else if (op < 0.75) buf[at] = buf[at]! ^ (1 << Math.floor(r() * 8));
        else if (op < 0.85) buf = buf.subarray(0, at);
        else if (op < 0.93) buf[at] = 0xc0 | Math.floor(r() * 4);
        else buf = Buffer.concat([buf, Buffer.from([Math.floor(r() * 256), Math.floor(r() * 256)])]);
      }
      check(buf, stats);
      lenient(() => decodeQuery(buf));
      lenient(() => ttlOffsets(buf));
    }
    // the mutations must exercise both outcomes
    expect(stats.ok).toBeGreaterThan(2000);
    expect(stats.bad).toBeGreaterThan(2000);
  });

  it(`${N} random buffers`, () => {
    const r = prng(SEED ^ 0x5eed);
    const stats = { ok: 0, bad: 0 };
    for (let i = 0; i < N; i++) {
      const len = Math.floor(r() * 96);
      const buf = Buffer.alloc(len);
      for (let k = 0; k < len; k++) buf[k] = Math.floor(r() * 256);
      // keep counts small half of the time so some buffers get past the header
      if (len >= 12 && r() < 0.5) for (let k = 4; k < 12; k += 2) { buf[k] = 0; buf[k + 1] = Math.floor(r() * 3); }
      check(buf, stats);
      lenient(() => decodeQuery(buf));
      lenient(() => ttlOffsets(buf));
    }
    expect(stats.bad).toBeGreaterThan(1000);
    expect(stats.ok).toBeGreaterThan(50);
  });

  it('encode rejects invalid names with EncodeError, never anything else', () => {
    const r = prng(7);
    const alphabet = 'ab.\\0129 -';
    for (let i = 0; i < 5000; i++) {
      const len = Math.floor(r() * 20);
      let name = '';
      for (let k = 0; k < len; k++) name += alphabet[Math.floor(r() * alphabet.length)];
      try {
        const w = encode(msg({ questions: [{ name, type: 1, class: 1 }] }));
        decode(w);
      } catch (e) {
        if (!(e instanceof EncodeError)) throw e;
      }
    }
  });
});
