/**
 * A NOTIFY whose name and type are in the cache is answered from it with the asker's opcode (4),
 * not the cached QUERY's (0), as CoreDNS's cache replies with SetReply of the request. Over UDP
 * and TCP, raw bytes read back with an independent header reader.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer } from '../../support/server.ts';
import { exchange } from '../../support/dns-client.ts';
import { Upstream } from '../../support/upstream.ts';
import { header, packet, question } from '../../server/helpers.ts';

const cleanup: (() => unknown)[] = [];
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });

const SOA = 6, QUERY = 0, NOTIFY = 4;

describe('cache: NOTIFY', () => {
  it('a cache hit for a NOTIFY carries opcode NOTIFY', async () => {
    const u = await Upstream.start();
    cleanup.push(() => u.close());
    u.add({ name: 'example.org.', type: 'SOA', ttl: 300, data: 'ns.example.org. host.example.org. 7 7200 1800 86400 60' });
    const s = await startTestServer(`. {\n  cache 30\n  forward . ${u.address}\n}\n`);
    cleanup.push(() => s.stop());
    const q = (id: number, opcode: number) => packet({ id, flags: (opcode << 11) | (opcode === QUERY ? 0x0100 : 0) }, question('example.org.', SOA));
    const first = await exchange(s.port, q(1, QUERY));
    expect(header(first!)).toMatchObject({ id: 1, qr: 1, opcode: QUERY, rcode: 0, an: 1 });
    const seen = u.count();
    for (const protocol of ['udp', 'tcp'] as const) {
      const r = await exchange(s.port, q(2, NOTIFY), protocol);
      expect(header(r!), protocol).toMatchObject({ id: 2, qr: 1, opcode: NOTIFY, rcode: 0, an: 1 });
    }
    expect(u.count()).toBe(seen); // both came from the cache
  });
});
