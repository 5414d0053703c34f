// TCP under bad clients, over real sockets: a client that pipelines queries and never reads its
// answers is stopped being read and then closed, with what the server holds for it bounded, while
// others are served; one address holding more than a thousand connections cannot keep a fresh client
// out; at the total limit the least recently busy idle connection gives way, a busy one never.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  listenTcp, TCP_MAX_BUFFERED, TCP_MAX_CONNECTIONS, TCP_MAX_CONNECTIONS_PER_SOURCE, TCP_WRITE_TIMEOUT_MS,
  type TcpListener,
} from '../../src/server/listeners.ts';
import { DEFAULT_TCP_LIMITS, sourceKey } from '../../src/server/tcp.ts';
import { QueryHandler } from '../../src/server/handler.ts';
import { buildChain } from '../../src/server/chain.ts';
import { makeLogger } from '../../src/server/log.ts';
import { a, replyTo } from '../../src/dns/message.ts';
import type { Plugin } from '../../src/plugin/contract.ts';
import { buildQuery, decodeWithDns2 } from '../support/dns-client.ts';
import { header, TcpSession } from './helpers.ts';
import { sleep, until } from '../support/wait.ts';

const log = makeLogger({ write: () => {} });

/** Answers every query with 60 addresses (about 1 KB), synchronously, as hosts does; counts them. */
function sixtyAddresses() {
  const stats = { handled: 0 };
  const plugin: Plugin = {
    name: 'sixty',
    serve(req) {
      stats.handled++;
      const r = replyTo(req.msg);
      for (let i = 0; i < 60; i++) r.answers.push(a(req.question.name, 30, `10.0.0.${i + 1}`));
      // names starting with "slow" are answered after a while (a query being worked on)
      return req.qname.startsWith('slow') ? new Promise((ok) => setTimeout(() => ok(r), 1500)) : r;
    },
  };
  const handler = new QueryHandler([{ zones: ['.'], server: 'dns://:0', plugins: [plugin], observers: [], chain: buildChain([plugin], false) }], log);
  return { handler, stats };
}

/** A raw connection from `localAddress` that never reads. */
function connectFrom(port: number, localAddress: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress }, () => { s.off('error', reject); resolve(s); });
    s.once('error', reject);
  });
}

/** One TCP query from `localAddress` on a fresh connection: the answer, or null if refused/reset/timed out. */
function tcpQueryFrom(port: number, localAddress: string, name: string, timeoutMs = 2000): Promise<Buffer | null> {
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    const s = net.connect({ port, host: '127.0.0.1', localAddress });
    const done = (v: Buffer | null) => { clearTimeout(t); s.destroy(); resolve(v); };
    const t = setTimeout(() => done(null), timeoutMs);
    s.on('error', () => done(null));
    s.on('close', () => done(null));
    s.on('connect', () => s.write(TcpSession.frame(buildQuery(name, 'A', { id: 4242 }))));
    s.on('data', (c: Buffer) => {
      got = Buffer.concat([got, c]);
      if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) done(got.subarray(2, 2 + got.readUInt16BE(0)));
    });
  });
}

const open: TcpListener[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const l of open.splice(0)) await l.close();
});

