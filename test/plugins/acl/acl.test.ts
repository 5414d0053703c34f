/**
 * acl's setup and handler with CoreDNS's own tables (plugin/acl setup_test.go: TestSetup,
 * TestNormalize; acl_test.go: TestACLServeDNS, IPv4 and IPv6), set up from Corefile text as the
 * server does. The source address is the request's remote address, which a unit test can set to
 * any value (the server tests use real sockets on 127.0.0.x).
 */
import { describe, expect, it } from 'vitest';
import { parseCorefile } from '../../../src/corefile/index.ts';
import { CorefileError } from '../../../src/corefile/types.ts';
import { Rcode, Type, type Message } from '../../../src/dns/types.ts';
import type { Next, Plugin, Request } from '../../../src/plugin/contract.ts';
import { isNoResponse } from '../../../src/plugin/noresponse.ts';
import { definition, sourceBytes } from '../../../src/plugins/acl/index.ts';
import { normalizeNet } from '../../../src/plugins/acl/setup.ts';
import { request } from '../rewrite/helpers.ts';
import { setupContext } from '../../support/setup-context.ts';

async function acl(body: string, zones: string[] = ['.']): Promise<Plugin> {
  const [block] = parseCorefile(`. {\n${body}\n}\n`, 'Corefile');
  const ctx = setupContext(zones);
  const plugins = [];
  for (const d of block!.directives) plugins.push(await definition.setup(d, ctx));
  return plugins[0]!;
}

/** CoreDNS's test.NextHandler(dns.RcodeSuccess, nil): NOERROR, counted. */
function success(): Next & { calls: number } {
  const fn = Object.assign((req: Request): Message => {
    fn.calls++;
    return { ...req.msg, qr: true, rcode: Rcode.NOERROR, answers: [], authority: [], additional: [] };
  }, { calls: 0 });
  return fn;
}

