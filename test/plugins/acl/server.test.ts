/**
 * acl in a real server, over real sockets: clients bound to different loopback addresses
 * (127.0.0.1, 127.0.0.2, ::1) hit different `net` rules; block answers REFUSED with EDE Blocked,
 * filter an empty NOERROR with EDE Filtered, drop sends nothing — over UDP on both UDP paths (the
 * native batched one and node:dgram) and over TCP, where the connection stays open and the next
 * query on it is answered — and the four acl metrics count with CoreDNS's names and labels.
 */
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode } from '../../../src/dns/codec.ts';
import type { Message } from '../../../src/dns/types.ts';
import { metric, scrape, TcpSession } from '../../server/helpers.ts';
import { buildQuery } from '../../support/dns-client.ts';
import { freePort } from '../../support/ports.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { eventually } from '../../support/wait.ts';

const corefile = (mport: number) => `example.org {
    bind 127.0.0.1 ::1
    prometheus 127.0.0.1:${mport}
    acl a.example.org {
        block net 127.0.0.1
    }
    acl {
        block type A net 127.0.0.2
        filter type TXT net 127.0.0.2
        drop type MX net 127.0.0.2
        block type SRV net ::1/128
        allow net 127.0.0.1
    }
    whoami
}
`;

/** Send queries from `local` over UDP and collect the answers that arrive until `waitId` has plus `graceMs`. */
function udpFrom(local: string, port: number, wires: Buffer[], waitId: number, graceMs = 300): Promise<Message[]> {
  const v6 = local.includes(':');
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket(v6 ? 'udp6' : 'udp4');
    const got: Message[] = [];
    const give = setTimeout(() => { s.close(); reject(new Error(`no answer with id ${waitId} from ${local}`)); }, 3000);
    s.on('message', (m) => {
      const msg = decode(m);
      got.push(msg);
      if (msg.id === waitId) { clearTimeout(give); setTimeout(() => { s.close(); resolve(got); }, graceMs); }
    });
    s.bind(0, local, () => { for (const w of wires) s.send(w, port, v6 ? '::1' : '127.0.0.1'); });
  });
}

const ede = (m: Message) => m.edns?.options.filter((o) => o.code === 15).map((o) => Buffer.from(o.data).readUInt16BE(0));

