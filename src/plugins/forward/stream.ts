/**
 * TCP and DNS-over-TLS to one upstream: a pool of connections with one query in flight on each, as
 * CoreDNS's plugin/pkg/proxy does. A query takes an idle connection (or opens one) and gives it back
 * once answered; idle connections close after `expire` without traffic. One query per connection
 * because many servers (CoreDNS and miekg/dns among them) answer the queries of one TCP connection
 * in order: a query the upstream never answers would hold every query pipelined behind it. A
 * connection whose query timed out is never reused (its late answer could still be on the way) and
 * is closed. Past MAX_CONNS open connections, queries are pipelined (RFC 7766) on the least busy one.
 * A reused connection that the peer closed fails its query with kind 'closed' so the caller retries
 * once on a fresh connection, as CoreDNS does with ErrCachedClosed.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { UpstreamAddr } from './hosts.ts';
import { questionEnd } from '../../dns/codec.ts';
import { errnoText, hostPort, opError, randomId, sameQuestion, UpstreamError, withId, type Pending } from './wire.ts';

/** Open connections per upstream (per worker) before queries share connections. */
export const MAX_CONNS = 64;

class StreamConn {
  readonly sock: net.Socket;
  readonly pending = new Map<number, Pending>();
  answered = 0;
  lastUsed = Date.now();
  closed = false;
  /** A query on it timed out: take no new queries, close once the others are done. */
  tainted = false;
  private connected = false;
  private buf: Buffer | null = null;
  private readonly tls: boolean;
  private readonly remote: string;
  private local = '';
  private readonly onIdle: (c: StreamConn) => void;

  constructor(addr: UpstreamAddr, tlsOpts: tls.ConnectionOptions | undefined,
    onIdle: (c: StreamConn) => void, onGone: (c: StreamConn) => void) {
    this.tls = tlsOpts !== undefined;
    this.onIdle = onIdle;
    this.remote = hostPort(addr.host, addr.port);
    const opts = { host: addr.host, port: addr.port };
    this.sock = tlsOpts ? tls.connect({ ...tlsOpts, ...opts }) : net.connect(opts);
    this.sock.setNoDelay(true);
    this.sock.once(tlsOpts ? 'secureConnect' : 'connect', () => {
      this.connected = true;
      this.local = hostPort(this.sock.localAddress, this.sock.localPort);
    });
    this.sock.on('data', (d: Buffer) => this.onData(d));
    this.sock.on('error', (e: NodeJS.ErrnoException) => this.fail(this.errorText(e)));
    this.sock.on('close', () => { this.fail('EOF'); onGone(this); });
  }

  /** Go's wording of a socket error: a dial error (TLS handshake included) before the connection is up, a read error after. */
  private errorText(e: NodeJS.ErrnoException): string {
    const errno = /^E[A-Z]+$/.test(e.code ?? '');
    const msg = e.message.replace(/; if the root CA is installed locally.*$/s, '');
    // OpenSSL's verification codes (SELF_SIGNED_CERT_IN_CHAIN, ...) and Node's name check.
    const verify = e.code !== undefined && !errno && (!e.code.startsWith('ERR_') || e.code === 'ERR_TLS_CERT_ALTNAME_INVALID');
    const reason = errno ? errnoText(e) : this.tls ? `tls: ${verify ? 'failed to verify certificate: ' : ''}${msg}` : msg;
    if (!this.connected) return opError('dial', 'tcp', '', this.remote, errno ? `connect: ${reason}` : reason);
    return opError('read', 'tcp', this.local, this.remote, errno ? `read: ${reason}` : reason);
  }

  private onData(d: Buffer): void {
    let b = this.buf ? Buffer.concat([this.buf, d]) : d;
    while (b.length >= 2) {
      const len = b.readUInt16BE(0);
      if (b.length < 2 + len) break;
      const msg = b.subarray(2, 2 + len);
      b = b.subarray(2 + len);
      this.onMessage(msg);
    }
    this.buf = b.length > 0 ? Buffer.from(b) : null;
  }

  private onMessage(msg: Buffer): void {
    if (msg.length < 12) return;
    const id = msg.readUInt16BE(0);
    const p = this.pending.get(id);
    if (!p || !sameQuestion(p.query, p.qEnd, msg)) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    this.answered++;
    this.lastUsed = Date.now();
    p.resolve(Buffer.from(msg));
    if (this.pending.size === 0) {
      if (this.tainted) this.close(); else this.onIdle(this);
    }
  }

