// The hosts-file parser and index. Cases ported from CoreDNS's plugin/hosts/hostsfile_test.go
// (itself from Go's net/hosts_test.go), adjusted where modern Go differs (leading-zero IPv4 is rejected).
// The lookups run twice: on the parsed maps (the Corefile's inline entries) and on the file's
// encoded shared table (table.ts), which must answer the same.
import { describe, expect, it } from 'vitest';
import { entryCount, HostsIndex, parseHosts, emptyHostsMap, mapEntries, type HostsEntries, type ParseOptions } from '../../../src/plugins/hosts/hostsfile.ts';
import { HostsTable, parseHostsTable } from '../../../src/plugins/hosts/table.ts';
import { parseIP, reverseToIP } from '../../../src/plugins/hosts/ip.ts';

const all = { origins: ['.'], autoReverse: true };

const FORMS: Array<[string, (text: string, opts: ParseOptions) => HostsEntries]> = [
  ['maps', (text, opts) => mapEntries(parseHosts(text, opts))],
  ['shared table', (text, opts) => new HostsTable(parseHostsTable(text, opts))],
];

const hosts = `255.255.255.255\tbroadcasthost
\t127.0.0.2\todin
\t127.0.0.3\todin  # inline comment
\t::2             odin
\t127.1.1.1\tthor
\t# aliases
\t127.1.1.2\tullr ullrhost
\tfe80::1%lo0\tlocalhost
\t# Bogus entries that must be ignored.
\t123.123.123\tloki
\t321.321.321.321`;

const ipv4hosts = `# internet address and host name
127.0.0.1\tlocalhost\t# inline comment separated by tab
127.000.000.002\tlocalhost       # leading zeros: rejected by Go >= 1.17, so ignored
127.0.0.3\tlocalhost\tlocalhost.localdomain`;

const ipv6hosts = `::1\t\t\t\t\t\tlocalhost\t# inline comment separated by tab
fe80:0000:0000:0000:0000:0000:0000:0001\t\tlocalhost       # inline comment separated by space
fe80:0000:0000:0000:0000:0000:0000:0002%lo0\tlocalhost
fe80::3%lo0\t\t\t\t\tlocalhost\tlocalhost.localdomain`;

const casehosts = `127.0.0.1\tPreserveMe\tPreserveMe.local
\t\t::1\t\tPreserveMe\tPreserveMe.local`;

const lookupCases: Array<[string, string, string[], string[]]> = [
  // [file, name, v4, v6]
  [hosts, 'odin', ['127.0.0.2', '127.0.0.3'], ['::2']],
  [hosts, 'thor', ['127.1.1.1'], []],
  [hosts, 'ullr', ['127.1.1.2'], []],
  [hosts, 'ullrhost', ['127.1.1.2'], []],
  [hosts, 'localhost', [], ['fe80::1']],
  [hosts, 'loki', [], []],
  ['127.0.0.2  odin', 'odin', ['127.0.0.2'], []],
  [ipv4hosts, 'localhost', ['127.0.0.1', '127.0.0.3'], []],
  [ipv4hosts, 'localhost.localdomain', ['127.0.0.3'], []],
  [ipv6hosts, 'localhost', [], ['::1', 'fe80::1', 'fe80::2', 'fe80::3']],
  [ipv6hosts, 'localhost.localdomain', [], ['fe80::3']],
  [casehosts, 'PreserveMe', ['127.0.0.1'], ['::1']],
  [casehosts, 'PreserveMe.local', ['127.0.0.1'], ['::1']],
];

