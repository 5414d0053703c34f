/**
 * rewrite's rules, with CoreDNS's own test tables (plugin/rewrite rewrite_test.go, name_test.go,
 * rcode_test.go, ttl rules) ported: which argument lists are accepted, what the rest of the chain
 * sees, and what the client gets back.
 */
import { describe, expect, it } from 'vitest';
import { Type, type NameData, type SRVData } from '../../../src/dns/types.ts';
import { parseRule, RuleError } from '../../../src/plugins/rewrite/rules.ts';
import { plugin, request, responder, serve } from './helpers.ts';

describe('rewrite: which rules parse (CoreDNS TestNewRule, TestNewNameRule, TestNewRCodeRule)', () => {
  const cases: [string[], boolean][] = [
    [[], false], [['foo'], false], [['name'], false], [['name', 'a.com'], false],
    [['name', 'a.com', 'b.com', 'c.com'], false],
    [['name', 'a.com', 'b.com'], true], [['name', 'exact', 'a.com', 'b.com'], true],
    [['name', 'prefix', 'a.com', 'b.com'], true], [['name', 'suffix', 'a.com', 'b.com'], true],
    [['name', 'suffix', 'foo3.bar', 'google.com', 'answer', 'name', 'g(o+)gle(.*)', 'f{1}{2}'], true],
    [['name', 'substring', 'a.com', 'b.com'], true],
    [['name', 'regex', '([a])\\.com', 'new-{1}.com'], true],
    [['name', 'regex', '([a]\\.com', 'new-{1}.com'], false],
    [['name', 'regex', '(dns)\\.(core)\\.(rocks)', '{2}.{1}.{3}', 'answer', 'name', '(core)\\.(dns)\\.(rocks)', '{2}.{1}.{3}'], true],
    [['name', 'regex', '(adns)\\.(core)\\.(rocks)', '{2}.{1}.{3}', 'answer', 'name', '(core)\\.(adns)\\.(rocks)', '{2}.{1}.{3}', 'too.long', 'way.too.long'], false],
    [['name', 'regex', '(bdns)\\.(core)\\.(rocks)', '{2}.{1}.{3}', 'NoAnswer', 'name', '(core)\\.(bdns)\\.(rocks)', '{2}.{1}.{3}'], false],
    [['name', 'regex', '(cdns)\\.(core)\\.(rocks)', '{2}.{1}.{3}', 'answer', 'ttl', '(core)\\.(cdns)\\.(rocks)', '{2}.{1}.{3}'], false],
    [['name', 'regex', '(ddns)\\.(core)\\.(rocks)', '{2}.{1}.{3}', 'answer', 'name', '(core\\.(ddns)\\.(rocks)', '{2}.{1}.{3}'], false],
    [['name', 'substring', 'fcore.dns.rocks', 'dns.fcore.rocks', 'answer', 'name', '(fcore)\\.(dns)\\.(rocks)', '{2}.{1}.{3}'], true],
    [['name', 'substring', 'a.com', 'b.com', 'c.com'], false],
    [['name', 'exact', 'srv3.coredns.rocks', 'srv4.coredns.rocks'], true],
    [['name', 'regex', '(.*).coredns.rocks', '{1}.{2}.coredns.rocks'], false],
    [['name', 'regex', 'staging.mydomain.com', 'aws-loadbalancer-id.us-east-1.elb.amazonaws.com'], true],
    [['name', 'regex', '(.*)\\.coredns\\.rocks', '{1}.coredns.rocks', 'answer', 'auto'], true],
    [['name', 'regex', '(.*)\\.coredns\\.rocks', '{1}.coredns.rocks', 'answer', 'auto', 'answer', 'name', 'a', 'b'], false],
    [['name', 'regex', '(.*)\\.coredns\\.rocks', '{1}.coredns.rocks', 'answer', 'name', '(.*)', '{1}', 'value', '(.*)', '{1}'], true],
    [['name', 'regex', '(?P<svc>.*)\\.coredns\\.rocks', '{1}.consul'], true],
    [['name', 'regex', '(a)\\1', 'x'], false],                       // a backreference is not RE2
    [['type'], false], [['type', 'a'], false], [['type', 'any', 'a', 'a'], false], [['type', 'any', 'a'], true],
    [['type', 'XY', 'WV'], false], [['type', 'ANY', 'WV'], false],
    [['class'], false], [['class', 'IN'], false], [['class', 'ch', 'in', 'in'], false], [['class', 'ch', 'in'], true],
    [['class', 'XY', 'WV'], false], [['class', 'IN', 'WV'], false],
    [['edns0'], false], [['edns0', 'local'], false], [['edns0', 'local', 'set'], false], [['edns0', 'local', 'set', '0xffee'], false],
    [['edns0', 'local', 'set', '65518', 'abcdefg'], true], [['edns0', 'local', 'set', '0xffee', 'abcdefg'], true],
    [['edns0', 'local', 'append', '0xffee', 'abcdefg'], true], [['edns0', 'local', 'replace', '0xffee', 'abcdefg'], true],
    [['edns0', 'local', 'foo', '0xffee', 'abcdefg'], false], [['edns0', 'local', 'set', '0xffee', '0xabcdefg'], false],
    [['edns0', 'nsid', 'set', 'junk'], false], [['edns0', 'nsid', 'set'], true], [['edns0', 'nsid', 'append'], true],
    [['edns0', 'nsid', 'replace'], true], [['edns0', 'nsid', 'foo'], false],
    [['edns0', 'local', 'set', '0xffee', '{dummy}'], false],
    ...['{qname}', '{qtype}', '{client_ip}', '{client_port}', '{protocol}', '{server_ip}', '{server_port}'].flatMap((v) =>
      ['set', 'append', 'replace'].map((a) => [['edns0', 'local', a, '0xffee', v], true] as [string[], boolean])),
    [['edns0', 'subnet', 'set', '-1', '56'], false], [['edns0', 'subnet', 'set', '24', '-56'], false],
    [['edns0', 'subnet', 'set', '33', '56'], false], [['edns0', 'subnet', 'set', '24', '129'], false],
    [['edns0', 'subnet', 'set', '24', '56'], true], [['edns0', 'subnet', 'append', '24', '56'], true],
    [['edns0', 'subnet', 'replace', '24', '56'], true],
    [['unknown-action', 'name', 'a.com', 'b.com'], false], [['stop', 'name', 'a.com', 'b.com'], true],
    [['continue', 'name', 'a.com', 'b.com'], true], [['unknown-action', 'type', 'any', 'a'], false],
    [['stop', 'type', 'any', 'a'], true], [['continue', 'class', 'ch', 'in'], true],
    [['stop', 'edns0', 'subnet', 'set', '24', '56'], true], [['continue', 'edns0', 'local', 'set', '0xffee', '{qname}'], true],
    [['stop'], false], [['continue'], false], [['answer', 'name', 'a', 'b'], false],
    // rcode rules (TestNewRCodeRule)
    [['stop', 'rcode', 'numeric.rcode.coredns.rocks', '2', '0'], true],
    [['stop', 'rcode', 'too.few.rcode.coredns.rocks', '2'], false],
    [['stop', 'rcode', 'exact', 'too.many.rcode.coredns.rocks', '2', '1', '0'], false],
    [['stop', 'rcode', 'exact', 'match.string.rcode.coredns.rocks', 'SERVFAIL', 'NOERROR'], true],
    [['continue', 'rcode', 'regex', '(regex)\\.rcode\\.(coredns)\\.(rocks)', 'FORMERR', 'NOERROR'], true],
    [['stop', 'rcode', 'invalid.rcode.coredns.rocks', 'random', 'nothing'], false],
    // ttl rules, with ranges
    [['ttl', 'a.com', '15'], true], [['ttl', 'regex', '(.*)\\.coredns\\.rocks', '15'], true],
    [['ttl', 'a.com', '30-60'], true], [['ttl', 'a.com', '30-'], true], [['ttl', 'a.com', '-60'], true],
    [['ttl', 'a.com', '-'], false], [['ttl', 'a.com', '60-30'], false], [['ttl', 'a.com', 'x'], false],
    [['ttl', 'bogus', 'a.com', '15'], false], [['ttl', 'a.com'], false],
    // cname rules
    [['cname', 'exact', 'a.com.', 'b.com.'], true], [['cname', 'a.com.', 'b.com.'], true], [['cname', 'a.com.'], false],
    [['cname', 'bogus', 'a', 'b'], false],
  ];
  it.each(cases.map(([args, ok]) => ({ args, ok })))('$args → $ok', ({ args, ok }) => {
    if (ok) expect(() => parseRule(args)).not.toThrow();
    else expect(() => parseRule(args)).toThrow(RuleError);
  });
});

