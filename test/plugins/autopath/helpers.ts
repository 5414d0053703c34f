/**
 * Helpers for the autopath tests: a real DNS client whose socket is bound to a chosen loopback
 * address (every 127.0.0.0/8 address is local), so the server sees the query come from a pod IP.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { buildQuery, decodeWithDns2, type Dns2Packet } from '../../support/dns-client.ts';

export function queryFrom(from: string, port: number, name: string, type: string, protocol: 'udp' | 'tcp' = 'udp'): Promise<Dns2Packet> {
  const wire = buildQuery(name, type);
  return new Promise((resolve, reject) => {
    const fail = (e: Error) => { clearTimeout(t); reject(e); };
    const t = setTimeout(() => { cleanup(); reject(new Error(`no answer for ${name} ${type} from ${from} over ${protocol}`)); }, 3000);
    let cleanup = () => {};
    if (protocol === 'udp') {
      const s = dgram.createSocket('udp4');
      cleanup = () => s.close();
      s.on('error', fail);
      s.on('message', (m) => { clearTimeout(t); s.close(); resolve(decodeWithDns2(m)); });
      s.bind({ address: from, port: 0 }, () => s.send(wire, port, '127.0.0.1'));
      return;
    }
    const s = net.connect({ port, host: '127.0.0.1', localAddress: from });
    cleanup = () => s.destroy();
    let buf = Buffer.alloc(0);
    s.on('error', fail);
    s.on('data', (c) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        clearTimeout(t);
        s.destroy();
        resolve(decodeWithDns2(buf.subarray(2, 2 + buf.readUInt16BE(0))));
      }
    });
    const framed = Buffer.alloc(2 + wire.length);
    framed.writeUInt16BE(wire.length, 0);
    wire.copy(framed, 2);
    s.write(framed);
  });
}

/** The value of coredns_autopath_success_total in a /metrics text (0 when absent). */
export function autopathCount(metrics: string): number {
  let n = 0;
  for (const line of metrics.split('\n')) {
    if (line.startsWith('coredns_autopath_success_total{')) n += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return n;
}