describe('acl setup (CoreDNS TestSetup)', () => {
  it.each([
    ['Blacklist 1', 'acl {\n block type A net 192.168.0.0/16\n}', true],
    ['Blacklist 2', 'acl {\n block type * net 192.168.0.0/16\n}', true],
    ['Blacklist 3', 'acl {\n block type A net *\n}', true],
    ['Blacklist 4', 'acl {\n allow type * net 192.168.1.0/24\n block type * net 192.168.0.0/16\n}', true],
    ['Filter 1', 'acl {\n filter type A net 192.168.0.0/16\n}', true],
    ['Drop 1', 'acl {\n drop type A net 192.168.0.0/16\n}', true],
    ['Whitelist 1', 'acl {\n allow type * net 192.168.0.0/16\n block type * net *\n}', true],
    ['fine-grained 1', 'acl a.example.org {\n block type * net 192.168.1.0/24\n}', true],
    ['fine-grained 2', 'acl a.example.org {\n block type * net 192.168.1.0/24\n}\nacl b.example.org {\n block type * net 192.168.2.0/24\n}', true],
    ['Multiple Networks 1', 'acl example.org {\n block type * net 192.168.1.0/24 192.168.3.0/24\n}', true],
    ['Multiple Qtypes 1', 'acl example.org {\n block type TXT ANY CNAME net 192.168.3.0/24\n}', true],
    ['Missing argument 1', 'acl {\n block A net 192.168.0.0/16\n}', false],
    ['Missing argument 2', 'acl {\n block type net 192.168.0.0/16\n}', false],
    ['Illegal argument 1', 'acl {\n block type ABC net 192.168.0.0/16\n}', false],
    ['Illegal argument 2', 'acl {\n blck type A net 192.168.0.0/16\n}', false],
    ['Illegal argument 3', 'acl {\n block type A net 192.168.0/16\n}', false],
    ['Illegal argument 4', 'acl {\n block type A net 192.168.0.0/33\n}', false],
    ['Blacklist 1 IPv6', 'acl {\n block type A net 2001:0db8:85a3:0000:0000:8a2e:0370:7334\n}', true],
    ['Blacklist 2 IPv6', 'acl {\n block type * net 2001:db8:85a3::8a2e:370:7334\n}', true],
    ['Blacklist 3 IPv6', 'acl {\n block type A\n}', true],
    ['Blacklist 4 IPv6', 'acl {\n allow net 2001:db8:abcd:0012::0/64\n block net 2001:db8:abcd:0012::0/48\n}', true],
    ['Whitelist 1 IPv6', 'acl {\n allow net 2001:db8:abcd:0012::0/64\n block\n}', true],
    ['fine-grained 1 IPv6', 'acl a.example.org {\n block net 2001:db8:abcd:0012::0/64\n}', true],
    ['fine-grained 2 IPv6', 'acl a.example.org {\n block net 2001:db8:abcd:0012::0/64\n}\nacl b.example.org {\n block net 2001:db8:abcd:0013::0/64\n}', true],
    ['Multiple Networks 1 IPv6', 'acl example.org {\n block net 2001:db8:abcd:0012::0/64 2001:db8:85a3::8a2e:370:7334/64\n}', true],
    ['Illegal argument 1 IPv6', 'acl {\n block type A net 2001::85a3::8a2e:370:7334\n}', false],
    ['Illegal argument 2 IPv6', 'acl {\n block type A net 2001:db8:85a3:::8a2e:370:7334\n}', false],
  ])('%s', async (_name, text, ok) => {
    if (ok) await expect(acl(text)).resolves.toBeDefined();
    else await expect(acl(text)).rejects.toThrow(CorefileError);
  });

  it('names the line and says what was expected, in CoreDNS\'s words', async () => {
    await expect(acl('acl {\n blck type A\n}')).rejects.toThrow(`Corefile:3: acl: unexpected token "blck"; expect 'allow', 'block', 'filter' or 'drop'`);
    await expect(acl('acl {\n block type ABC\n}')).rejects.toThrow('Corefile:3: acl: unexpected token "ABC"; expect legal QTYPE');
    await expect(acl('acl {\n block type\n}')).rejects.toThrow('Corefile:3: acl: no token specified in "type" section');
    await expect(acl('acl {\n block A\n}')).rejects.toThrow(`Corefile:3: acl: unexpected token "A"; expect 'type | net'`);
    await expect(acl('acl {\n block net 10.0.0.0/33\n}')).rejects.toThrow('Corefile:3: acl: illegal CIDR notation "10.0.0.0/33"');
    await expect(acl('acl {\n block net 10.0.0.1\n}\n\nacl {\n drop net ::1/129\n}')).rejects.toThrow('Corefile:7: acl: illegal CIDR notation "::1/129"');
  });

  it('normalizes a single address to a /32 or /128 network (TestNormalize)', () => {
    expect(normalizeNet('10.218.10.8/24')).toBe('10.218.10.8/24');
    expect(normalizeNet('10.218.10.8')).toBe('10.218.10.8/32');
    expect(normalizeNet('2001:0db8:85a3:0000:0000:8a2e:0370:7334/64')).toBe('2001:0db8:85a3:0000:0000:8a2e:0370:7334/64');
    expect(normalizeNet('2001:0db8:85a3:0000:0000:8a2e:0370:7334')).toBe('2001:0db8:85a3:0000:0000:8a2e:0370:7334/128');
  });

  it('reads an IPv4-mapped IPv6 source as IPv4 and ignores a %zone, as Go\'s net.ParseIP and To4 do', () => {
    expect(Array.from(sourceBytes('::ffff:192.168.0.2')!)).toEqual([192, 168, 0, 2]);
    expect(sourceBytes('fe80::1%eth0')!.length).toBe(16);
    expect(sourceBytes('not-an-ip')).toBeUndefined();
  });
});

// [name, config, block zones, qname, source, qtype, expected: rcode | 'drop']
type Case = [string, string, string[], string, string, number, number | 'drop'];
const { A, AAAA, TXT } = Type;
const REFUSED = Rcode.REFUSED;
const OK = Rcode.NOERROR;

