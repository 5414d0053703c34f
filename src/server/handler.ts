/**
 * One query, from bytes to bytes: decode, check it is a query we take, pick the server block by
 * the longest matching zone, run the block's plugin chain, encode within the client's size (over
 * UDP also within the server's limit, DEFAULT_MAX_UDP_ANSWER or the block's bufsize) and hand the
 * bytes to the transport, or nothing when a plugin returned noResponse(). Nothing thrown by a
 * plugin escapes: it becomes SERVFAIL and counts in coredns_panics_total, as CoreDNS's recover()
 * in ServeDNS does.
 */
import { performance } from 'node:perf_hooks';
import { decodeQuery, DecodeError, encode, patchId } from '../dns/codec.ts';
import { lowerName } from '../dns/name.ts';
import { replyTo } from '../dns/message.ts';
import type { Message } from '../dns/types.ts';
import { Opcode, Rcode } from '../dns/types.ts';
import type { Logger, Next, Plugin, Request, ResponseObserver } from '../plugin/contract.ts';
import { isNoResponse } from '../plugin/noresponse.ts';
import { tracedChainOf, writerOf } from './chain.ts';
import type { Trace } from '../plugin/trace.ts';
import { panics, reportDropped } from './metrics.ts';

export interface BlockRuntime {
  readonly zones: readonly string[];       // lower-case absolute
  readonly server: string;                 // "dns://:53"
  readonly chain: Next;
  readonly plugins: readonly Plugin[];
  readonly observers: readonly ResponseObserver[];
}

export interface TransportInfo {
  readonly protocol: 'udp' | 'tcp';
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
}

/** Responses are handed back through this; null means "send nothing" (dropped). */
export type Reply = (bytes: Buffer | null) => void;

const MIN_UDP = 512;
const MAX_TCP = 65535;
/**
 * The largest UDP answer sent when the block has no `bufsize`, whatever size the client offers:
 * 1232, the DNS Flag Day 2020 value (unbound's max-udp-size default). CoreDNS follows the client up
 * to 65,535 bytes, so a small query for a big headless Service comes back hundreds of times larger
 * and IP-fragmented; here it comes back truncated (TC) and the client retries over TCP. A block's
 * `bufsize SIZE` sets this limit instead (larger or smaller), as the plugin lowers the request's size.
 */
export const DEFAULT_MAX_UDP_ANSWER = 1232;
/** Up to this many zones on a listener, match() tests each as a suffix (see there). */
const FEW_ZONES = 16;

/** The blocks served on one listener (address:port), and the query path through them. */
export class QueryHandler {
  private readonly byZone = new Map<string, BlockRuntime>();
  /** With few zones: each zone and its block, longest zone first (match()'s suffix test). */
  private readonly longestFirst: [BlockRuntime, string][] | undefined;
  /** Per block: the largest UDP answer (its bufsize sets req.size itself, so no further limit). */
  private readonly udpLimit = new Map<BlockRuntime, number>();
  private readonly log: Logger;
  private readonly server: string;          // this listener's label for queries no block takes
  inflight = 0;

  constructor(blocks: readonly BlockRuntime[], log: Logger) {
    this.log = log;
    this.server = blocks[0]?.server ?? '';
    for (const b of blocks) {
      for (const z of b.zones) if (!this.byZone.has(z)) this.byZone.set(z, b);
      this.udpLimit.set(b, b.plugins.some((p) => p.name === 'bufsize') ? MAX_TCP : DEFAULT_MAX_UDP_ANSWER);
    }
    if (this.byZone.size <= FEW_ZONES) {
      this.longestFirst = [...this.byZone].map(([z, b]): [BlockRuntime, string] => [b, z]).sort((x, y) => y[1].length - x[1].length);
    }
  }

  /** The block whose zone is the longest suffix of qname (lower-case), and that zone. */
  match(qname: string): [BlockRuntime, string] | undefined {
    // Few zones and a name without escapes (nearly always): the longest zone that is a suffix on
    // a label boundary, without slicing the name label by label.
    if (this.longestFirst && qname.indexOf('\\') < 0) {
      for (const found of this.longestFirst) {
        const z = found[1];
        if (z === '.') return found;
        const at = qname.length - z.length;
        if (at === 0 ? qname === z : at > 0 && qname.charCodeAt(at - 1) === 46 && qname.endsWith(z)) return found;
      }
      return undefined;
    }
    let name = qname;
    for (;;) {
      const b = this.byZone.get(name);
      if (b) return [b, name];
      if (name === '.') return undefined;
      const dot = nextLabel(name);
      name = dot < 0 ? '.' : name.slice(dot);
    }
  }