describe('TCP backpressure', () => {
  it('stops reading a connection whose answers are not read, holds a bounded buffer for it, closes it, and serves others', async () => {
    const { handler, stats } = sixtyAddresses();
    const l = await listenTcp('127.0.0.1', 0, handler, false, log);
    open.push(l);
    const hog = await connectFrom(l.port, '127.0.0.1');
    sockets.push(hog);
    hog.on('error', () => {});
    hog.pause();                                    // never reads
    // 60,000 pipelined queries (2 MB): answered in full they would be about 60 MB
    const frame = TcpSession.frame(buildQuery('big.example.org', 'A', { id: 1 }));
    const chunk = Buffer.concat(Array(1000).fill(frame));
    const sent = 60_000;
    for (let i = 0; i < sent / 1000; i++) hog.write(chunk);

    // the server stops reading it once its answers back up
    expect(await until(() => l.connections().some((c) => !c.reading), 10_000)).toBe(true);
    let maxBuffered = 0;
    for (let i = 0; i < 10; i++) {
      for (const c of l.connections()) maxBuffered = Math.max(maxBuffered, c.buffered);
      await sleep(50);
    }
    expect(maxBuffered).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThanOrEqual(TCP_MAX_BUFFERED);
    // it took only what the kernel's buffers hold, not the whole stream
    expect(stats.handled).toBeLessThan(sent / 2);

    // meanwhile another client is served, over a fresh connection
    const other = await tcpQueryFrom(l.port, '127.0.0.1', 'other.example.org');
    expect(other).not.toBeNull();
    expect(decodeWithDns2(other!).answers).toHaveLength(60);

    // and the stuck connection is closed once its output makes no progress for the write timeout
    expect(await until(() => l.connections().length === 0, TCP_WRITE_TIMEOUT_MS * 3 + 2000)).toBe(true);
    const handledAtClose = stats.handled;
    await sleep(200);
    expect(stats.handled).toBe(handledAtClose);
  });

  it('keeps a slow reader that takes its answers', async () => {
    const { handler } = sixtyAddresses();
    const l = await listenTcp('127.0.0.1', 0, handler, false, log);
    open.push(l);
    const t = await TcpSession.open(l.port);
    t.sock.pause();
    const n = 3000;                                 // about 3 MB of answers, more than fits unread
    const frames = Array.from({ length: n }, (_, i) => TcpSession.frame(buildQuery(`q${i}.example.org`, 'A', { id: i })));
    t.write(Buffer.concat(frames));
    await sleep(500);
    t.sock.resume();                                // now read everything
    const got = await t.waitFor(n, 20_000);
    expect(got).toHaveLength(n);
    expect(new Set(got.map((m) => header(m).id)).size).toBe(n);
    expect(t.closed).toBe(false);
    t.destroy();
  });
});

