/**
 * DNS clients for tests, independent of our codec: queries are built and answers decoded by
 * dns2 (the reference codec), sent over real UDP/TCP sockets to 127.0.0.1; `resolver` gives
 * Node's own c-ares Resolver pointed at the server.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { Resolver } from 'node:dns/promises';
import { randomInt } from 'node:crypto';
import dns2 from 'dns2';

const { Packet } = dns2 as unknown as { Packet: Dns2PacketCtor };

interface Dns2PacketCtor {
  new(): Dns2Packet;
  parse(buf: Buffer): Dns2Packet;
  TYPE: Record<string, number>;
  CLASS: Record<string, number>;
  Resource: { EDNS(rdata: unknown[], opts?: { udpPayloadSize?: number; doFlag?: boolean; version?: number }): unknown };
}
export interface Dns2Packet {
  header: { id: number; qr: number; opcode: number; aa: number; tc: number; rd: number; ra: number; z: number; rcode: number;
    qdcount: number; ancount: number; nscount: number; arcount: number };
  questions: { name: string; type: number; class: number }[];
  answers: Record<string, any>[];
  authorities: Record<string, any>[];
  additionals: Record<string, any>[];
  toBuffer(): Buffer;
}

export const TYPE = Packet.TYPE;

export interface QueryOptions {
  protocol?: 'udp' | 'tcp';
  udpSize?: number;        // add an OPT record with this size
  do?: boolean;            // DNSSEC OK (implies OPT)
  class?: number;
  id?: number;
  rd?: boolean;
  timeoutMs?: number;
}

export function buildQuery(name: string, type: string | number, o: QueryOptions = {}): Buffer {
  const q = new Packet();
  q.header.id = o.id ?? randomInt(0x10000);
  q.header.rd = o.rd === false ? 0 : 1;
  q.questions.push({ name, type: typeof type === 'number' ? type : Packet.TYPE[type]!, class: o.class ?? 1 });
  if (o.udpSize !== undefined || o.do) {
    q.additionals.push(Packet.Resource.EDNS([], { udpPayloadSize: o.udpSize ?? 1232, doFlag: !!o.do }) as Record<string, any>);
  }
  return q.toBuffer();
}

/** Send raw bytes and return the raw answer, or null when none came within the timeout. */
export function exchange(port: number, wire: Buffer, protocol: 'udp' | 'tcp' = 'udp', timeoutMs = 2000): Promise<Buffer | null> {
  if (protocol === 'udp') {
    return new Promise((resolve) => {
      const s = dgram.createSocket('udp4');
      const t = setTimeout(() => { s.close(); resolve(null); }, timeoutMs);
      s.on('message', (m) => { clearTimeout(t); s.close(); resolve(m); });
      s.send(wire, port, '127.0.0.1');
    });
  }
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    let buf = Buffer.alloc(0);
    const done = (v: Buffer | null) => { clearTimeout(t); s.destroy(); resolve(v); };
    const t = setTimeout(() => done(null), timeoutMs);
    s.on('error', () => done(null));
    s.on('close', () => done(null));
    s.on('data', (c) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
    const framed = Buffer.alloc(2 + wire.length);
    framed.writeUInt16BE(wire.length, 0);
    wire.copy(framed, 2);
    s.write(framed);
  });
}

/** Query the server at 127.0.0.1:port; the answer decoded by dns2. Rejects on timeout. */
export async function query(port: number, name: string, type: string | number, o: QueryOptions = {}): Promise<Dns2Packet> {
  const wire = buildQuery(name, type, o);
  const raw = await exchange(port, wire, o.protocol ?? 'udp', o.timeoutMs ?? 2000);
  if (!raw) throw new Error(`no answer for ${name} ${type} over ${o.protocol ?? 'udp'} from 127.0.0.1:${port}`);
  return Packet.parse(raw);
}

export function decodeWithDns2(raw: Buffer): Dns2Packet { return Packet.parse(raw); }

/** Node's c-ares resolver pointed at 127.0.0.1:port. */
export function resolver(port: number, o: { timeout?: number; tries?: number } = {}): Resolver {
  const r = new Resolver({ timeout: o.timeout ?? 2000, tries: o.tries ?? 1 });
  r.setServers([`127.0.0.1:${port}`]);
  return r;
}
