/**
 * A programmable upstream DNS server for forward/cache tests, on 127.0.0.1 (UDP and TCP on one port).
 *
 * It speaks the wire format with its own tiny encoder (independent of src/dns), answers from a
 * table of records, and can be told to misbehave: stay silent, answer SERVFAIL (or any rcode),
 * truncate over UDP, answer slowly, answer with a wrong id, answer with bytes that do not decode,
 * never answer some names, answer a TCP connection's queries strictly in order (as miekg/dns
 * servers do). Every query is recorded with the protocol it came over, so tests can count and
 * inspect what forward sent.
 */
import dgram from 'node:dgram';
import net from 'node:net';

export interface UpstreamRecord {
  name: string;              // owner, absolute or not ("a.example.")
  type: 'A' | 'AAAA' | 'TXT' | 'CNAME' | 'NS' | 'SOA';
  ttl: number;
  data: string;              // A/AAAA: address; TXT: text; CNAME/NS: target; SOA: "mname rname serial refresh retry expire minimum"
}

export interface SeenQuery {
  id: number; name: string; type: number; class: number;
  protocol: 'udp' | 'tcp';
  rd: boolean; cd: boolean; edns: boolean; do: boolean; udpSize: number;
  remotePort: number; at: number;
}

export interface Behaviour {
  /** Drop every query (no answer at all). */
  silent?: boolean;
  /** Answer every query with this rcode (e.g. 2 = SERVFAIL) and no records. */
  rcode?: number;
  /** Over UDP, answer with TC=1 and no records when the full answer is larger than this many bytes (0: always). */
  truncateUdpOver?: number;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Answer with an id that does not match the query (a spoofed/garbled answer). */
  wrongId?: boolean;
  /** Close TCP connections right after answering one query. */
  closeTcpAfterAnswer?: boolean;
  /**
   * Answer with the query's id and question but a body that does not decode: 'pointer-loop' (an
   * answer whose owner name is a compression pointer to itself) or 'junk' (random bytes after the question).
   */
  malformed?: 'pointer-loop' | 'junk';
  /** Never answer queries for these names (absolute or not, case-insensitive). */
  hang?: string[];
  /** Over TCP, handle one query of a connection at a time, in order: an unanswered one holds those behind it. */
  tcpInOrder?: boolean;
}

const TYPES: Record<UpstreamRecord['type'], number> = { A: 1, NS: 2, CNAME: 5, SOA: 6, TXT: 16, AAAA: 28 };

export class Upstream {
  readonly port: number;
  readonly queries: SeenQuery[] = [];
  behaviour: Behaviour = {};
  /** Negative answers carry this SOA (in the authority section). */
  soa: UpstreamRecord = { name: '.', type: 'SOA', ttl: 60, data: 'ns.test. hostmaster.test. 1 7200 1800 86400 60' };
  private readonly records = new Map<string, UpstreamRecord[]>();
  private readonly udp: dgram.Socket;
  private readonly tcp: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(udp: dgram.Socket, tcp: net.Server, port: number) {
    this.udp = udp; this.tcp = tcp; this.port = port;
    udp.on('message', (buf, rinfo) => this.onQuery(buf, 'udp', rinfo.port, (out) => udp.send(out, rinfo.port, rinfo.address)));
    tcp.on('connection', (s) => this.onConnection(s));
  }

