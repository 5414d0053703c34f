/**
 * UDP and TCP listeners for one address:port. The handler behind a listener can be swapped
 * (reload) without closing the socket, so a reload never leaves a window where the port is closed.
 *
 * TCP follows CoreDNS's server defaults: 2-byte length framing, several queries in flight on one
 * connection (pipelining; answers go back as they are ready), a read timeout for a started frame
 * (2 s), an idle timeout between queries (10 s), and a cap on concurrent connections.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from '../plugin/contract.ts';
import type { QueryHandler } from './handler.ts';
import { NativeUdpSocket, nativeUdp } from './native/index.ts';

export const TCP_READ_TIMEOUT_MS = 2_000;
export const TCP_IDLE_TIMEOUT_MS = 10_000;
export const TCP_MAX_CONNECTIONS = 1_000;

export interface Listener {
  readonly protocol: 'udp' | 'tcp';
  readonly address: string;
  readonly port: number;
  handler: QueryHandler;
  /** UDP served by the native batched-I/O addon (src/server/native) rather than node:dgram. */
  readonly native?: boolean;
  close(): Promise<void>;
}

/**
 * UDP through the native batched-I/O addon (src/server/native) when it is built and loads, else
 * through node:dgram; CLUSTERDNS_NATIVE_UDP=0 forces node:dgram. Both behave the same to the handler.
 */
export async function listenUdp(address: string, port: number, handler: QueryHandler, reusePort: boolean, log: Logger): Promise<Listener> {
  const n = nativeUdp();
  if (n) {
    try {
      return listenUdpNative(n, address, port, handler, reusePort, log);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOTIP') throw e; // a name, not an address: node:dgram resolves it
    }
  }
  return listenUdpDgram(address, port, handler, reusePort, log);
}

function listenUdpNative(n: NonNullable<ReturnType<typeof nativeUdp>>, address: string, port: number, handler: QueryHandler, reusePort: boolean, log: Logger): Listener {
  let localAddress = '';
  let localPort = 0;
  const sock: NativeUdpSocket = new NativeUdpSocket(n, address, port, reusePort, (wire, remoteAddress, remotePort, reply) => {
    try {
      l.handler.handle(wire, { protocol: 'udp', remoteAddress, remotePort, localAddress, localPort }, reply);
    } catch (e) {
      log.error(`udp query from ${remoteAddress}:${remotePort}: ${String(e)}`);
    }
  });
  localAddress = sock.address;
  localPort = sock.port;
  const l: Listener = {
    protocol: 'udp', address, port: sock.port, handler, native: true,
    close: async () => { sock.close(); },
  };
  return l;
}

async function listenUdpDgram(address: string, port: number, handler: QueryHandler, reusePort: boolean, log: Logger): Promise<Listener> {
  const type = address.includes(':') ? 'udp6' : 'udp4';
  const sock = dgram.createSocket({ type, reuseAddr: reusePort, reusePort, ipv6Only: type === 'udp6' });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind({ address, port, exclusive: !reusePort }, () => { sock.off('error', reject); resolve(); });
  });
  sock.on('error', (e) => log.error(`udp ${address}:${port}: ${e.message}`));
  const bound = sock.address();
  let closed: Promise<void> | undefined;
  const l: Listener = {
    protocol: 'udp', address, port: bound.port, handler,
    close: () => (closed ??= new Promise((r) => sock.close(() => r()))),
  };
  const localAddress = bound.address;
  sock.on('message', (wire, rinfo) => {
    try {
      l.handler.handle(wire, {
        protocol: 'udp', remoteAddress: rinfo.address, remotePort: rinfo.port, localAddress, localPort: bound.port,
      }, (bytes) => { if (bytes && !closed) sock.send(bytes, rinfo.port, rinfo.address); }); // a late answer after close is dropped
    } catch (e) {
      log.error(`udp query from ${rinfo.address}:${rinfo.port}: ${String(e)}`);
    }
  });
  return l;
}

export async function listenTcp(address: string, port: number, handler: QueryHandler, reusePort: boolean, log: Logger): Promise<Listener> {
  const conns = new Set<net.Socket>();
  // allowHalfOpen: a client may send its queries and then FIN; the answers still pending are
  // written before this side closes (see serveConnection), instead of being lost to an auto-end.
  const server = net.createServer({ noDelay: true, pauseOnConnect: false, allowHalfOpen: true });
  server.maxConnections = TCP_MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address, port, reusePort, exclusive: !reusePort, ipv6Only: address.includes(':') }, () => { server.off('error', reject); resolve(); });
  });
  server.on('error', (e) => log.error(`tcp ${address}:${port}: ${e.message}`));
  const bound = server.address() as net.AddressInfo;
  const l: Listener = {
    protocol: 'tcp', address, port: bound.port, handler,
    close: () => new Promise((r) => {
      server.close(() => r());
      for (const c of conns) c.destroy();
    }),
  };
  server.on('connection', (sock) => {
    conns.add(sock);
    sock.on('close', () => conns.delete(sock));
    serveConnection(sock, l, log);
  });
  return l;
}

function serveConnection(sock: net.Socket, l: Listener, log: Logger): void {
  let buf: Buffer = Buffer.alloc(0);
  let pending = 0;          // answers still being worked on for this connection
  let timer: NodeJS.Timeout | undefined;
  let reading = false;      // the timer running is the read deadline of the frame at the head of buf
  const info = {
    protocol: 'tcp' as const, remoteAddress: sock.remoteAddress ?? '', remotePort: sock.remotePort ?? 0,
    localAddress: sock.localAddress ?? '', localPort: sock.localPort ?? 0,
  };
  const arm = () => {
    // A started frame must complete within the read timeout, counted from its first byte (more
    // segments of the same frame do not extend it, as Go's per-message read deadline); between
    // queries the idle timeout applies; while answers are pending, neither.
    if (pending === 0 && buf.length > 0 && reading) return;
    clearTimeout(timer);
    reading = false;
    if (pending > 0) return;
    reading = buf.length > 0;
    timer = setTimeout(() => sock.destroy(), reading ? TCP_READ_TIMEOUT_MS : TCP_IDLE_TIMEOUT_MS);
  };
  arm();
  let ended = false;         // the client half-closed: finish the pending answers, then close
  const finishIfEnded = () => { if (ended && pending === 0 && !sock.destroyed) { clearTimeout(timer); sock.end(); } };
  sock.on('error', () => sock.destroy());
  sock.on('close', () => clearTimeout(timer));
  sock.on('end', () => { ended = true; finishIfEnded(); });
  sock.on('data', (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (len < 12) { sock.destroy(); return; }   // cannot be a DNS message: drop the connection
      if (buf.length < 2 + len) break;
      const wire = buf.subarray(2, 2 + len);
      buf = buf.subarray(2 + len);
      reading = false;      // that frame is complete: the next one gets its own deadline
      pending++;
      try {
        l.handler.handle(wire, info, (bytes) => {
          pending--;
          if (bytes && !sock.destroyed) {
            const framed = Buffer.allocUnsafe(2 + bytes.length);
            framed.writeUInt16BE(bytes.length, 0);
            bytes.copy(framed, 2);
            sock.write(framed);
          }
          arm();
          finishIfEnded();
        });
      } catch (e) {
        pending--;
        log.error(`tcp query from ${info.remoteAddress}:${info.remotePort}: ${String(e)}`);
        finishIfEnded();
      }
    }
    arm();
  });
}