describe.each(FORMS)('from %s', (_form, entries) => {
  function index(text: string, opts = all): HostsIndex {
    return new HostsIndex(emptyHostsMap(), entries(text, opts));
  }

  describe('hosts file lookups by name', () => {
    it.each(lookupCases)('%#: %s', (file, name, v4, v6) => {
      const idx = index(file);
      for (const form of [name, `${name}.`, name.toLowerCase(), name.toUpperCase()]) {
        let q = form.toLowerCase();
        if (!q.endsWith('.')) q += '.';
        const owner = idx.owner(q);
        if (v4.length + v6.length === 0) {
          expect(owner).toBeUndefined();
          continue;
        }
        expect(owner).toBe(q);
        expect(idx.v4(owner!)).toEqual(v4);
        expect(idx.v6(owner!)).toEqual(v6);
      }
    });
  });

  const addrCases: Array<[string, string, string[]]> = [
    [hosts, '255.255.255.255', ['broadcasthost.']],
    [hosts, '127.0.0.2', ['odin.']],
    [hosts, '127.0.0.3', ['odin.']],
    [hosts, '::2', ['odin.']],
    [hosts, '127.1.1.1', ['thor.']],
    [hosts, '127.1.1.2', ['ullr.', 'ullrhost.']],
    [hosts, 'fe80::1', ['localhost.']],
    [ipv4hosts, '127.0.0.1', ['localhost.']],
    [ipv4hosts, '127.0.0.2', []],
    [ipv4hosts, '127.0.0.3', ['localhost.', 'localhost.localdomain.']],
    [ipv6hosts, '::1', ['localhost.']],
    [ipv6hosts, 'fe80::1', ['localhost.']],
    [ipv6hosts, 'fe80::2', ['localhost.']],
    [ipv6hosts, 'fe80::3', ['localhost.', 'localhost.localdomain.']],
    [casehosts, '127.0.0.1', ['preserveme.', 'preserveme.local.']],
    [casehosts, '::1', ['preserveme.', 'preserveme.local.']],
  ];

  describe('hosts file lookups by address', () => {
    it.each(addrCases)('%#: %s', (file, addr, names) => {
      expect(index(file).names(parseIP(addr)!.address)).toEqual(names);
    });

  });

  describe('the index', () => {
    it('answers file entries first, then inline ones', () => {
      const idx = new HostsIndex(parseHosts('10.0.0.2 x.org', all), entries('10.0.0.1 x.org', all));
      expect(idx.v4('x.org.')).toEqual(['10.0.0.1', '10.0.0.2']);
      expect(idx.names('10.0.0.2')).toEqual(['x.org.']);
      expect(idx.entries()).toBe(4);
    });

    it('wildcards match one label, never the apex, and lose to explicit names', () => {
      const idx = index('192.168.1.10 *.example.com\n192.168.1.11 a.example.com\n::1 b.example.com');
      expect(idx.owner('apps.example.com.')).toBe('*.example.com.');
      expect(idx.v4('*.example.com.')).toEqual(['192.168.1.10']);
      expect(idx.owner('a.example.com.')).toBe('a.example.com.');
      expect(idx.owner('b.example.com.')).toBe('b.example.com.'); // exists (AAAA only): no wildcard for A
      expect(idx.owner('example.com.')).toBeUndefined();
      expect(idx.owner('deep.apps.example.com.')).toBeUndefined();
      expect(idx.names('192.168.1.10')).toEqual([]); // no PTR for wildcards
    });

    it('finds non-ASCII names by their characters, not by look-alike bytes', () => {
      const idx = index('10.0.0.3 ünïcode.example.org\n10.0.0.4 plain.example.org');
      expect(idx.owner('ünïcode.example.org.')).toBe('ünïcode.example.org.');
      expect(idx.v4('ünïcode.example.org.')).toEqual(['10.0.0.3']);
      expect(idx.names('10.0.0.3')).toEqual(['ünïcode.example.org.']);
      // the same UTF-8 bytes read one char per byte: as long in chars as the name is in bytes
      const mojibake = Buffer.from('ünïcode.example.org.', 'utf8').toString('latin1');
      expect(idx.owner(mojibake)).toBeUndefined();
      expect(idx.owner('unicode.example.org.')).toBeUndefined();
      expect(idx.v4('plain.example.org.')).toEqual(['10.0.0.4']);
    });
  });
});

