// chaos: CH-class TXT for version.bind/version.server, authors.bind, hostname.bind/id.server,
// asked with dig (an independent client) and dns2; anything else goes to the next plugin.
import { execFile } from 'node:child_process';
import { hostname } from 'node:os';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { query, TYPE } from '../../support/dns-client.ts';
import { VERSION } from '../../../src/version.ts';

const run = promisify(execFile);
const dig = async (port: number, ...args: string[]) =>
  (await run('dig', ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', ...args], { timeout: 10_000 })).stdout;

describe('chaos', () => {
  let s: TestServer, plain: TestServer;
  beforeAll(async () => {
    s = await startTestServer('. {\n  chaos CDNS-1.2.3 "Ann Author" bob@example.org\n  whoami\n}\n');
    plain = await startTestServer('. {\n  chaos\n}\n');
  });
  afterAll(async () => { await s.stop(); await plain.stop(); });

  it('answers version.bind CH TXT (dig)', async () => {
    expect((await dig(s.port, 'version.bind', 'CH', 'TXT', '+short')).trim()).toBe('"CDNS-1.2.3"');
    const full = await dig(s.port, 'version.server', 'CH', 'TXT');
    expect(full).toMatch(/status: NOERROR/);
    expect(full).toMatch(/flags: qr aa rd;/);
    expect(full).toMatch(/version\.server\.\s+0\s+CH\s+TXT\s+"CDNS-1\.2\.3"/);
  });

  it('answers authors.bind with one TXT per author', async () => {
    const r = await query(s.port, 'authors.bind', 'TXT', { class: 3 });
    expect(r.answers.map((a) => a.data)).toEqual([['Ann Author'], ['bob@example.org']]);
    expect(r.answers.every((a) => a.class === 3 && a.ttl === 0)).toBe(true);
  });

  it('answers hostname.bind and id.server with the host name', async () => {
    for (const name of ['hostname.bind', 'id.server', 'HOSTNAME.BIND']) {
      const r = await query(s.port, name, 'TXT', { class: 3 });
      expect(r.answers.map((a) => a.data)).toEqual([[hostname()]]);
      expect(r.questions[0]!.name).toBe(name);
    }
  });

  it('defaults to clusterdns-VERSION', async () => {
    expect((await dig(plain.port, 'version.bind', 'CH', 'TXT', '+short')).trim()).toBe(`"clusterdns-${VERSION}"`);
  });

  it('passes everything else on: IN class, other types, other names', async () => {
    const inClass = await query(s.port, 'version.bind', 'TXT');
    expect(inClass.answers).toHaveLength(0);
    expect(inClass.additionals.some((x) => x.type === TYPE.SRV)).toBe(true); // whoami answered
    expect((await query(s.port, 'version.bind', 'A', { class: 3 })).additionals.some((x) => x.type === TYPE.SRV)).toBe(true);
    expect((await query(s.port, 'other.bind', 'TXT', { class: 3 })).additionals.some((x) => x.type === TYPE.SRV)).toBe(true);
    // with nothing after chaos: SERVFAIL
    expect((await query(plain.port, 'example.org', 'A')).header.rcode).toBe(2);
  });
});
