/**
 * UDP and TCP listeners for one address:port. The handler behind a listener can be swapped
 * (reload) without closing the socket, so a reload never leaves a window where the port is closed.
 *
 * TCP (framing, pipelining, CoreDNS's timeouts, backpressure and connection limits) is in tcp.ts.
 */
import dgram from 'node:dgram';
import type { Logger } from '../plugin/contract.ts';
import type { QueryHandler } from './handler.ts';
import { NativeUdpSocket, nativeUdp } from './native/index.ts';

export {
  listenTcp, TCP_IDLE_TIMEOUT_MS, TCP_MAX_BUFFERED, TCP_MAX_CONNECTIONS, TCP_MAX_CONNECTIONS_PER_SOURCE,
  TCP_MAX_INFLIGHT, TCP_READ_TIMEOUT_MS, TCP_WRITE_TIMEOUT_MS, type TcpConnectionInfo, type TcpLimits,
  type TcpListener,
} from './tcp.ts';

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
