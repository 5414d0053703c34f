/**
 * The template plugin's handler with CoreDNS's own cases (plugin/template template_test.go:
 * TestHandler and TestMultiSection), set up from Corefile text as the server does.
 */
import { describe, expect, it } from 'vitest';
import { parseCorefile } from '../../../src/corefile/index.ts';
import { Class, Type, type Message, type MXData, type SOAData, type TXTData } from '../../../src/dns/types.ts';
import type { Plugin, Request } from '../../../src/plugin/contract.ts';
import { definition } from '../../../src/plugins/template/index.ts';
import { recordingNext } from '../hosts/request.ts';
import { setupContext } from '../../support/setup-context.ts';
import { request } from '../rewrite/helpers.ts';

async function templates(body: string, zones = ['.']): Promise<Plugin> {
  const [block] = parseCorefile(`. {\n${body}\n}\n`, 'Corefile');
  const ctx = setupContext(zones);
  const plugins = [];
  for (const d of block!.directives) plugins.push(await definition.setup(d, ctx));
  return plugins[0]!;
}

async function ask(p: Plugin, name: string, type: number, cls: number = Class.IN): Promise<{ res: Message; next: number; req: Request }> {
  const next = recordingNext();
  const req = request(name, type, { cls });
  const res = await p.serve!(req, next);
  return { res, next: next.calls, req };
}

const errorsOf = (req: Request) => ((req.meta.get('errors') as Error[] | undefined) ?? []).map((e) => e.message);

describe('template: CoreDNS TestHandler', () => {
  const ipA = `match "(^|[.])ip-10-(?P<b>[0-9]*)-(?P<c>[0-9]*)-(?P<d>[0-9]*)[.]example[.]$"
    answer "{{ .Name }} 60 IN A 10.{{ .Group.b }}.{{ .Group.c }}.{{ .Group.d }}"
    fallthrough`;

  it('RcodeServFail: SERVFAIL', async () => {
    const p = await templates('template ANY ANY {\n rcode SERVFAIL\n fallthrough\n}');
    expect((await ask(p, 'test.invalid.', Type.A)).res.rcode).toBe(2);
  });

  it('ExampleDomainNameMismatch: a name no regex matches falls through', async () => {
    const p = await templates(`template ANY ANY {\n${ipA}\n}`);
    const { next } = await ask(p, 'test.invalid.', Type.A);
    expect(next).toBe(1);
  });

  it('BrokenTemplate: SERVFAIL and Go\'s error', async () => {
    const p = await templates('template ANY ANY {\n match "[.]example[.]$"\n answer "{{ .Name }} 60 IN TXT \\"{{ index .Match 2 }}\\""\n fallthrough\n}');
    const { res, req } = await ask(p, 'test.example.', Type.ANY);
    expect(res.rcode).toBe(2);
    expect(errorsOf(req)).toEqual(['template: answer:1:26: executing "answer" at <index .Match 2>: error calling index: index out of range: 2']);
  });

  it.each(['answer', 'additional', 'authority'])('NonRR %s: SERVFAIL and miekg/dns\'s error', async (section) => {
    const p = await templates(`template ANY ANY {\n match "[.]example[.]$"\n ${section} "{{ .Name }}"\n rcode NOERROR\n answer "x. 1 IN A 1.1.1.1"\n fallthrough\n}`);
    const { res, req } = await ask(p, 'test.example.', Type.ANY);
    expect(res.rcode).toBe(2);
    expect(errorsOf(req)).toEqual(['dns: not a TTL: "test.example." at line: 1:13']);
  });

  it('ExampleDomainMatch: the A record from the groups', async () => {
    const p = await templates(`template ANY ANY {\n${ipA}\n}`);
    const { res } = await ask(p, 'ip-10-95-12-8.example.', Type.A);
    expect(res.aa).toBe(true);
    expect(res.answers).toEqual([{ name: 'ip-10-95-12-8.example.', type: Type.A, class: 1, ttl: 60, data: { address: '10.95.12.8' } }]);
  });

  it('ExampleDomainMXMatch and ExampleDomainANSMatch: additional and authority sections', async () => {
    const mx = await templates(`template ANY ANY {
      match "(^|[.])ip-10-(?P<b>[0-9]*)-(?P<c>[0-9]*)-(?P<d>[0-9]*)[.]example[.]$"
      answer "{{ .Name }} 60 MX 10 {{ .Name }}"
      additional "{{ .Name }} 60 IN A 10.{{ .Group.b }}.{{ .Group.c }}.{{ .Group.d }}"
      fallthrough
    }`);
    const r = (await ask(mx, 'ip-10-95-12-8.example.', Type.MX)).res;
    expect(r.answers.map((a) => [a.type, (a.data as MXData).exchange])).toEqual([[Type.MX, 'ip-10-95-12-8.example.']]);
    expect(r.additional.map((a) => a.type)).toEqual([Type.A]);
    const ans = await templates(`template ANY ANY {\n${ipA}\n additional "ns0.example. IN A 203.0.113.8"\n authority "example. IN NS ns0.example.com."\n}`);
    const r2 = (await ask(ans, 'ip-10-95-12-8.example.', Type.A)).res;
    expect(r2.additional).toEqual([{ name: 'ns0.example.', type: Type.A, class: 1, ttl: 3600, data: { address: '203.0.113.8' } }]);
    expect(r2.authority).toEqual([{ name: 'example.', type: Type.NS, class: 1, ttl: 3600, data: { target: 'ns0.example.com.' } }]);
  });

  it('ExampleInvalidNXDOMAIN: the rcode with an SOA built from .Class', async () => {
    const p = await templates('template ANY ANY {\n match "[.]invalid[.]$"\n rcode NXDOMAIN\n answer "invalid. 60 {{ .Class }} SOA a.invalid. b.invalid. (1 60 60 60 60)"\n fallthrough\n}');
    const { res } = await ask(p, 'test.invalid.', Type.MX);
    expect(res.rcode).toBe(3);
    expect(res.answers[0]!.type).toBe(Type.SOA);
    expect(res.answers[0]!.data as SOAData).toEqual({ mname: 'a.invalid.', rname: 'b.invalid.', serial: 1, refresh: 60, retry: 60, expire: 60, minimum: 60 });
  });

  it('CNAMEWithoutUpstream: the CNAME alone when nothing answers its target', async () => {
    const p = await templates('template ANY ANY {\n match "example[.]net[.]"\n answer "example.net 60 IN CNAME target.example.com"\n fallthrough\n}');
    const { res } = await ask(p, 'example.net.', Type.A);
    expect(res.rcode).toBe(0);
    expect(res.answers).toEqual([{ name: 'example.net.', type: Type.CNAME, class: 1, ttl: 60, data: { target: 'target.example.com.' } }]);
  });
});

