import { describe, expect, it } from 'vitest';
import { checkDuplicateZones, parseCorefile, parseServerKeys } from '../../src/corefile/index.ts';
import type { ServerBlockConfig } from '../../src/corefile/index.ts';
import { errorOf } from './helpers.ts';

const block = (...keys: string[]): ServerBlockConfig => ({ keys, file: 'Corefile', line: 7, directives: [] });
const zones = (key: string, port = 53) => parseServerKeys(block(key), port).map((k) => `${k.zone}:${k.port}`);
const range = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));


describe('parseServerKeys', () => {
  it.each<[string, string[]]>([
    ['.', ['.:53']],
    ['.:53', ['.:53']],
    [':1053', ['.:1053']],
    ['dns://.:5300', ['.:5300']],
    ['DNS://Example.ORG', ['example.org.:53']],
    ['cluster.local', ['cluster.local.:53']],
    ['cluster.local.:53', ['cluster.local.:53']],
    ['in-addr.arpa', ['in-addr.arpa.:53']],
    ['10.0.0.0/8', ['10.in-addr.arpa.:53']],
    ['10.1.2.3/8', ['10.in-addr.arpa.:53']],          // host bits are dropped, as net.ParseCIDR does
    ['172.16.0.0/16', ['16.172.in-addr.arpa.:53']],
    ['192.168.1.0/24:1053', ['1.168.192.in-addr.arpa.:1053']],
    ['10.0.0.0/24:53', ['0.0.10.in-addr.arpa.:53']],
    ['10.0.0.1/32', ['1.0.0.10.in-addr.arpa.:53']],
    ['0.0.0.0/0', ['in-addr.arpa.:53']],
    ['172.16.0.0/12', range(16, (i) => `${16 + i}.172.in-addr.arpa.:53`)],
    ['10.0.0.0/20', range(16, (i) => `${i}.0.10.in-addr.arpa.:53`)],
    ['10.0.0.0/15:54', ['0.10.in-addr.arpa.:54', '1.10.in-addr.arpa.:54']],
    ['fd00::/8', ['d.f.ip6.arpa.:53']],
    ['fd00::/7', ['c.f.ip6.arpa.:53', 'd.f.ip6.arpa.:53']],
    ['2001:db8::/32:5353', ['8.b.d.0.1.0.0.2.ip6.arpa.:5353']],
    ['2001:db8::/30', ['8', '9', 'a', 'b'].map((n) => `${n}.b.d.0.1.0.0.2.ip6.arpa.:53`)],
  ])('%s', (key, want) => {
    expect(zones(key)).toEqual(want);
  });

  it('a /25 expands to its 128 /32 zones in address order', () => {
    const z = zones('10.0.0.0/25');
    expect(z).toHaveLength(128);
    expect([z[0], z[127]]).toEqual(['0.0.0.10.in-addr.arpa.:53', '127.0.0.10.in-addr.arpa.:53']);
  });

  it('keeps the original key and the transport on every expanded zone', () => {
    const keys = parseServerKeys(block('a.org:1053', '10.0.0.0/15'), 53);
    expect(keys).toEqual([
      { zone: 'a.org.', port: 1053, transport: 'dns', original: 'a.org:1053' },
      { zone: '0.10.in-addr.arpa.', port: 53, transport: 'dns', original: '10.0.0.0/15' },
      { zone: '1.10.in-addr.arpa.', port: 53, transport: 'dns', original: '10.0.0.0/15' },
    ]);
  });

  it.each([
    ['example.org:abc', 'Corefile:7: server block key "example.org:abc": port "abc" is not a number'],
    ['example.org:', 'nothing after \':\''],
    ['example.org:0', 'port 0 is out of range — use a port from 1 to 65535'],
    ['example.org:65536', 'port 65536 is out of range'],
    ['tls://example.org', 'transport tls:// (DNS over TLS) is not supported yet'],
    ['https://.:443', 'transport https:// (DNS over HTTPS) is not supported yet'],
    ['grpc://.', 'transport grpc:// (DNS over gRPC) is not supported yet'],
    ['foo://.', 'unknown transport foo://'],
    ['a..org', 'zone "a..org" has an empty label'],
    [`${'x'.repeat(64)}.org`, 'is longer than 63 bytes'],
    [range(5, () => 'y'.repeat(60)).join('.'), 'more than 255'],
    ['10.0.0.0/33', '"10.0.0.0/33" is not a valid CIDR'],
    ['10.0.0/8', 'is not a valid CIDR'],
    ['::/0', 'is not a valid CIDR'],               // CoreDNS refuses a leading "::"
    ['a/b.org', 'is not a valid CIDR'],
    ['a b', 'is not a valid zone name'],
  ])('error: %s', (key, want) => {
    expect(errorOf(() => parseServerKeys(block(key), 53))).toContain(want);
  });
});

describe('checkDuplicateZones', () => {
  const check = (src: string, port = 53) => () => checkDuplicateZones(parseCorefile(src, 'Corefile', { env: {} }), port);

  it.each([
    ['same zone, different ports', 'a.org:53 {\n}\na.org:54 {\n}'],
    ['different zones', 'a.org {\n}\nb.org {\n}'],
    ['same zone bound to different addresses', 'a.org {\n bind 127.0.0.1\n}\na.org {\n bind 127.0.0.2\n}'],
    ['view blocks before the unfiltered block of their zone', '. {\n view v {\n  expr true\n }\n}\n. {\n view w\n}\n. {\n}'],
    ['CIDR zones that do not overlap', '10.0.0.0/15 {\n}\n10.2.0.0/15 {\n}'],
  ])('accepts %s', (_name, src) => {
    expect(check(src)).not.toThrow();
  });

  it.each([
    ['two blocks', 'a.org {\n}\n\nA.org.:53 {\n}', 53, 'Corefile:4: zone "a.org." is defined twice on port 53 — merge the blocks or use another port'],
    ['the default port', '.:1053 {\n}\n. {\n}', 1053, 'Corefile:3: zone "." is defined twice on port 1053'],
    ['one block', 'a.org b.org a.org {\n}', 53, 'Corefile:1: zone "a.org." is defined twice on port 53'],
    ['a CIDR and its reverse zone', '10.0.0.0/15 {\n}\n1.10.in-addr.arpa {\n}', 53, 'Corefile:3: zone "1.10.in-addr.arpa." is defined twice'],
    ['bound and unbound', 'a.org {\n bind 127.0.0.1\n}\na.org {\n}', 53, 'Corefile:4: zone "a.org." is defined twice on port 53'],
    ['a view block after the unfiltered one (CoreDNS checks in order)', '. {\n}\n. {\n view v\n}', 53, 'Corefile:3: zone "."'],
    ['same bind address', 'a.org {\n bind lo\n}\na.org {\n bind lo\n}', 53, 'Corefile:4: zone "a.org."'],
  ])('rejects %s', (_name, src, port, want) => {
    expect(errorOf(check(src, port))).toContain(want);
  });
});