  /** Start on 127.0.0.1 at `port` (0: a free port, same number for UDP and TCP). */
  static async start(port = 0): Promise<Upstream> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const udp = dgram.createSocket('udp4');
      try {
        await new Promise<void>((res, rej) => { udp.once('error', rej); udp.bind(port, '127.0.0.1', () => res()); });
        const p = udp.address().port;
        const tcp = net.createServer();
        await new Promise<void>((res, rej) => { tcp.once('error', rej); tcp.listen(p, '127.0.0.1', () => res()); });
        return new Upstream(udp, tcp, p);
      } catch (e) {
        udp.close();
        if (port !== 0) throw e;
      }
    }
    throw new Error('upstream: no free port pair found');
  }

  get address(): string { return `127.0.0.1:${this.port}`; }
  count(protocol?: 'udp' | 'tcp'): number {
    return protocol ? this.queries.filter((q) => q.protocol === protocol).length : this.queries.length;
  }
  /** Queries for one name (case-insensitive), optionally one protocol. */
  seen(name: string, protocol?: 'udp' | 'tcp'): SeenQuery[] {
    const n = abs(name).toLowerCase();
    return this.queries.filter((q) => q.name.toLowerCase() === n && (!protocol || q.protocol === protocol));
  }

  /** Add records; queries for a name without records of the asked type get NODATA, unknown names NXDOMAIN. */
  add(...rrs: UpstreamRecord[]): this {
    for (const rr of rrs) {
      const k = abs(rr.name).toLowerCase();
      const list = this.records.get(k) ?? [];
      list.push(rr);
      this.records.set(k, list);
    }
    return this;
  }
  clear(): this { this.records.clear(); return this; }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    for (const s of this.sockets) s.destroy();
    await Promise.all([
      new Promise<void>((res) => this.udp.close(() => res())),
      new Promise<void>((res) => this.tcp.close(() => res())),
    ]);
  }

  private onConnection(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => {});
    let pending = Buffer.alloc(0);
    const queue: Buffer[] = [];
    let busy = false;
    const handle = (msg: Buffer, done: () => void) => {
      this.onQuery(msg, 'tcp', s.remotePort ?? 0, (out) => {
        if (s.destroyed) return;
        const frame = Buffer.alloc(2 + out.length);
        frame.writeUInt16BE(out.length, 0);
        out.copy(frame, 2);
        s.write(frame);
        if (this.behaviour.closeTcpAfterAnswer) s.end();
        done();
      });
    };
    const nextInOrder = () => {
      const msg = queue.shift();
      if (!msg) { busy = false; return; }
      busy = true;
      handle(msg, nextInOrder);
    };
    s.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) break;
        const msg = Buffer.from(pending.subarray(2, 2 + len));
        pending = pending.subarray(2 + len);
        if (!this.behaviour.tcpInOrder) { handle(msg, () => {}); continue; }
        queue.push(msg);
        if (!busy) nextInOrder();
      }
    });
  }

  private onQuery(buf: Buffer, protocol: 'udp' | 'tcp', remotePort: number, send: (b: Buffer) => void): void {
    let q: ParsedQuery;
    try { q = parseQuery(buf); } catch { return; }
    this.queries.push({
      id: q.id, name: q.name, type: q.type, class: q.qclass, protocol, rd: q.rd, cd: q.cd,
      edns: q.udpSize > 0, do: q.do, udpSize: q.udpSize, remotePort, at: Date.now(),
    });
    const b = this.behaviour;
    if (b.silent) return;
    if (b.hang?.some((n) => abs(n).toLowerCase() === q.name.toLowerCase())) return;
    let out = b.malformed ? malformedAnswer(q, buf, b.malformed) : this.answer(q, buf);
    const limit = q.udpSize > 512 ? q.udpSize : 512;
    if (protocol === 'udp' && b.truncateUdpOver !== undefined && out.length > b.truncateUdpOver) {
      out = truncated(out, q);
    } else if (protocol === 'udp' && out.length > limit) {
      out = truncated(out, q);
    }
    if (b.wrongId) out.writeUInt16BE((q.id + 1) & 0xffff, 0);
    if (b.delayMs) {
      const t = setTimeout(() => { this.timers.delete(t); send(out); }, b.delayMs);
      this.timers.add(t);
    } else {
      send(out);
    }
  }

  private answer(q: ParsedQuery, query: Buffer): Buffer {
    const w = new Writer();
    const list = this.records.get(q.name.toLowerCase());
    let rcode = this.behaviour.rcode ?? 0;
    const answers: UpstreamRecord[] = [];
    const authority: UpstreamRecord[] = [];
    if (this.behaviour.rcode === undefined) {
      if (!list) { rcode = 3; authority.push(this.soa); } else {
        for (const rr of list) if (TYPES[rr.type] === q.type || (rr.type === 'CNAME' && q.type !== 5)) answers.push(rr);
        if (answers.length === 0) authority.push(this.soa);
      }
    }
    // header
    w.u16(q.id);
    w.u8(0x80 | (q.opcode << 3) | (q.rd ? 1 : 0));
    w.u8(0x80 | (q.cd ? 0x10 : 0) | (rcode & 0xf));
    w.u16(1); w.u16(answers.length); w.u16(authority.length); w.u16(q.udpSize > 0 ? 1 : 0);
    w.raw(query.subarray(12, q.questionEnd));        // the question as asked (case kept)
    for (const rr of answers) writeRR(w, rr, rr.name.toLowerCase() === q.name.toLowerCase() ? 12 : -1);
    for (const rr of authority) writeRR(w, rr, -1);
    if (q.udpSize > 0) { w.u8(0); w.u16(41); w.u16(1232); w.u8(0); w.u8(0); w.u16(q.do ? 0x8000 : 0); w.u16(0); }
    return w.done();
  }
}

interface ParsedQuery {
  id: number; opcode: number; rd: boolean; cd: boolean; name: string; type: number; qclass: number;
  questionEnd: number; udpSize: number; do: boolean;
}

