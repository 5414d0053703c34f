// UDP listeners on both paths: the native batched-I/O addon (src/server/native, when it is built)
// and node:dgram (CLUSTERDNS_NATIVE_UDP=0, or no addon). Same behaviour to the handler: addresses
// and ports, synchronous and later replies, bursts larger than one batch, replies larger than a
// slot, IPv6, reusePort, a taken port, handler swap, close. The native-only part covers what dgram
// has no counterpart for: oversized datagrams, the addon in worker threads, a worker ending with
// its sockets still open, and a server whose workers serve through each path.
import dgram from 'node:dgram';
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listenUdp, type Listener } from '../../src/server/listeners.ts';
import type { QueryHandler, TransportInfo, Reply } from '../../src/server/handler.ts';
import { makeLogger } from '../../src/server/log.ts';
import { ADDON_PATH, nativeUdp, nativeUdpUnavailableReason } from '../../src/server/native/index.ts';
import { startTestServer } from '../support/server.ts';
import { query, resolver } from '../support/dns-client.ts';
import { header, opt, packet, question } from './helpers.ts';

const available = nativeUdp() !== undefined;
if (!available) console.warn(`native-udp.test: addon unavailable (${nativeUdpUnavailableReason()}): testing node:dgram only`);
const logs: string[] = [];
const log = makeLogger({ write: (l) => logs.push(l) });

/** A transport-level handler: answers a datagram according to its first byte after the id. */
function fakeHandler(tag: string, seen: TransportInfo[] = []): QueryHandler {
  return {
    handle(wire: Buffer, t: TransportInfo, reply: Reply) {
      seen.push(t);
      const mode = wire[2];
      const out = Buffer.concat([wire.subarray(0, 2), Buffer.from(tag)]);
      if (mode === 1) { setTimeout(() => reply(out), 5); return; }                  // later
      if (mode === 2) { Promise.resolve().then(() => reply(out)); return; }          // microtask
      if (mode === 3) { reply(Buffer.alloc(9000, 0x61).fill(wire.subarray(0, 2), 0, 2)); return; } // larger than a slot
      if (mode === 4) { reply(null); return; }                                       // dropped
      if (mode === 5) throw new Error('handler boom');
      if (mode === 6) { reply(Buffer.concat([wire.subarray(0, 2), Buffer.from(digest(wire))])); return; } // what arrived
      reply(out);
    },
  } as unknown as QueryHandler;
}

/** Length and a position-weighted sum of the bytes: tells a whole datagram from a cut or mixed one. */
function digest(b: Buffer): string {
  let sum = 0;
  for (let i = 0; i < b.length; i++) sum = (sum + b[i]! * ((i % 251) + 1)) >>> 0;
  return `${b.length}:${sum}`;
}

/** A datagram of `size` bytes for mode 6, filled with a pattern that depends on the id. */
function big(id: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 3; i < size; i++) b[i] = (i * 7 + id) & 0xff;
  b.writeUInt16BE(id, 0);
  b[2] = 6;
  return b;
}

function dg(id: number, mode: number, pad = 0): Buffer {
  const b = Buffer.alloc(3 + pad);
  b.writeUInt16BE(id, 0);
  b[2] = mode;
  return b;
}

/** Send datagrams from one socket and collect replies by id until `expect` arrived or the timeout. */
async function exchange(port: number, msgs: Buffer[], expectCount: number, o: { host?: string; timeoutMs?: number } = {}): Promise<Map<number, Buffer>> {
  const host = o.host ?? '127.0.0.1';
  const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const got = new Map<number, Buffer>();
  try {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, o.timeoutMs ?? 2000);
      sock.on('message', (m) => {
        got.set(m.readUInt16BE(0), m);
        if (got.size >= expectCount) { clearTimeout(t); resolve(); }
      });
      for (const m of msgs) sock.send(m, port, host);
    });
  } finally {
    sock.close();
  }
  return got;
}

const modes = available ? (['native', 'dgram'] as const) : (['dgram'] as const);