  exchange(query: Uint8Array, timeoutMs: number): Promise<Buffer> {
    const qEnd = questionEnd(query);
    if (qEnd < 0) return Promise.reject(new UpstreamError('network', 'malformed query'));
    let id = randomId();
    for (let i = 0; this.pending.has(id) && i < 64; i++) id = randomId();
    const out = withId(query, id);
    const frame = Buffer.allocUnsafe(out.length + 2);
    frame.writeUInt16BE(out.length, 0);
    out.copy(frame, 2);
    this.lastUsed = Date.now();
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        const why = this.connected ? opError('read', 'tcp', this.local, this.remote, 'i/o timeout')
          : opError('dial', 'tcp', '', this.remote, 'i/o timeout');
        reject(new UpstreamError('timeout', why));
        this.tainted = true;
        if (this.pending.size === 0) this.close();
      }, timeoutMs);
      this.pending.set(id, { query: out, qEnd, resolve, reject, timer });
      try {
        this.sock.write(frame);
      } catch (e) {
        this.fail(opError('write', 'tcp', this.local, this.remote, `write: ${errnoText(e)}`));
      }
    });
  }

  private fail(why: string): void {
    if (this.closed && this.pending.size === 0) return;
    this.closed = true;
    const cached = this.answered > 0;
    const kind = cached ? 'closed' : 'network';
    const msg = cached && why === 'EOF' ? 'cached connection was closed by peer' : why;
    for (const p of this.pending.values()) { clearTimeout(p.timer); p.reject(new UpstreamError(kind, msg)); }
    this.pending.clear();
    this.sock.destroy();
  }

  close(): void { this.fail('proxy: transport stopped'); }
}

export class StreamTransport {
  private readonly addr: UpstreamAddr;
  private readonly tlsOpts: tls.ConnectionOptions | undefined;
  private readonly expireMs: number;
  private readonly maxIdle: number;
  /** Connections waiting for a query, the most recently used last. */
  private readonly idle: StreamConn[] = [];
  private readonly open = new Set<StreamConn>();
  private stopped = false;
  onConn?: (reused: boolean) => void;

  /** `maxIdle`: at most this many idle connections are kept (0: no limit), as CoreDNS's max_idle_conns. */
  constructor(addr: UpstreamAddr, tlsOpts: tls.ConnectionOptions | undefined, expireMs: number, maxIdle = 0) {
    this.addr = addr;
    this.tlsOpts = tlsOpts;
    this.expireMs = expireMs;
    this.maxIdle = maxIdle;
  }

  /** Connections open now (for tests and metrics). */
  get size(): number { return this.open.size; }

  exchange(query: Uint8Array, timeoutMs: number): Promise<Buffer> {
    if (this.stopped) return Promise.reject(new UpstreamError('stopped', 'proxy: transport stopped'));
    const now = Date.now();
    let c: StreamConn | undefined;
    while (this.idle.length > 0) {
      const x = this.idle.pop()!;
      if (x.closed || x.tainted || x.pending.size > 0) continue;
      if (now - x.lastUsed > this.expireMs) { x.close(); continue; }
      c = x;
      break;
    }
    if (!c && this.open.size >= MAX_CONNS) {
      for (const x of this.open) if (!x.closed && !x.tainted && (!c || x.pending.size < c.pending.size)) c = x;
    }
    if (c) {
      this.onConn?.(true);
    } else {
      try {
        c = new StreamConn(this.addr, this.tlsOpts, (x) => this.release(x), (x) => this.forget(x));
      } catch (e) { // bad TLS material, found when the first connection is made
        const why = opError('dial', 'tcp', '', hostPort(this.addr.host, this.addr.port), `${this.tlsOpts ? 'tls: ' : ''}${errnoText(e)}`);
        return Promise.reject(new UpstreamError('network', why));
      }
      this.open.add(c);
      this.onConn?.(false);
    }
    return c.exchange(query, timeoutMs);
  }

  /** A connection finished its queries: keep it for the next one (unless the idle pool is full). */
  private release(c: StreamConn): void {
    if (this.stopped || c.closed) return;
    if (this.idle.includes(c)) return;
    if (this.maxIdle > 0 && this.idle.length >= this.maxIdle) { c.close(); return; }
    this.idle.push(c);
  }

  private forget(c: StreamConn): void {
    this.open.delete(c);
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
  }

  sweep(now = Date.now()): void {
    for (const c of this.idle.slice()) {
      if (c.closed || (c.pending.size === 0 && now - c.lastUsed > this.expireMs)) { c.close(); this.forget(c); }
    }
  }

  close(): void {
    this.stopped = true;
    for (const c of this.open) c.close();
    this.open.clear();
    this.idle.length = 0;
  }
}
