// The zone-file reader: RFC 1035 syntax as miekg/dns reads it (what CoreDNS serves), every record
// type the plugin reads, RFC 3597 generic data, and FILE:LINE errors for broken files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encode, decode } from '../../../src/dns/codec.ts';
import type { ResourceRecord } from '../../../src/dns/types.ts';
import { ZoneFileError } from '../../../src/plugins/file/lexer.ts';
import { parseZone, SameSerial } from '../../../src/plugins/file/parse.ts';
import { readZoneFileSync } from '../../../src/plugins/file/read.ts';
import type { Zone } from '../../../src/plugins/file/zone.ts';
import { decodeWithDns2 } from '../../support/dns-client.ts';
import { dir, rrText, zoneFile } from './helpers.ts';
import { dbMiekENTNLSigned } from './zones.ts';

function parse(text: string, origin = 'example.org.', file = 'db.example.org'): Zone {
  return parseZone(text, { origin, file, readInclude: (p) => readZoneFileSync(p).text });
}

function all(z: Zone): string[] {
  const out: string[] = [];
  if (z.soa) out.push(rrText(z.soa));
  for (const ns of z.apexNs) out.push(rrText(ns));
  for (const node of z.nodes.values()) for (const rrs of node.values()) for (const rr of rrs) out.push(rrText(rr));
  return out;
}

function errorOf(fn: () => unknown): ZoneFileError {
  try { fn(); } catch (e) { if (e instanceof ZoneFileError) return e; throw e; }
  throw new Error('no error');
}

const SOA = '@ 3600 IN SOA ns1 hostmaster 2024010101 7200 3600 1209600 300\n';

