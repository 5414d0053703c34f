// loadbalance over real sockets: rotation of a hosts answer and of a forwarded (relayed) answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../../support/dns-client.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { Upstream } from '../../support/upstream.ts';

const IPS = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];
const ROUNDS = 200; // per test; P(some address never first) ≈ 4·(3/4)^200 < 1e-24

let upstream: Upstream;
let s: TestServer;

beforeAll(async () => {
  upstream = await Upstream.start();
  for (const ip of IPS) upstream.add({ name: 'web.upstream.example.', type: 'A', ttl: 60, data: ip });
  s = await startTestServer(`. {
    loadbalance
    hosts {
      ${IPS.map((ip) => `${ip} web.hosts.example`).join('\n      ')}
      fallthrough
    }
    forward . ${upstream.address}
  }`);
});
afterAll(async () => {
  await s?.stop();
  await upstream?.close();
});

/** How often each address came first, over ROUNDS queries. */
async function firsts(name: string): Promise<Map<string, number>> {
  const count = new Map<string, number>();
  for (let i = 0; i < ROUNDS; i++) {
    const res = await query(s.port, name, 'A');
    const a = res.answers.filter((r) => r.type === 1).map((r) => r.address as string);
    expect([...a].sort()).toEqual(IPS);
    count.set(a[0]!, (count.get(a[0]!) ?? 0) + 1);
  }
  return count;
}

describe('loadbalance over sockets', () => {
  it('rotates the addresses of a hosts answer: every address comes first, none most of the time', async () => {
    const count = await firsts('web.hosts.example');
    expect([...count.keys()].sort()).toEqual(IPS);
    for (const n of count.values()) expect(n).toBeLessThan(ROUNDS * 0.5); // expected 25%
  });

  it('rotates a relayed upstream answer too', async () => {
    const count = await firsts('web.upstream.example');
    expect([...count.keys()].sort()).toEqual(IPS);
    for (const n of count.values()) expect(n).toBeLessThan(ROUNDS * 0.5);
  });

});
