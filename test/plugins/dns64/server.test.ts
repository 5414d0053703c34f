/**
 * dns64 in a real server in front of cache, hosts and forward (a real loopback upstream), over real
 * sockets from ::1 and 127.0.0.1: AAAA synthesized from hosts' and the upstream's A records with
 * RFC 6147's TTL rule, AAAA records and NXDOMAIN passed through, nothing done for IPv4 clients
 * unless allow_ipv4, a custom /48 prefix, and coredns_dns64_requests_translated_total counted.
 */
import dgram from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metric, scrape } from '../../server/helpers.ts';
import { buildQuery, decodeWithDns2, type Dns2Packet } from '../../support/dns-client.ts';
import { freePort } from '../../support/ports.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { Upstream } from '../../support/upstream.ts';

let up: Upstream;
let srv: TestServer;
let mport: number;

beforeAll(async () => {
  up = await Upstream.start();
  up.add({ name: 'v4only.up.test.', type: 'A', ttl: 300, data: '192.0.2.20' });
  up.add({ name: 'v4only.up.test.', type: 'A', ttl: 200, data: '192.0.2.21' });
  up.add({ name: 'dual.up.test.', type: 'A', ttl: 300, data: '192.0.2.22' });
  up.add({ name: 'dual.up.test.', type: 'AAAA', ttl: 300, data: '2001:db8::22' });
  up.add({ name: 'www.allow4.test.', type: 'A', ttl: 120, data: '192.0.2.33' });
  mport = await freePort();
  srv = await startTestServer(`. {
    bind 127.0.0.1 ::1
    prometheus 127.0.0.1:${mport}
    dns64
    cache 3600
    hosts {
        192.0.2.10 v4only.hosts.test
        192.0.2.11 dual.hosts.test
        2001:db8::11 dual.hosts.test
        fallthrough
    }
    forward . ${up.address}
}
allow4.test {
    bind 127.0.0.1 ::1
    dns64 {
        prefix 2001:db8:64::/48
        allow_ipv4
    }
    forward . ${up.address}
}
`);
});

afterAll(async () => {
  await srv?.stop();
  await up?.close();
});

/** One AAAA query from `local` (::1 or 127.0.0.1), decoded by dns2. */
function ask(local: '::1' | '127.0.0.1', name: string): Promise<Dns2Packet> {
  const v6 = local === '::1';
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket(v6 ? 'udp6' : 'udp4');
    const t = setTimeout(() => { s.close(); reject(new Error(`no answer for ${name} from ${local}`)); }, 3000);
    s.on('message', (m) => { clearTimeout(t); s.close(); resolve(decodeWithDns2(m)); });
    s.bind(0, local, () => s.send(buildQuery(name, 'AAAA'), srv.port, local));
  });
}

const aaaa = (p: Dns2Packet) => p.answers.filter((r) => r.type === 28).map((r) => `${r.address} ${r.ttl}`);

describe('dns64 in front of hosts and forward', () => {
  it('synthesizes from hosts: TTL is the A record\'s capped at 600 s (no SOA)', async () => {
    const r = await ask('::1', 'v4only.hosts.test.');
    expect([r.header.rcode, aaaa(r)]).toEqual([0, ['64:ff9b::c000:20a 600']]);
  });

  it('synthesizes from the upstream: TTL capped by the NODATA answer\'s SOA (60 s)', async () => {
    const r = await ask('::1', 'v4only.up.test.');
    expect(r.header.rcode).toBe(0);
    expect(aaaa(r).sort()).toEqual(['64:ff9b::c000:214 60', '64:ff9b::c000:215 60']);
    // the upstream was asked AAAA (from the client) and then A (by dns64)
    expect(up.queries.filter((q) => q.name.toLowerCase() === 'v4only.up.test.').map((q) => q.type)).toEqual([28, 1]);
  });

  it('asked again, answers the same from the cache (the A question is not sent upstream again)', async () => {
    const r = await ask('::1', 'v4only.up.test.');
    expect(aaaa(r).map((x) => x.split(' ')[0]).sort()).toEqual(['64:ff9b::c000:214', '64:ff9b::c000:215']);
    expect(up.queries.filter((q) => q.name.toLowerCase() === 'v4only.up.test.').map((q) => q.type)).toEqual([28, 1]);
  });

  it('Node\'s resolver over IPv6 sees the synthesized addresses', async () => {
    const r = new Resolver({ timeout: 2000, tries: 1 });
    r.setServers([`[::1]:${srv.port}`]);
    expect(await r.resolve6('v4only.hosts.test')).toEqual(['64:ff9b::c000:20a']);
  });

  it('passes real AAAA records (hosts and upstream) and NXDOMAIN through', async () => {
    expect(aaaa(await ask('::1', 'dual.hosts.test.'))).toEqual(['2001:db8::11 3600']);
    expect(aaaa(await ask('::1', 'dual.up.test.'))).toEqual(['2001:db8::22 300']);
    const nx = await ask('::1', 'nowhere.up.test.');
    expect([nx.header.rcode, nx.answers.length]).toEqual([3, 0]);
  });

  it('does nothing for IPv4 clients', async () => {
    const r = await ask('127.0.0.1', 'v4only.hosts.test.');
    expect([r.header.rcode, r.answers.length]).toEqual([0, 0]);
  });

  it('allow_ipv4 and a /48 prefix: an IPv4 client gets RFC 6052\'s /48 layout', async () => {
    const r = await ask('127.0.0.1', 'www.allow4.test.');
    expect(aaaa(r)).toEqual(['2001:db8:64:c000:2:2100:: 60']); // A TTL 120, capped by the NODATA SOA's 60
  });

  it('counts translations per server', async () => {
    const samples = await scrape(mport);
    expect(metric(samples, 'coredns_dns64_requests_translated_total', { server: `dns://127.0.0.1:${srv.port}` })).toBeGreaterThanOrEqual(3);
    expect(samples.filter((s) => s.name === 'coredns_dns64_requests_translated_total').every((s) => Object.keys(s.labels).join() === 'server')).toBe(true);
  });
});