describe.each(modes)('UDP listener (%s)', (mode) => {
  const saved = process.env.CLUSTERDNS_NATIVE_UDP;
  const open: Listener[] = [];
  const listen = async (address: string, port: number, h: QueryHandler, reusePort = false) => {
    if (mode === 'dgram') process.env.CLUSTERDNS_NATIVE_UDP = '0';
    else delete process.env.CLUSTERDNS_NATIVE_UDP;
    try {
      const l = await listenUdp(address, port, h, reusePort, log);
      open.push(l);
      return l;
    } finally {
      if (saved === undefined) delete process.env.CLUSTERDNS_NATIVE_UDP; else process.env.CLUSTERDNS_NATIVE_UDP = saved;
    }
  };
  afterEach(async () => { for (const l of open.splice(0)) await l.close(); });

  it('serves through the expected path, with the client address and the bound address', async () => {
    const seen: TransportInfo[] = [];
    const l = await listen('127.0.0.1', 0, fakeHandler('ok', seen));
    expect(Boolean(l.native)).toBe(mode === 'native');
    expect(l.protocol).toBe('udp');
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const reply = await new Promise<Buffer>((r) => { sock.once('message', r); sock.send(dg(7, 0), l.port, '127.0.0.1'); });
    const me = sock.address().port;
    sock.close();
    expect(reply.toString('latin1', 2)).toBe('ok');
    expect(reply.readUInt16BE(0)).toBe(7);
    expect(seen).toEqual([{ protocol: 'udp', remoteAddress: '127.0.0.1', remotePort: me, localAddress: '127.0.0.1', localPort: l.port }]);
  });

  it('answers synchronous, microtask and later replies, from a burst larger than one batch', async () => {
    const l = await listen('127.0.0.1', 0, fakeHandler('b'));
    const msgs = Array.from({ length: 150 }, (_, i) => dg(i, i % 3));
    const got = await exchange(l.port, msgs, 150);
    expect(got.size).toBe(150);
    for (const [id, m] of got) expect(m.toString('latin1', 2)).toBe('b'), expect(id).toBeLessThan(150);
  });

  it('answers many clients (source ports) at once', async () => {
    const l = await listen('127.0.0.1', 0, fakeHandler('m'));
    const all = await Promise.all(Array.from({ length: 30 }, (_, c) => exchange(l.port, Array.from({ length: 4 }, (_, i) => dg(c * 100 + i, 0)), 4)));
    expect(all.map((g) => g.size)).toEqual(Array(30).fill(4));
  });

  it('sends a reply larger than a slot whole, drops null replies, survives a throwing handler', async () => {
    logs.length = 0;
    const l = await listen('127.0.0.1', 0, fakeHandler('x'));
    const got = await exchange(l.port, [dg(1, 3), dg(2, 4), dg(3, 5), dg(4, 0)], 3, { timeoutMs: 500 });
    expect(got.get(1)!.length).toBe(9000);
    expect(got.get(1)!.readUInt16BE(0)).toBe(1);
    expect(got.has(2)).toBe(false);
    expect(got.has(3)).toBe(false);
    expect(got.get(4)!.toString('latin1', 2)).toBe('x');
    expect(logs.some((x) => x.includes('udp query from 127.0.0.1:') && x.includes('handler boom'))).toBe(true);
  });

  it('takes datagrams larger than 4 KiB whole, up to the largest UDP payload (65,507 bytes over IPv4)', async () => {
    const l = await listen('127.0.0.1', 0, fakeHandler('big'));
    const sizes = [4095, 4096, 4097, 9000, 32768, 65507];
    const msgs = sizes.map((n, i) => big(i + 1, n));
    // one at a time (each its own batch), then all together (one recvmmsg with several large ones)
    for (const m of msgs) {
      const got = await exchange(l.port, [m], 1);
      expect(got.get(m.readUInt16BE(0))?.toString('latin1', 2)).toBe(digest(m));
    }
    const all = await exchange(l.port, [...msgs, dg(50, 0)], msgs.length + 1);
    for (const m of msgs) expect(all.get(m.readUInt16BE(0))?.toString('latin1', 2)).toBe(digest(m));
    expect(all.get(50)?.toString('latin1', 2)).toBe('big');
  });

  it('answers a DNS query larger than 4 KiB (EDNS padding) like a small one', async () => {
    const { QueryHandler } = await import('../../src/server/handler.ts');
    const l = await listen('127.0.0.1', 0, new QueryHandler([], log));
    // OPT with a 5,000-byte padding option (code 12)
    const pad = Buffer.alloc(4 + 5000);
    pad.writeUInt16BE(12, 0);
    pad.writeUInt16BE(5000, 2);
    const o = opt(1232);
    o.writeUInt16BE(pad.length, 9);
    const q = packet({ id: 21, ar: 1 }, Buffer.concat([question('a.example.'), o, pad]));
    expect(q.length).toBeGreaterThan(5000);
    const got = await exchange(l.port, [q], 1);
    expect(got.has(21)).toBe(true);
    expect(header(got.get(21)!).rcode).toBe(5);       // REFUSED: no block, as for any query
  });

  it('hands a real QueryHandler malformed and valid packets like before', async () => {
    // a header only, a response, and a valid question: ignored, ignored, REFUSED (no block)
    const { QueryHandler } = await import('../../src/server/handler.ts');
    const l = await listen('127.0.0.1', 0, new QueryHandler([], log));
    const got = await exchange(l.port, [packet({ id: 1, qd: 0 }).subarray(0, 11), packet({ id: 2, flags: 0x8000 }), packet({ id: 3 }, question('a.example.'))], 1, { timeoutMs: 500 });
    expect([...got.keys()]).toEqual([3]);
    expect(header(got.get(3)!).rcode).toBe(5);
  });

  it('serves IPv6', async (ctx) => {
    let l: Listener;
    try {
      l = await listen('::1', 0, fakeHandler('six'));
    } catch (e) {
      if (/EADDRNOTAVAIL|EAFNOSUPPORT/.test(String(e))) return ctx.skip();
      throw e;
    }
    const seen: TransportInfo[] = [];
    l.handler = fakeHandler('six', seen);
    const got = await exchange(l.port, [dg(9, 0), dg(10, 1)], 2, { host: '::1' });
    expect(got.get(9)!.toString('latin1', 2)).toBe('six');
    expect(got.get(10)!.toString('latin1', 2)).toBe('six');
    expect(seen[0]).toMatchObject({ remoteAddress: '::1', localAddress: '::1', localPort: l.port });
  });

  it('fails on a taken port without reusePort; shares it with reusePort; frees it on close', async () => {
    const a = await listen('127.0.0.1', 0, fakeHandler('a'));
    await expect(listen('127.0.0.1', a.port, fakeHandler('b'))).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await a.close();
    open.splice(open.indexOf(a), 1);
    const b = await listen('127.0.0.1', a.port, fakeHandler('b'), true);
    const c = await listen('127.0.0.1', a.port, fakeHandler('c'), true);
    expect(c.port).toBe(b.port);
    const got = await Promise.all(Array.from({ length: 16 }, (_, i) => exchange(b.port, [dg(i, 0)], 1)));
    expect(got.every((g) => ['b', 'c'].includes(g.get([...g.keys()][0]!)!.toString('latin1', 2)))).toBe(true);
  });

  it('swaps the handler without closing, and a reply after close is dropped quietly', async () => {
    const l = await listen('127.0.0.1', 0, fakeHandler('old'));
    expect((await exchange(l.port, [dg(1, 0)], 1)).get(1)!.toString('latin1', 2)).toBe('old');
    l.handler = fakeHandler('new');
    expect((await exchange(l.port, [dg(2, 0)], 1)).get(2)!.toString('latin1', 2)).toBe('new');
    let late: Reply | undefined;
    l.handler = { handle: (_w: Buffer, _t: TransportInfo, r: Reply) => { late = r; } } as unknown as QueryHandler;
    await exchange(l.port, [dg(3, 0)], 1, { timeoutMs: 200 });
    expect(late).toBeDefined();
    await l.close();
    open.splice(open.indexOf(l), 1);
    expect(() => late!(Buffer.from('after close'))).not.toThrow();
  });
});