describe('zone file syntax', () => {
  it('$ORIGIN, $TTL, @, relative names, omitted owner/TTL/class, TTL and class in either order', () => {
    const z = parse(`$ORIGIN example.org.
$TTL 1h
@   IN  SOA ns1 hostmaster ( 1 ; serial
          2h 1H 1w
          5m )    ; minimum
    IN  NS  ns1
    NS  ns2.example.net.
ns1 A   192.0.2.1
    60  AAAA 2001:DB8::1
www 300 IN CNAME @
mail IN 120 A 192.0.2.25
$ORIGIN sub
host A 192.0.2.7
$ORIGIN other.test.
abs A 192.0.2.8
`);
    expect(all(z).sort()).toEqual([
      'abs.other.test. 3600 IN A 192.0.2.8',
      'example.org. 3600 IN NS ns1.example.org.',
      'example.org. 3600 IN NS ns2.example.net.',
      'example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 1 7200 3600 604800 300',
      'host.sub.example.org. 3600 IN A 192.0.2.7',
      'mail.example.org. 120 IN A 192.0.2.25',
      'ns1.example.org. 3600 IN A 192.0.2.1',
      'ns1.example.org. 60 IN AAAA 2001:db8::1',
      'www.example.org. 300 IN CNAME example.org.',
    ]);
  });

  it('without $TTL, a record without a TTL takes the last TTL written (RFC 1035)', () => {
    const z = parse(`example.org. 500 IN SOA ns1.example.org. h.example.org. 1 2 3 4 5
a.example.org. IN A 192.0.2.1
b.example.org. 30 IN A 192.0.2.2
c.example.org. IN A 192.0.2.3
`);
    expect(all(z).filter((l) => l.includes(' A ')).sort()).toEqual([
      'a.example.org. 500 IN A 192.0.2.1', 'b.example.org. 30 IN A 192.0.2.2', 'c.example.org. 30 IN A 192.0.2.3',
    ]);
  });

  it('$TTL wins over the TTL of earlier records for records without one', () => {
    const z = parse(`$TTL 100\n${SOA}a 5 A 192.0.2.1\nb A 192.0.2.2\n`);
    expect(all(z)).toContain('b.example.org. 100 IN A 192.0.2.2');
  });

  it('names are lower-cased; escapes are read and written in one canonical form', () => {
    const z = parse(`$TTL 60\n${SOA}MiXeD A 192.0.2.1\na\\046b A 192.0.2.2\nc\\.d A 192.0.2.3\nsp\\032ace A 192.0.2.4\n`);
    expect(z.node('mixed.example.org.')).toBeDefined();
    expect(z.node('a\\.b.example.org.')).toBeDefined();
    expect(z.node('c\\.d.example.org.')).toBeDefined();
    expect(z.node('sp\\ ace.example.org.')).toBeDefined();
  });

  it('TXT: quoted strings with spaces and ";", escapes (\\" \\\\ \\DDD), several strings, unquoted words, >255 octets split', () => {
    const long = 'x'.repeat(300);
    const z = parse(`$TTL 60\n${SOA}t1 TXT "v=spf1 a mx ~all; x" two\nt2 TXT "say \\"hi\\"" "back\\\\slash" "\\065\\066C" ( "over"\n  "lines" )\nt3 TXT "${long}"\nt4 TXT "héllo"\n`);
    const texts = (name: string) => (z.node(name)!.get(16)![0]!.data as { texts: Uint8Array[] }).texts.map((t) => Buffer.from(t).toString());
    expect(texts('t1.example.org.')).toEqual(['v=spf1 a mx ~all; x', 'two']);
    expect(texts('t2.example.org.')).toEqual(['say "hi"', 'back\\slash', 'ABC', 'over', 'lines']);
    expect(texts('t3.example.org.').map((t) => t.length)).toEqual([255, 45]);
    expect(texts('t4.example.org.')).toEqual(['héllo']);
  });

  it('reads MX, SRV, PTR, DNAME, CAA, SPF, HINFO, NAPTR, SSHFP, TLSA, DS, DNSKEY, URI; dns2 decodes what we encode', () => {
    const z = parse(`$TTL 60\n${SOA}mx MX 10 mail
srv SRV 0 5 5060 sip.example.net.
ptr PTR host.Example.NET.
dn DNAME target
caa CAA 0 issue "letsencrypt.org"
caa CAA 128 iodef "mailto:security@example.org"
spf SPF "v=spf1 -all"
hinfo HINFO "INTEL-386" Linux
naptr NAPTR 100 10 "S" "SIP+D2U" "" _sip._udp
sshfp SSHFP 4 2 123456789abcdef67890123456789abcdef67890123456789abcdef123456789
tlsa TLSA 3 1 1 ( 0C72AC70B745AC19998811B131D662C9
                  AC69DBDBE7CB23E5B514B56664C5D3D6 )
ds DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118
key DNSKEY 256 3 5 AQPSKmynfzW4kyBv015MUG2DeIQ3Cbl+BBZH4b/0PY1kxkmvHjcZc8no kfzj31GajIQKY+5CptLr3buXA10hWqTkF7H6RfoRqXQeogmMHfpftf6z Mv1LyBUgia7za6ZEzOJBOztyvhjL742iU/TpPSEDhm2SNKLijfUppn1U aNvv4w==
uri URI 10 1 "ftp://ftp1.example.com/public"
`);
    const rrs: ResourceRecord[] = [];
    for (const node of z.nodes.values()) for (const list of node.values()) rrs.push(...list);
    const wire = encode({ id: 1, qr: true, opcode: 0, aa: true, tc: false, rd: false, ra: false, z: false, ad: false, cd: false, rcode: 0, questions: [], answers: rrs, authority: [], additional: [] });
    const byType = new Map<string, Record<string, unknown>>();
    for (const a of decodeWithDns2(wire).answers as Array<Record<string, unknown>>) byType.set(`${a.name} ${a.type}`, a);
    expect(byType.get('mx.example.org 15')).toMatchObject({ priority: 10, exchange: 'mail.example.org' });
    expect(byType.get('srv.example.org 33')).toMatchObject({ priority: 0, weight: 5, port: 5060, target: 'sip.example.net' });
    expect(byType.get('ptr.example.org 12')).toMatchObject({ domain: 'host.example.net' }); // compressed against sip.example.net
    expect(rrText(z.node('ptr.example.org.')!.get(12)![0]!)).toBe('ptr.example.org. 60 IN PTR host.Example.NET.'); // PTR targets keep their case, as in CoreDNS
    expect(byType.get('caa.example.org 257')).toMatchObject({ flags: 128, tag: 'iodef', value: 'mailto:security@example.org' });
    // our own decoder sees the exact bytes of the types dns2 does not name
    const ours = decode(wire).answers;
    const raw = (name: string) => Buffer.from((ours.find((r) => r.name === name)!.data as { raw: Uint8Array }).raw);
    expect(ours.find((r) => r.name === 'dn.example.org.')!.data).toEqual({ target: 'target.example.org.' });
    expect(raw('naptr.example.org.')).toEqual(Buffer.concat([Buffer.from([0, 100, 0, 10, 1, 0x53, 7]), Buffer.from('SIP+D2U'), Buffer.from([0]),
      Buffer.from('\x04_sip\x04_udp\x07example\x03org\x00', 'latin1')]));
    expect(raw('hinfo.example.org.')).toEqual(Buffer.from('\x09INTEL-386\x05Linux', 'latin1'));
    expect(raw('tlsa.example.org.').subarray(0, 3)).toEqual(Buffer.from([3, 1, 1]));
    expect(raw('tlsa.example.org.').length).toBe(3 + 32);
    expect(raw('ds.example.org.').toString('hex')).toBe('ec4505012bb183af5f22588179a53b0a98631fad1a292118');
    expect(raw('key.example.org.').subarray(0, 4)).toEqual(Buffer.from([1, 0, 3, 5]));
    expect(raw('uri.example.org.').subarray(4).toString()).toBe('ftp://ftp1.example.com/public');
    expect(raw('spf.example.org.')).toEqual(Buffer.from('\x0bv=spf1 -all', 'latin1'));
    expect(raw('sshfp.example.org.').length).toBe(2 + 32);
  });

  it('a signed zone loads: RRSIG (times as YYYYMMDDHHmmSS), NSEC (type bitmap), DNSKEY', () => {
    const z = parse(dbMiekENTNLSigned, 'miek.nl.');
    const raw = (name: string, type: number, i = 0) => Buffer.from((z.node(name)!.get(type)![i]!.data as { raw: Uint8Array }).raw);
    // NSEC a.miek.nl. → a.b.c.miek.nl. A RRSIG NSEC: next name, then window 0 of 6 octets (RFC 4034 4.1.2)
    expect(raw('a.miek.nl.', 47).toString('hex')).toBe(`${Buffer.from('\x01a\x01b\x01c\x04miek\x02nl\x00', 'latin1').toString('hex')}0006400000000003`);
    const sig = raw('a.miek.nl.', 46, 0);
    expect(sig.readUInt16BE(0)).toBe(1);             // type covered: A
    expect([sig[2], sig[3], sig.readUInt32BE(4)]).toEqual([8, 3, 1800]);
    expect(sig.readUInt32BE(8)).toBe(Date.UTC(2016, 4, 2, 14, 43, 11) / 1000);
    expect(sig.readUInt32BE(12)).toBe(Date.UTC(2016, 3, 2, 14, 43, 11) / 1000);
    expect(sig.readUInt16BE(16)).toBe(12051);
    expect(z.node('miek.nl.')!.get(48)!.length).toBe(2);
  });

  it('RFC 3597: TYPEnnn \\# LEN HEX for any type; known types read back into their fields', () => {
    const z = parse(`$TTL 60\n${SOA}a TYPE1 \\# 4 C0000201
b CLASS1 TYPE65280 \\# 6 0102 0304 0506
c TYPE65281 \\# 0
mx MX \\# 8 000a 046d61696c 00
txt TXT \\# 6 0568656c6c6f
`);
    expect(rrText(z.node('a.example.org.')!.get(1)![0]!)).toBe('a.example.org. 60 IN A 192.0.2.1');
    expect(rrText(z.node('b.example.org.')!.get(65280)![0]!)).toBe('b.example.org. 60 IN TYPE65280 \\# 6 010203040506');
    expect(rrText(z.node('c.example.org.')!.get(65281)![0]!)).toBe('c.example.org. 60 IN TYPE65281 \\# 0 ');
    expect(rrText(z.node('mx.example.org.')!.get(15)![0]!)).toBe('mx.example.org. 60 IN MX 10 mail.');
    expect(rrText(z.node('txt.example.org.')!.get(16)![0]!)).toBe('txt.example.org. 60 IN TXT "hello"');
  });

  it('$INCLUDE: relative to the including file, with an optional origin; TTL state carried in, not out', () => {
    const sub = join(dir, 'inc');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'hosts.inc'), 'foo IN A 127.0.0.1\n$TTL 5\nbar A 127.0.0.2\n');
    writeFileSync(join(sub, 'nested.inc'), '$INCLUDE hosts.inc\n');
    const main = join(sub, 'db.main');
    writeFileSync(main, `$ORIGIN example.org.\n$TTL 77\n${SOA}$INCLUDE hosts.inc\n$INCLUDE nested.inc sub.example.org.\nafter A 127.0.0.9\n`);
    const z = parseZone(readZoneFileSync(main).text, { origin: 'example.org.', file: main, readInclude: (p) => readZoneFileSync(p).text });
    expect(all(z).filter((l) => l.includes(' A ')).sort()).toEqual([
      'after.example.org. 77 IN A 127.0.0.9',
      'bar.example.org. 5 IN A 127.0.0.2',
      'bar.sub.example.org. 5 IN A 127.0.0.2',
      'foo.example.org. 77 IN A 127.0.0.1',
      'foo.sub.example.org. 77 IN A 127.0.0.1',
    ]);
  });

  it('$INCLUDE refuses what is not a regular file and loops, with the including FILE:LINE', () => {
    const main = zoneFile(`$TTL 1\n${SOA}$INCLUDE ${dir}\n`);
    const e = errorOf(() => parseZone(readZoneFileSync(main).text, { origin: 'example.org.', file: main, readInclude: (p) => readZoneFileSync(p).text }));
    expect(e.message).toBe(`${main}:3: $INCLUDE: ${dir}: is a directory, not a file`);
    const loop = join(dir, 'loop.zone');
    writeFileSync(loop, `$TTL 1\n${SOA}$INCLUDE loop.zone\n`);
    const e2 = errorOf(() => parseZone(readZoneFileSync(loop).text, { origin: 'example.org.', file: loop, readInclude: (p) => readZoneFileSync(p).text }));
    expect(e2.message).toBe(`${loop}:3: $INCLUDE nested more than 7 deep`);
  });

  it('$GENERATE: $ and ${offset,width,base}, with a step; the records are like any other', () => {
    const z = parse(`$ORIGIN 2.0.192.in-addr.arpa.\n$TTL 60\n@ IN SOA ns.example.org. h.example.org. 1 2 3 4 5
$GENERATE 1-5/2 $ PTR host-\${0,3}.example.org.
$GENERATE 10-11 dhcp-\${-9,2,x} 30 IN A 10.0.0.$
$GENERATE 254-255 x\\$$ TXT "v\${1,1,X}"
`, '2.0.192.in-addr.arpa.');
    expect(all(z).filter((l) => !l.includes('SOA')).sort()).toEqual([
      '1.2.0.192.in-addr.arpa. 60 IN PTR host-001.example.org.',
      '3.2.0.192.in-addr.arpa. 60 IN PTR host-003.example.org.',
      '5.2.0.192.in-addr.arpa. 60 IN PTR host-005.example.org.',
      'dhcp-01.2.0.192.in-addr.arpa. 30 IN A 10.0.0.10',
      'dhcp-02.2.0.192.in-addr.arpa. 30 IN A 10.0.0.11',
      'x$254.2.0.192.in-addr.arpa. 60 IN TXT "vFF"',
      'x$255.2.0.192.in-addr.arpa. 60 IN TXT "v100"',
    ]);
  });

  it('the reload check stops at the first SOA when its serial is the one being served', () => {
    const text = `$TTL 60\n${SOA}broken line here\n`;
    expect(() => parseZone(text, { origin: 'example.org.', file: 'f', readInclude: () => '', unlessSerial: 2024010101 })).toThrow(SameSerial);
  });

  it('errors name the file and the line', () => {
    const cases: Array<[string, number, string]> = [
      [`$TTL 60\n${SOA}a A 192.0.2.300\n`, 3, 'bad IPv4 address "192.0.2.300" in A record'],
      [`$TTL 60\n${SOA}a AAAA 192.0.2.1\n`, 3, 'bad IPv6 address "192.0.2.1" in AAAA record'],
      [`$TTL 60\n${SOA}\na FOO 1\n`, 4, 'unknown record type "FOO"'],
      [`$TTL 60\n${SOA}a MX mail\n`, 3, 'bad preference "mail" in MX record: need a number from 0 to 65535'],
      [`$TTL 60\n${SOA}a SRV 1 2 3\n`, 3, 'SRV record is missing its target'],
      [`$TTL 60\n${SOA}a CNAME b c\n`, 3, 'unexpected "c" after the CNAME record\'s data'],
      [`$TTL 60\n${SOA}a TXT "open\n\n`, 3, 'unterminated quoted string'],
      [`$TTL 60\n@ IN SOA ns h ( 1 2 3\n 4 5\nwww A 192.0.2.1\n`, 2, 'unbalanced parenthesis: "(" is never closed'],
      [`$TTL 60\n${SOA}a A 192.0.2.1 )\n`, 3, 'extra closing parenthesis'],
      [`@ IN SOA ns1 hostmaster 1 2 3 4 5\nwww A 192.0.2.1\n`, 2, 'missing TTL with no previous value — add "$TTL 3600" at the top or a TTL on this record'],
      [`$TTL 60\n$GENERATE 10-1 host$ A 192.0.2.$\n${SOA}`, 2, 'bad $GENERATE range "10-1": START must not exceed STOP, STEP must be at least 1'],
      [`$TTL 60\n$GENERATE 0-70000 host$ A 192.0.2.1\n${SOA}`, 2, '$GENERATE range 0-70000 makes more than 65536 records'],
      [`$TTL 60\n$GENERATE 1-2 host\${1,2,z} A 192.0.2.1\n${SOA}`, 2, 'bad $GENERATE modifier in "host${1,2,z}": write ${OFFSET,WIDTH,BASE} with BASE d, o, x or X'],
      [`$TTL 60\n${SOA}$GENERATE 1-3 h$ A 192.0.2.$$$\n`, 3, 'bad IPv4 address "192.0.2.333" in A record'],
      [`$TTL 60\n$FOO bar\n${SOA}`, 2, 'unknown directive "$FOO" — a zone file has $ORIGIN, $TTL and $INCLUDE'],
      [`$TTL 60\na A 192.0.2.1\n`, 1, 'no SOA record for origin example.org. — a zone file needs one'],
      [`$TTL 60\n${SOA}x NSEC3PARAM 1 0 1 -\n`, 3, 'NSEC3 zones are not supported (as in CoreDNS)'],
      [`$TTL 60\n${SOA}x SVCB 1 . alpn=h2\n`, 3,
        'records of type SVCB are not read in their text form here — write them in RFC 3597 form (TYPE64 \\# LENGTH HEX)'],
      [`$TTL 60\n${SOA}x RRSIG A 8 2 60 2024-01-01 20231201000000 1 example.org. AAAA\n`, 3, 'bad time "2024-01-01" in RRSIG record: write YYYYMMDDHHmmSS'],
      [`$TTL 60\n${SOA}x NSEC y.example.org. A BOGUS\n`, 3, 'unknown type "BOGUS" in NSEC record'],
      [`$TTL 60\n${SOA}x TYPE99 \\# 3 0102\n`, 3, 'bad RFC 3597 data: need 3 octets of hex after "\\# 3"'],
      [`$TTL 60\n${SOA}a..b A 192.0.2.1\n`, 3, 'bad owner name "a..b"'],
      [`$TTL 60\n${SOA}a SOA ns h x 1 2 3 4\n`, 3, 'bad serial "x" in SOA record: need a number from 0 to 4294967295'],
    ];
    for (const [text, line, msg] of cases) {
      let e: ZoneFileError;
      try { e = errorOf(() => parse(text)); } catch { throw new Error(`no error for ${JSON.stringify(text)}`); }
      expect(`${e.file}:${e.line}: ${e.detail}`).toBe(`db.example.org:${line}: ${msg}`);
      expect(e.message).toBe(`db.example.org:${line}: ${msg}`);
    }
  });
});