for (const mode of ['native', 'dgram'] as const) {
  describe(`acl on a real server (UDP ${mode})`, () => {
    let srv: TestServer;
    let mport: number;
    const saved = process.env.CLUSTERDNS_NATIVE_UDP;

    beforeAll(async () => {
      if (mode === 'dgram') process.env.CLUSTERDNS_NATIVE_UDP = '0';
      else delete process.env.CLUSTERDNS_NATIVE_UDP;
      mport = await freePort();
      srv = await startTestServer(corefile(mport));
    });
    afterAll(async () => {
      await srv?.stop();
      if (saved === undefined) delete process.env.CLUSTERDNS_NATIVE_UDP; else process.env.CLUSTERDNS_NATIVE_UDP = saved;
    });

    it('answers 127.0.0.1, blocks A from 127.0.0.2 with REFUSED and EDE Blocked', async () => {
      const [ok] = await udpFrom('127.0.0.1', srv.port, [buildQuery('www.example.org.', 'A', { id: 1 })], 1, 0);
      expect(ok!.rcode).toBe(0);
      expect(ok!.additional.filter((r) => r.type === 1).map((r) => (r.data as { address: string }).address)).toEqual(['127.0.0.1']); // whoami: the source the server saw
      const [blocked] = await udpFrom('127.0.0.2', srv.port, [buildQuery('www.example.org.', 'A', { id: 2 })], 2, 0);
      expect(blocked!.rcode).toBe(5);
      expect(blocked!.answers).toEqual([]);
      expect(ede(blocked!)).toEqual([15]);
      // a query with EDNS gets its own size and DO bit back, with the EDE
      const [withEdns] = await udpFrom('127.0.0.2', srv.port, [buildQuery('www.example.org.', 'A', { id: 3, udpSize: 1400 })], 3, 0);
      expect([withEdns!.rcode, withEdns!.edns?.udpSize, withEdns!.edns?.do, ede(withEdns!)]).toEqual([5, 1400, false, [15]]);
    });

    it('filters TXT from 127.0.0.2: NOERROR, no records, EDE Filtered', async () => {
      const [f] = await udpFrom('127.0.0.2', srv.port, [buildQuery('www.example.org.', 'TXT', { id: 4 })], 4, 0);
      expect(f!.rcode).toBe(0);
      expect([f!.answers.length, f!.authority.length, f!.additional.length]).toEqual([0, 0, 0]);
      expect(ede(f!)).toEqual([17]);
    });

    it('per zone: a.example.org is blocked for 127.0.0.1, www.example.org is not', async () => {
      const got = await udpFrom('127.0.0.1', srv.port, [buildQuery('a.example.org.', 'A', { id: 5 }), buildQuery('www.example.org.', 'AAAA', { id: 6 })], 6, 100);
      expect(got.find((m) => m.id === 5)!.rcode).toBe(5);
      expect(got.find((m) => m.id === 6)!.rcode).toBe(0);
    });

    it('IPv6 sources: ::1 is blocked for SRV, answered for A', async () => {
      const got = await udpFrom('::1', srv.port, [buildQuery('www.example.org.', 'SRV', { id: 7 }), buildQuery('www.example.org.', 'A', { id: 8 })], 8, 100);
      expect(got.find((m) => m.id === 7)!.rcode).toBe(5);
      expect(got.find((m) => m.id === 8)!.rcode).toBe(0);
    });

    it('drops MX from 127.0.0.2 over UDP: no datagram, while the next query is answered', async () => {
      const got = await udpFrom('127.0.0.2', srv.port, [buildQuery('www.example.org.', 'MX', { id: 9 }), buildQuery('www.example.org.', 'AAAA', { id: 10 })], 10, 300);
      expect(got.map((m) => m.id)).toEqual([10]);
    });

    it('drops MX from 127.0.0.2 over TCP: no frame, the connection stays open and answers the next query', async () => {
      const s = await TcpSession.open(srv.port, '127.0.0.1', '127.0.0.2');
      try {
        s.write(TcpSession.frame(buildQuery('www.example.org.', 'MX', { id: 11 })));
        s.write(TcpSession.frame(buildQuery('www.example.org.', 'AAAA', { id: 12 })));
        await s.waitFor(1);
        await new Promise((r) => setTimeout(r, 300));
        expect(s.messages.map((m) => m.readUInt16BE(0))).toEqual([12]);
        expect(s.closed).toBe(false);
        s.write(TcpSession.frame(buildQuery('www.example.org.', 'A', { id: 13 })));
        await s.waitFor(2);
        expect(s.messages.map((m) => [m.readUInt16BE(0), m[3]! & 0xf])).toEqual([[12, 0], [13, 5]]);
      } finally {
        s.destroy();
      }
    });

    it('counts with CoreDNS\'s metric names and labels; a drop is still a NOERROR response of 0 bytes with no plugin', async () => {
      // one server block, one `server` label (its first address), whichever address a query came to
      const server = `dns://127.0.0.1:${srv.port}`;
      const samples = await eventually(() => scrape(mport), (s) => metric(s, 'coredns_acl_dropped_requests_total', { server }) >= 2);
      const zone = { server, zone: 'example.org.', view: '' };
      // blocked: ids 2, 3, 13 from 127.0.0.2 and 7 from ::1 in example.org.; id 5 in a.example.org.
      expect(metric(samples, 'coredns_acl_blocked_requests_total', zone)).toBe(4);
      expect(metric(samples, 'coredns_acl_blocked_requests_total', { ...zone, zone: 'a.example.org.' })).toBe(1);
      expect(metric(samples, 'coredns_acl_filtered_requests_total', zone)).toBe(1);  // id 4
      expect(metric(samples, 'coredns_acl_dropped_requests_total', zone)).toBe(2);   // ids 9, 11
      // allowed: ids 1, 6, 8, 10, 12; this metric has no zone label
      expect(metric(samples, 'coredns_acl_allowed_requests_total', { server, view: '' })).toBe(5);
      expect(new Set(samples.filter((s) => s.name.startsWith('coredns_acl_allowed')).map((s) => Object.keys(s.labels).sort().join()))).toEqual(new Set(['server,view']));
      // CoreDNS's prometheus plugin sees a dropped request as a NOERROR nobody wrote: plugin "", 0 bytes
      expect(metric(samples, 'coredns_dns_responses_total', { server, rcode: 'NOERROR', plugin: '' })).toBe(2);
      expect(metric(samples, 'coredns_dns_response_size_bytes_bucket', { server, le: '0' })).toBe(2);
    });
  });
}

describe('acl drop and the log plugin', () => {
  it('logs a dropped query as CoreDNS does: NOERROR, no flags, 0 bytes, in the error class', async () => {
    const s = await startTestServer(`. {\n    log . {\n        class error\n    }\n    acl {\n        drop type MX\n    }\n    whoami\n}\n`);
    try {
      const got = await udpFrom('127.0.0.1', s.port, [buildQuery('a.example.', 'MX', { id: 4803 }), buildQuery('a.example.', 'A', { id: 4804 })], 4804, 200);
      expect(got.map((m) => m.id)).toEqual([4804]);
      const line = await eventually(() => s.logs.find((l) => l.includes(' - 4803 ')), (l) => l !== undefined);
      expect(line).toMatch(/^\[INFO\] 127\.0\.0\.1:\d+ - 4803 "MX IN a\.example\. udp \d+ false 512" NOERROR - 0 [\d.]+s$/);
      expect(s.logs.some((l) => l.includes(' - 4804 '))).toBe(false); // the answered A query is a success: not logged
    } finally {
      await s.stop();
    }
  });
});