describe('rewrite: what the chain sees and what the client gets (CoreDNS TestRewrite)', () => {
  const p = plugin(
    ['stop', 'name', 'from.nl.', 'to.nl.'],
    ['stop', 'name', 'regex', '(core)\\.(dns)\\.(rocks)\\.(nl)', '{2}.{1}.{3}.{4}', 'answer', 'name', '(dns)\\.(core)\\.(rocks)\\.(nl)', '{2}.{1}.{3}.{4}'],
    ['stop', 'name', 'exact', 'from.exact.nl.', 'to.nl.'],
    ['stop', 'name', 'prefix', 'prefix', 'to'],
    ['stop', 'name', 'suffix', '.suffix.', '.nl.'],
    ['stop', 'name', 'substring', 'from.substring', 'to'],
    ['stop', 'name', 'regex', '(f.*m)\\.regex\\.(nl)', 'to.{2}'],
    ['continue', 'name', 'regex', 'consul\\.(rocks)', 'core.dns.{1}'],
    ['stop', 'name', 'core.dns.rocks', 'to.nl.'],
    ['continue', 'class', 'HS', 'CH'],
    ['stop', 'class', 'CH', 'IN'],
    ['stop', 'type', 'ANY', 'HINFO'],
  );
  const A = Type.A, ANY = Type.ANY, HINFO = Type.HINFO, IN = 1, CH = 3, HS = 4;
  // The last column is the owner of the answer the client gets: exact rules map it back to the name
  // before the rule; prefix, suffix, substring and regex rules only with an `answer` option.
  const table: [string, number, number, string, number, number, string][] = [
    ['from.nl.', A, IN, 'to.nl.', A, IN, 'from.nl.'],
    ['a.nl.', A, IN, 'a.nl.', A, IN, 'a.nl.'],
    ['a.nl.', A, CH, 'a.nl.', A, IN, 'a.nl.'],
    ['a.nl.', ANY, IN, 'a.nl.', HINFO, IN, 'a.nl.'],
    ['from.nl.', ANY, IN, 'to.nl.', ANY, IN, 'from.nl.'],          // name is rewritten, type is not (stop)
    ['from.exact.nl.', A, IN, 'to.nl.', A, IN, 'from.exact.nl.'],
    ['prefix.nl.', A, IN, 'to.nl.', A, IN, 'to.nl.'],
    ['to.suffix.', A, IN, 'to.nl.', A, IN, 'to.nl.'],
    ['from.substring.nl.', A, IN, 'to.nl.', A, IN, 'to.nl.'],
    ['from.regex.nl.', A, IN, 'to.nl.', A, IN, 'to.nl.'],
    ['consul.rocks.', A, IN, 'to.nl.', A, IN, 'core.dns.rocks.'],  // continue, then the exact rule (which maps back one step)
    ['a.nl.', ANY, CH, 'a.nl.', ANY, IN, 'a.nl.'],               // the class rule comes first and stops
    ['a.nl.', ANY, HS, 'a.nl.', ANY, IN, 'a.nl.'],               // HS → CH (continue), CH → IN (stop)
    ['core.dns.rocks.nl.', A, IN, 'dns.core.rocks.nl.', A, IN, 'core.dns.rocks.nl.'], // `answer name`
  ];
  it.each(table.map(([from, ft, fc, to, tt, tc, owner]) => ({ from, ft, fc, to, tt, tc, owner })))('$from $ft/$fc → $to $tt/$tc', async ({ from, ft, fc, to, tt, tc, owner }) => {
    const next = responder();
    const res = await serve(p, request(from, ft, { cls: fc }), next);
    const seen = next.seen[0]!;
    expect([seen.question.name, seen.qtype, seen.qclass]).toEqual([to, tt, tc]);
    expect(seen.qname).toBe(to);
    // the client always gets its own question back
    expect(res.questions).toEqual([{ name: from, type: ft, class: fc }]);
    expect(res.answers[0]!.name).toBe(owner);
  });

  it('sends the rewritten question in the wire bytes too (what forward encodes)', async () => {
    const next = responder();
    await serve(p, request('from.nl.', A), next);
    const { decode } = await import('../../../src/dns/codec.ts');
    expect(decode(next.seen[0]!.wire).questions[0]).toEqual({ name: 'to.nl.', type: A, class: IN });
  });

  it('passes an untouched query on as it came (same Request object)', async () => {
    const next = responder();
    const req = request('other.org.', A);
    await serve(p, req, next);
    expect(next.seen[0]).toBe(req);
  });
});

