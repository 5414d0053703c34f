/**
 * dns64's setup and handler with CoreDNS's own tables (plugin/dns64 setup_test.go:
 * TestSetupDns64PrefixLengths, TestSetupDns64; dns64_test.go: TestTo6, TestResponseShould,
 * TestDNS64), set up from Corefile text as the server does. `next` here is a plain function that
 * answers the AAAA question with the case's first response and the A question with its A response,
 * as CoreDNS's fakeHandler and fakeUpstream do.
 */
import { describe, expect, it } from 'vitest';
import { parseCorefile } from '../../../src/corefile/index.ts';
import { parseCidr } from '../../../src/corefile/cidr.ts';
import { CorefileError } from '../../../src/corefile/types.ts';
import { formatIPv6, parseIPv4 } from '../../../src/dns/ip.ts';
import { a, aaaa, soa } from '../../../src/dns/message.ts';
import { Rcode, Type, type Message, type ResourceRecord } from '../../../src/dns/types.ts';
import type { Plugin, Request } from '../../../src/plugin/contract.ts';
import { noResponse, isNoResponse } from '../../../src/plugin/noresponse.ts';
import { definition, overIPv4, shouldSynthesize } from '../../../src/plugins/dns64/index.ts';
import { embedIPv4, parseDns64 } from '../../../src/plugins/dns64/setup.ts';
import { request } from '../rewrite/helpers.ts';
import { setupContext } from '../../support/setup-context.ts';

const directives = (text: string) => parseCorefile(`. {\n${text}\n}\n`, 'Corefile')[0]!.directives;
const config = (text: string) => parseDns64(directives(text));
const prefixString = (text: string) => { const c = config(text).prefix; return `${formatIPv6(Uint8Array.from(c.bytes), 0)}/${c.prefix}`; };

async function dns64(text: string): Promise<Plugin> {
  const ctx = setupContext(['.']);
  const plugins = [];
  for (const d of directives(text)) plugins.push(await definition.setup(d, ctx));
  return plugins[0]!;
}

describe('dns64 setup (CoreDNS TestSetupDns64PrefixLengths, TestSetupDns64)', () => {
  for (const length of [32, 40, 48, 56, 64, 72, 80, 88, 96]) {
    const invalid = length === 72 || length === 80 || length === 88;
    for (const text of [`dns64 2001:db8::/${length}`, `dns64 {\n prefix 2001:db8::/${length}\n}`]) {
      it(`${text.replace(/\n/g, ' ')} → ${invalid ? 'error' : 'ok'}`, () => {
        if (invalid) expect(() => config(text)).toThrow(CorefileError);
        else expect(config(text).prefix.prefix).toBe(length);
      });
    }
  }

  it.each([
    ['dns64', '64:ff9b::/96', false, false],
    ['dns64 64:dead::/96', '64:dead::/96', false, false],
    ['dns64 {\n translate_all\n}', '64:ff9b::/96', false, true],
    ['dns64 {\n prefix 64:ff9b::/96\n}', '64:ff9b::/96', false, false],
    ['dns64 {\n prefix 64:ff9b::/32\n}', '64:ff9b::/32', false, false],
    ['dns64 {\n prefix 2002:ac12:b083::/96\n}', '2002:ac12:b083::/96', false, false],
    ['dns64 {\n prefix 2002:c0a8:a88a::/48\n}', '2002:c0a8:a88a::/48', false, false],
    ['dns64 {\n allow_ipv4\n}', '64:ff9b::/96', true, false],
  ])('%s', (text, prefix, allowIPv4, translateAll) => {
    const c = config(text);
    expect([prefixString(text), c.allowIPv4, c.translateAll]).toEqual([prefix, allowIPv4, translateAll]);
  });

  it.each([
    'dns64 {\n prefix 64:ff9b::/52\n}',
    'dns64 {\n prefix 64:ff9b::/104\n}',
    'dns64 {\n prefix 8.8.8.8/24\n}',
    'dns64 foobar {\n prefix 64:ff9b::/96\n}',
    'dns64 foobar',
    'dns64 {\n foobar\n}',
    'dns64 64:ff9b::/96 64:ff9b::/96',
    'dns64 {\n prefix\n}',
  ])('%s → FILE:LINE error', (text) => {
    expect(() => config(text)).toThrow(/^Corefile:\d+: dns64: /);
  });

  it('says why, in words an operator can act on', () => {
    expect(() => config('dns64 {\n prefix 8.8.8.8/24\n}')).toThrow('Corefile:3: dns64: invalid netmask 32 IPv6 address: "8.8.8.8/24" — the prefix must be IPv6');
    expect(() => config('dns64 {\n foobar\n}')).toThrow("Corefile:3: dns64: unknown property 'foobar' — expected one of: prefix, translate_all, allow_ipv4");
    expect(() => config('dns64 {\n filter_a\n}')).toThrow('Corefile:3: dns64: option filter_a (CoreDNS 1.12+) is not supported yet — remove it');
  });
});

