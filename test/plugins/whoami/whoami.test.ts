// whoami over IPv6 (AAAA with the client's ::1), to c-ares, and its setup checks.
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { buildQuery, decodeWithDns2, TYPE } from '../../support/dns-client.ts';

describe('whoami', () => {
  let s: TestServer;
  beforeAll(async () => { s = await startTestServer('example.org {\n  whoami\n}\n'); });
  afterAll(() => s.stop());

  it('answers an IPv6 client with AAAA ::1 and _udp SRV', async () => {
    const sock = dgram.createSocket('udp6');
    await new Promise<void>((r) => sock.bind(0, '::1', () => r()));
    const got = new Promise<Buffer | null>((resolve) => {
      const t = setTimeout(() => resolve(null), 2000);
      sock.once('message', (m) => { clearTimeout(t); resolve(m); });
    });
    sock.send(buildQuery('v6.example.org', 'A'), s.port, '::1');
    const raw = await got;
    const port = sock.address().port;
    sock.close();
    expect(raw).not.toBeNull();
    const r = decodeWithDns2(raw!);
    const aaaa = r.additionals.find((x) => x.type === TYPE.AAAA)!;
    expect(aaaa.address).toBe('::1');
    expect(r.additionals.some((x) => x.type === TYPE.A)).toBe(false);
    expect(r.additionals.find((x) => x.type === TYPE.SRV)!.port).toBe(port);
  });

  it('rejects arguments and blocks with FILE:LINE', async () => {
    expect(await s.reload('example.org {\n  whoami me\n}\n')).toBe(false);
    expect(s.logs.at(-1)).toMatch(/Corefile:2: whoami: too many arguments/);
    expect(await s.reload('example.org {\n  whoami {\n    x\n  }\n}\n')).toBe(false);
    expect(s.logs.at(-1)).toMatch(/Corefile:3: whoami: unexpected option 'x'/);
  });
});
