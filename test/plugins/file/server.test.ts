/**
 * file in a real server, over real sockets, asked by three independent clients (dig, Node's
 * c-ares resolver, dns2): authoritative answers, NXDOMAIN/NODATA with the SOA, a delegation with
 * glue and no AA, wildcards, CNAMEs inside the zone and out of it (through forward to a loopback
 * upstream), AXFR refused, both UDP paths (native batched and node:dgram) and worker threads, a
 * reload when the serial changes, and FILE:LINE errors for a broken zone file.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, resolver } from '../../support/dns-client.ts';
import { summary } from '../../support/k8s-fixtures.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { Upstream } from '../../support/upstream.ts';
import { zoneFile } from './helpers.ts';
import { eventually } from '../../support/wait.ts';

const run = promisify(execFile);

function zone(serial: number, www = '192.0.2.80'): string {
  return `; example.org, as an operator writes it
$ORIGIN example.org.
$TTL 300
@   IN  SOA ns1 hostmaster (
        ${serial} ; serial
        2h 1h 2w 60 )
    IN  NS   ns1
    IN  MX   10 mail
ns1     A    192.0.2.53
mail    A    192.0.2.25
        AAAA 2001:db8::25
www     A    ${www}
alias   CNAME www
out     CNAME cdn.upstream.example.
*.apps  A    192.0.2.100
txt     TXT  "v=spf1 mx -all" "second string"
caa     CAA  0 issue "letsencrypt.org"
_sip._udp SRV 0 5 5060 mail
sub     NS   ns.sub
ns.sub  A    192.0.2.54
`;
}

let upstream: Upstream;
let srv: TestServer;
let path: string;

beforeAll(async () => {
  upstream = await Upstream.start();
  upstream.add({ name: 'cdn.upstream.example.', type: 'A', ttl: 60, data: '198.51.100.7' });
  path = zoneFile(zone(1), 'db.example.org');
  srv = await startTestServer(`example.org {
    file ${path} {
        reload 50ms
    }
    forward . 127.0.0.1:${upstream.port}
}
`);
});
afterAll(async () => { await srv?.stop(); await upstream?.close(); });

async function dig(...args: string[]): Promise<string> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(srv.port), '+time=2', '+tries=1', ...args]);
  return stdout;
}

describe('file in a server', () => {
  it('dig: an authoritative answer with the apex NS in authority', async () => {
    const out = await dig('+norec', 'www.example.org', 'A');
    expect(out).toMatch(/flags: qr aa;/);
    expect(out).toMatch(/status: NOERROR/);
    expect(out).toMatch(/^www\.example\.org\.\s+300\s+IN\s+A\s+192\.0\.2\.80$/m);
    expect(out).toMatch(/^example\.org\.\s+300\s+IN\s+NS\s+ns1\.example\.org\.$/m);
    expect(await dig('+short', 'alias.example.org')).toBe('www.example.org.\n192.0.2.80\n');
  });

  it("Node's resolver: A, AAAA, MX, TXT, SRV, CAA, NS, SOA, CNAME; NXDOMAIN and NODATA", async () => {
    const r = resolver(srv.port);
    expect(await r.resolve4('www.example.org')).toEqual(['192.0.2.80']);
    expect(await r.resolve6('mail.example.org')).toEqual(['2001:db8::25']);
    expect(await r.resolveMx('example.org')).toMatchObject([{ exchange: 'mail.example.org', priority: 10 }]);
    expect(await r.resolveTxt('txt.example.org')).toEqual([['v=spf1 mx -all', 'second string']]);
    expect(await r.resolveSrv('_sip._udp.example.org')).toMatchObject([{ name: 'mail.example.org', port: 5060, priority: 0, weight: 5 }]);
    expect(await r.resolveCaa('caa.example.org')).toMatchObject([{ critical: 0, issue: 'letsencrypt.org' }]);
    expect(await r.resolveNs('example.org')).toEqual(['ns1.example.org']);
    expect(await r.resolveSoa('example.org')).toMatchObject({ nsname: 'ns1.example.org', hostmaster: 'hostmaster.example.org', serial: 1, refresh: 7200, retry: 3600, expire: 1209600, minttl: 60 });
    expect(await r.resolveCname('alias.example.org')).toEqual(['www.example.org']);
    await expect(r.resolve4('nope.example.org')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(r.resolve6('www.example.org')).rejects.toMatchObject({ code: 'ENODATA' });
  });

  it('dns2: NXDOMAIN and NODATA carry the SOA; wildcard; MX and SRV additional addresses', async () => {
    const soa = 'example.org. 300 SOA ns1.example.org. hostmaster.example.org. 7200 3600 1209600 60';
    expect(summary(await query(srv.port, 'nope.example.org', 'A'))).toEqual({ rcode: 'NXDOMAIN', aa: true, answer: [], ns: [soa], extra: [] });
    expect(summary(await query(srv.port, 'www.example.org', 'TXT'))).toEqual({ rcode: 'NOERROR', aa: true, answer: [], ns: [soa], extra: [] });
    expect(summary(await query(srv.port, 'apps.example.org', 'A'))).toEqual({ rcode: 'NOERROR', aa: true, answer: [], ns: [soa], extra: [] });
    expect(summary(await query(srv.port, 'my-app.apps.example.org', 'A')).answer).toEqual(['my-app.apps.example.org. 300 A 192.0.2.100']);
    expect(summary(await query(srv.port, 'example.org', 'MX')).extra).toEqual(['mail.example.org. 300 A 192.0.2.25', 'mail.example.org. 300 AAAA 2001:db8::25']);
    expect(summary(await query(srv.port, '_sip._udp.example.org', 'SRV')).extra).toEqual(['mail.example.org. 300 A 192.0.2.25', 'mail.example.org. 300 AAAA 2001:db8::25']);
  });

  it('a delegated name gets a referral: NS and glue, not authoritative', async () => {
    expect(summary(await query(srv.port, 'host.sub.example.org', 'A'))).toEqual({
      rcode: 'NOERROR', aa: false, answer: [], ns: ['sub.example.org. 300 NS ns.sub.example.org.'], extra: ['ns.sub.example.org. 300 A 192.0.2.54'],
    });
  });

  it('a CNAME out of the zone is followed through the rest of the chain (forward)', async () => {
    expect(summary(await query(srv.port, 'out.example.org', 'A'))).toMatchObject({
      rcode: 'NOERROR', aa: true, answer: ['cdn.upstream.example. 60 A 198.51.100.7', 'out.example.org. 300 CNAME cdn.upstream.example.'],
    });
    expect(await dig('+short', 'out.example.org')).toBe('cdn.upstream.example.\n198.51.100.7\n');
  });

  it('over TCP too; AXFR is refused (no transfer plugin)', async () => {
    expect(summary(await query(srv.port, 'www.example.org', 'A', { protocol: 'tcp' })).answer).toEqual(['www.example.org. 300 A 192.0.2.80']);
    expect(await dig('+tcp', 'example.org', 'AXFR')).toMatch(/Transfer failed|REFUSED/);
  });

  it('reloads when the SOA serial changes, higher or lower', async () => {
    writeFileSync(path, zone(5, '192.0.2.81'));
    await eventually(() => query(srv.port, 'www.example.org', 'A'), (p) => summary(p).answer[0] === 'www.example.org. 300 A 192.0.2.81', 5000, 'reloaded zone');
    expect(srv.logs.some((l) => l === `[INFO] plugin/file: Successfully reloaded zone "example.org." in "${path}" with 5 SOA serial`)).toBe(true);
    // A lower serial is a change too (CoreDNS compares for equality).
    writeFileSync(path, zone(4, '192.0.2.82'));
    await eventually(() => query(srv.port, 'www.example.org', 'A'), (p) => summary(p).answer[0] === 'www.example.org. 300 A 192.0.2.82', 5000, 'reloaded zone');
  });

  it('a broken zone file on reload keeps the zone served and logs FILE:LINE once', async () => {
    writeFileSync(path, zone(9, '192.0.2.83').replace('ns1     A    192.0.2.53', 'ns1     A    192.0.2.530'));
    const line = zone(9).split('\n').findIndex((l) => l.startsWith('ns1')) + 1;
    const want = `[ERROR] plugin/file: Parsing zone "example.org.": ${path}:${line}: bad IPv4 address "192.0.2.530" in A record`;
    await eventually(() => srv.logs.filter((l) => l === want).length, (n) => n === 1, 5000, 'parse error logged');
    expect(summary(await query(srv.port, 'www.example.org', 'A')).answer).toEqual(['www.example.org. 300 A 192.0.2.82']);
    writeFileSync(path, zone(10, '192.0.2.84'));
    await eventually(() => query(srv.port, 'www.example.org', 'A'), (p) => summary(p).answer[0] === 'www.example.org. 300 A 192.0.2.84', 5000, 'reloaded zone');
    expect(srv.logs.filter((l) => l === want)).toHaveLength(1);
  });
});

describe('file: start-up', () => {
  it('a broken zone file stops the server with the zone file FILE:LINE', async () => {
    const bad = zoneFile('$TTL 60\n@ IN SOA ns h 1 2 3 4 5\nwww IN A 10.0.0.1\nmail IN MX ten mail\n');
    await expect(startTestServer(`example.org {\n    file ${bad}\n}\n`)).rejects.toThrow(
      `${bad}:4: bad preference "ten" in MX record: need a number from 0 to 65535 (zone example.org. of the file plugin at `,
    );
  });

  it('worker threads and the node:dgram path answer from the zone too; every worker reloads', async () => {
    const p = zoneFile(zone(3), 'db.workers');
    for (const [workers, env] of [[2, {}], [1, { CLUSTERDNS_NATIVE_UDP: '0' }]] as const) {
      writeFileSync(p, zone(3));
      const s = await startTestServer(`example.org {\n    file ${p} {\n        reload 50ms\n    }\n}\n`, { workers, env });
      try {
        for (let i = 0; i < 6; i++) expect(summary(await query(s.port, 'www.example.org', 'A')).answer).toEqual(['www.example.org. 300 A 192.0.2.80']);
        if (workers === 2) {
          writeFileSync(p, zone(4, '192.0.2.90'));
          // Each query comes from a new socket, so the kernel spreads them over both workers' sockets.
          const tenNew = async () => {
            const got = await Promise.all(Array.from({ length: 10 }, () => query(s.port, 'www.example.org', 'A')));
            return got.every((g) => summary(g).answer[0] === 'www.example.org. 300 A 192.0.2.90');
          };
          await eventually(tenNew, (ok) => ok, 5000, 'every worker reloaded');
          // Said once, by the control side, though every thread reloaded.
          const said = () => s.logs.filter((l) => l.includes('Successfully reloaded zone')).length;
          await eventually(said, (n) => n >= 1, 5000, 'reload logged');
          expect(said()).toBe(1);
        }
      } finally {
        await s.stop();
      }
    }
  });

  it('a missing zone file is a warning while reload is on; SERVFAIL until the file appears', async () => {
    const later = zoneFile(zone(1)) + '.later';
    const s = await startTestServer(`example.org {\n    file ${later} {\n        reload 50ms\n    }\n}\n`);
    try {
      expect(s.logs).toContain(`[WARNING] plugin/file: Failed to open "${later}: no such file (ENOENT)": trying again in 50ms`);
      expect(summary(await query(s.port, 'www.example.org', 'A')).rcode).toBe('SERVFAIL');
      writeFileSync(later, zone(1));
      await eventually(() => query(s.port, 'www.example.org', 'A'), (p) => summary(p).answer[0] === 'www.example.org. 300 A 192.0.2.80', 5000, 'zone loaded');
    } finally {
      await s.stop();
    }
    const fixed = zoneFile(zone(1)) + '.never';
    await expect(startTestServer(`example.org {\n    file ${fixed} {\n        reload 0\n    }\n}\n`)).rejects.toThrow(`file: cannot read zone file ${fixed}: no such file (ENOENT)`);
  });
});