function parseQuery(buf: Buffer): ParsedQuery {
  if (buf.length < 17 || buf[2]! & 0x80) throw new Error('not a query');
  const id = buf.readUInt16BE(0);
  const opcode = (buf[2]! >> 3) & 0xf;
  const rd = (buf[2]! & 1) === 1;
  const cd = (buf[3]! & 0x10) !== 0;
  let off = 12;
  const labels: string[] = [];
  for (;;) {
    const len = buf[off]!;
    if (len === 0) { off++; break; }
    if (len > 63) throw new Error('compressed question');
    labels.push(buf.toString('latin1', off + 1, off + 1 + len));
    off += 1 + len;
  }
  const type = buf.readUInt16BE(off);
  const qclass = buf.readUInt16BE(off + 2);
  off += 4;
  const questionEnd = off;
  let udpSize = 0, dobit = false;
  const arcount = buf.readUInt16BE(10);
  for (let i = 0; i < arcount && off < buf.length; i++) {
    // additional records in a query: expect a root-owned OPT
    if (buf[off] !== 0) break;
    const t = buf.readUInt16BE(off + 1);
    if (t === 41) { udpSize = Math.max(512, buf.readUInt16BE(off + 3)); dobit = (buf.readUInt16BE(off + 7) & 0x8000) !== 0; }
    off += 11 + buf.readUInt16BE(off + 9);
  }
  return { id, opcode, rd, cd, name: labels.length ? labels.join('.') + '.' : '.', type, qclass, questionEnd, udpSize, do: dobit };
}

/** The query's header and question as a response, then an answer section that does not decode. */
function malformedAnswer(q: ParsedQuery, query: Buffer, how: 'pointer-loop' | 'junk'): Buffer {
  const head = Buffer.from(query.subarray(0, q.questionEnd));
  head[2] = 0x80 | (head[2]! & 0x79);   // QR, opcode and RD kept
  head[3] = 0x80;                        // RA, NOERROR
  head.writeUInt16BE(1, 6); head.writeUInt16BE(0, 8); head.writeUInt16BE(0, 10);
  if (how === 'junk') {
    const junk = Buffer.alloc(40);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 73 + 0xc1) & 0xff;
    return Buffer.concat([head, junk]);
  }
  // An answer whose owner name is a pointer to itself, then type A, class IN, TTL, rdlength 4, an address.
  const rr = Buffer.alloc(2 + 10 + 4);
  rr.writeUInt16BE(0xc000 | head.length, 0);
  rr.writeUInt16BE(1, 2); rr.writeUInt16BE(1, 4); rr.writeUInt32BE(60, 6); rr.writeUInt16BE(4, 10);
  rr.set([192, 0, 2, 1], 12);
  return Buffer.concat([head, rr]);
}

function truncated(full: Buffer, q: ParsedQuery): Buffer {
  const out = Buffer.from(full.subarray(0, q.questionEnd));
  out[2] = out[2]! | 0x02;
  out.writeUInt16BE(0, 6); out.writeUInt16BE(0, 8); out.writeUInt16BE(0, 10);
  return out;
}

function abs(n: string): string { return n.endsWith('.') ? n : n + '.'; }

class Writer {
  private buf = Buffer.alloc(65535);
  private off = 0;
  u8(v: number): void { this.buf[this.off++] = v & 0xff; }
  u16(v: number): void { this.buf.writeUInt16BE(v & 0xffff, this.off); this.off += 2; }
  u32(v: number): void { this.buf.writeUInt32BE(v >>> 0, this.off); this.off += 4; }
  raw(b: Uint8Array): void { this.buf.set(b, this.off); this.off += b.length; }
  name(n: string): void {
    for (const l of abs(n).split('.')) { if (l === '') continue; this.u8(l.length); this.raw(Buffer.from(l, 'latin1')); }
    this.u8(0);
  }
  get offset(): number { return this.off; }
  setU16(at: number, v: number): void { this.buf.writeUInt16BE(v, at); }
  done(): Buffer { return Buffer.from(this.buf.subarray(0, this.off)); }
}

function writeRR(w: Writer, rr: UpstreamRecord, pointer: number): void {
  if (pointer >= 0) w.u16(0xc000 | pointer); else w.name(rr.name);
  w.u16(TYPES[rr.type]); w.u16(1); w.u32(rr.ttl);
  const lenAt = w.offset; w.u16(0);
  const start = w.offset;
  switch (rr.type) {
    case 'A': for (const p of rr.data.split('.')) w.u8(Number(p)); break;
    case 'AAAA': w.raw(ipv6Bytes(rr.data)); break;
    case 'TXT': {
      const b = Buffer.from(rr.data);
      for (let i = 0; i < b.length || i === 0; i += 255) { const c = b.subarray(i, i + 255); w.u8(c.length); w.raw(c); if (b.length === 0) break; }
      break;
    }
    case 'CNAME': case 'NS': w.name(rr.data); break;
    case 'SOA': {
      const [mname, rname, ...nums] = rr.data.split(/\s+/);
      w.name(mname!); w.name(rname!); for (const n of nums) w.u32(Number(n));
      break;
    }
  }
  w.setU16(lenAt, w.offset - start);
}

function ipv6Bytes(s: string): Buffer {
  const [head, tail] = s.includes('::') ? s.split('::') as [string, string] : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** A number of A records large enough to need more than `bytes` on the wire (for truncation tests). */
export function manyA(name: string, bytes: number, ttl = 300): UpstreamRecord[] {
  const n = Math.ceil(bytes / 16) + 1;
  return Array.from({ length: n }, (_, i) => ({ name, type: 'A' as const, ttl, data: `10.0.${(i >> 8) & 255}.${i & 255}` }));
}
