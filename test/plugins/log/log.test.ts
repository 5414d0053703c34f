// log: one line per query in CoreDNS's common format, written after the response (real sizes),
// with custom formats, name filters and response classes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { buildQuery, exchange } from '../../support/dns-client.ts';
import { until } from '../../support/wait.ts';

describe('log', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(`. {\n  log\n  whoami\n}\nexample.net {\n  log . "{type} {name} {rcode} {proto} {>opcode} {local}"\n  chaos\n}\nexample.com {\n  log a.example.com {combined}\n  whoami\n}\n`);
  });
  afterAll(() => s.stop());

  it('writes the common log format with the real request/response sizes', async () => {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const q = buildQuery('LoG.Example.ORG', 'AAAA', { id: 4711, udpSize: 1400 });
    const answer = new Promise<Buffer>((r) => sock.once('message', r));
    sock.send(q, s.port, '127.0.0.1');
    const res = await answer;
    const port = sock.address().port;
    sock.close();
    expect(await until(() => s.logs.some((l) => l.includes(' - 4711 ')), 2000)).toBe(true);
    const line = s.logs.find((l) => l.includes(' - 4711 '))!;
    const m = /^\[INFO\] 127\.0\.0\.1:(\d+) - 4711 "AAAA IN log\.example\.org\. udp (\d+) false 1400" NOERROR qr,aa,rd (\d+) (\d+(?:\.\d+)?)s$/.exec(line);
    expect(m, line).not.toBeNull();
    expect(Number(m![1])).toBe(port);
    expect(Number(m![2])).toBe(q.length);
    expect(Number(m![3])).toBe(res.length);
    expect(Number(m![4])).toBeLessThan(5);
  });

  it('logs TCP with bufsize 65535 and the client port of that connection', async () => {
    await exchange(s.port, buildQuery('tcp.example.org', 'A', { id: 4712 }), 'tcp');
    expect(await until(() => s.logs.some((l) => l.includes(' - 4712 ')), 2000)).toBe(true);
    expect(s.logs.find((l) => l.includes(' - 4712 '))).toMatch(/"A IN tcp\.example\.org\. tcp \d+ false 65535" NOERROR qr,aa,rd \d+ /);
  });

  it('uses a custom format', async () => {
    // over TCP, where the socket knows its local address ({local} on a wildcard UDP socket is 0.0.0.0:
    // Node's dgram gives no destination address)
    await exchange(s.port, buildQuery('x.example.net', 'MX'), 'tcp');
    expect(await until(() => s.logs.includes('[INFO] MX x.example.net. SERVFAIL tcp 0 127.0.0.1'), 2000), s.logs.join('\n')).toBe(true);
  });

  it('logs only the names under its NAMES, in the combined format', async () => {
    const n = s.logs.length;
    await exchange(s.port, buildQuery('b.example.com', 'A', { id: 4713 }));
    await exchange(s.port, buildQuery('x.a.example.com', 'A', { id: 4714 }));
    expect(await until(() => s.logs.some((l) => l.includes(' - 4714 ')), 2000)).toBe(true);
    expect(s.logs.slice(n).some((l) => l.includes(' - 4713 '))).toBe(false);
    expect(s.logs.find((l) => l.includes(' - 4714 '))).toMatch(/ "0"$/); // {>opcode}
  });

  it('filters by response class like CoreDNS (whoami NOERROR/no answer is success; SERVFAIL is error)', async () => {
    const t = await startTestServer(`a.test {\n  log {\n    class denial\n  }\n  whoami\n}\nb.test {\n  log {\n    class error\n  }\n  chaos\n}\nc.test {\n  log {\n    class success\n  }\n  whoami\n}\n`);
    try {
      for (const [name, id] of [['x.a.test', 1], ['x.b.test', 2], ['x.c.test', 3]] as const) await exchange(t.port, buildQuery(name, 'A', { id }));
      expect(await until(() => t.logs.some((l) => l.includes(' - 3 ')), 2000)).toBe(true);
      await until(() => t.logs.length >= 2, 300);
      const ids = t.logs.map((l) => / - (\d+) /.exec(l)?.[1]).filter(Boolean).sort();
      expect(ids).toEqual(['2', '3']);
    } finally {
      await t.stop();
    }
  });

  it('rejects an unknown class or option with FILE:LINE', async () => {
    expect(await s.reload('. {\n  log {\n    class sometimes\n  }\n}\n')).toBe(false);
    expect(s.logs.at(-1)).toMatch(/Corefile:3: log: unknown class "sometimes"/);
    expect(await s.reload('. {\n  log {\n    colour red\n  }\n}\n')).toBe(false);
    expect(s.logs.at(-1)).toMatch(/Corefile:3: log: unknown option 'colour'/);
  });
});

describe('log: {>rflags} of a truncated answer', () => {
  it('shows tc when the UDP answer was truncated for the client', async () => {
    const addrs = Array.from({ length: 60 }, (_, i) => `10.0.1.${i + 1} big.example`).join('\n    ');
    const s = await startTestServer(`. {\n  log\n  hosts {\n    ${addrs}\n  }\n}\n`);
    try {
      const res = await exchange(s.port, buildQuery('big.example', 'A', { id: 4801 }));
      expect(res![2]! & 2).toBe(2); // TC on the wire: 60 A records do not fit in 512 bytes
      expect(await until(() => s.logs.some((l) => l.includes(' - 4801 ')), 2000)).toBe(true);
      expect(s.logs.find((l) => l.includes(' - 4801 '))).toMatch(/"A IN big\.example\. udp \d+ false 512" NOERROR qr,aa,tc,rd \d+ /);
    } finally {
      await s.stop();
    }
  });
});