describe('the shared table and the maps', () => {
  it('answer the same for every name and address of a file with repeated names, addresses and lines', () => {
    // 3,000 lines over 500 names and 300 addresses of both families: names with several
    // addresses, addresses with several names, the same line twice, wildcards, upper case.
    const lines: string[] = [];
    let seed = 7;
    const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
    const addr = (i: number) => (i % 3 === 0 ? `fd00::${i.toString(16)}` : `10.1.${i >> 8}.${i & 255}`);
    for (let i = 0; i < 3000; i++) {
      const names = Array.from({ length: 1 + rnd(3) }, () => { const k = rnd(500); return k % 50 === 0 ? `*.w${k}.example` : `N${k}.Example`; });
      lines.push(`${addr(rnd(300))} ${names.join(' ')}`);
    }
    const text = lines.join('\n');
    const maps = parseHosts(text, all);
    const table = new HostsTable(parseHostsTable(text, all));
    expect(table.count()).toBe(entryCount(maps));
    expect(table.wildcards).toBe(maps.wildcards);
    for (let k = 0; k < 510; k++) {
      for (const name of [`n${k}.example.`, `*.w${k}.example.`]) {
        expect(table.has(name), name).toBe(maps.name4.has(name) || maps.name6.has(name));
        expect(table.v4(name), name).toEqual(maps.name4.get(name));
        expect(table.v6(name), name).toEqual(maps.name6.get(name));
      }
    }
    for (let i = 0; i < 310; i++) {
      const a = parseIP(addr(i))!.address;
      expect(table.names(a), a).toEqual(maps.addr.get(a));
    }
  });
});

describe('IP literals as Go parses them', () => {
  it.each([
    ['10.0.0.1', 4, '10.0.0.1'],
    ['::FFFF:10.0.0.2', 4, '10.0.0.2'],
    ['::ffff:a00:2', 4, '10.0.0.2'],
    ['FE80::0:0:1', 6, 'fe80::1'],
    ['2001:db8:0:0:1:0:0:1', 6, '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', 6, '2001:db8:0:1:1:1:1:1'],
    ['::', 6, '::'],
    ['::1.2.3.4', 6, '::102:304'],
    ['fe80::1%eth0', 6, 'fe80::1'],
  ])('%s', (text, family, address) => {
    expect(parseIP(text)).toEqual({ family, address });
  });
  it.each(['123.123.123', '321.321.321.321', '01.2.3.4', '1.2.3.4.5', 'a::b::c', '1:2:3:4:5:6:7:8:9', 'localhost', '::g', ''])(
    'rejects %j', (text) => { expect(parseIP(text)).toBeUndefined(); },
  );
  it('reverse names to addresses', () => {
    expect(reverseToIP('1.0.0.10.in-addr.arpa.')).toBe('10.0.0.1');
    expect(reverseToIP('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa.')).toBe('fe80::1');
    expect(reverseToIP('0.0.10.in-addr.arpa.')).toBeUndefined();
    expect(reverseToIP('example.org.')).toBeUndefined();
  });
});

describe('parse options and the index', () => {
  it('drops names outside the zones and counts entries like CoreDNS', () => {
    const m = parseHosts('10.0.0.1 a.example.org b.example.net\n::1 a.example.org', { origins: ['example.org.'], autoReverse: true });
    expect([...m.name4.keys()]).toEqual(['a.example.org.']);
    expect(entryCount(m)).toBe(4); // a→10.0.0.1, a→::1, 10.0.0.1→a, ::1→a
    const nr = parseHosts('10.0.0.1 a.example.org b.example.org', { origins: ['.'], autoReverse: false });
    expect(nr.addr.size).toBe(0);
    expect(entryCount(nr)).toBe(2);
  });

  it('ignores blank, comment-only and one-field lines, CRLF and odd spacing', () => {
    const m = parseHosts('\r\n# c\n10.0.0.1\n  10.0.0.2 \t a.org\tb.org  \r\n10.0.0.3 c.org# glued comment\n', all);
    expect([...m.name4.entries()]).toEqual([['a.org.', ['10.0.0.2']], ['b.org.', ['10.0.0.2']], ['c.org.', ['10.0.0.3']]]);
  });
});