describe('rewrite: prefix and suffix forms (CoreDNS TestRewriteNamePrefixSuffix)', () => {
  it.each([
    [['prefix', 'foo', 'bar'], 'foo.example.com.', 'bar.example.com.'],
    [['prefix', 'foo.', 'bar.'], 'foo.example.com.', 'bar.example.com.'],
    [['suffix', 'com', 'org'], 'foo.example.com.', 'foo.example.org.'],
    [['suffix', '.com', '.org'], 'foo.example.com.', 'foo.example.org.'],
    [['suffix', '.schmoogle.com.', '.google.com.'], 'www.schmoogle.com.', 'www.google.com.'],
    [['substring', 'service.us-west-1.example.org', 'service.us-west-1.consul'], 'ftp.service.us-west-1.example.org.', 'ftp.service.us-west-1.consul.'],
    [['regex', '(.*)-(us-west-1)\\.example\\.org', '{1}.service.{2}.consul'], 'ftp-us-west-1.example.org.', 'ftp.service.us-west-1.consul.'],
    [['exact', 'RED', 'BLUE'], 'red.', 'blue.'],
    [['regex', '(?i)^WWW\\.(.*)\\.$', 'web.{1}'], 'www.example.org.', 'web.example.org.'],
    [['regex', '^(?P<host>[a-z]+)\\.example\\.org\\.$', '{1}.internal'], 'db.example.org.', 'db.internal.'],
  ])('%j: %s → %s', async (args, question, expected) => {
    const next = responder();
    await serve(plugin(['stop', 'name', ...args]), request(question, Type.A), next);
    expect(next.seen[0]!.question.name).toBe(expected);
  });

  it('matches case-insensitively and rewrites to lower case (the name as CoreDNS\'s state.Name() has it)', async () => {
    const next = responder();
    const res = await serve(plugin(['name', 'foo.example.com', 'foo.default.svc.cluster.local']), request('FOO.Example.COM.', Type.A), next);
    expect(next.seen[0]!.question.name).toBe('foo.default.svc.cluster.local.');
    expect(res.questions[0]!.name).toBe('FOO.Example.COM.');
  });
});

