// hosts with several answering threads: one thread reads the file and every worker answers from
// the table it publishes (table.ts, replicated()). Real servers on real sockets; each question is
// asked many times from fresh source ports, so both workers of a 2-worker server answer it.
import { mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../../support/dns-client.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { Upstream } from '../../support/upstream.ts';
import { holds, settles, until } from '../../support/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'hosts-workers-'));
let upstream: Upstream;
const servers: TestServer[] = [];

beforeAll(async () => {
  upstream = await Upstream.start();
  upstream.add({ name: 'other.example.com.', type: 'A', ttl: 60, data: '203.0.113.20' });
});
afterEach(async () => { for (const s of servers.splice(0)) await s.stop(); });
afterAll(async () => {
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(corefile: string, workers: number): Promise<TestServer> {
  const s = await startTestServer(corefile, { workers });
  servers.push(s);
  return s;
}

const FILE = `10.0.0.1 app.example.org
fd00::1 app.example.org
10.0.0.2 db.example.org DB-Alias.example.org
192.168.1.10 *.wild.example.org
`;

/** One answer as a comparable line: rcode, aa, then each record's owner, TTL and data. */
async function answer(port: number, name: string, type: string): Promise<string> {
  const r = await query(port, name, type);
  const rrs = r.answers.map((a) => `${String(a.name).toLowerCase()} ${a.ttl} ${a.address ?? a.domain ?? ''}`);
  return `rcode=${r.header.rcode} aa=${r.header.aa} ${rrs.join(', ')}`;
}

/** The different answers to one question asked `times` times from fresh source ports. */
async function answerSet(port: number, name: string, type: string, times = 12): Promise<string[]> {
  const seen = new Set<string>();
  for (let i = 0; i < times; i++) seen.add(await answer(port, name, type));
  return [...seen];
}

/** Ask each question `times` times; every answer to one question must be the same. */
async function answers(port: number, questions: [string, string][], times = 12): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, type] of questions) {
    const seen = await answerSet(port, name, type, times);
    expect(seen, `${name} ${type}`).toHaveLength(1);
    out[`${name} ${type}`] = seen[0]!;
  }
  return out;
}

describe('hosts with two workers', () => {
  it('answers A, AAAA, PTR, wildcards, inline entries, NODATA and fallthrough as one thread does, with ttl', async () => {
    const file = join(dir, 'answers');
    writeFileSync(file, FILE);
    const corefile = `. {
      hosts ${file} {
        10.9.9.9 inline.example.org
        ttl 60
        fallthrough
      }
      forward . ${upstream.address}
    }`;
    const questions: [string, string][] = [
      ['app.example.org', 'A'], ['app.example.org', 'AAAA'], ['db-alias.example.org', 'A'],
      ['x.wild.example.org', 'A'], ['inline.example.org', 'A'], ['app.example.org', 'TXT'],
      ['1.0.0.10.in-addr.arpa', 'PTR'], ['2.0.0.10.in-addr.arpa', 'PTR'], ['9.9.9.10.in-addr.arpa', 'PTR'],
      ['1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa', 'PTR'],
      ['other.example.com', 'A'],
    ];
    const two = await answers((await start(corefile, 2)).port, questions);
    expect(two).toEqual({
      'app.example.org A': 'rcode=0 aa=1 app.example.org 60 10.0.0.1',
      'app.example.org AAAA': 'rcode=0 aa=1 app.example.org 60 fd00::1',
      'db-alias.example.org A': 'rcode=0 aa=1 db-alias.example.org 60 10.0.0.2',
      'x.wild.example.org A': 'rcode=0 aa=1 x.wild.example.org 60 192.168.1.10',
      'inline.example.org A': 'rcode=0 aa=1 inline.example.org 60 10.9.9.9',
      'app.example.org TXT': 'rcode=0 aa=1 ',
      '1.0.0.10.in-addr.arpa PTR': 'rcode=0 aa=1 1.0.0.10.in-addr.arpa 60 app.example.org',
      '2.0.0.10.in-addr.arpa PTR': 'rcode=0 aa=1 2.0.0.10.in-addr.arpa 60 db.example.org, 2.0.0.10.in-addr.arpa 60 db-alias.example.org',
      '9.9.9.10.in-addr.arpa PTR': 'rcode=0 aa=1 9.9.9.10.in-addr.arpa 60 inline.example.org',
      '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa PTR': 'rcode=0 aa=1 1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa 60 app.example.org',
      'other.example.com A': 'rcode=0 aa=0 other.example.com 60 203.0.113.20',
    });
    for (const s of servers.splice(0)) await s.stop();
    expect(await answers((await start(corefile, 1)).port, questions, 1)).toEqual(two);
  }, 30_000);

  it('without fallthrough and with no_reverse: SERVFAIL for a missing name, no PTR, default TTL', async () => {
    const file = join(dir, 'noreverse');
    writeFileSync(file, FILE);
    const corefile = `. {
      hosts ${file} {
        no_reverse
      }
    }`;
    const questions: [string, string][] = [['app.example.org', 'A'], ['missing.example.org', 'A'], ['1.0.0.10.in-addr.arpa', 'PTR']];
    const two = await answers((await start(corefile, 2)).port, questions);
    expect(two).toEqual({
      'app.example.org A': 'rcode=0 aa=1 app.example.org 3600 10.0.0.1',
      'missing.example.org A': 'rcode=2 aa=0 ',
      '1.0.0.10.in-addr.arpa PTR': 'rcode=2 aa=0 ',   // no PTR from hosts, and no next plugin
    });
    for (const s of servers.splice(0)) await s.stop();
    expect(await answers((await start(corefile, 1)).port, questions, 1)).toEqual(two);
  }, 30_000);

  it('one thread reads the file: one "Parsed" line per version and one warning when it goes, not one per thread', async () => {
    const file = join(dir, 'once');
    writeFileSync(file, '10.0.0.1 once.example.org\n');
    const s = await start(`. {
      debug
      hosts ${file} {
        reload 50ms
        fallthrough
      }
    }`, 2);
    const parsed = () => s.logs.filter((l) => l.includes('plugin/hosts: Parsed hosts file')).length;
    const failed = () => s.logs.filter((l) => l.includes('plugin/hosts: Failed to read hosts file')).length;
    expect((await answers(s.port, [['once.example.org', 'A']]))['once.example.org A']).toBe('rcode=0 aa=1 once.example.org 3600 10.0.0.1');
    expect(parsed(), s.logs.join('\n')).toBe(1);

    writeFileSync(file, '10.0.0.2 once.example.org\n');
    const later = new Date(Date.now() + 10_000);
    utimesSync(file, later, later);
    const updated = ['rcode=0 aa=1 once.example.org 3600 10.0.0.2'];
    expect(await settles(() => answerSet(s.port, 'once.example.org', 'A'), updated, 5000)).toEqual(updated);
    // every worker answers the new entry, and over many reload intervals the file was read once more
    expect(await holds(() => parsed() === 2, 500), s.logs.join('\n')).toBe(true);

    unlinkSync(file);
    expect(await until(() => failed() > 0, 5000)).toBe(true);
    expect(await holds(() => failed() === 1, 500), s.logs.join('\n')).toBe(true);
    expect((await answers(s.port, [['once.example.org', 'A']]))['once.example.org A']).toBe('rcode=0 aa=1 once.example.org 3600 10.0.0.2');
  }, 30_000);
});
