import { describe, expect, it } from 'vitest';
import {
  countLabels, fqdn, inZone, inZones, ipToPtr, isFqdn, isSubdomain, matchZone, isValidName, labels, lowerName, nameToLabels, ptrToIp,
} from '../../src/dns/name.ts';
import { canonicalIP } from '../../src/dns/ip.ts';

describe('name helpers', () => {
  it('lowerName lowers ASCII only and returns the same string when already lower', () => {
    const s = 'already.lower.';
    expect(lowerName(s)).toBe(s);
    expect(lowerName('Web.DEFAULT.svc.')).toBe('web.default.svc.');
    expect(lowerName('ÀB.c.')).toBe('Àb.c.'); // non-ASCII untouched
  });

  it('fqdn / isFqdn handle escaped trailing dots', () => {
    expect(fqdn('a.b')).toBe('a.b.');
    expect(fqdn('a.b.')).toBe('a.b.');
    expect(fqdn('')).toBe('.');
    expect(isFqdn('a\\.')).toBe(false);
    expect(fqdn('a\\.')).toBe('a\\..');
    expect(isFqdn('a\\\\.')).toBe(true);
  });

  it('labels and countLabels', () => {
    expect(labels('.')).toEqual([]);
    expect(labels('a.b.c.')).toEqual(['a', 'b', 'c']);
    expect(labels('a\\.b.c')).toEqual(['a\\.b', 'c']);
    expect(countLabels('.')).toBe(0);
    expect(countLabels('svc.cluster.local.')).toBe(3);
    expect(countLabels('a\\.b.c.')).toBe(2);
  });

  it('inZone / inZones / matchZone: the one zone match every plugin uses (names already lower-case, absolute)', () => {
    expect(inZone('a.example.org.', 'example.org.')).toBe(true);
    expect(inZone('example.org.', 'example.org.')).toBe(true);
    expect(inZone('badexample.org.', 'example.org.')).toBe(false);
    expect(inZone('a\\.example.org.', 'example.org.')).toBe(false);   // "a.example" is one label there
    expect(inZone('a\\\\.example.org.', 'example.org.')).toBe(true);  // an escaped backslash, then a real dot
    expect(inZone('org.', 'example.org.')).toBe(false);
    expect(inZone('anything.', '.')).toBe(true);
    expect(inZones('x.cluster.local.', ['example.org.', 'cluster.local.'])).toBe(true);
    expect(inZones('x.example.com.', ['example.org.', 'cluster.local.'])).toBe(false);
    // the longest match wins, whatever the order (CoreDNS's plugin.Zones.Matches)
    expect(matchZone(['.', 'svc.cluster.local.', 'cluster.local.'], 'a.b.svc.cluster.local.')).toBe('svc.cluster.local.');
    expect(matchZone(['cluster.local.', 'in-addr.arpa.'], 'example.org.')).toBeUndefined();
    expect(matchZone(['.', 'cluster.local.'], 'example.org.')).toBe('.');
  });

  it('isSubdomain is label-boundary aware and case-insensitive', () => {
    expect(isSubdomain('a.example.org.', 'example.org.')).toBe(true);
    expect(isSubdomain('A.Example.ORG.', 'example.org')).toBe(true);
    expect(isSubdomain('example.org.', 'example.org.')).toBe(true);
    expect(isSubdomain('aexample.org.', 'example.org.')).toBe(false);
    expect(isSubdomain('org.', 'example.org.')).toBe(false);
    expect(isSubdomain('anything.', '.')).toBe(true);
    expect(isSubdomain('.', '.')).toBe(true);
    expect(isSubdomain('a\\.example.org.', 'example.org.')).toBe(false);
    expect(isSubdomain('x.a\\.example.org.', 'a\\.example.org.')).toBe(true);
  });

  it('isValidName enforces label and name limits and escapes', () => {
    expect(isValidName('a.b.')).toBe(true);
    expect(isValidName('.')).toBe(true);
    expect(isValidName('a..b.')).toBe(false);
    expect(isValidName('x'.repeat(63) + '.')).toBe(true);
    expect(isValidName('x'.repeat(64) + '.')).toBe(false);
    const l63 = 'x'.repeat(63);
    expect(isValidName([l63, l63, l63, 'x'.repeat(61)].join('.') + '.')).toBe(true); // 255 octets
    expect(isValidName([l63, l63, l63, 'x'.repeat(62)].join('.') + '.')).toBe(false); // 256
    expect(isValidName('a\\256.')).toBe(false);
    expect(isValidName('a\\2.')).toBe(false);
    expect(isValidName('a\\')).toBe(false);
  });

  it('nameToLabels resolves escapes to bytes', () => {
    expect(nameToLabels('a\\.b.c.')!.map((l) => Array.from(l))).toEqual([[97, 46, 98], [99]]);
    expect(nameToLabels('\\000\\255.')!.map((l) => Array.from(l))).toEqual([[0, 255]]);
    expect(nameToLabels('\\"x.')!.map((l) => Array.from(l))).toEqual([[34, 120]]);
    expect(nameToLabels('é.')!.map((l) => Array.from(l))).toEqual([[0xc3, 0xa9]]);
  });

  it('ptrToIp for full v4 and v6 reverse names only', () => {
    expect(ptrToIp('4.3.2.1.in-addr.arpa.')).toBe('1.2.3.4');
    expect(ptrToIp('4.3.2.1.IN-ADDR.ARPA.')).toBe('1.2.3.4');
    expect(ptrToIp('3.2.1.in-addr.arpa.')).toBeUndefined();
    expect(ptrToIp('256.3.2.1.in-addr.arpa.')).toBeUndefined();
    expect(ptrToIp('04.3.2.1.in-addr.arpa.')).toBeUndefined();
    const v6 = '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.';
    expect(ptrToIp(v6)).toBe('2001:db8::1');
    expect(ptrToIp(v6.toUpperCase())).toBe('2001:db8::1');
    expect(ptrToIp(v6.slice(2))).toBeUndefined();
    // CoreDNS's ExtractAddressFromReverse prints net.IP: the ip6.arpa name of ::ffff:1.2.3.4 is 1.2.3.4
    expect(ptrToIp(ipToPtr('::ffff:1.2.3.4'))).toBe('1.2.3.4');
    expect(ptrToIp('example.org.')).toBeUndefined();
  });

  it('ipToPtr is the inverse of ptrToIp', () => {
    expect(ipToPtr('10.96.0.10')).toBe('10.0.96.10.in-addr.arpa.');
    expect(ipToPtr('2001:db8::1')).toBe('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.');
    for (const ip of ['0.0.0.0', '255.255.255.255', '::', '::1', 'fd00:10:96::a', '1:2:3:4:5:6:7:8']) {
      expect(ptrToIp(ipToPtr(ip))).toBe(canonicalIP(ip));
    }
    expect(() => ipToPtr('10.0.0')).toThrow();
    expect(() => ipToPtr('nope')).toThrow();
  });

  it('canonicalIP formats IPv6 per RFC 5952 and rejects junk', () => {
    expect(canonicalIP('2001:0DB8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(canonicalIP('1:0:0:2:0:0:0:3')).toBe('1:0:0:2::3');
    expect(canonicalIP('1:0:2:3:4:5:6:7')).toBe('1:0:2:3:4:5:6:7');
    // Go's net.ParseIP: an IPv4-mapped address is equal to (and prints as) the IPv4 address
    expect(canonicalIP('::ffff:1.2.3.4')).toBe('1.2.3.4');
    expect(canonicalIP('::FFFF:0102:0304')).toBe('1.2.3.4');
    expect(canonicalIP('0:0:0:0:0:ffff:a60:1')).toBe('10.96.0.1');
    expect(canonicalIP('::fffe:1.2.3.4')).toBe('::fffe:102:304');   // not mapped: stays IPv6
    expect(canonicalIP('64:ff9b::1.2.3.4')).toBe('64:ff9b::102:304');
    expect(canonicalIP('1::')).toBe('1::');
    expect(canonicalIP('::')).toBe('::');
    for (const bad of ['1:2:3:4:5:6:7:8:9', '1::2::3', ':1::', '1:', '12345::', '1.2.3', '1.2.3.256', '01.2.3.4', 'g::1', '']) {
      expect(canonicalIP(bad), bad).toBeUndefined();
    }
  });
});
