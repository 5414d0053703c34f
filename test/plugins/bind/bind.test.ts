// bind: a block listens only on the addresses it names (127.0.0.2 is loopback on Linux too, so
// 127.0.0.1 on the same port must stay silent), with `except`, interface names, and the metrics
// server label "dns://ADDR:PORT" that CoreDNS gives a bound block.
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { freePort } from '../../support/ports.ts';
import { buildQuery, decodeWithDns2, query, TYPE } from '../../support/dns-client.ts';
import { metric, scrape } from '../../server/helpers.ts';

/** One UDP query to host:port; the decoded answer or null after timeoutMs. */
function ask(host: string, port: number, name: string, timeoutMs = 400) {
  return new Promise<ReturnType<typeof decodeWithDns2> | null>((resolve) => {
    const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const t = setTimeout(() => { s.close(); resolve(null); }, timeoutMs);
    s.on('message', (m) => { clearTimeout(t); s.close(); resolve(decodeWithDns2(m)); });
    s.send(buildQuery(name, 'A'), port, host);
  });
}

describe('bind', () => {
  let s: TestServer;
  let mport: number;
  beforeAll(async () => {
    mport = await freePort();
    s = await startTestServer(`. {\n  bind 127.0.0.2\n  whoami\n  prometheus 127.0.0.1:${mport}\n}\n`);
  });
  afterAll(() => s.stop());

  it('listens on the named address only', async () => {
    expect(s.server.listeners.map((l) => `${l.protocol} ${l.address}:${l.port}`).sort()).toEqual([`tcp 127.0.0.2:${s.port}`, `udp 127.0.0.2:${s.port}`]);
    const r = await ask('127.0.0.2', s.port, 'bound.example.org');
    expect(r).not.toBeNull();
    expect(r!.additionals.find((x) => x.type === TYPE.A)!.address).toBe('127.0.0.1'); // the client's source address
    expect(await ask('127.0.0.1', s.port, 'bound.example.org')).toBeNull();
  });

  it('labels metrics with the bound address', async () => {
    await ask('127.0.0.2', s.port, 'label.example.org');
    expect(metric(await scrape(mport), 'coredns_dns_requests_total', { server: `dns://127.0.0.2:${s.port}`, zone: '.' })).toBeGreaterThanOrEqual(1);
  });

  it('two blocks on one port with different addresses each get their own listener', async () => {
    const port = await freePort();
    const t = await startTestServer(`a.test:${port} {\n  bind 127.0.0.3\n  whoami\n}\nb.test:${port} {\n  bind 127.0.0.4\n  chaos\n}\n`);
    try {
      expect((await ask('127.0.0.3', port, 'x.a.test'))!.header.rcode).toBe(0);
      expect((await ask('127.0.0.3', port, 'x.b.test'))!.header.rcode).toBe(5); // b.test is not served on .3
      expect((await ask('127.0.0.4', port, 'x.b.test'))!.header.rcode).toBe(2); // chaos block: IN A → end of chain
      expect(await ask('127.0.0.1', port, 'x.a.test')).toBeNull();
    } finally {
      await t.stop();
    }
  });

  it('takes interface names and except', async () => {
    const t = await startTestServer('. {\n  bind lo {\n    except ::1\n  }\n  whoami\n}\n');
    try {
      expect(t.server.listeners.map((l) => l.address)).toEqual(['127.0.0.1', '127.0.0.1']);
      expect((await query(t.port, 'lo.example.org', 'A')).header.rcode).toBe(0);
    } finally {
      await t.stop();
    }
  });

  it('rejects what is neither an address nor an interface, and an empty result, with FILE:LINE', async () => {
    for (const [text, re] of [
      ['. {\n  whoami\n  bind not-an-if0\n}\n', /:3: bind: "not-an-if0" is neither an IP address nor a network interface/],
      ['. {\n  bind 127.0.0.1 {\n    except 127.0.0.1\n  }\n}\n', /:2: bind: every address is excluded/],
      ['. {\n  bind\n}\n', /:2: bind: needs at least one address/],
    ] as const) {
      expect(await s.reload(text)).toBe(false);
      expect(s.logs.at(-1)).toMatch(re);
    }
    expect(await ask('127.0.0.2', s.port, 'still.example.org')).not.toBeNull();
  });
});
