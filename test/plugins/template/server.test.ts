/**
 * template in a real server, over real sockets (dns2 and Node's resolver): CoreDNS's README
 * examples (NXDOMAIN for .invalid with an SOA, ip-a-b-c-d A and PTR, multiple patterns, MX with
 * additional records, hex groups through parseInt), the NXDOMAIN-for-AAAA pattern in front of
 * forward (a real loopback upstream), a CNAME answer followed through the chain, the metrics with
 * CoreDNS's names and labels, and FILE:LINE errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metric, scrape, type Sample } from '../../server/helpers.ts';
import { query, resolver } from '../../support/dns-client.ts';
import { freePort } from '../../support/ports.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { Upstream } from '../../support/upstream.ts';

let upstream: Upstream;
let srv: TestServer;
let mport: number;

beforeAll(async () => {
  upstream = await Upstream.start();
  upstream.add({ name: 'www.upstream.example.', type: 'A', ttl: 60, data: '192.0.2.80' });
  upstream.add({ name: 'www.upstream.example.', type: 'AAAA', ttl: 60, data: '2001:db8::80' });
  upstream.add({ name: 'cdn.upstream.example.', type: 'A', ttl: 60, data: '192.0.2.81' });
  mport = await freePort();
  srv = await startTestServer(`. {
    prometheus 127.0.0.1:${mport}
    errors
    template ANY ANY invalid {
      rcode NXDOMAIN
      authority "invalid. 60 {{ .Class }} SOA ns.invalid. hostmaster.invalid. (1 60 60 60 60)"
    }
    template IN AAAA upstream.example {
      rcode NXDOMAIN
    }
    template IN A example {
      match (^|[.])ip-(?P<a>[0-9]*)-(?P<b>[0-9]*)-(?P<c>[0-9]*)-(?P<d>[0-9]*)[.]example[.]$
      match "^(?P<a>[0-9]*)[.](?P<b>[0-9]*)[.](?P<c>[0-9]*)[.](?P<d>[0-9]*)[.]ext[.]example[.]$"
      answer "{{ .Name }} 60 IN A {{ .Group.a }}.{{ .Group.b }}.{{ .Group.c }}.{{ .Group.d }}"
      fallthrough
    }
    template IN A hex.example {
      match "^ip0a(?P<b>[a-f0-9]{2})(?P<c>[a-f0-9]{2})(?P<d>[a-f0-9]{2})[.]hex[.]example[.]$"
      answer "{{ .Name }} 60 IN A 10.{{ parseInt .Group.b 16 8 }}.{{ parseInt .Group.c 16 8 }}.{{ parseInt .Group.d 16 8 }}"
    }
    template IN MX example {
      match ^ip-10-(?P<b>[0-9]*)-(?P<c>[0-9]*)-(?P<d>[0-9]*)[.]example[.]$
      answer "{{ .Name }} 60 IN MX 10 {{ .Name }}"
      additional "{{ .Name }} 60 IN A 10.{{ .Group.b }}.{{ .Group.c }}.{{ .Group.d }}"
      authority "example. 60 IN NS ns0.example."
      fallthrough
    }
    template IN PTR in-addr.arpa {
      match ^(?P<d>[0-9]*)[.](?P<c>[0-9]*)[.](?P<b>[0-9]*)[.](?P<a>[0-9]*)[.]in-addr[.]arpa[.]$
      answer "{{ .Name }} 60 IN PTR ip-{{ .Group.a }}-{{ .Group.b }}-{{ .Group.c }}-{{ .Group.d }}.example."
    }
    template IN A alias.test {
      answer "{{ .Name }} 60 IN CNAME cdn.upstream.example."
    }
    template IN TXT whoami.test {
      answer "{{ .Name }} 0 IN TXT \\"{{ .Remote }}\\" \\"{{ .Type }}\\""
    }
    template IN TXT broken.test {
      answer "{{ .Name }} 60 IN TXT \\"{{ index .Match 2 }}\\""
    }
    template IN TXT nodata.test {
    }
    template IN A strict.test {
      match ^www[.]strict[.]test[.]$
      answer "{{ .Name }} 60 IN A 10.9.9.9"
    }
    template IN TXT badrr.test {
      answer "{{ .Name }}"
    }
    forward . ${upstream.address}
}
`);
});

afterAll(async () => {
  await srv?.stop();
  await upstream?.close();
});

describe('template in a server', () => {
  it('answers .invalid NXDOMAIN with the templated SOA, in any class', async () => {
    const p = await query(srv.port, 'foo.invalid', 'AAAA');
    expect(p.header.rcode).toBe(3);
    expect(p.header.aa).toBe(1);
    expect(p.authorities.map((r) => [r.name, r.type, r.ttl])).toEqual([['invalid', 6, 60]]);
    const ch = await query(srv.port, 'bar.invalid', 'TXT', { class: 3 });
    expect(ch.header.rcode).toBe(3);
  });

  it('NXDOMAIN for AAAA while A still goes to the upstream', async () => {
    const before = upstream.queries.length;
    const aaaa = await query(srv.port, 'www.upstream.example', 'AAAA');
    expect(aaaa.header.rcode).toBe(3);
    expect(upstream.queries.length).toBe(before);
    expect(await resolver(srv.port).resolve4('www.upstream.example')).toEqual(['192.0.2.80']);
  });

  it('ip-a-b-c-d.example A and the reverse PTR (README), the second pattern too', async () => {
    const r = resolver(srv.port);
    expect(await r.resolve4('ip-10-1-2-3.example')).toEqual(['10.1.2.3']);
    expect(await r.resolve4('www.ip-192-168-7-9.example')).toEqual(['192.168.7.9']);
    expect(await r.resolve4('172.16.0.9.ext.example')).toEqual(['172.16.0.9']);
    expect(await r.reverse('10.1.2.3')).toEqual(['ip-10-1-2-3.example']);
  });

  it('parseInt turns hex groups into octets', async () => {
    expect(await resolver(srv.port).resolve4('ip0a01ff10.hex.example')).toEqual(['10.1.255.16']);
  });

  it('MX with additional and authority records; a name no template matches falls through to forward', async () => {
    const p = await query(srv.port, 'ip-10-95-12-8.example', 'MX');
    expect(p.answers.map((r) => [r.type, r.exchange])).toEqual([[15, 'ip-10-95-12-8.example']]);
    expect(p.additionals.map((r) => [r.type, r.address])).toEqual([[1, '10.95.12.8']]);
    expect(p.authorities.map((r) => [r.type, r.ns])).toEqual([[2, 'ns0.example']]);
    const other = await query(srv.port, 'nothing.example', 'A');
    expect(other.header.rcode).toBe(3); // the upstream does not know it
    expect(upstream.queries.some((q) => q.name.toLowerCase() === 'nothing.example.')).toBe(true);
  });

  it('follows a templated CNAME through the rest of the chain (forward)', async () => {
    const p = await query(srv.port, 'alias.test', 'A');
    expect(p.answers.map((r) => [r.name, r.type, r.domain ?? r.address])).toEqual([
      ['alias.test', 5, 'cdn.upstream.example'],
      ['cdn.upstream.example', 1, '192.0.2.81'],
    ]);
  });

  it('a template without records answers NODATA; a name no regex matches, without fallthrough, SERVFAIL', async () => {
    const nodata = await query(srv.port, 'nodata.test', 'TXT');
    expect([nodata.header.rcode, nodata.header.aa, nodata.answers.length]).toEqual([0, 1, 0]);
    expect(await resolver(srv.port).resolve4('www.strict.test')).toEqual(['10.9.9.9']);
    expect((await query(srv.port, 'other.strict.test', 'A')).header.rcode).toBe(2);
  });

  it('.Remote and .Type', async () => {
    const txt = await resolver(srv.port).resolveTxt('whoami.test');
    expect(txt).toEqual([['127.0.0.1', 'TXT']]);
  });

  it('counts matches and failures with CoreDNS\'s names and labels', async () => {
    expect((await query(srv.port, 'broken.test', 'TXT')).header.rcode).toBe(2);
    expect((await query(srv.port, 'badrr.test', 'TXT')).header.rcode).toBe(2);
    await query(srv.port, 'ip-10-1-2-3.example', 'A');
    const samples: Sample[] = await scrape(mport);
    const server = `dns://:${srv.port}`;
    expect(metric(samples, 'coredns_template_matches_total', { server, zone: 'example.', view: '', class: 'IN', type: 'A' })).toBeGreaterThanOrEqual(1);
    expect(metric(samples, 'coredns_template_template_failures_total', {
      server, zone: 'broken.test.', view: '', class: 'IN', type: 'TXT', section: 'answer', template: '{{.Name}} 60 IN TXT \\"{{index .Match 2}}\\"',
    })).toBe(1);
    expect(metric(samples, 'coredns_template_rr_failures_total', {
      server, zone: 'badrr.test.', view: '', class: 'IN', type: 'TXT', section: 'answer', template: '{{.Name}}',
    })).toBe(1);
    expect(srv.logs.some((l) => l.includes('[ERROR] plugin/errors: 2 broken.test. TXT: template: answer:1:26: executing "answer" at <index .Match 2>: error calling index: index out of range: 2'))).toBe(true);
  });
});

describe('template: Corefile errors are FILE:LINE', () => {
  it.each([
    ['template in A {\n    rcode NXDOMAIN\n  }', /Corefile:2: template: invalid query class in/],
    ['template IN BOGUS {\n    rcode NXDOMAIN\n  }', /Corefile:2: template: invalid RR type BOGUS/],
    ['template IN A {\n    match ([a-z\n    rcode NXDOMAIN\n  }', /Corefile:3: template: could not parse regex: \(\[a-z/],
    ['template IN A {\n    answer "{{ .Name "\n  }', /Corefile:3: template: could not compile template: \{\{ \.Name , template: answer:1: unclosed action/],
    ['template IN A {\n    answer "{{ nope }}"\n  }', /Corefile:3: template: could not compile template: .*function "nope" not defined/],
    ['template IN A {\n    rcode NOPE\n  }', /Corefile:3: template: unknown rcode NOPE/],
    ['template IN A {\n    bogus x\n    rcode NXDOMAIN\n  }', /Corefile:3: template: unknown option 'bogus'/],
  ])('%s', async (text, err) => {
    await expect(startTestServer(`. {\n  ${text}\n  whoami\n}\n`)).rejects.toThrow(err);
  });
});