const CASES: Case[] = [
  // IPv4
  ['Blacklist 1 BLOCKED', 'acl example.org {\n block type A net 192.168.0.0/16\n}', [], 'www.example.org.', '192.168.0.2', A, REFUSED],
  ['Blacklist 1 ALLOWED', 'acl example.org {\n block type A net 192.168.0.0/16\n}', [], 'www.example.org.', '192.167.0.2', A, OK],
  ['Blacklist 2 BLOCKED', 'acl example.org {\n block type * net 192.168.0.0/16\n}', [], 'www.example.org.', '192.168.0.2', AAAA, REFUSED],
  ['Blacklist 3 BLOCKED', 'acl example.org {\n block type A\n}', [], 'www.example.org.', '10.1.0.2', A, REFUSED],
  ['Blacklist 3 ALLOWED', 'acl example.org {\n block type A\n}', [], 'www.example.org.', '10.1.0.2', AAAA, OK],
  ['Blacklist 4 Single IP BLOCKED', 'acl example.org {\n block type A net 192.168.1.2\n}', [], 'www.example.org.', '192.168.1.2', A, REFUSED],
  ['Blacklist 4 Single IP ALLOWED', 'acl example.org {\n block type A net 192.168.1.2\n}', [], 'www.example.org.', '192.168.1.3', A, OK],
  ['Filter 1 FILTERED', 'acl example.org {\n filter type A net 192.168.0.0/16\n}', [], 'www.example.org.', '192.168.0.2', A, OK],
  ['Filter 1 ALLOWED', 'acl example.org {\n filter type A net 192.168.0.0/16\n}', [], 'www.example.org.', '192.167.0.2', A, OK],
  ['Drop 1 DROPPED', 'acl example.org {\n drop type A net 192.168.0.0/16\n}', [], 'www.example.org.', '192.168.0.2', A, 'drop'],
  ['Drop 1 ALLOWED', 'acl example.org {\n drop type A net 192.168.0.0/16\n}', [], 'www.example.org.', '192.167.0.2', A, OK],
  ['Whitelist 1 ALLOWED', 'acl example.org {\n allow net 192.168.0.0/16\n block\n}', [], 'www.example.org.', '192.168.0.2', A, OK],
  ['Whitelist 1 REFUSED', 'acl example.org {\n allow type * net 192.168.0.0/16\n block\n}', [], 'www.example.org.', '10.1.0.2', A, REFUSED],
  ['Fine-Grained 1 REFUSED', 'acl a.example.org {\n block type * net 192.168.1.0/24\n}', ['example.org.'], 'a.example.org.', '192.168.1.2', A, REFUSED],
  ['Fine-Grained 1 ALLOWED', 'acl a.example.org {\n block net 192.168.1.0/24\n}', ['example.org.'], 'www.example.org.', '192.168.1.2', A, OK],
  ['Fine-Grained 2 REFUSED', 'acl {\n block net 192.168.1.0/24\n}', ['example.org.'], 'a.example.org.', '192.168.1.2', A, REFUSED],
  ['Fine-Grained 2 ALLOWED', 'acl {\n block net 192.168.1.0/24\n}', ['example.org.'], 'a.example.com.', '192.168.1.2', A, OK],
  ['Fine-Grained 3 REFUSED', 'acl a.example.org {\n block net 192.168.1.0/24\n}\nacl b.example.org {\n block type * net 192.168.2.0/24\n}', ['example.org.'], 'b.example.org.', '192.168.2.2', A, REFUSED],
  ['Fine-Grained 3 ALLOWED', 'acl a.example.org {\n block net 192.168.1.0/24\n}\nacl b.example.org {\n block net 192.168.2.0/24\n}', ['example.org.'], 'b.example.org.', '192.168.1.2', A, OK],
  // IPv6
  ['Blacklist 1 BLOCKED IPv6', 'acl example.org {\n block type A net 2001:db8:abcd:0012::0/64\n}', [], 'www.example.org.', '2001:db8:abcd:0012::1230', A, REFUSED],
  ['Blacklist 1 ALLOWED IPv6', 'acl example.org {\n block type A net 2001:db8:abcd:0012::0/64\n}', [], 'www.example.org.', '2001:db8:abcd:0013::0', A, OK],
  ['Blacklist 2 BLOCKED IPv6', 'acl example.org {\n block type A\n}', [], 'www.example.org.', '2001:0db8:85a3:0000:0000:8a2e:0370:7334', A, REFUSED],
  ['Blacklist 3 Single IP BLOCKED IPv6', 'acl example.org {\n block type A net 2001:0db8:85a3:0000:0000:8a2e:0370:7334\n}', [], 'www.example.org.', '2001:0db8:85a3:0000:0000:8a2e:0370:7334', A, REFUSED],
  ['Blacklist 3 Single IP ALLOWED IPv6', 'acl example.org {\n block type A net 2001:0db8:85a3:0000:0000:8a2e:0370:7334\n}', [], 'www.example.org.', '2001:0db8:85a3:0000:0000:8a2e:0370:7335', A, OK],
  ['Fine-Grained 1 REFUSED IPv6', 'acl a.example.org {\n block type * net 2001:db8:abcd:0012::0/64\n}', ['example.org.'], 'a.example.org.', '2001:db8:abcd:0012:2019::0', A, REFUSED],
  ['Fine-Grained 1 ALLOWED IPv6', 'acl a.example.org {\n block net 2001:db8:abcd:0012::0/64\n}', ['example.org.'], 'www.example.org.', '2001:db8:abcd:0012:2019::0', A, OK],
  ['Blacklist net * BLOCKED IPv6', 'acl example.org {\n block net *\n}', [], 'www.example.org.', '2001:db8::1', TXT, REFUSED],
  ['IPv4 rule does not match IPv6', 'acl example.org {\n block net 0.0.0.0/0\n}', [], 'www.example.org.', '2001:db8::1', A, OK],
  ['IPv4-mapped source matches IPv4 rule', 'acl example.org {\n block net 192.168.0.0/16\n}', [], 'www.example.org.', '::ffff:192.168.0.2', A, REFUSED],
];

