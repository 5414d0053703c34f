/**
 * TCP and DNS-over-TLS to one upstream: one persistent connection, queries pipelined on it
 * (RFC 7766) and matched by id and question, closed after `expire` without traffic. A reused
 * connection that the peer closed fails its queries with kind 'closed' so the caller retries once
 * on a fresh connection, as CoreDNS does with ErrCachedClosed.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { UpstreamAddr } from './hosts.ts';
import { questionEnd, randomId, sameQuestion, UpstreamError, withId, type Pending } from './wire.ts';


class StreamConn {
  readonly sock: net.Socket;
  readonly pending = new Map<number, Pending>();
  answered = 0;
  lastUsed = Date.now();
  closed = false;
  private buf: Buffer | null = null;

  constructor(addr: UpstreamAddr, tlsOpts: tls.ConnectionOptions | undefined, onGone: (c: StreamConn) => void) {
    const opts = { host: addr.host, port: addr.port };
    this.sock = tlsOpts ? tls.connect({ ...tlsOpts, ...opts }) : net.connect(opts);
    this.sock.setNoDelay(true);
    this.sock.on('data', (d: Buffer) => this.onData(d));
    this.sock.on('error', (e) => this.fail(e.message));
    this.sock.on('close', () => { this.fail('connection closed'); onGone(this); });
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
        reject(new UpstreamError('timeout', 'i/o timeout'));
      }, timeoutMs);
      this.pending.set(id, { query: out, qEnd, resolve, reject, timer });
      this.sock.write(frame);
    });
  }

  private fail(why: string): void {
    if (this.closed && this.pending.size === 0) return;
    this.closed = true;
    const kind = this.answered > 0 ? 'closed' : 'network';
    for (const p of this.pending.values()) { clearTimeout(p.timer); p.reject(new UpstreamError(kind, why)); }
    this.pending.clear();
    this.sock.destroy();
  }

  close(): void { this.fail('proxy: transport stopped'); }
}

export class StreamTransport {
  private readonly addr: UpstreamAddr;
  private readonly tlsOpts: tls.ConnectionOptions | undefined;
  private readonly expireMs: number;
  private conn: StreamConn | undefined;
  private stopped = false;
  onConn?: (reused: boolean) => void;

  constructor(addr: UpstreamAddr, tlsOpts: tls.ConnectionOptions | undefined, expireMs: number) {
    this.addr = addr;
    this.tlsOpts = tlsOpts;
    this.expireMs = expireMs;
  }

  exchange(query: Uint8Array, timeoutMs: number): Promise<Buffer> {
    if (this.stopped) return Promise.reject(new UpstreamError('stopped', 'proxy: transport stopped'));
    let c = this.conn;
    if (c && (c.closed || (c.pending.size === 0 && Date.now() - c.lastUsed > this.expireMs))) {
      c.close();
      c = undefined;
    }
    if (!c) {
      c = new StreamConn(this.addr, this.tlsOpts, (gone) => { if (this.conn === gone) this.conn = undefined; });
      this.conn = c;
      this.onConn?.(false);
    } else {
      this.onConn?.(true);
    }
    return c.exchange(query, timeoutMs);
  }

  sweep(now = Date.now()): void {
    const c = this.conn;
    if (c && c.pending.size === 0 && now - c.lastUsed > this.expireMs) {
      c.close();
      this.conn = undefined;
    }
  }

  close(): void {
    this.stopped = true;
    this.conn?.close();
    this.conn = undefined;
  }
}
