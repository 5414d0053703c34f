/**
 * Helpers for the server-core tests: raw header reading, hand-built (possibly malformed) packets,
 * a persistent TCP session for pipelining, HTTP GET, and a small Prometheus text parser.
 * Everything goes over real sockets on 127.0.0.1.
 */
import http from 'node:http';
import net from 'node:net';
import dgram from 'node:dgram';
import { readdirSync } from 'node:fs';

/** The fields of a DNS header read straight from the bytes (independent of any codec). */
export function header(b: Buffer) {
  return {
    id: b.readUInt16BE(0),
    qr: (b[2]! >> 7) & 1,
    opcode: (b[2]! >> 3) & 0xf,
    aa: (b[2]! >> 2) & 1,
    tc: (b[2]! >> 1) & 1,
    rd: b[2]! & 1,
    rcode: b[3]! & 0xf,
    qd: b.readUInt16BE(4), an: b.readUInt16BE(6), ns: b.readUInt16BE(8), ar: b.readUInt16BE(10),
  };
}

/** A 12-byte header followed by `body`. */
export function packet(h: { id: number; flags?: number; qd?: number; an?: number; ns?: number; ar?: number }, body: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(h.id, 0);
  b.writeUInt16BE(h.flags ?? 0x0100, 2); // RD
  b.writeUInt16BE(h.qd ?? 1, 4);
  b.writeUInt16BE(h.an ?? 0, 6);
  b.writeUInt16BE(h.ns ?? 0, 8);
  b.writeUInt16BE(h.ar ?? 0, 10);
  return Buffer.concat([b, body]);
}

/** Wire form of a name ("a.b." → 1a1b0) followed by type and class. */
export function question(name: string, type = 1, cls = 1): Buffer {
  const parts: Buffer[] = [];
  for (const l of name.split('.').filter(Boolean)) parts.push(Buffer.from([l.length]), Buffer.from(l));
  parts.push(Buffer.from([0]));
  const tc = Buffer.alloc(4);
  tc.writeUInt16BE(type, 0);
  tc.writeUInt16BE(cls, 2);
  return Buffer.concat([...parts, tc]);
}

/** An OPT pseudo-record with the given UDP size and version. */
export function opt(udpSize: number, version = 0): Buffer {
  const b = Buffer.alloc(11);
  b[0] = 0;                       // root name
  b.writeUInt16BE(41, 1);         // OPT
  b.writeUInt16BE(udpSize, 3);
  b[5] = 0;                       // extended rcode
  b[6] = version;
  b.writeUInt16BE(0, 7);          // flags
  b.writeUInt16BE(0, 9);          // rdlength
  return b;
}

/** Find the OPT record in a response: returns its UDP size, extended rcode and version, or undefined. */
export function findOpt(b: Buffer): { udpSize: number; extRcode: number; version: number; do: boolean } | undefined {
  // walk the message (names may be compressed: a pointer ends a name)
  let off = 12;
  const skipName = () => {
    for (let guard = 0; guard < 128; guard++) {
      const l = b[off]!;
      if (l === 0) { off += 1; return; }
      if ((l & 0xc0) === 0xc0) { off += 2; return; }
      off += 1 + l;
    }
    throw new Error('name too long');
  };
  const h = header(b);
  for (let i = 0; i < h.qd; i++) { skipName(); off += 4; }
  for (let i = 0; i < h.an + h.ns + h.ar; i++) {
    skipName();
    const type = b.readUInt16BE(off);
    const cls = b.readUInt16BE(off + 2);
    const ttl = b.readUInt32BE(off + 4);
    const rdlen = b.readUInt16BE(off + 8);
    if (type === 41) return { udpSize: cls, extRcode: ttl >>> 24, version: (ttl >>> 16) & 0xff, do: (ttl & 0x8000) !== 0 };
    off += 10 + rdlen;
  }
  return undefined;
}

/** Send one datagram and collect every answer that arrives within `waitMs`. */
export function udpCollect(port: number, wire: Buffer, waitMs = 300): Promise<Buffer[]> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const got: Buffer[] = [];
    s.on('message', (m) => got.push(m));
    s.send(wire, port, '127.0.0.1');
    setTimeout(() => { s.close(); resolve(got); }, waitMs);
  });
}

/** A TCP connection that reads length-framed DNS messages and reports when it closes. */
export class TcpSession {
  readonly sock: net.Socket;
  readonly messages: Buffer[] = [];
  closed = false;
  readonly closedAt: Promise<void>;
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];

  private constructor(sock: net.Socket) {
    this.sock = sock;
    this.closedAt = new Promise((r) => sock.on('close', () => { this.closed = true; this.wake(); r(); }));
    sock.on('error', () => {});
    sock.on('data', (c: Buffer) => {
      this.buf = Buffer.concat([this.buf, c]);
      while (this.buf.length >= 2 && this.buf.length >= 2 + this.buf.readUInt16BE(0)) {
        const n = this.buf.readUInt16BE(0);
        this.messages.push(this.buf.subarray(2, 2 + n));
        this.buf = this.buf.subarray(2 + n);
      }
      this.wake();
    });
  }

  static open(port: number, host = '127.0.0.1', localAddress?: string): Promise<TcpSession> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host, localAddress }, () => { s.off('error', reject); resolve(new TcpSession(s)); });
      s.once('error', reject);
    });
  }

  static frame(wire: Buffer): Buffer {
    const f = Buffer.alloc(2 + wire.length);
    f.writeUInt16BE(wire.length, 0);
    wire.copy(f, 2);
    return f;
  }

  write(bytes: Buffer): void { this.sock.write(bytes); }

  /** Wait until `n` messages have arrived (or the connection closed, or the timeout passed). */
  async waitFor(n: number, timeoutMs = 3000): Promise<Buffer[]> {
    const until = Date.now() + timeoutMs;
    while (this.messages.length < n && !this.closed && Date.now() < until) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, until - Date.now()));
        this.waiters.push(() => { clearTimeout(t); r(); });
      });
    }
    return this.messages;
  }

  destroy(): void { this.sock.destroy(); }

  private wake(): void { const w = this.waiters; this.waiters = []; for (const f of w) f(); }
}

export interface HttpAnswer { status: number; body: string; type: string }

export function httpGet(url: string, timeoutMs = 3000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type'] ?? '') }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

/** One sample of a Prometheus text exposition. */
export interface Sample { name: string; labels: Record<string, string>; value: number }

export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2]) for (const l of m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of the samples named `name` whose labels include all of `match`. */
export function metric(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}

export function has(samples: Sample[], name: string): boolean { return samples.some((s) => s.name === name); }

export async function scrape(port: number): Promise<Sample[]> {
  const r = await httpGet(`http://127.0.0.1:${port}/metrics`);
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}: ${r.body}`);
  return parseMetrics(r.body);
}

/** Open file descriptors of this process (Linux). */
export function openFds(): number { return readdirSync('/proc/self/fd').length; }