describe('acl handler (CoreDNS TestACLServeDNS)', () => {
  it.each(CASES)('%s', async (_name, config, zones, qname, source, qtype, want) => {
    const p = await acl(config, zones);
    const next = success();
    const res = await p.serve!(request(qname, qtype, { remote: source }), next);
    if (want === 'drop') {
      expect(isNoResponse(res)).toBe(true);
      expect(next.calls).toBe(0);
      return;
    }
    expect(isNoResponse(res)).toBe(false);
    expect(res.rcode).toBe(want);
    const passed = next.calls === 1;
    // blocked and filtered answers carry an EDE; what was allowed reached the next plugin
    if (passed) expect(res.edns?.options ?? []).toEqual([]);
    else expect(res.edns?.options.map((o) => [o.code, Buffer.from(o.data).readUInt16BE(0)])).toEqual([[15, want === REFUSED ? 15 : 17]]);
  });

  it('first matching policy wins; a rule without a match leaves the query to the next rule', async () => {
    const p = await acl('acl example.org {\n block type TXT net 10.0.0.0/8\n}\nacl {\n filter net 10.1.0.0/16\n allow net 10.0.0.0/8\n block\n}');
    const go = async (name: string, type: number, ip: string) => {
      const next = success();
      const res = await p.serve!(request(name, type, { remote: ip }), next);
      return next.calls === 1 ? 'allowed' : res.rcode === REFUSED ? 'blocked' : 'filtered';
    };
    expect(await go('a.example.org.', TXT, '10.2.0.1')).toBe('blocked');     // first rule
    expect(await go('a.example.org.', A, '10.1.0.1')).toBe('filtered');      // first rule: no policy for A → second rule
    expect(await go('a.example.org.', A, '10.2.0.1')).toBe('allowed');
    expect(await go('a.example.net.', TXT, '10.2.0.1')).toBe('allowed');     // not in example.org: second rule
    expect(await go('a.example.net.', A, '192.0.2.1')).toBe('blocked');
  });
});