describe('dns64 address synthesis (CoreDNS TestTo6)', () => {
  it.each([
    ['64:ff9b::/96', '64.64.64.64', '64:ff9b::4040:4040'],
    ['64:ff9b::/64', '64.64.64.64', '64:ff9b::40:4040:4000:0'],
    ['64:ff9b::/56', '64.64.64.64', '64:ff9b:0:40:40:4040::'],
    ['64::/32', '64.64.64.64', '64:0:4040:4040::'],
    ['2001:db8:100::/40', '192.0.2.33', '2001:db8:1c0:2:21::'],   // RFC 6052 section 2.4's table
    ['2001:db8:122::/48', '192.0.2.33', '2001:db8:122:c000:2:2100::'],
    ['2001:db8:122:300::/56', '192.0.2.33', '2001:db8:122:3c0:0:221::'],
  ])('%s + %s = %s', (prefix, v4text, want) => {
    const v4 = new Uint8Array(4);
    parseIPv4(v4text, v4, 0);
    expect(formatIPv6(embedIPv4(parseCidr(prefix)!, v4), 0)).toBe(want);
  });
});

const reply = (rcode: number, answers: ResourceRecord[] = [], authority: ResourceRecord[] = []): Message => ({
  id: 42, qr: true, opcode: 0, aa: false, tc: false, rd: true, ra: false, z: false, ad: false, cd: false, rcode,
  questions: [{ name: 'example.com.', type: Type.AAAA, class: 1 }], answers, authority, additional: [],
});
const SOA1 = (ttl = 70) => soa('example.com.', ttl, { mname: 'foo.', rname: 'bar.', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 1 });

describe('dns64 TestResponseShould', () => {
  it.each([
    ['an AAAA record: no', reply(0, [aaaa('example.com.', 60, '::1')]), false, false],
    ['no AAAA: yes', reply(0, [], [SOA1()]), false, true],
    ['a failure other than NXDOMAIN: yes', reply(Rcode.NOTIMP, [], [SOA1()]), false, true],
    ['NXDOMAIN with an SOA: no', reply(Rcode.NXDOMAIN, [], [SOA1()]), false, false],
    ['an AAAA record with translate_all: yes', reply(0, [aaaa('example.com.', 60, '::1')]), true, true],
    ['NXDOMAIN without an SOA (not a name error to response.Typify): yes', reply(Rcode.NXDOMAIN), false, true],
  ])('%s', (_n, res, translateAll, want) => {
    expect(shouldSynthesize(res, translateAll)).toBe(want);
  });
});

/** A next that answers A with `aRes` (failing when none is expected) and every other question with `initial`. */
function next(initial: Message, aRes?: Message) {
  const seen: Request[] = [];
  const fn = (req: Request): Message => {
    seen.push(req);
    if (req.qtype !== Type.A) return { ...initial, id: req.msg.id };
    if (aRes) return { ...aRes, id: req.msg.id };
    throw new Error(`unexpected A lookup for ${req.qname}`);
  };
  return Object.assign(fn, { seen });
}

const rrText = (rs: ResourceRecord[]) => rs.map((r) => `${r.name} ${r.ttl} ${r.type} ${(r.data as { address?: string }).address ?? ''}`);