  /** `trace`: only for an explained query (src/server/explain.ts), never set from the wire. */
  handle(wire: Buffer, t: TransportInfo, reply: Reply, trace?: Trace): void {
    // The checks of miekg/dns's DefaultMsgAcceptFunc, which CoreDNS serves behind, on the raw
    // header before anything is parsed: too short or a response → ignore; an opcode other than
    // QUERY/NOTIFY → NOTIMP; not exactly one question, more than one answer or authority record
    // (NOTIFY's and IXFR's SOA) or more than two additional (OPT, TSIG) → FORMERR.
    if (wire.length < 12 || (wire[2]! & 0x80) !== 0) return reply(null);
    const opcode = (wire[2]! >> 3) & 0xf;
    if (opcode !== Opcode.QUERY && opcode !== Opcode.NOTIFY) return reply(reject(wire, Rcode.NOTIMP));
    if (wire.readUInt16BE(4) !== 1 || wire.readUInt16BE(6) > 1 || wire.readUInt16BE(8) > 1 || wire.readUInt16BE(10) > 2) {
      return reply(reject(wire, Rcode.FORMERR));
    }
    let msg: Message;
    try {
      msg = decodeQuery(wire);
    } catch (e) {
      if (e instanceof DecodeError) return reply(reject(wire, Rcode.FORMERR));
      throw e;
    }
    if (msg.edns && msg.edns.version !== 0) {
      const r = replyTo(msg, Rcode.BADVERS);
      return reply(encode(r));
    }
    const q = msg.questions[0]!;
    const qname = lowerName(q.name);
    const found = this.match(qname);
    const size = t.protocol === 'tcp' ? MAX_TCP : msg.edns ? Math.max(MIN_UDP, msg.edns.udpSize) : MIN_UDP;
    if (!found) {
      const refused = encode(replyTo(msg, Rcode.REFUSED), Math.min(size, DEFAULT_MAX_UDP_ANSWER));
      reply(refused);
      reportDropped(this.server, t.protocol, t.remoteAddress, q.type, msg.edns?.do ?? false, wire.length, refused.length);
      return;
    }
    const [block, zone] = found;
    const req: Request = {
      msg, question: q, qname, qtype: q.type, qclass: q.class, zone,
      protocol: t.protocol, remoteAddress: t.remoteAddress, remotePort: t.remotePort,
      localAddress: t.localAddress, localPort: t.localPort,
      size, do: msg.edns?.do ?? false, wire, meta: new Map(), trace,
    };
    if (trace) trace.block = { zones: block.zones, zone, server: block.server };
    const start = block.observers.length > 0 ? performance.now() : 0;
    this.inflight++;
    let result;
    try {
      result = trace ? tracedChainOf(block)(req) : block.chain(req);
    } catch (e) {
      result = this.panic(block, req, e);
    }
    if (result instanceof Promise) {
      result.then(
        (res) => this.write(block, req, res, start, reply),
        (e: unknown) => this.write(block, req, this.panic(block, req, e), start, reply),
      );
    } else {
      this.write(block, req, result, start, reply);
    }
  }

  private panic(block: BlockRuntime, req: Request, e: unknown): Message {
    panics().inc();
    const why = e instanceof Error ? e.stack ?? e.message : String(e);
    this.log.error(`Recovered from panic in server: "${block.server}" ${why}`);
    return replyTo(req.msg, Rcode.SERVFAIL);
  }

  private write(block: BlockRuntime, req: Request, res: Message, start: number, reply: Reply): void {
    this.inflight--;
    if (isNoResponse(res)) {       // a plugin chose to send nothing (src/plugin/noresponse.ts)
      reply(null);
      this.observe(block, req, res, 0, '', start); // nothing was written, so no writer (CoreDNS's empty plugin label)
      return;
    }
    let bytes: Buffer;
    // req.size stays the client's size (as CoreDNS's state.Size(), which the log plugin shows);
    // over UDP the answer is also held to the block's limit (see DEFAULT_MAX_UDP_ANSWER).
    const size = req.protocol === 'udp' ? Math.min(req.size, this.udpLimit.get(block)!) : req.size;
    try {
      if (res.wire && res.wire.length <= size) {
        bytes = res.wire;            // the writer owns these bytes (see Message.wire): patch in place
        patchId(bytes, req.msg.id);
      } else {
        if (res.id !== req.msg.id) res.id = req.msg.id;
        bytes = encode(res, size);
      }
    } catch (e) {
      res = this.panic(block, req, e);
      bytes = encode(res, size);
    }
    reply(bytes);
    if (block.observers.length > 0) {
      const writer = writerOf(req, res);
      // Truncated by the encoder for this client: observers (log's {>rflags}) see TC as written.
      if (!res.tc && (bytes[2]! & 2) !== 0) res = { ...res, tc: true };
      this.observe(block, req, res, bytes.length, writer, start);
    }
  }

  private observe(block: BlockRuntime, req: Request, res: Message, size: number, writer: string, start: number): void {
    for (const o of block.observers) {
      try { o(req, res, size, writer, start); } catch (e) { this.log.error(`observer failed: ${String(e)}`); }
    }
  }
}

function nextLabel(name: string): number {
  // index just past the first unescaped dot
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 92 /* \ */) { i++; continue; }
    if (c === 46 /* . */) return i + 1 < name.length ? i + 1 : -1;
  }
  return -1;
}

/**
 * The header-only answer miekg/dns writes for a message it rejects (FORMERR, or NOTIMP for an
 * opcode it does not take): the id, opcode and RD as asked, no sections. Callers have checked
 * that the header is there and is not a response.
 */
function reject(wire: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(wire.readUInt16BE(0), 0);
  out[2] = 0x80 | (wire[2]! & 0x79); // QR, opcode and RD as asked
  out[3] = rcode;
  return out;
}
