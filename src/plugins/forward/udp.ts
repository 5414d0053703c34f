/**
 * UDP to one upstream: a small pool of connected sockets, each bound to a kernel-chosen random
 * source port, with many queries in flight per socket matched by a random id and the question.
 * Sockets are replaced after a number of queries (a fresh random source port) and closed when idle
 * longer than `expire`, so the (port, id) pair a spoofer must guess keeps changing.
 */
import dgram from 'node:dgram';
import type { UpstreamAddr } from './hosts.ts';
import { questionEnd } from '../../dns/codec.ts';
import { errnoText, hostPort, opError, randomId, sameQuestion, UpstreamError, withId, type Pending } from './wire.ts';

const SOCKETS = 4;            // live sockets per upstream
const QUERIES_PER_SOCKET = 2048;


class UdpConn {
  readonly sock: dgram.Socket;
  readonly pending = new Map<number, Pending>();
  sent = 0;
  lastUsed = Date.now();
  closed = false;
  retired = false;
  private connected = false;
  private queue: [Buffer, number][] = [];
  private readonly remote: string;
  private local = '';
  private sockClosed = false;
  /** Why this socket cannot be used (set when connect failed). */
  private dead: UpstreamError | undefined;

  constructor(addr: UpstreamAddr) {
    this.remote = hostPort(addr.host, addr.port);
    this.sock = dgram.createSocket({ type: addr.host.includes(':') ? 'udp6' : 'udp4' });
    this.sock.on('message', (msg) => this.onMessage(msg));
    // On a connected socket the kernel reports an ICMP "port unreachable" as ECONNREFUSED on the next read.
    this.sock.on('error', (e) => this.fail(new UpstreamError('network', opError('read', 'udp', this.local, this.remote, `read: ${errnoText(e)}`))));
    try {
      this.sock.connect(addr.port, addr.host, (err?: Error) => this.onConnect(err));
    } catch (e) {
      this.failSoon(e);
    }
  }

  /**
   * A failed connect (no route to the upstream, an address family the host does not have) fails
   * every query queued on this socket like a refused one: the caller counts it and moves on.
   */
  private onConnect(err: Error | undefined): void {
    if (this.closed) return;
    if (err) { this.failSoon(err); return; }
    this.connected = true;
    try {
      const a = this.sock.address();
      this.local = hostPort(a.address, a.port);
    } catch { /* closed meanwhile */ }
    const queued = this.queue;
    this.queue = [];
    for (const [b, id] of queued) this.send(b, id);
  }

  private failSoon(err: unknown): void {
    const e = new UpstreamError('network', opError('dial', 'udp', '', this.remote, `connect: ${errnoText(err)}`));
    // Queries may still be added in this tick (the caller awaits after exchange()): reject them too.
    this.closed = true;
    this.dead = e;
    queueMicrotask(() => this.fail(e));
  }

  private send(out: Buffer, id: number): void {
    if (!this.connected) { this.queue.push([out, id]); return; }
    const failed = (err: unknown) => {
      const p = this.pending.get(id);
      if (p) {
        this.pending.delete(id);
        clearTimeout(p.timer);
        p.reject(new UpstreamError('network', opError('write', 'udp', this.local, this.remote, `write: ${errnoText(err)}`)));
      }
    };
    try {
      this.sock.send(out, (err) => { if (err) failed(err); });
    } catch (e) {
      failed(e); // the socket was closed under us: this query fails, the next one gets a new socket
    }
  }

  private onMessage(msg: Buffer): void {
    if (msg.length < 12) return;
    const id = msg.readUInt16BE(0);
    const p = this.pending.get(id);
    if (!p || !sameQuestion(p.query, p.qEnd, msg)) return; // not ours: keep waiting for the real answer
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(msg);
    if (this.retired && this.pending.size === 0) this.close();
  }

  exchange(query: Uint8Array, timeoutMs: number): Promise<Buffer> {
    const qEnd = questionEnd(query);
    if (qEnd < 0) return Promise.reject(new UpstreamError('network', 'malformed query'));
    if (this.dead) return Promise.reject(this.dead);
    if (this.closed) return Promise.reject(new UpstreamError('network', opError('write', 'udp', this.local, this.remote, 'use of closed network connection')));
    let id = randomId();
    for (let i = 0; this.pending.has(id) && i < 16; i++) id = randomId();
    const out = withId(query, id);
    this.sent++;
    this.lastUsed = Date.now();
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new UpstreamError('timeout', opError('read', 'udp', this.local, this.remote, 'i/o timeout')));
        if (this.retired && this.pending.size === 0) this.close();
      }, timeoutMs);
      this.pending.set(id, { query: out, qEnd, resolve, reject, timer });
      this.send(out, id);
    });
  }

  fail(e: Error): void {
    for (const p of this.pending.values()) { clearTimeout(p.timer); p.reject(e); }
    this.pending.clear();
    this.queue = [];
    this.close();
  }

  close(): void {
    this.closed = true;
    if (this.sockClosed) return;
    this.sockClosed = true;
    try { this.sock.close(); } catch { /* already closed */ }
  }
}

export class UdpTransport {
  private readonly addr: UpstreamAddr;
  private readonly expireMs: number;
  private readonly conns: (UdpConn | undefined)[] = new Array(SOCKETS);
  private next = 0;
  private stopped = false;
  /** Called with true when a cached socket was reused, false when a new one was opened. */
  onConn?: (reused: boolean) => void;

  constructor(addr: UpstreamAddr, expireMs: number) {
    this.addr = addr;
    this.expireMs = expireMs;
  }

  exchange(query: Uint8Array, timeoutMs: number): Promise<Buffer> {
    if (this.stopped) return Promise.reject(new UpstreamError('stopped', 'proxy: transport stopped'));
    const slot = this.next;
    this.next = (slot + 1) % SOCKETS;
    let c = this.conns[slot];
    const now = Date.now();
    if (c && (c.closed || c.sent >= QUERIES_PER_SOCKET || (c.pending.size === 0 && now - c.lastUsed > this.expireMs))) {
      this.retire(c);
      c = undefined;
    }
    if (!c) {
      c = new UdpConn(this.addr);
      this.conns[slot] = c;
      this.onConn?.(false);
    } else {
      this.onConn?.(true);
    }
    return c.exchange(query, timeoutMs);
  }

  private retire(c: UdpConn): void {
    c.retired = true;
    if (c.pending.size === 0) c.close();
  }

  /** Close sockets idle for longer than `expire` (called periodically). */
  sweep(now = Date.now()): void {
    for (let i = 0; i < SOCKETS; i++) {
      const c = this.conns[i];
      if (c && c.pending.size === 0 && (c.closed || now - c.lastUsed > this.expireMs)) {
        c.close();
        this.conns[i] = undefined;
      }
    }
  }

  close(): void {
    this.stopped = true;
    for (let i = 0; i < SOCKETS; i++) {
      this.conns[i]?.fail(new UpstreamError('stopped', 'proxy: transport stopped'));
      this.conns[i] = undefined;
    }
  }
}
