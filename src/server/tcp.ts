/**
 * DNS over TCP for one address:port, and the limits that keep one client from costing the server its
 * memory or everyone else their connections.
 *
 * Framing and timeouts follow CoreDNS's server (miekg/dns): 2-byte length framing, several queries
 * in flight on one connection (pipelining; answers go back as they are ready), a read timeout for a
 * started frame (2 s), an idle timeout between queries (10 s) and a write timeout (2 s, miekg/dns's
 * default write deadline) for answers the client does not take.
 *
 * Backpressure (CoreDNS gets it from Go's blocking writes; Node's write() never blocks): a connection
 * whose answers are not being read stops being read. Once write() reports its buffer full, or
 * TCP_MAX_INFLIGHT queries of that connection are being answered, no further query is taken from it
 * (the socket is paused, so the kernel's window closes on the client) until 'drain'. Answers already
 * being worked on are still written; a connection whose unsent answers pass TCP_MAX_BUFFERED, or
 * whose output makes no progress for the write timeout, is closed. What one connection costs is
 * therefore bounded, and memory stays flat whatever a client sends.
 *
 * Connection limits (CoreDNS has none of its own; unbound allocates `incoming-num-tcp: 10` connections
 * per thread and accepts no more until one closes, which a hog can hold): at most TCP_MAX_CONNECTIONS per listener (one per answering thread) and
 * TCP_MAX_CONNECTIONS_PER_SOURCE from one client address (an IPv6 client by its /64). A connection
 * over either limit first evicts the least recently busy idle connection (nothing being answered,
 * nothing unsent) of that source, or of anyone for the total, and is refused only when none is idle.
 * So a client holding thousands of idle connections cannot keep a fresh client (say a UDP client
 * falling back to TCP after TC) from being served.
 */
import net from 'node:net';
import type { Logger } from '../plugin/contract.ts';
import type { QueryHandler } from './handler.ts';

export const TCP_READ_TIMEOUT_MS = 2_000;
export const TCP_IDLE_TIMEOUT_MS = 10_000;
export const TCP_WRITE_TIMEOUT_MS = 2_000;
/** Per listener, so per answering thread, as before (and as CoreDNS's Go server has no cap at all). */
export const TCP_MAX_CONNECTIONS = 1_000;
/**
 * From one client address (IPv6: one /64) per listener. High enough for a node-local cache or a
 * forwarder that pools connections to us with `force_tcp` (one connection per query in flight, and
 * its own idle ones are the first evicted when it opens more), low enough that one client gets a
 * tenth of the table.
 */
export const TCP_MAX_CONNECTIONS_PER_SOURCE = 100;
/** Queries of one connection being answered at once before it stops being read. */
export const TCP_MAX_INFLIGHT = 100;
/** Unsent answer bytes one connection may hold before it is closed: room for the write buffer's
 *  high-water mark plus a few maximum-size (64 KiB) answers that were in flight when it filled. */
export const TCP_MAX_BUFFERED = 256 * 1024;

export interface TcpLimits {
  maxConnections: number;
  maxPerSource: number;
  maxInflight: number;
  maxBuffered: number;
}

export const DEFAULT_TCP_LIMITS: TcpLimits = {
  maxConnections: TCP_MAX_CONNECTIONS,
  maxPerSource: TCP_MAX_CONNECTIONS_PER_SOURCE,
  maxInflight: TCP_MAX_INFLIGHT,
  maxBuffered: TCP_MAX_BUFFERED,
};

/** One open connection as the server sees it (for tests and diagnostics). */
export interface TcpConnectionInfo {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly inflight: number;       // queries being answered
  readonly buffered: number;       // answer bytes written but not yet taken by the kernel
  readonly reading: boolean;       // false while paused for backpressure
}

export interface TcpListener {
  readonly protocol: 'tcp';
  readonly address: string;
  readonly port: number;
  handler: QueryHandler;
  /** The open connections, least recently busy first. */
  connections(): TcpConnectionInfo[];
  close(): Promise<void>;
}

/** The key a client's connections are counted under: its address, or its /64 for IPv6. */
export function sourceKey(address: string): string {
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice(7);
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '').toLowerCase()).join(':') + '::/64';
}

class Connection {
  readonly source: string;
  inflight = 0;
  unsent = 0;               // bytes handed to write() so far (progress = unsent - writableLength)
  readonly sock: net.Socket;
  constructor(sock: net.Socket) { this.sock = sock; this.source = sourceKey(sock.remoteAddress ?? ''); }
  /** Nothing being answered and nothing unsent: closing it loses no answer. */
  get idle(): boolean { return this.inflight === 0 && this.sock.writableLength === 0; }
}

