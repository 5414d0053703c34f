// Records in zone-file form (src/dns/text.ts), as /explain shows them: the presentation format
// of RFC 1035 (and RFC 3597 for unknown types), with tabs between fields as miekg/dns writes them.
import { describe, expect, it } from 'vitest';
import { recordText } from '../../src/dns/text.ts';
import { Class, Type } from '../../src/dns/types.ts';

const rr = (type: number, data: unknown, name = 'x.example.') => ({ name, type, class: Class.IN, ttl: 60, data } as Parameters<typeof recordText>[0]);

describe('recordText', () => {
  it('writes the common types as dig does', () => {
    expect(recordText(rr(Type.A, { address: '192.0.2.1' }))).toBe('x.example.\t60\tIN\tA\t192.0.2.1');
    expect(recordText(rr(Type.AAAA, { address: '2001:db8::1' }))).toBe('x.example.\t60\tIN\tAAAA\t2001:db8::1');
    expect(recordText(rr(Type.SRV, { priority: 0, weight: 100, port: 443, target: 'k.default.svc.cluster.local.' })))
      .toBe('x.example.\t60\tIN\tSRV\t0 100 443 k.default.svc.cluster.local.');
    expect(recordText(rr(Type.MX, { preference: 10, exchange: 'mx.example.' }))).toBe('x.example.\t60\tIN\tMX\t10 mx.example.');
    expect(recordText(rr(Type.SOA, { mname: 'ns.dns.cluster.local.', rname: 'hostmaster.cluster.local.', serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: 5 })))
      .toBe('x.example.\t60\tIN\tSOA\tns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5');
  });
  it('quotes TXT strings, escaping quotes, backslashes and bytes outside printable ASCII', () => {
    const texts = [Buffer.from('a "b" \\c'), Uint8Array.of(0x68, 0x00, 0xff)];
    expect(recordText(rr(Type.TXT, { texts }))).toBe('x.example.\t60\tIN\tTXT\t"a \\"b\\" \\\\c" "h\\000\\255"');
  });
  it('writes types the codec does not model in RFC 3597 form, and classes by name', () => {
    expect(recordText(rr(65280, { raw: Uint8Array.of(1, 2, 0xab) }))).toBe('x.example.\t60\tIN\tTYPE65280\t\\# 3 0102ab');
    expect(recordText({ ...rr(Type.TXT, { texts: [Buffer.from('clusterdns')] }, 'version.bind.'), class: Class.CH }))
      .toBe('version.bind.\t60\tCH\tTXT\t"clusterdns"');
  });
});
