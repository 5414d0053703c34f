// CoreDNS's plugin/file lookup tables (lookup_test.go, delegation_test.go, dname_test.go,
// wildcard_test.go, ent_test.go), run against the file plugin's serve() with the same zone files.
// Cases that need DNSSEC (DO bit, RRSIG/NSEC answers) are left out: clusterdns serves no DNSSEC.
import { describe, expect, it } from 'vitest';
import { ask, expected, filePlugin, sections, servfailNext, type Case } from './helpers.ts';
import * as Z from './zones.ts';

const A = 1, NS = 2, CNAME = 5, SOA = 6, MX = 15, TXT = 16, AAAA = 28, SRV = 33, DNAME = 39, DS = 43, CAA = 257;
const NXDOMAIN = 3, SERVFAIL = 2;

const miekSOA = 'miek.nl.\t1800\tIN\tSOA\tlinode.atoom.net. miek.miek.nl. 1282630057 14400 3600 604800 14400';
const miekAuth = [
  'miek.nl.\t1800\tIN\tNS\text.ns.whyscream.net.',
  'miek.nl.\t1800\tIN\tNS\tlinode.atoom.net.',
  'miek.nl.\t1800\tIN\tNS\tns-ext.nlnetlabs.nl.',
  'miek.nl.\t1800\tIN\tNS\tomval.tednet.nl.',
];
const exampleAuth = ['example.org.\t3600\tIN\tNS\ta.iana-servers.net.', 'example.org.\t3600\tIN\tNS\tb.iana-servers.net.'];

async function run(zone: string, origin: string, cases: Case[]): Promise<void> {
  const p = await filePlugin(zone, [origin]);
  for (const c of cases) {
    const got = sections(await ask(p, c.qname, c.qtype, servfailNext));
    const { aa: _aa, ...rest } = got;
    expect({ q: `${c.qname} ${c.qtype}`, ...rest }).toEqual({ q: `${c.qname} ${c.qtype}`, ...expected(c) });
  }
}