export async function listenTcp(address: string, port: number, handler: QueryHandler, reusePort: boolean, log: Logger,
  limits: TcpLimits = DEFAULT_TCP_LIMITS): Promise<TcpListener> {
  const conns = new Map<net.Socket, Connection>();   // least recently busy first
  const perSource = new Map<string, number>();
  const forget = (c: Connection) => {
    if (!conns.delete(c.sock)) return;
    const n = (perSource.get(c.source) ?? 1) - 1;
    if (n > 0) perSource.set(c.source, n); else perSource.delete(c.source);
  };
  const evictIdle = (source?: string): boolean => {
    for (const c of conns.values()) {
      if ((source === undefined || c.source === source) && c.idle) {
        forget(c);
        c.sock.destroy();
        return true;
      }
    }
    return false;
  };
  // allowHalfOpen: a client may send its queries and then FIN; the answers still pending are
  // written before this side closes (see serveConnection), instead of being lost to an auto-end.
  const server = net.createServer({ noDelay: true, pauseOnConnect: false, allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address, port, reusePort, exclusive: !reusePort, ipv6Only: address.includes(':') }, () => { server.off('error', reject); resolve(); });
  });
  server.on('error', (e) => log.error(`tcp ${address}:${port}: ${e.message}`));
  const bound = server.address() as net.AddressInfo;
  const l: TcpListener = {
    protocol: 'tcp', address, port: bound.port, handler,
    connections: () => [...conns.values()].map((c) => ({
      remoteAddress: c.sock.remoteAddress ?? '', remotePort: c.sock.remotePort ?? 0, inflight: c.inflight,
      buffered: c.sock.writableLength, reading: !c.sock.isPaused(),
    })),
    close: () => new Promise((r) => {
      server.close(() => r());
      for (const c of conns.values()) c.sock.destroy();
      conns.clear();
      perSource.clear();
    }),
  };
  server.on('connection', (sock) => {
    sock.on('error', () => sock.destroy());
    const c = new Connection(sock);
    if ((perSource.get(c.source) ?? 0) >= limits.maxPerSource && !evictIdle(c.source)) { sock.destroy(); return; }
    if (conns.size >= limits.maxConnections && !evictIdle()) { sock.destroy(); return; }
    conns.set(sock, c);
    perSource.set(c.source, (perSource.get(c.source) ?? 0) + 1);
    sock.on('close', () => forget(c));
    const busy = () => { if (conns.delete(sock)) conns.set(sock, c); }; // most recently busy last
    serveConnection(c, l, log, limits, busy);
  });
  return l;
}

function serveConnection(c: Connection, l: TcpListener, log: Logger, limits: TcpLimits, busy: () => void): void {
  const sock = c.sock;
  let buf: Buffer = Buffer.alloc(0);
  let outputFull = false;     // write() said its buffer is full: wait for 'drain'
  let pumping = false;
  let ended = false;          // the client half-closed: finish the pending answers, then close
  const info = {
    protocol: 'tcp' as const, remoteAddress: sock.remoteAddress ?? '', remotePort: sock.remotePort ?? 0,
    localAddress: sock.localAddress ?? '', localPort: sock.localPort ?? 0,
  };

  // Read and idle deadlines. A started frame must complete within the read timeout, counted from its
  // first byte (more segments of the same frame do not extend it, as Go's per-message read deadline);
  // between queries the idle timeout applies; while answers are pending or unsent, neither.
  let timer: NodeJS.Timeout | undefined;
  let timing: 'read' | 'idle' | 'none' = 'none';
  const arm = () => {
    const want = c.inflight > 0 || outputFull || sock.writableLength > 0 ? 'none' : buf.length > 0 ? 'read' : 'idle';
    if (want === 'read' && timing === 'read') return;
    clearTimeout(timer);
    timing = want;
    if (want !== 'none') timer = setTimeout(() => sock.destroy(), want === 'read' ? TCP_READ_TIMEOUT_MS : TCP_IDLE_TIMEOUT_MS);
  };

  // The write deadline: unsent answers that make no progress for the write timeout close the connection.
  let writeTimer: NodeJS.Timeout | undefined;
  let sentMark = 0;
  const sent = () => c.unsent - sock.writableLength;
  const checkWrite = () => {
    writeTimer = undefined;
    if (sock.destroyed) return;
    if (sock.writableLength === 0) { arm(); return; }   // flushed without a 'drain': now idle or reading
    if (sent() === sentMark) { sock.destroy(); return; }
    sentMark = sent();
    writeTimer = setTimeout(checkWrite, TCP_WRITE_TIMEOUT_MS);
  };
  const watchWrite = () => {
    if (writeTimer || sock.writableLength === 0) return;
    sentMark = sent();
    writeTimer = setTimeout(checkWrite, TCP_WRITE_TIMEOUT_MS);
  };

  const hasFrame = () => buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0);
  const finishIfEnded = () => {
    if (ended && c.inflight === 0 && !hasFrame() && !sock.destroyed) { clearTimeout(timer); sock.end(); }
  };
  const answer = (bytes: Buffer | null) => {
    c.inflight--;
    if (bytes && !sock.destroyed) {
      const framed = Buffer.allocUnsafe(2 + bytes.length);
      framed.writeUInt16BE(bytes.length, 0);
      bytes.copy(framed, 2);
      c.unsent += framed.length;
      if (!sock.write(framed)) outputFull = true;
      if (sock.writableLength > limits.maxBuffered) { sock.destroy(); return; }
      watchWrite();
    }
    if (c.idle) busy();
    if (!pumping) pump();
  };

  /** Take the complete frames in buf while the connection may take more; pause or resume reading. */
  const pump = () => {
    pumping = true;
    try {
      while (!sock.destroyed && !outputFull && c.inflight < limits.maxInflight && buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (len < 12) { sock.destroy(); return; }   // cannot be a DNS message: drop the connection
        if (buf.length < 2 + len) break;
        const wire = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        timing = 'none';      // that frame is complete: the next one gets its own read deadline
        c.inflight++;
        try {
          l.handler.handle(wire, info, answer);
        } catch (e) {
          c.inflight--;
          log.error(`tcp query from ${info.remoteAddress}:${info.remotePort}: ${String(e)}`);
        }
      }
    } finally {
      pumping = false;
    }
    if (sock.destroyed) return;
    const blocked = outputFull || c.inflight >= limits.maxInflight;
    if (blocked && !sock.isPaused()) sock.pause();
    else if (!blocked && sock.isPaused()) sock.resume();
    arm();
    finishIfEnded();
  };

  arm();
  sock.on('close', () => { clearTimeout(timer); clearTimeout(writeTimer); });
  sock.on('end', () => { ended = true; finishIfEnded(); });
  sock.on('drain', () => { outputFull = false; pump(); });
  sock.on('data', (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    busy();
    pump();
  });
}