describe('rewrite: an invalid name after a rewrite (CoreDNS TestRewriteIllegalName)', () => {
  it('answers SERVFAIL, reports the error and never calls the rest of the chain', async () => {
    const next = responder();
    const req = request('example.org.', Type.A);
    const res = await serve(plugin(['name', 'example.org.', 'example..org.']), req, next);
    expect(res.rcode).toBe(2);
    expect(next.seen).toHaveLength(0);
    expect(String(req.meta.get('errors'))).toContain('invalid name after rewrite: example..org.');
  });
});

describe('rewrite: response rewrites', () => {
  it('exact rules map the answer back, names below the new name too, and values (CNAME targets)', async () => {
    const next = responder((r) => [
      { name: 'to.example.', type: Type.CNAME, class: 1, ttl: 5, data: { target: 'x.to.example.' } },
      { name: 'x.to.example.', type: Type.A, class: 1, ttl: 5, data: { address: '10.0.0.1' } },
    ]);
    const res = await serve(plugin(['name', 'from.example', 'to.example']), request('from.example.', Type.A), next);
    expect(res.answers.map((r) => r.name)).toEqual(['from.example.', 'x.from.example.']);
    expect((res.answers[0]!.data as NameData).target).toBe('x.from.example.');
  });

  it('regex rules leave the answer alone without an answer option, and fix it with `answer name` (the README example)', async () => {
    const answer = (r: { question: { name: string } }) => [1, 2, 3].map((i) => ({ name: r.question.name, type: Type.A, class: 1, ttl: 0, data: { address: `10.${i}0.${i}0.${i}0` } }));
    const bare = await serve(plugin(['name', 'regex', '(.*)-(us-west-1)\\.coredns\\.rocks', '{1}.service.{2}.consul']), request('ftp-us-west-1.coredns.rocks.', Type.A), responder(answer));
    expect(bare.answers.map((r) => r.name)).toEqual(Array(3).fill('ftp.service.us-west-1.consul.'));
    expect(bare.questions[0]!.name).toBe('ftp-us-west-1.coredns.rocks.');
    const fixed = await serve(plugin(['stop', 'name', 'regex', '(.*)-(us-west-1)\\.coredns\\.rocks', '{1}.service.{2}.consul',
      'answer', 'name', '(.*)\\.service\\.(us-west-1)\\.consul', '{1}-{2}.coredns.rocks']), request('ftp-us-west-1.coredns.rocks.', Type.A), responder(answer));
    expect(fixed.answers.map((r) => r.name)).toEqual(Array(3).fill('ftp-us-west-1.coredns.rocks.'));
  });

  it('`answer value` rewrites SRV targets; `answer auto` on a suffix rule reverses the suffix everywhere', async () => {
    const srv = (r: { question: { name: string } }) => [
      { name: r.question.name, type: Type.SRV, class: 1, ttl: 5, data: { priority: 0, weight: 0, port: 80, target: 'web.service.consul.' } },
      { name: 'web.service.consul.', type: Type.A, class: 1, ttl: 5, data: { address: '10.0.0.1' } },
    ];
    const v = await serve(plugin(['name', 'regex', '(.*)\\.coredns\\.rocks', '{1}.service.consul', 'answer', 'name', '(.*)\\.service\\.consul', '{1}.coredns.rocks',
      'answer', 'value', '(.*)\\.service\\.consul', '{1}.coredns.rocks']), request('_http._tcp.coredns.rocks.', Type.SRV), responder(srv));
    expect(v.answers.map((r) => r.name)).toEqual(['_http._tcp.coredns.rocks.', 'web.coredns.rocks.']);
    expect((v.answers[0]!.data as SRVData).target).toBe('web.coredns.rocks.');
    const auto = await serve(plugin(['name', 'suffix', '.coredns.rocks', '.service.consul', 'answer', 'auto']), request('_http._tcp.coredns.rocks.', Type.SRV), responder(srv));
    expect(auto.answers.map((r) => r.name)).toEqual(['_http._tcp.coredns.rocks.', 'web.coredns.rocks.']);
    expect((auto.answers[0]!.data as SRVData).target).toBe('web.coredns.rocks.');
  });

  it('never changes the response the chain returned (it may be a cache entry)', async () => {
    const shared = { name: 'to.example.', type: Type.A, class: 1, ttl: 5, data: { address: '10.0.0.1' } };
    const res = await serve(plugin(['name', 'from.example', 'to.example']), request('from.example.', Type.A), responder(() => [shared]));
    expect(res.answers[0]!.name).toBe('from.example.');
    expect(shared.name).toBe('to.example.');
  });

  it('ttl rules set a TTL, or clamp it into a range', async () => {
    const ttls = (t: number[]) => (r: { question: { name: string } }) => t.map((ttl, i) => ({ name: r.question.name, type: Type.A, class: 1, ttl, data: { address: `10.0.0.${i}` } }));
    const set = await serve(plugin(['continue', 'ttl', 'regex', '(.*)\\.coredns\\.rocks', '15']), request('a.coredns.rocks.', Type.A), responder(ttls([0, 300])));
    expect(set.answers.map((r) => r.ttl)).toEqual([15, 15]);
    const range = await serve(plugin(['ttl', 'a.coredns.rocks', '30-60']), request('a.coredns.rocks.', Type.A), responder(ttls([0, 45, 300])));
    expect(range.answers.map((r) => r.ttl)).toEqual([30, 45, 60]);
    const atLeast = await serve(plugin(['ttl', 'a.coredns.rocks', '30-']), request('a.coredns.rocks.', Type.A), responder(ttls([0, 3000])));
    expect(atLeast.answers.map((r) => r.ttl)).toEqual([30, 3000]);
    const other = await serve(plugin(['ttl', 'a.coredns.rocks', '30']), request('b.coredns.rocks.', Type.A), responder(ttls([0])));
    expect(other.answers.map((r) => r.ttl)).toEqual([0]);
  });

  it('rcode rules change a matching rcode only (CoreDNS TestRCodeRewrite)', async () => {
    const failing = (rcode: number) => Object.assign((req: Parameters<ReturnType<typeof responder>>[0]) => ({ ...responder()(req), rcode }), { seen: [] });
    const p = plugin(['rcode', 'exact', 'srv1.coredns.rocks', 'SERVFAIL', 'FORMERR']);
    expect((await serve(p, request('srv1.coredns.rocks.', Type.A), failing(2))).rcode).toBe(1);
    expect((await serve(p, request('srv1.coredns.rocks.', Type.A), failing(3))).rcode).toBe(3);
    expect((await serve(p, request('srv2.coredns.rocks.', Type.A), failing(2))).rcode).toBe(2);
  });

  it('cname rules rewrite a CNAME target and look the new target up through the rest of the chain', async () => {
    const next = responder((r) => {
      if (r.question.name === 'www.example.org.') return [{ name: 'www.example.org.', type: Type.CNAME, class: 1, ttl: 5, data: { target: 'www.example.org.cdn.cloudflare.net.' } }];
      if (r.question.name === 'www.example.org.cdn.cloudflare.net.internal.') return [{ name: r.question.name, type: Type.A, class: 1, ttl: 5, data: { address: '10.9.9.9' } }];
      return [];
    });
    const res = await serve(plugin(['cname', 'suffix', '.cloudflare.net.', '.cloudflare.net.internal.']), request('www.example.org.', Type.A), next);
    expect(next.seen.map((r) => r.question.name)).toEqual(['www.example.org.', 'www.example.org.cdn.cloudflare.net.internal.']);
    expect(res.answers.map((r) => [r.name, r.type])).toEqual([['www.example.org.', Type.CNAME], ['www.example.org.cdn.cloudflare.net.internal.', Type.A]]);
    expect((res.answers[0]!.data as NameData).target).toBe('www.example.org.cdn.cloudflare.net.internal.');
  });
});

