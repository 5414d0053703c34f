// template's setup with CoreDNS's tables (plugin/template setup_test.go: TestSetup, TestSetupParse, TestSetupParseZones).
import { describe, expect, it } from 'vitest';
import { parseCorefile } from '../../../src/corefile/index.ts';
import { CorefileError } from '../../../src/corefile/types.ts';
import { parseTemplateDirective, parseUint } from '../../../src/plugins/template/setup.ts';

const blockZones = ['domain.com.', 'dynamic.domain.com.'];
const parse = (text: string, zones = blockZones) =>
  parseCorefile(`. {\n${text}\n}\n`, 'Corefile')[0]!.directives.map((d) => parseTemplateDirective(d, zones));

describe('template setup (CoreDNS TestSetup, TestSetupParse)', () => {
  it.each([
    ['template ANY ANY {\n rcode\n}', false],
    ['template ANY ANY {\n rcode NXDOMAIN\n}', true],
    ['template', false], ['template X', false], ['template ANY', false], ['template ANY X', false],
    // A template without answer, authority or rcode answers NOERROR with an empty answer section
    // (CoreDNS's README since the `ederror` option; its older TestSetupParse refused these two).
    ['template ANY ANY {\n\n}', true],
    ['template IN AAAA', true],
    ['template ANY ANY .* {\n notavailable\n}', false],
    ['template ANY ANY {\n answer\n}', false],
    ['template ANY ANY {\n additional\n}', false],
    ['template ANY ANY {\n rcode UNDEFINED\n}', false],
    ['template ANY ANY {\n answer\t"{{"\n}', false],
    ['template ANY ANY {\n additional "{{"\n}', false],
    ['template ANY ANY {\n authority "{{"\n}', false],
    ['template ANY A example.com {\n match ip-(?P<a>[0-9]*)-(?P<b>[0-9]*)-(?P<c>[0-9]*)-(?P<d>[0-9]*)[.]example[.]com\n answer "{{ .Name }} A {{ .Group.a }}.{{ .Group.b }}.{{ .Group.c }}.{{ .Grup.d }}."\n fallthrough\n}', true],
    ['template ANY AAAA example.com {\n match ip-(?P<a>[0-9]*)-(?P<b>[0-9]*)-(?P<c>[0-9]*)-(?P<d>[0-9]*)[.]example[.]com\n authority "example.com 60 IN SOA ns.example.com hostmaster.example.com (1 60 60 60 60)"\n fallthrough\n}', true],
    ['template IN ANY example.com {\n match "[.](example[.]com[.]dc1[.]example[.]com[.])$"\n rcode NXDOMAIN\n authority "{{ index .Match 1 }} 60 IN SOA ns.{{ index .Match 1 }} hostmaster.example.com (1 60 60 60 60)"\n fallthrough example.com\n}', true],
    ['template IN A example {\n match ^ip-10-(?P<b>[0-9]*)-(?P<c>[0-9]*)-(?P<d>[0-9]*)[.]example[.]$\n answer "{{ .Name }} 60 IN A 10.{{ .Group.b }}.{{ .Group.c }}.{{ .Group.d }}"\n}\ntemplate IN MX example. {\n match ^ip-10-(?P<b>[0-9]*)-(?P<c>[0-9]*)-(?P<d>[0-9]*)[.]example[.]$\n answer "{{ .Name }} 60 IN MX 10 {{ .Name }}"\n additional "{{ .Name }} 60 IN A 10.{{ .Group.b }}.{{ .Group.c }}.{{ .Group.d }}"\n}', true],
    ['template ANY ANY up.stream.local {\n answer "up.stream.local 5 IN CNAME up.river.local"\n upstream\n}', true],
    ['template IN A {\n rcode NXDOMAIN\n ederror 15 "blocked by policy"\n}', true],
    ['template IN A {\n rcode NXDOMAIN\n ederror 99\n}', false],
  ])('%s → %s', (text, ok) => {
    if (ok) expect(() => parse(text)).not.toThrow();
    else expect(() => parse(text)).toThrow(CorefileError);
  });

  it('defaults to the server block\'s zones, and reads quoted zone lists (TestSetupParseZones)', () => {
    expect(parse('template ANY ANY {\n rcode NXDOMAIN\n}')[0]!.zones).toEqual(blockZones);
    expect(parse('template ANY ANY a.example.com b.example.com c.example.com {\n rcode NXDOMAIN\n}', ['.'])[0]!.zones).toHaveLength(3);
    expect(parse('template ANY ANY " a.example.com  b.example.com\t c.example.com " {\n rcode NXDOMAIN\n}', ['.'])[0]!.zones)
      .toEqual(['a.example.com.', 'b.example.com.', 'c.example.com.']);
  });

  it('reads CIDR zones as their reverse zones, as server block keys are', () => {
    expect(parse('template IN PTR 10.0.0.0/8 172.16.0.0/12 {\n rcode NXDOMAIN\n}', ['.'])[0]!.zones)
      .toEqual(['10.in-addr.arpa.', ...Array.from({ length: 16 }, (_, i) => `${16 + i}.172.in-addr.arpa.`)]);
  });
});

describe('parseInt (Go strconv.ParseUint)', () => {
  it.each([
    [['ff', 16, 8], 255], [['0x1f', 0, 64], 31], [['0b101', 0, 8], 5], [['017', 0, 8], 15], [['1_000', 0, 64], 1000], [['0x_1f', 0, 64], 31], [['0_17', 0, 64], 15],
    [['18446744073709551615', 10, 64], 18446744073709551615],
  ])('%j → %d', (args, want) => expect(parseUint(...args)).toBe(want));
  it.each([
    [['100', 16, 8], 'value out of range'], [['g', 16, 8], 'invalid syntax'], [['1', 1, 8], 'invalid base 1'],
    [['1', 10, 65], 'invalid bit size 65'], [['', 10, 8], 'invalid syntax'], [['1_0', 10, 8], 'invalid syntax'], [['_1', 0, 8], 'invalid syntax'], [['1__0', 0, 8], 'invalid syntax'], [['10_', 0, 8], 'invalid syntax'],
  ])('%j fails: %s', (args, why) => expect(() => parseUint(...args)).toThrow(why));
});
