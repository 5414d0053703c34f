// hosts over real sockets: the hijack scenario in front of forward to a real upstream, reload of
// the file, PTR through Node's resolver, NODATA/SERVFAIL/fallthrough, several workers, 100k entries.
import { mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { query, resolver } from '../../support/dns-client.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { Upstream } from '../../support/upstream.ts';
import { eventually, settles, until } from '../../support/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'hosts-server-'));
let upstream: Upstream;
const servers: TestServer[] = [];

beforeAll(async () => {
  upstream = await Upstream.start();
  upstream.add(
    { name: 'registry.example.com.', type: 'A', ttl: 60, data: '203.0.113.10' },
    { name: 'other.example.com.', type: 'A', ttl: 60, data: '203.0.113.20' },
    { name: 'api.partner.example.', type: 'TXT', ttl: 60, data: 'from upstream' },
  );
});
afterEach(async () => { for (const s of servers.splice(0)) await s.stop(); });
afterAll(async () => {
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(corefile: string, workers = 1): Promise<TestServer> {
  const s = await startTestServer(corefile, { workers });
  servers.push(s);
  return s;
}

const addrs = (p: Awaited<ReturnType<typeof query>>) => p.answers.map((r) => r.address as string);

/** Poll a query until its addresses equal `want`, for at most `ms`; the last addresses either way. */
const answersSettle = (port: number, name: string, want: string[], ms = 3000) => settles(async () => addrs(await query(port, name, 'A')), want, ms);

describe('hosts over sockets', () => {
  it('hijacks names for everyone and lets the rest fall through to forward', async () => {
    const s = await start(`. {
      hosts {
        10.1.2.3 registry.example.com
        fd00::3 registry.example.com
        192.0.2.7 api.partner.example
        fallthrough
      }
      forward . ${upstream.address}
    }`);
    const r = resolver(s.port);
    expect(await r.resolve4('registry.example.com')).toEqual(['10.1.2.3']);
    expect(await r.resolve6('registry.example.com')).toEqual(['fd00::3']);
    expect(await r.resolve4('other.example.com')).toEqual(['203.0.113.20']);
    expect(await r.reverse('10.1.2.3')).toEqual(['registry.example.com']);
    const hijacked = await query(s.port, 'REGISTRY.Example.com', 'A', { protocol: 'tcp' });
    expect(hijacked.header.aa).toBe(1);
    // names compare case-insensitively (the encoder may compress the owner onto the question's spelling)
    expect(hijacked.answers.map((a) => [a.name.toLowerCase(), a.ttl, a.address])).toEqual([['registry.example.com', 3600, '10.1.2.3']]);
    // a hijacked name with no record of the asked type is NODATA from hosts, not the upstream's TXT
    const txt = await query(s.port, 'api.partner.example', 'TXT');
    expect(txt.header.rcode).toBe(0);
    expect(txt.answers).toEqual([]);
    expect(upstream.seen('other.example.com').length).toBeGreaterThan(0);
    expect(upstream.seen('registry.example.com')).toEqual([]);
    expect(upstream.seen('api.partner.example')).toEqual([]);
  });

  it('without fallthrough a missing name is SERVFAIL (as CoreDNS), a PTR miss goes on', async () => {
    const s = await start(`. {
      hosts {
        10.1.2.3 registry.example.com
      }
    }`);
    expect((await query(s.port, 'missing.example.com', 'A')).header.rcode).toBe(2);
    const nodata = await query(s.port, 'registry.example.com', 'AAAA');
    expect([nodata.header.rcode, nodata.answers.length, nodata.header.aa]).toEqual([0, 0, 1]);
    // no next plugin after hosts: the end of the chain answers SERVFAIL
    expect((await query(s.port, '9.9.9.9.in-addr.arpa', 'PTR')).header.rcode).toBe(2);
  });

  it('picks up file edits within the reload interval, and keeps entries when the file is removed', async () => {
    const file = join(dir, 'edited');
    writeFileSync(file, '10.0.0.1 app.example.org\n');
    const s = await start(`example.org {
      hosts ${file} {
        reload 100ms
      }
    }`);
    expect(addrs(await query(s.port, 'app.example.org', 'A'))).toEqual(['10.0.0.1']);
    writeFileSync(file, '10.0.0.2 app.example.org\n10.0.0.3 new.example.org\n');
    const later = new Date(Date.now() + 10_000);
    utimesSync(file, later, later);
    const t0 = Date.now();
    expect(await answersSettle(s.port, 'app.example.org', ['10.0.0.2'])).toEqual(['10.0.0.2']);
    expect(Date.now() - t0).toBeLessThan(2000); // within a few intervals (bounded, not a benchmark)
    expect(addrs(await query(s.port, 'new.example.org', 'A'))).toEqual(['10.0.0.3']);

    unlinkSync(file);
    await until(() => s.logs.some((l) => l.includes('Failed to read hosts file')));
    expect(s.logs.filter((l) => l.includes('Failed to read hosts file'))).toEqual([
      expect.stringMatching(/^\[WARNING\] plugin\/hosts: Failed to read hosts file .*edited: .*keeping the last 4 entries$/),
    ]);
    expect(addrs(await query(s.port, 'app.example.org', 'A'))).toEqual(['10.0.0.2']);
  });

  it('serves the same entries from every worker', async () => {
    const file = join(dir, 'workers');
    writeFileSync(file, '10.0.0.5 w.example.org\n');
    const s = await start(`. {
      hosts ${file} {
        reload 100ms
        fallthrough
      }
    }`, 2);
    for (let i = 0; i < 20; i++) expect(addrs(await query(s.port, 'w.example.org', 'A'))).toEqual(['10.0.0.5']);
    writeFileSync(file, '10.0.0.6 w.example.org\n');
    const later = new Date(Date.now() + 10_000);
    utimesSync(file, later, later);
    // the control thread re-reads the file and publishes it to each worker, and each query may land
    // on either worker: poll until 20 queries in a row all have the new entry (a worker that never
    // got the new table fails it)
    const twenty = async () => { const r: string[][] = []; for (let i = 0; i < 20; i++) r.push(addrs(await query(s.port, 'w.example.org', 'A'))); return r; };
    const last = await eventually(twenty, (r) => r.every((a) => a.length === 1 && a[0] === '10.0.0.6'), 3000, 'every worker re-read').catch((e: Error) => e.message);
    expect(last).toEqual(Array.from({ length: 20 }, () => ['10.0.0.6']));
  });

  it('loads a 100k-entry file and answers from its first, middle and last lines', async () => {
    const file = join(dir, 'big');
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i++) lines.push(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255} host${i}.big.example`);
    writeFileSync(file, lines.join('\n'));
    const s = await start(`. {
      hosts ${file}
      prometheus 127.0.0.1:0
    }`);
    for (const i of [0, 54_321, 99_999]) {
      expect(addrs(await query(s.port, `host${i}.big.example`, 'A'))).toEqual([`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`]);
    }
    expect((await resolver(s.port).reverse('10.1.134.159'))).toEqual(['host99999.big.example']);
  });
});