describe('rewrite: ttl rules (CoreDNS TestNewTTLRule, TestTtlRewrite)', () => {
  it.each([
    [['srv1.coredns.rocks', '10'], true], [['exact', 'srv1.coredns.rocks', '15'], true],
    [['prefix', 'coredns.rocks', '20'], true], [['suffix', 'srv1', '25'], true],
    [['substring', 'coredns', '30'], true], [['regex', '(srv1)\\.(coredns)\\.(rocks)', '35'], true],
    [['srv1.coredns.rocks', '12345678901234567890'], false], [['srv1.coredns.rocks', 'coredns.rocks'], false],
    // ("-1" was refused before TTL ranges; now it reads as "at most 1", as in CoreDNS's isValidTTL)
    [['srv1.coredns.rocks', '-1'], true], [['srv1.coredns.rocks', '1-2-3'], false],
  ])('%j', (args, ok) => {
    for (const mode of ['stop', 'continue']) {
      if (ok) expect(() => parseRule([mode, 'ttl', ...args])).not.toThrow();
      else expect(() => parseRule([mode, 'ttl', ...args])).toThrow(RuleError);
    }
  });

  const p = plugin(
    ['stop', 'ttl', 'srv1.coredns.rocks', '1'],
    ['stop', 'ttl', 'exact', 'srv15.coredns.rocks', '15'],
    ['stop', 'ttl', 'prefix', 'srv30', '30'],
    ['stop', 'ttl', 'suffix', '45.coredns.rocks', '45'],
    ['stop', 'ttl', 'substring', 'rv50', '50'],
    ['stop', 'ttl', 'regex', '(srv10)\\.(coredns)\\.(rocks)', '10'],
    ['stop', 'ttl', 'regex', '(srv20)\\.(coredns)\\.(rocks)', '20'],
  );
  const a = (name: string, ip: string) => ({ name, type: Type.A, class: 1, ttl: 5, data: { address: ip } });
  it.each([
    ['srv1.coredns.rocks.', Type.A, [a('srv1.coredns.rocks.', '10.0.0.1')], 1],
    ['srv15.coredns.rocks.', Type.A, [a('srv15.coredns.rocks.', '10.0.0.15')], 15],
    ['srv30.coredns.rocks.', Type.A, [a('srv30.coredns.rocks.', '10.0.0.30')], 30],
    ['srv45.coredns.rocks.', Type.A, [a('srv45.coredns.rocks.', '10.0.0.45')], 45],
    ['srv50.coredns.rocks.', Type.A, [a('srv50.coredns.rocks.', '10.0.0.50')], 50],
    ['srv10.coredns.rocks.', Type.A, [a('srv10.coredns.rocks.', '10.0.0.10')], 10],
    ['xmpp.coredns.rocks.', Type.SRV, [{ name: 'xmpp.coredns.rocks.', type: Type.SRV, class: 1, ttl: 5, data: { priority: 0, weight: 100, port: 100, target: 'srvxmpp.coredns.rocks.' } }], 5],
    ['srv15.coredns.rocks.', Type.HINFO, [{ name: 'srv15.coredns.rocks.', type: Type.HINFO, class: 1, ttl: 5, data: { raw: Uint8Array.of(3, 65, 66, 67, 1, 68) } }], 15],
    ['srv20.coredns.rocks.', Type.A, [a('srv20.coredns.rocks.', '10.0.0.22'), a('srv20.coredns.rocks.', '10.0.0.23')], 20],
  ])('%s type %i → TTL %i', async (name, type, answers, ttl) => {
    const res = await serve(p, request(name, type), responder(() => answers));
    expect(res.answers.length).toBe(answers.length);
    for (const r of res.answers) expect(r.ttl).toBe(ttl);
  });
});