describe('template: CoreDNS TestMultiSection', async () => {
  const p = await templates(`
    # REFUSE IN A for the server zone (test.)
    template IN A {
      rcode REFUSED
    }
    # Fallthrough everything IN TXT for test.
    template IN TXT {
      match "$^"
      rcode SERVFAIL
      fallthrough
    }
    # Answer CH TXT *.coredns.invalid. / coredns.invalid.
    template CH TXT coredns.invalid {
      answer "{{ .Name }} 60 CH TXT \\"test\\""
    }
    # Answer example. ip templates and fallthrough otherwise
    template IN A example {
      match ^ip-10-(?P<b>[0-9]*)-(?P<c>[0-9]*)-(?P<d>[0-9]*)[.]example[.]$
      answer "{{ .Name }} 60 IN A 10.{{ .Group.b }}.{{ .Group.c }}.{{ .Group.d }}"
      fallthrough
    }
    # Answer MX record requests for ip templates in example. and never fall through
    template IN MX example {
      match ^ip-10-(?P<b>[0-9]*)-(?P<c>[0-9]*)-(?P<d>[0-9]*)[.]example[.]$
      answer "{{ .Name }} 60 IN MX 10 {{ .Name }}"
      additional "{{ .Name }} 60 IN A 10.{{ .Group.b }}.{{ .Group.c }}.{{ .Group.d }}"
    }
    template IN ANY . {
      match ^nowana[.](.*)$
      answer "{{ .Name }} 60 IN A 1.2.3.4"
      fallthrough
    }
    template IN ANY . {
      match ^(www[.])?cnamewitha[.](.*)$
      answer "{{ .Name }} 60 IN CNAME nowana.com."
      fallthrough
    }`, ['test.']);

  it('some.test. A is REFUSED', async () => {
    expect((await ask(p, 'some.test.', Type.A)).res.rcode).toBe(5);
  });
  it('some.test. TXT falls through', async () => {
    expect((await ask(p, 'some.test.', Type.TXT)).next).toBe(1);
  });
  it('coredns.invalid. CH TXT answers "test"', async () => {
    const { res } = await ask(p, 'coredns.invalid.', Type.TXT, Class.CH);
    expect(res.rcode).toBe(0);
    expect(res.answers).toHaveLength(1);
    expect(res.answers[0]!.class).toBe(Class.CH);
    expect(Buffer.from((res.answers[0]!.data as TXTData).texts[0]!).toString()).toBe('test');
  });
  it('ip-10-11-12-13.example. A and MX', async () => {
    const a = (await ask(p, 'ip-10-11-12-13.example.', Type.A)).res;
    expect(a.answers.map((r) => r.type)).toEqual([Type.A]);
    const mx = (await ask(p, 'ip-10-11-12-13.example.', Type.MX)).res;
    expect(mx.answers.map((r) => r.type)).toEqual([Type.MX]);
  });
  it('something.example. A falls through, MX does not (SERVFAIL, as CoreDNS\'s README now says)', async () => {
    expect((await ask(p, 'something.example.', Type.A)).next).toBe(1);
    const mx = await ask(p, 'something.example.', Type.MX);
    expect(mx.next).toBe(0);
    expect(mx.res.rcode).toBe(2);
  });
  it('www.cnamewitha.com. A gets the CNAME and the A of its target', async () => {
    const { res } = await ask(p, 'www.cnamewitha.com.', Type.A);
    expect(res.answers.map((r) => [r.name, r.type])).toEqual([['www.cnamewitha.com.', Type.CNAME], ['nowana.com.', Type.A]]);
  });
  it('a CNAME to itself stops after a bounded number of lookups', async () => {
    const loop = await templates('template IN A {\n answer "{{ .Name }} 60 IN CNAME {{ .Name }}"\n}');
    const { res } = await ask(loop, 'self.example.', Type.A);
    expect(res.answers.every((r) => r.type === Type.CNAME)).toBe(true);
    expect(res.answers.length).toBeLessThanOrEqual(9);
  });
});
