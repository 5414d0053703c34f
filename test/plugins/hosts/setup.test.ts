// Parsing the hosts directive. Cases from CoreDNS's plugin/hosts/setup_test.go plus our options.
import { describe, expect, it } from 'vitest';
import { CorefileError, type Directive } from '../../../src/corefile/types.ts';
import { parseDuration as parseGoDuration } from '../../../src/plugin/duration.ts';
import { parseHostsDirective } from '../../../src/plugins/hosts/setup.ts';

function dir(args: string[], block: Array<[string, ...string[]]> | null = null): Directive {
  return {
    name: 'hosts', args, file: 'Corefile', line: 3,
    block: block && block.map(([name, ...a], i) => ({ name, args: a, file: 'Corefile', line: 4 + i, block: null })),
  };
}

const parse = (d: Directive, zones = ['.']) => parseHostsDirective(d, zones, '/etc/coredns');

describe('hosts directive', () => {
  it('defaults', () => {
    const c = parse(dir([]));
    expect(c).toMatchObject({ path: '/etc/hosts', origins: ['.'], ttl: 3600, autoReverse: true, reloadMs: 5000, inline: [] });
    expect(c.fall.enabled).toBe(false);
  });

  it.each([
    [['/tmp'], '/tmp', ['.']],
    [['/etc/hosts', 'miek.nl.'], '/etc/hosts', ['miek.nl.']],
    [['/etc/hosts', 'miek.nl.', 'pun.gent.'], '/etc/hosts', ['miek.nl.', 'pun.gent.']],
    [['/etc/hosts', 'miek.nl', '10.0.0.9/8'], '/etc/hosts', ['miek.nl.', '10.in-addr.arpa.']],
    [['/etc/hosts', 'Example.ORG:53', 'dns://x.org'], '/etc/hosts', ['example.org.', 'x.org.']],
    [['hosts.txt'], '/etc/coredns/hosts.txt', ['.']],
  ])('args %j', (args, path, origins) => {
    const c = parse(dir(args));
    expect(c.path).toBe(path);
    expect(c.origins).toEqual(origins);
  });

  it('takes the block zones when no zones are given', () => {
    expect(parse(dir(['/x']), ['cluster.local.', 'in-addr.arpa.']).origins).toEqual(['cluster.local.', 'in-addr.arpa.']);
  });

  it('reads options and inline entries', () => {
    const c = parse(dir([], [['10.0.0.1', 'example.org'], ['::1', 'a', 'b'], ['ttl', '60'], ['no_reverse'], ['reload', '1m30s'], ['fallthrough', 'example.org'], ['fallthrough_unsupported']]));
    expect(c.inline).toEqual(['10.0.0.1 example.org', '::1 a b']);
    expect(c).toMatchObject({ ttl: 60, autoReverse: false, reloadMs: 90_000, fallthroughUnsupported: true });
    expect(c.fall.through('a.example.org.')).toBe(true);
    expect(c.fall.through('a.example.net.')).toBe(false);
  });

  it('fallthrough alone covers everything', () => {
    expect(parse(dir([], [['fallthrough']])).fall.through('anything.')).toBe(true);
  });

  it('reload 0 disables the check', () => {
    expect(parse(dir([], [['reload', '0']])).reloadMs).toBe(0);
    expect(parse(dir([], [['reload', '0s']])).reloadMs).toBe(0);
  });

  it.each([
    [[['fallthrough'], ['10.0.0.1', 'example.org']], /unknown property '10.0.0.1'/, 5],
    [[['ttl']], /ttl needs/, 4],
    [[['ttl', 'abc']], /ttl needs a number/, 4],
    [[['ttl', '0']], /ttl provided is invalid/, 4],
    [[['ttl', '65536']], /ttl provided is invalid/, 4],
    [[['reload']], /reload needs a duration/, 4],
    [[['reload', '5']], /invalid duration for reload '5'/, 4],
    [[['reload', '-5s']], /invalid negative duration/, 4],
    [[['fallthrough_unsupported']], /requires fallthrough/, 4],
    [[['no_reverse', 'x']], /no_reverse takes no arguments/, 4],
  ] as Array<[Array<[string, ...string[]]>, RegExp, number]>)('error %#', (block, msg, line) => {
    let err: unknown;
    try { parse(dir([], block)); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(CorefileError);
    expect((err as CorefileError).message).toMatch(msg);
    expect((err as CorefileError).message.startsWith(`Corefile:${line}: `)).toBe(true);
  });
});

describe('Go durations', () => {
  it.each([
    ['5s', 5000], ['300ms', 300], ['1.5h', 5_400_000], ['2h45m', 9_900_000], ['0', 0], ['0s', 0], ['1m30s', 90_000],
    ['.5s', 500], ['10us', 0.01], ['-1s', -1000],
  ])('%s', (t, ms) => { expect(parseGoDuration(t)).toBeCloseTo(ms); });
  it.each(['', '5', 's', '1x', '1.s5', '--1s', '1 s'])('rejects %j', (t) => {
    expect(parseGoDuration(t)).toBeUndefined();
  });
});