describe('dns64 TestDNS64', () => {
  const twoA = [a('example.com.', 60, '192.0.2.42'), a('example.com.', 5000, '192.0.2.43')];
  const SOA2 = soa('example.com.', 3600, { mname: 'foo.', rname: 'bar.', serial: 1, refresh: 7200, retry: 900, expire: 1209600, minimum: 86400 });

  it.each([
    // name, initial AAAA answer, A answer, want rcode, want answers, want authority, want tc
    ['standard flow: SOA TTL caps the second record', reply(0, [], [SOA1(70)]), reply(0, twoA), 0,
      ['example.com. 60 28 64:ff9b::c000:22a', 'example.com. 70 28 64:ff9b::c000:22b'], 0, false],
    ['a empty: neither A nor AAAA', reply(0, [], [SOA2]), reply(0, [], [SOA2]), 0, [], 1, false],
    ['non-nxdomain error: no SOA, so 600 s caps', reply(Rcode.REFUSED), reply(0, twoA), 0,
      ['example.com. 60 28 64:ff9b::c000:22a', 'example.com. 600 28 64:ff9b::c000:22b'], 0, false],
    ['truncated A response: TC is kept', reply(0, [], [SOA1(70)]), { ...reply(0, twoA), tc: true }, 0,
      ['example.com. 60 28 64:ff9b::c000:22a', 'example.com. 70 28 64:ff9b::c000:22b'], 0, true],
  ] as const)('%s', async (_n, initial, aRes, rcode, answers, authority, tc) => {
    const p = await dns64('dns64');
    const nx = next(initial, aRes);
    const res = await p.serve!(request('example.com.', Type.AAAA, { remote: '::1' }), nx);
    expect(nx.seen.map((r) => [r.qname, r.qtype])).toEqual([['example.com.', Type.AAAA], ['example.com.', Type.A]]);
    expect([res.rcode, rrText(res.answers), res.authority.length, res.tc, res.qr, res.rd, res.questions[0]!.type]).toEqual([rcode, answers, authority, tc, true, true, Type.AAAA]);
  });

  it('nxdomain: the A question is never asked', async () => {
    const p = await dns64('dns64');
    const initial = reply(Rcode.NXDOMAIN, [], [SOA2]);
    const nx = next(initial);
    const res = await p.serve!(request('example.com.', Type.AAAA, { remote: '::1' }), nx);
    expect(nx.seen.length).toBe(1);
    expect([res.rcode, res.authority.length]).toEqual([Rcode.NXDOMAIN, 1]);
  });

  it('AAAA record: passed unchanged, no A question', async () => {
    const p = await dns64('dns64');
    const initial = reply(0, [aaaa('example.com.', 60, '::1'), aaaa('example.com.', 5000, '::2')]);
    const nx = next(initial);
    const res = await p.serve!(request('example.com.', Type.AAAA, { remote: '::1' }), nx);
    expect(nx.seen.length).toBe(1);
    expect(rrText(res.answers)).toEqual(['example.com. 60 28 ::1', 'example.com. 5000 28 ::2']);
  });

  it('translate_all replaces present AAAA records with synthesized ones', async () => {
    const p = await dns64('dns64 {\n translate_all\n}');
    const nx = next(reply(0, [aaaa('example.com.', 60, '::1')]), reply(0, twoA));
    const res = await p.serve!(request('example.com.', Type.AAAA, { remote: '2001:db8::1' }), nx);
    expect(rrText(res.answers)).toEqual(['example.com. 60 28 64:ff9b::c000:22a', 'example.com. 600 28 64:ff9b::c000:22b']);
  });

  it('only AAAA of class IN from IPv6 clients, unless allow_ipv4', async () => {
    const initial = reply(0, [], [SOA1()]);
    const plain = await dns64('dns64');
    for (const [remote, type] of [['192.0.2.1', Type.AAAA], ['::ffff:192.0.2.1', Type.AAAA], ['::1', Type.A], ['::1', Type.TXT]] as const) {
      const nx = next(initial, reply(0, twoA));
      await plain.serve!(request('example.com.', type, { remote }), nx);
      expect(nx.seen.length).toBe(1);
    }
    const chaos = next(initial, reply(0, twoA));
    await plain.serve!(request('example.com.', Type.AAAA, { remote: '::1', cls: 3 }), chaos);
    expect(chaos.seen.length).toBe(1);
    const v4 = await dns64('dns64 {\n allow_ipv4\n}');
    const nx = next(initial, reply(0, twoA));
    const res = await v4.serve!(request('example.com.', Type.AAAA, { remote: '192.0.2.1' }), nx);
    expect(rrText(res.answers)).toEqual(['example.com. 60 28 64:ff9b::c000:22a', 'example.com. 70 28 64:ff9b::c000:22b']);
  });

  it('passes a dropped query on untouched (acl drop behind dns64)', async () => {
    const p = await dns64('dns64');
    const res = await p.serve!(request('example.com.', Type.AAAA, { remote: '::1' }), (req) => noResponse(req));
    expect(isNoResponse(res)).toBe(true);
  });

  it('reads IPv4-mapped sources as IPv4', () => {
    expect([overIPv4('10.0.0.1'), overIPv4('::ffff:10.0.0.1'), overIPv4('::1'), overIPv4('fe80::1%eth0')]).toEqual([true, true, false, false]);
  });
});