describe('file: CoreDNS lookup tables', () => {
  it('TestLookup (lookup_test.go)', async () => {
    await run(Z.dbMiekNL, 'miek.nl.', [
      { qname: 'www.miek.nl.', qtype: A, answer: ['a.miek.nl.\t1800\tIN\tA\t139.162.196.78', 'www.miek.nl.\t1800\tIN\tCNAME\ta.miek.nl.'], ns: miekAuth },
      { qname: 'www.miek.nl.', qtype: AAAA, answer: ['a.miek.nl.\t1800\tIN\tAAAA\t2a01:7e00::f03c:91ff:fef1:6735', 'www.miek.nl.\t1800\tIN\tCNAME\ta.miek.nl.'], ns: miekAuth },
      { qname: 'miek.nl.', qtype: SOA, answer: [miekSOA], ns: miekAuth },
      { qname: 'miek.nl.', qtype: AAAA, answer: ['miek.nl.\t1800\tIN\tAAAA\t2a01:7e00::f03c:91ff:fef1:6735'], ns: miekAuth },
      { qname: 'mIeK.NL.', qtype: AAAA, answer: ['miek.nl.\t1800\tIN\tAAAA\t2a01:7e00::f03c:91ff:fef1:6735'], ns: miekAuth },
      {
        qname: 'miek.nl.', qtype: MX, ns: miekAuth, answer: [
          'miek.nl.\t1800\tIN\tMX\t1 aspmx.l.google.com.', 'miek.nl.\t1800\tIN\tMX\t10 aspmx2.googlemail.com.',
          'miek.nl.\t1800\tIN\tMX\t10 aspmx3.googlemail.com.', 'miek.nl.\t1800\tIN\tMX\t5 alt1.aspmx.l.google.com.',
          'miek.nl.\t1800\tIN\tMX\t5 alt2.aspmx.l.google.com.',
        ],
      },
      { qname: 'a.miek.nl.', qtype: SRV, ns: [miekSOA] },
      { qname: 'b.miek.nl.', qtype: A, rcode: NXDOMAIN, ns: [miekSOA] },
      {
        qname: 'srv.miek.nl.', qtype: SRV, answer: ['srv.miek.nl.\t1800\tIN\tSRV\t10 10 8080  a.miek.nl.'], ns: miekAuth,
        extra: ['a.miek.nl.\t1800\tIN\tA       139.162.196.78', 'a.miek.nl.\t1800\tIN\tAAAA\t2a01:7e00::f03c:91ff:fef1:6735'],
      },
      {
        qname: 'mx.miek.nl.', qtype: MX, answer: ['mx.miek.nl.\t1800\tIN\tMX\t10 a.miek.nl.'], ns: miekAuth,
        extra: ['a.miek.nl.\t1800\tIN\tA       139.162.196.78', 'a.miek.nl.\t1800\tIN\tAAAA\t2a01:7e00::f03c:91ff:fef1:6735'],
      },
      { qname: 'asterisk.x.miek.nl.', qtype: CNAME, answer: ['asterisk.x.miek.nl. 1800    IN      CNAME   www.miek.nl.'], ns: miekAuth },
      { qname: 'a.b.x.miek.nl.', qtype: CNAME, rcode: NXDOMAIN, ns: [miekSOA] },
      { qname: 'asterisk.y.miek.nl.', qtype: A, answer: ['asterisk.y.miek.nl.     1800    IN      A       139.162.196.78'], ns: miekAuth },
      {
        qname: 'foo.dname.miek.nl.', qtype: CNAME, ns: miekAuth,
        answer: ['dname.miek.nl.     1800    IN      DNAME       x.miek.nl.', 'foo.dname.miek.nl.     1800    IN      CNAME       foo.x.miek.nl.'],
      },
      // The CNAME leaves the zone and nothing after the plugin answers it (CoreDNS's test uses an error handler).
      { qname: 'ext-cname.miek.nl.', qtype: A, rcode: SERVFAIL, answer: ['ext-cname.miek.nl.\t1800\tIN\tCNAME\texample.com.'], ns: miekAuth },
      { qname: 'txt.miek.nl.', qtype: TXT, answer: ['txt.miek.nl.  1800\tIN\tTXT "v=spf1 a mx ~all"'], ns: miekAuth },
      { qname: 'caa.miek.nl.', qtype: CAA, answer: ['caa.miek.nl.  1800\tIN\tCAA  0 issue letsencrypt.org'], ns: miekAuth },
    ]);
  });

  it('TestLookUpNoDataResult: names with records of other types, and a wildcard, are NODATA', async () => {
    await run(Z.dbMiekNL, 'miek.nl.', [
      { qname: 'a.miek.nl.', qtype: MX, ns: [miekSOA] },
      { qname: 'wildcard.nodata.miek.nl.', qtype: MX, ns: [miekSOA] },
    ]);
  });

  it('TestLookupDelegation (delegation_test.go): referral with glue, not authoritative', async () => {
    const deleg = ['delegated.miek.nl.\t1800\tIN\tNS\ta.delegated.miek.nl.', 'delegated.miek.nl.\t1800\tIN\tNS\tns-ext.nlnetlabs.nl.'];
    const glue = ['a.delegated.miek.nl. 1800 IN A 139.162.196.78', 'a.delegated.miek.nl. 1800 IN AAAA 2a01:7e00::f03c:91ff:fef1:6735'];
    await run(Z.dbMiekNLDelegation, 'miek.nl.', [
      { qname: 'a.delegated.miek.nl.', qtype: TXT, ns: deleg, extra: glue },
      { qname: 'delegated.miek.nl.', qtype: NS, ns: deleg, extra: glue },
      { qname: 'foo.delegated.miek.nl.', qtype: A, ns: deleg, extra: glue },
      { qname: 'foo.delegated.miek.nl.', qtype: TXT, ns: deleg, extra: glue },
      { qname: 'foo.delegated.miek.nl.', qtype: SOA, ns: deleg, extra: glue },
      { qname: 'miek.nl.', qtype: SOA, answer: [miekSOA], ns: miekAuth },
      { qname: 'miek.nl.', qtype: AAAA, ns: [miekSOA] },
    ]);
    const p = await filePlugin(Z.dbMiekNLDelegation, ['miek.nl.']);
    expect((await ask(p, 'foo.delegated.miek.nl.', A)).aa).toBe(false);
    expect((await ask(p, 'miek.nl.', SOA)).aa).toBe(true);
    // A DS question at the cut is answered by this side of it: NODATA here (no DS records).
    expect(sections(await ask(p, 'delegated.miek.nl.', DS))).toMatchObject({ rcode: 0, aa: true, answer: [], ns: [expected({ qname: '', qtype: 0, ns: [miekSOA] }).ns[0]] });
  });

  it('TestLookupDNAME (dname_test.go)', async () => {
    await run(Z.dbMiekNLDNAME, 'miek.nl.', [
      { qname: 'dname.miek.nl.', qtype: DNAME, answer: ['dname.miek.nl.\t1800\tIN\tDNAME\ttest.miek.nl.'], ns: miekAuth },
      { qname: 'dname.miek.nl.', qtype: A, answer: ['dname.miek.nl.\t1800\tIN\tA\t127.0.0.1'], ns: miekAuth },
      { qname: 'dname.miek.nl.', qtype: MX, ns: [miekSOA] },
      {
        qname: 'a.dname.miek.nl.', qtype: A, ns: miekAuth, answer: [
          'a.dname.miek.nl.\t1800\tIN\tCNAME\ta.test.miek.nl.', 'a.test.miek.nl.\t1800\tIN\tA\t139.162.196.78',
          'dname.miek.nl.\t1800\tIN\tDNAME\ttest.miek.nl.',
        ],
      },
      {
        qname: 'www.dname.miek.nl.', qtype: A, ns: miekAuth, answer: [
          'a.test.miek.nl.\t1800\tIN\tA\t139.162.196.78', 'dname.miek.nl.\t1800\tIN\tDNAME\ttest.miek.nl.',
          'www.dname.miek.nl.\t1800\tIN\tCNAME\twww.test.miek.nl.', 'www.test.miek.nl.\t1800\tIN\tCNAME\ta.test.miek.nl.',
        ],
      },
    ]);
  });

  it('TestLookupDoubleWildcard, TestLookupApexWildcard, TestLookupMultiWildcard (wildcard_test.go)', async () => {
    await run(Z.exampleOrg, 'example.org.', [
      { qname: 'wild.w.example.org.', qtype: TXT, answer: ['wild.w.example.org. 3600 IN\tTXT\t"Wildcard"'], ns: exampleAuth },
      { qname: 'wild.c.example.org.', qtype: TXT, answer: ['wild.c.example.org. 3600 IN\tTXT\t"c Wildcard"'], ns: exampleAuth },
      {
        qname: 'wild.d.example.org.', qtype: TXT, ns: exampleAuth,
        answer: ['alias.example.org. 3600 IN\tTXT\t"Wildcard CNAME expansion"', 'wild.d.example.org. 3600 IN\tCNAME\talias.example.org.'],
      },
      { qname: 'alias.example.org.', qtype: TXT, answer: ['alias.example.org. 3600 IN\tTXT\t"Wildcard CNAME expansion"'], ns: exampleAuth },
    ]);
    const bAuth = ['example.org. 3600 IN NS b.iana-servers.net.'];
    await run(Z.apexWildcard, 'example.org.', [
      { qname: 'foo.example.org.', qtype: A, answer: ['foo.example.org. 3600\tIN\tA 127.0.0.54'], ns: bAuth },
      { qname: 'bar.example.org.', qtype: A, answer: ['bar.example.org. 3600\tIN\tA 127.0.0.53'], ns: bAuth },
    ]);
    await run(Z.doubleWildcard, 'example.org.', [
      { qname: 'foo.example.org.', qtype: A, answer: ['foo.example.org. 3600\tIN\tA 127.0.0.54'], ns: bAuth },
      { qname: 'bar.example.org.', qtype: A, answer: ['bar.example.org. 3600\tIN\tA 127.0.0.53'], ns: bAuth },
      { qname: 'bar.intern.example.org.', qtype: A, answer: ['bar.intern.example.org. 3600\tIN\tA 127.0.1.52'], ns: bAuth },
    ]);
  });

  it('TestLookupWildcardAdditional: a wildcard MX answer carries its target addresses', async () => {
    await run(Z.dbWildcardAdditional, 'example.org.', [{
      qname: 'foo.wild.example.org.', qtype: MX, answer: ['foo.wild.example.org. 1800 IN MX 10 mail.example.org.'],
      ns: ['example.org. 1800 IN NS ns.example.org.'],
      extra: ['mail.example.org. 1800 IN A 192.0.2.10', 'mail.example.org. 1800 IN AAAA 2001:db8::10'],
    }]);
  });

  it('TestLookupWildcardRespectsCloserEmptyNonTerminal: RFC 4592 closest encloser', async () => {
    await run(Z.closerENTWildcard, 'example.org.', [
      {
        qname: 'nonexistent.deeper.example.org.', qtype: A, rcode: NXDOMAIN,
        ns: ['example.org. 3600 IN SOA sns.dns.icann.org. noc.dns.icann.org. 2015082541 7200 3600 1209600 3600'],
      },
      { qname: 'nonexistent.example.org.', qtype: A, answer: ['nonexistent.example.org. 3600 IN A 127.0.0.53'], ns: ['example.org. 3600 IN NS b.iana-servers.net.'] },
    ]);
  });

  it('TestLookupEnt (ent_test.go): an empty non-terminal is NODATA, not NXDOMAIN', async () => {
    await run(Z.dbMiekENTNL, 'miek.nl.', [
      { qname: 'b.c.miek.nl.', qtype: A, ns: [miekSOA] },
      { qname: 'c.miek.nl.', qtype: A, ns: [miekSOA] },
      { qname: 'x.c.miek.nl.', qtype: A, rcode: NXDOMAIN, ns: [miekSOA] },
    ]);
  });

  it('TestLookupEnt with the signed zone (signatures are plain records; no DO processing)', async () => {
    await run(Z.dbMiekENTNLSigned, 'miek.nl.', [
      { qname: 'b.c.miek.nl.', qtype: A, ns: [miekSOA] },
      { qname: 'a.b.c.miek.nl.', qtype: A, answer: ['a.b.c.miek.nl. 1800 IN A 127.0.0.1'], ns: ['miek.nl. 1800 IN NS linode.atoom.net.'] },
    ]);
  });

  it('apex NS answers carry the in-zone addresses of the name servers', async () => {
    const p = await filePlugin(`$ORIGIN example.org.
$TTL 300
@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300
  IN NS ns1
  IN NS ns.elsewhere.net.
ns1 IN A 192.0.2.53
    IN AAAA 2001:db8::53
`, ['example.org.']);
    expect(sections(await ask(p, 'example.org.', NS))).toEqual({
      rcode: 0, aa: true,
      answer: ['example.org. 300 IN NS ns.elsewhere.net.', 'example.org. 300 IN NS ns1.example.org.'], ns: [],
      extra: ['ns1.example.org. 300 IN A 192.0.2.53', 'ns1.example.org. 300 IN AAAA 2001:db8::53'],
    });
  });
});