describe.skipIf(!available)('native UDP only', () => {
  it('takes bursts mixing large and small datagrams, each whole, batch after batch', async () => {
    const l = await listenUdp('127.0.0.1', 0, fakeHandler('ok'), false, log);
    try {
      expect(l.native).toBe(true);
      const slot = nativeUdp()!.SLOT_SIZE;
      // several large datagrams in one recvmmsg, each with its own overflow; kept within the
      // socket's default receive buffer so the kernel drops none
      for (let round = 0; round < 5; round++) {
        const msgs = Array.from({ length: 16 }, (_, i) => i % 2 === 0 ? big(round * 100 + i, slot + 1 + i * 61) : big(round * 100 + i, 40 + i));
        const got = await exchange(l.port, msgs, msgs.length);
        expect(msgs.map((m) => got.get(m.readUInt16BE(0))?.toString('latin1', 2))).toEqual(msgs.map(digest));
      }
    } finally {
      await l.close();
    }
  });

  it('leaves a host name (not an address) to node:dgram, which resolves it', async () => {
    const l = await listenUdp('localhost', 0, fakeHandler('named'), false, log);
    try {
      expect(l.native).toBeFalsy();
      expect((await exchange(l.port, [dg(5, 0)], 1)).get(5)!.toString('latin1', 2)).toBe('named');
    } finally {
      await l.close();
    }
  });

  it('loads in several worker threads at once; a worker that ends with its socket open releases it', async () => {
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const n = require(workerData.path);
      const shared = new ArrayBuffer(n.SHARED_SIZE);
      const u8 = new Uint8Array(shared), i32 = new Int32Array(shared);
      let h;
      const [handle, port] = n.open('127.0.0.1', workerData.port, true, shared, (count) => {
        for (let i = 0; i < count; i++) {
          const m = n.RECV_META + i * n.META_SIZE, len = i32[(m + n.M_LEN) >> 2];
          const s = n.SEND_META + i * n.META_SIZE;
          u8.copyWithin(s, m, m + n.SA_SIZE);
          u8.copyWithin(n.SEND_DATA + i * n.SLOT_SIZE, n.RECV_DATA + i * n.SLOT_SIZE, n.RECV_DATA + i * n.SLOT_SIZE + len);
          u8[n.SEND_DATA + i * n.SLOT_SIZE + 2] = workerData.tag;
          i32[(s + n.M_LEN) >> 2] = len;
        }
        n.flush(handle, count);
      });
      parentPort.postMessage(port);
    `;
    const first = new Worker(code, { eval: true, workerData: { path: ADDON_PATH, port: 0, tag: 65 } });
    const port = await new Promise<number>((r) => first.once('message', r));
    const second = new Worker(code, { eval: true, workerData: { path: ADDON_PATH, port, tag: 66 } });
    await new Promise((r) => second.once('message', r));
    const tags = new Set<number>();
    for (let i = 0; i < 40 && tags.size < 2; i++) {
      const got = await exchange(port, [dg(i, 0)], 1);
      tags.add(got.get(i)![2]!);
    }
    expect(tags).toEqual(new Set([65, 66]));
    // the workers end without closing: the addon's cleanup hook closes the sockets, so the port is free
    await first.terminate();
    await second.terminate();
    const again = await listenUdp('127.0.0.1', port, fakeHandler('again'), false, log);
    try {
      expect((await exchange(port, [dg(1, 0)], 1)).get(1)!.toString('latin1', 2)).toBe('again');
    } finally {
      await again.close();
    }
  });
});

describe.each(modes)('server with 2 workers, UDP via %s', (mode) => {
  const saved = process.env.CLUSTERDNS_NATIVE_UDP;
  let s: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    if (mode === 'dgram') process.env.CLUSTERDNS_NATIVE_UDP = '0';
    else delete process.env.CLUSTERDNS_NATIVE_UDP;
    try {
      s = await startTestServer(`. {\n  whoami\n}\nsub.example.org {\n  hosts {\n    10.9.9.9 a.sub.example.org\n  }\n}\n`, { workers: 2 });
    } finally {
      if (saved === undefined) delete process.env.CLUSTERDNS_NATIVE_UDP; else process.env.CLUSTERDNS_NATIVE_UDP = saved;
    }
  });
  afterAll(() => s.stop());

  it('answers from many source ports', async () => {
    const rs = await Promise.all(Array.from({ length: 60 }, (_, i) => query(s.port, `n${i}.example.org`, 'A', { id: 1000 + i })));
    expect(rs.every((r, i) => r.header.rcode === 0 && r.header.id === 1000 + i)).toBe(true);
    expect(await resolver(s.port).resolve4('a.sub.example.org')).toEqual(['10.9.9.9']);
  });
});