describe('rewrite: the reverter (CoreDNS TestResponseReverter, TestSrvResponseReverter)', () => {
  for (const mode of ['stop', 'continue']) {
    const p = plugin([mode, 'name', 'regex', '(core)\\.(dns)\\.(rocks)', '{2}.{1}.{3}', 'answer', 'name', '(dns)\\.(core)\\.(rocks)', '{2}.{1}.{3}']);
    it.each([
      [Type.A, [{ name: 'dns.core.rocks.', type: Type.A, class: 1, ttl: 5, data: { address: '10.0.0.1' } }]],
      [Type.SRV, [{ name: 'dns.core.rocks.', type: Type.SRV, class: 1, ttl: 5, data: { priority: 0, weight: 100, port: 100, target: 'srv1.dns.core.rocks.' } }]],
      [Type.HINFO, [{ name: 'core.dns.rocks.', type: Type.HINFO, class: 1, ttl: 5, data: { raw: Uint8Array.of(1, 65, 1, 66) } }]],
    ])(`${mode}: type %i gets its question and owner names back`, async (type, answers) => {
      const res = await serve(p, request('core.dns.rocks.', type), responder(() => answers));
      expect(res.questions).toEqual([{ name: 'core.dns.rocks.', type, class: 1 }]);
      for (const r of res.answers) expect(r.name).toBe('core.dns.rocks.');
    });

    it(`${mode}: SRV targets and the additional records for them, with answer name and value`, async () => {
      const q = plugin([mode, 'name', 'regex', '(.*)\\.domain\\.uk', '{1}.cluster.local',
        'answer', 'name', '(.*)\\.cluster\\.local', '{1}.domain.uk', 'answer', 'value', '(.*)\\.cluster\\.local', '{1}.domain.uk']);
      const next = Object.assign((req: Parameters<ReturnType<typeof responder>>[0]) => ({
        ...responder(() => [{ name: 'my.cluster.local.', type: Type.SRV, class: 1, ttl: 5, data: { priority: 0, weight: 100, port: 100, target: 'srv1.my.cluster.local.' } }])(req),
        additional: [{ name: 'srv1.my.cluster.local.', type: Type.A, class: 1, ttl: 5, data: { address: '10.0.0.1' } }],
      }), { seen: [] });
      const res = await serve(q, request('my.domain.uk.', Type.SRV), next);
      expect(res.questions[0]!.name).toBe('my.domain.uk.');
      expect((res.answers[0]!.data as SRVData).target).toBe('srv1.my.domain.uk.');
      expect(res.additional[0]!.name).toBe('srv1.my.domain.uk.');
    });
  }
});

