/**
 * rewrite's edns0 rules with CoreDNS's tables (rewrite_test.go: TestRewriteEDNS0Local,
 * TestEdns0LocalMultiRule, TestRewriteEDNS0LocalVariable, TestRewriteEDNS0Subnet): the options the
 * rest of the chain sees. CoreDNS's test writer is 10.240.0.1:40212 → 127.0.0.1:53, or
 * [fe80::42:ff:feca:4c65]:40212 → [::1]:53 for IPv6.
 */
import { describe, expect, it } from 'vitest';
import { decode } from '../../../src/dns/codec.ts';
import type { EdnsOption } from '../../../src/dns/types.ts';
import { plugin, request, responder, serve, type ReqOptions } from './helpers.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const text = (s: string) => Uint8Array.from(Buffer.from(s, 'utf8'));
const local = (data: Uint8Array): EdnsOption => ({ code: 0xffee, data });

async function seenOptions(rules: string[][], o: ReqOptions = {}): Promise<EdnsOption[] | undefined> {
  const next = responder();
  await serve(plugin(...rules), request('example.com.', 1, o), next);
  const e = next.seen[0]?.msg.edns;
  return e?.options.map((x) => ({ code: x.code, data: Uint8Array.from(x.data) }));
}

describe('rewrite edns0: local and nsid (TestRewriteEDNS0Local)', () => {
  it.each([
    [['local', 'set', '0xffee', '0xabcdef'], [local(hex('abcdef'))]],
    [['local', 'append', '0xffee', 'abcdefghijklmnop'], [local(text('abcdefghijklmnop'))]],
    [['local', 'replace', '0xffee', 'abcdefghijklmnop'], undefined],    // nothing to replace: the query goes on untouched
    [['nsid', 'set'], [{ code: 3, data: new Uint8Array(0) }]],
    [['nsid', 'append'], [{ code: 3, data: new Uint8Array(0) }]],
    [['nsid', 'replace'], undefined],
  ])('%j', async (args, want) => {
    expect(await seenOptions([['edns0', ...args]])).toEqual(want);
  });

  it('adds an OPT record (4096, DO off) when the query had none, and the answer goes back without one', async () => {
    const next = responder();
    const res = await serve(plugin(['edns0', 'local', 'set', '0xffee', 'abc']), request('example.com.', 1), next);
    expect(next.seen[0]!.msg.edns).toMatchObject({ udpSize: 4096, do: false });
    expect(decode(next.seen[0]!.wire).edns?.options.map((x) => [x.code, Buffer.from(x.data).toString()])).toEqual([[0xffee, 'abc']]);
    expect(res.edns).toBeUndefined();
  });

  it('keeps the client\'s OPT (and its DO bit) in the answer when it sent one', async () => {
    const next = responder();
    const res = await serve(plugin(['edns0', 'nsid', 'set']), request('example.com.', 1, { do: true }), next);
    expect(next.seen[0]!.msg.edns?.do).toBe(true);
    expect(res.edns?.do).toBe(true);
  });
});

describe('rewrite edns0: two rules on one code (TestEdns0LocalMultiRule)', () => {
  const rules = [['edns0', 'local', 'replace', '0xffee', 'abcdef'], ['edns0', 'local', 'set', '0xffee', 'fedcba']];
  it('sets when there is nothing to replace', async () => {
    expect(await seenOptions(rules)).toEqual([local(text('fedcba'))]);
  });
  it('replaces (and stops) when the option is there', async () => {
    expect(await seenOptions(rules, { options: [local(text('foobar'))] })).toEqual([local(text('abcdef'))]);
  });
  it('append leaves an existing option alone', async () => {
    expect(await seenOptions([['edns0', 'local', 'append', '0xffee', 'new']], { options: [local(text('old'))] })).toEqual([local(text('old'))]);
  });
});

describe('rewrite edns0: variables (TestRewriteEDNS0LocalVariable)', () => {
  it.each([
    ['{qname}', text('example.com.')],
    ['{qtype}', Uint8Array.of(0x00, 0x01)],
    ['{client_ip}', Uint8Array.of(0x0a, 0xf0, 0x00, 0x01)],
    ['{client_port}', Uint8Array.of(0x9d, 0x14)],
    ['{protocol}', text('udp')],
    ['{server_port}', Uint8Array.of(0x00, 0x35)],
    ['{server_ip}', Uint8Array.of(0x7f, 0x00, 0x00, 0x01)],
  ])('%s', async (v, data) => {
    expect(await seenOptions([['edns0', 'local', 'set', '0xffee', v]])).toEqual([local(data)]);
  });
  it('a metadata label nobody provides leaves the query alone', async () => {
    expect(await seenOptions([['edns0', 'local', 'set', '0xffee', '{test/does-not-exist}']])).toBeUndefined();
  });
});

describe('rewrite edns0: subnet (TestRewriteEDNS0Subnet)', () => {
  const v6 = { remote: 'fe80::42:ff:feca:4c65', local: '::1' };
  // family (2) netmask (1) scope (1) and the address cut to the netmask's bytes, as miekg/dns packs it
  it.each([
    [['24', '56'], {}, '0001180' + '00af000'],
    [['32', '56'], {}, '00012000' + '0af00001'],
    [['0', '56'], {}, '00010000'],
    [['24', '56'], v6, '00023800' + 'fe80000000000000'.slice(0, 14)],
    [['24', '128'], v6, '00028000' + 'fe80000000000000004200fffeca4c65'],
    [['24', '0'], v6, '00020000'],
  ])('%j from %j', async (masks, o, wantHex) => {
    expect(await seenOptions([['edns0', 'subnet', 'set', ...masks]], o)).toEqual([{ code: 8, data: hex(wantHex) }]);
  });
  it('never widens the client\'s own, narrower, prefix', async () => {
    const mine = { code: 8, data: hex('0001100' + '00af0') };         // 10.240.0.0/16 from the client
    expect(await seenOptions([['edns0', 'subnet', 'set', '24', '56']], { options: [mine] })).toEqual([{ code: 8, data: hex('00011000' + '0af0') }]);
  });
});