describe('TCP connection limits', () => {
  it('keeps serving a fresh client while one address holds more than the per-listener total', async () => {
    expect(TCP_MAX_CONNECTIONS_PER_SOURCE).toBeLessThan(TCP_MAX_CONNECTIONS);
    const { handler } = sixtyAddresses();
    const l = await listenTcp('127.0.0.1', 0, handler, false, log);
    open.push(l);
    // the hog: 1,100 connections from 127.0.0.2, opened 100 at a time and kept open
    for (let batch = 0; batch < 11; batch++) {
      const opened = await Promise.allSettled(Array.from({ length: 100 }, () => connectFrom(l.port, '127.0.0.2')));
      for (const r of opened) if (r.status === 'fulfilled') { r.value.on('error', () => {}); sockets.push(r.value); }
    }
    // a fresh client from another address gets its answer, every time
    for (let i = 0; i < 5; i++) {
      const r = await tcpQueryFrom(l.port, '127.0.0.1', `fresh${i}.example.org`);
      expect(r).not.toBeNull();
      expect(header(r!).rcode).toBe(0);
    }
    await until(() => l.connections().length <= TCP_MAX_CONNECTIONS_PER_SOURCE, 3000);
    const fromHog = l.connections().filter((c) => c.remoteAddress === '127.0.0.2').length;
    expect(fromHog).toBeLessThanOrEqual(TCP_MAX_CONNECTIONS_PER_SOURCE);
    expect(fromHog).toBeGreaterThan(0);
    // and the hog's newest connection works (its oldest idle ones made room)
    const last = await tcpQueryFrom(l.port, '127.0.0.2', 'hog.example.org');
    expect(last).not.toBeNull();
  }, 30_000);

  it('at the total limit evicts the least recently busy idle connection, never a busy one', async () => {
    const { handler } = sixtyAddresses();
    const l = await listenTcp('127.0.0.1', 0, handler, false, log, { ...DEFAULT_TCP_LIMITS, maxConnections: 6, maxPerSource: 4 });
    open.push(l);
    const sessions: TcpSession[] = [];
    // six connections from three addresses, in order: s0 s1 (127.0.0.2), s2 s3 (127.0.0.3), s4 s5 (127.0.0.4)
    for (const addr of ['127.0.0.2', '127.0.0.2', '127.0.0.3', '127.0.0.3', '127.0.0.4', '127.0.0.4']) {
      const s = await TcpSession.open(l.port, '127.0.0.1', addr);
      sessions.push(s);
      await until(() => l.connections().length === sessions.length, 1000);
    }
    // s0 is busy (a query being answered), s1 was used a moment ago: s2 is the least recently busy idle one
    sessions[0]!.write(TcpSession.frame(buildQuery('slow.example.org', 'A', { id: 10 })));
    sessions[1]!.write(TcpSession.frame(buildQuery('used.example.org', 'A', { id: 11 })));
    expect(await sessions[1]!.waitFor(1)).toHaveLength(1);
    await until(() => l.connections()[0]?.inflight === 1, 1000);

    const fresh = await tcpQueryFrom(l.port, '127.0.0.1', 'fresh.example.org');
    expect(fresh).not.toBeNull();
    await Promise.race([sessions[2]!.closedAt, sleep(1000)]);
    expect(sessions.map((s) => s.closed)).toEqual([false, false, true, false, false, false]);
    // the busy one still gets its answer
    expect((await sessions[0]!.waitFor(1)).map((m) => header(m).id)).toEqual([10]);
    for (const s of sessions) s.destroy();
  });

  it('past the per-source limit evicts that source\'s own oldest idle connection, and refuses when all are busy', async () => {
    const { handler } = sixtyAddresses();
    const l = await listenTcp('127.0.0.1', 0, handler, false, log, { ...DEFAULT_TCP_LIMITS, maxPerSource: 2 });
    open.push(l);
    const a0 = await TcpSession.open(l.port, '127.0.0.1', '127.0.0.2');
    const a1 = await TcpSession.open(l.port, '127.0.0.1', '127.0.0.2');
    const other = await TcpSession.open(l.port, '127.0.0.1', '127.0.0.3');
    await until(() => l.connections().length === 3, 1000);
    const a2 = await TcpSession.open(l.port, '127.0.0.1', '127.0.0.2');
    await Promise.race([a0.closedAt, sleep(1000)]);
    expect([a0.closed, a1.closed, other.closed, a2.closed]).toEqual([true, false, false, false]);
    // both of the source's connections busy: a third from it is refused, others are not
    a1.write(TcpSession.frame(buildQuery('slow1.example.org', 'A', { id: 1 })));
    a2.write(TcpSession.frame(buildQuery('slow2.example.org', 'A', { id: 2 })));
    await until(() => l.connections().filter((c) => c.inflight > 0).length === 2, 1000);
    expect(await tcpQueryFrom(l.port, '127.0.0.2', 'refused.example.org', 1000)).toBeNull();
    expect(await tcpQueryFrom(l.port, '127.0.0.3', 'welcome.example.org')).not.toBeNull();
    expect((await a1.waitFor(1)).length + (await a2.waitFor(1)).length).toBe(2);
    for (const s of [a1, a2, other]) s.destroy();
  });

  it('counts an IPv6 client by its /64 and an IPv4-mapped one by its IPv4 address', () => {
    expect(sourceKey('2001:db8:1:2:aaaa::1')).toBe(sourceKey('2001:0db8:0001:0002:ffff:1:2:3'));
    expect(sourceKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:db8:1:3::1')).not.toBe(sourceKey('2001:db8:1:2::1'));
    expect(sourceKey('::1')).toBe('0:0:0:0::/64');
    expect(sourceKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(sourceKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(sourceKey('10.1.2.3')).toBe('10.1.2.3');
  });
});