describe('rewrite: cname rules (CoreDNS TestCNameTargetRewrite)', () => {
  const p = plugin(
    ['continue', 'cname', 'exact', 'def.example.com.', 'xyz.example.com.'],
    ['continue', 'cname', 'prefix', 'chat.openai.com', 'bard.google.com'],
    ['continue', 'cname', 'suffix', 'uvw.', 'xyz.'],
    ['continue', 'cname', 'substring', 'efgh', 'zzzz.www'],
    ['continue', 'cname', 'regex', '(.*)\\.web\\.(.*)\\.site\\.', '{1}.webapp.{2}.org.'],
  );
  type RR = { name: string; type: number; class: number; ttl: number; data: unknown };
  const rr = (name: string, ttl: number, type: number, v: string): RR =>
    ({ name, type, class: 1, ttl, data: type === Type.CNAME ? { target: v } : { address: v } });
  // what the rest of the chain answers for the new targets (CoreDNS's MockedUpstream)
  const upstream: Record<string, RR[]> = {
    [`xyz.example.com./${Type.A}`]: [rr('xyz.example.com.', 3600, Type.A, '3.4.5.6')],
    [`xyz.example.com./${Type.AAAA}`]: [rr('xyz.example.com.', 3600, Type.AAAA, '3a01:7e00::f03c:91ff:fe79:234c')],
    [`bard.google.com.cdn.cloudflare.net./${Type.A}`]: [rr('bard.google.com.cdn.cloudflare.net.', 1800, Type.A, '9.7.2.1')],
    [`www.hosting.xyz./${Type.A}`]: [rr('www.hosting.xyz.', 500, Type.A, '20.30.40.50')],
    [`abcd.zzzz.www.pqrst./${Type.A}`]: [rr('abcd.zzzz.www.pqrst.', 120, Type.A, '101.20.5.1'), rr('abcd.zzzz.www.pqrst.', 120, Type.A, '101.20.5.2')],
    [`orders.webapp.eu.org./${Type.A}`]: [rr('orders.webapp.eu.org.', 120, Type.A, '20.0.0.9')],
  };
  it.each([
    ['abc.example.com.', Type.A, [rr('abc.example.com.', 5, Type.CNAME, 'def.example.com.'), rr('def.example.com.', 5, Type.A, '1.2.3.4')],
      [rr('abc.example.com.', 5, Type.CNAME, 'xyz.example.com.'), rr('xyz.example.com.', 3600, Type.A, '3.4.5.6')]],
    ['abc.example.com.', Type.AAAA, [rr('abc.example.com.', 5, Type.CNAME, 'def.example.com.'), rr('def.example.com.', 5, Type.AAAA, '2a01:7e00::f03c:91ff:fe79:234c')],
      [rr('abc.example.com.', 5, Type.CNAME, 'xyz.example.com.'), rr('xyz.example.com.', 3600, Type.AAAA, '3a01:7e00::f03c:91ff:fe79:234c')]],
    ['chat.openai.com.', Type.A, [rr('chat.openai.com.', 20, Type.CNAME, 'chat.openai.com.cdn.cloudflare.net.'), rr('chat.openai.com.cdn.cloudflare.net.', 30, Type.A, '23.2.1.2'), rr('chat.openai.com.cdn.cloudflare.net.', 30, Type.A, '24.6.0.8')],
      [rr('chat.openai.com.', 20, Type.CNAME, 'bard.google.com.cdn.cloudflare.net.'), rr('bard.google.com.cdn.cloudflare.net.', 1800, Type.A, '9.7.2.1')]],
    ['coredns.io.', Type.A, [rr('coredns.io.', 100, Type.CNAME, 'www.hosting.uvw.'), rr('www.hosting.uvw.', 200, Type.A, '7.2.3.4')],
      [rr('coredns.io.', 100, Type.CNAME, 'www.hosting.xyz.'), rr('www.hosting.xyz.', 500, Type.A, '20.30.40.50')]],
    ['core.dns.rocks.', Type.A, [rr('core.dns.rocks.', 200, Type.CNAME, 'abcd.efgh.pqrst.'), rr('abcd.efgh.pqrst.', 100, Type.A, '200.30.45.67')],
      [rr('core.dns.rocks.', 200, Type.CNAME, 'abcd.zzzz.www.pqrst.'), rr('abcd.zzzz.www.pqrst.', 120, Type.A, '101.20.5.1'), rr('abcd.zzzz.www.pqrst.', 120, Type.A, '101.20.5.2')]],
    ['order.service.eu.', Type.A, [rr('order.service.eu.', 200, Type.CNAME, 'orders.web.eu.site.'), rr('orders.web.eu.site.', 50, Type.A, '10.10.15.1')],
      [rr('order.service.eu.', 200, Type.CNAME, 'orders.webapp.eu.org.'), rr('orders.webapp.eu.org.', 120, Type.A, '20.0.0.9')]],
  ])('%s type %i', async (from, type, answer, expected) => {
    const next = responder((req) => (req.question.name === from ? answer : upstream[`${req.question.name}/${req.qtype}`] ?? []) as never);
    const res = await serve(p, request(from, type), next);
    expect(res.answers).toEqual(expected);
  });
});

describe('rewrite: answer rules of several matching rules', () => {
  it('are undone in reverse, so a chain of exact rewrites maps the answer all the way back', async () => {
    const p = plugin(['continue', 'name', 'exact', 'a.example', 'b.example'], ['name', 'exact', 'b.example', 'c.example']);
    const next = responder();
    const res = await serve(p, request('a.example.', Type.A), next);
    expect(next.seen[0]!.question.name).toBe('c.example.');
    expect(res.answers[0]!.name).toBe('a.example.');
  });

  it('`answer value` rewrites PTR targets too', async () => {
    const p = plugin(['name', 'regex', '(.*)\\.in-addr\\.arpa', '{1}.in-addr.arpa', 'answer', 'value', '(.*)\\.cluster\\.local', '{1}.my.domain']);
    const res = await serve(p, request('1.0.96.10.in-addr.arpa.', Type.PTR), responder((r) => [
      { name: r.question.name, type: Type.PTR, class: 1, ttl: 5, data: { target: 'kubernetes.default.svc.cluster.local.' } },
    ]));
    expect((res.answers[0]!.data as NameData).target).toBe('kubernetes.default.svc.my.domain.');
  });
});
