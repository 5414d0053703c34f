import { describe, expect, test } from 'vitest';
import { CorefileError } from '../../../src/corefile/types.ts';
import { parseForward } from '../../../src/plugins/forward/setup.ts';
import { parseAddress } from '../../../src/plugins/forward/hosts.ts';
import { parseDuration } from '../../../src/plugin/duration.ts';
import { directive } from './helpers.ts';

const parse = (text: string) => parseForward(directive(text), '/tmp/Corefile');
function error(text: string): string {
  try { parse(text); } catch (e) { expect(e).toBeInstanceOf(CorefileError); return (e as Error).message; }
  throw new Error(`no error for: ${text}`);
}

describe('forward setup', () => {
  test('an upstream left empty by an unset environment variable is named as such', () => {
    expect(error('forward . {$CLUSTERDNS_TEST_UNSET_UPSTREAM}')).toMatch(/\/tmp\/Corefile:2: forward: an upstream is empty \(is an environment variable/);
  });

  test('defaults as CoreDNS', () => {
    const c = parse('forward . 10.0.0.1');
    expect(c).toMatchObject({
      from: '.', forceTcp: false, preferUdp: false, expireMs: 10_000, maxFails: 2, policy: 'random',
      hcIntervalMs: 500, hcRecursionDesired: true, hcDomain: '.', maxConcurrent: 0, next: [], failover: [],
    });
    expect(c.upstreams.map((u) => u.label)).toEqual(['10.0.0.1:53']);
  });

  test('every option', () => {
    const c = parse(`forward Example.ORG 10.0.0.1:1053 [2003::1]:53 tls://9.9.9.9 dns://1.1.1.1 {
      except a.example.org b.example.org
      force_tcp
      prefer_udp
      expire 30s
      max_fails 5
      max_connect_attempts 3
      max_idle_conns 10
      policy round_robin
      health_check 5s no_rec domain example.net
      max_concurrent 1000
      next NXDOMAIN SERVFAIL
      failover REFUSED
      failfast_all_unhealthy_upstreams
      tls_servername dns.quad9.net
    }`);
    expect(c.from).toBe('example.org.');
    expect(c.upstreams.map((u) => u.label)).toEqual(['10.0.0.1:1053', '[2003::1]:53', 'tls://9.9.9.9:853', '1.1.1.1:53']);
    expect(c).toMatchObject({
      except: ['a.example.org.', 'b.example.org.'], forceTcp: true, preferUdp: true, expireMs: 30_000, maxFails: 5,
      maxConnectAttempts: 3, policy: 'round_robin', hcIntervalMs: 5000, hcRecursionDesired: false,
      hcDomain: 'example.net.', maxConcurrent: 1000, next: [3, 2], failover: [5], failfast: true, tlsServerName: 'dns.quad9.net',
    });
  });

  test('addresses', () => {
    expect(parseAddress('tls://1.1.1.1%cloudflare-dns.com:10853')).toMatchObject({ host: '1.1.1.1', port: 10853, tls: true, serverName: 'cloudflare-dns.com' });
    expect(parseAddress('::1')).toMatchObject({ host: '::1', port: 53, label: '[::1]:53' });
    expect(parseAddress('/etc/resolv.conf')).toBeUndefined();
    expect(() => parseAddress('10.0.0.1:99999')).toThrow(/bad port/);
    expect(() => parseAddress('https://9.9.9.9')).toThrow(/not supported/);
  });

  test('a CIDR FROM becomes its reverse zone', () => {
    expect(parse('forward 10.0.0.0/8 10.0.0.1').from).toBe('10.in-addr.arpa.');
  });

  test('user errors are one line with FILE:LINE and what to do', () => {
    expect(error('forward . /nonexistent/resolv.conf'))
      .toBe('/tmp/Corefile:2: forward: /nonexistent/resolv.conf: no such file — name an upstream IP, e.g. forward . 8.8.8.8');
    expect(error('forward .')).toMatch(/^\/tmp\/Corefile:2: forward: missing TO/);
    expect(error('forward . dns.example.local')).toMatch(/not an IP address or file/);
    expect(error('forward . 10.0.0.1 {\n bogus\n}')).toBe("/tmp/Corefile:3: forward: unknown property 'bogus' — see the forward README for the options");
    expect(error('forward . 10.0.0.1 {\n policy fastest\n}')).toMatch(/:3: forward: unknown policy 'fastest'/);
    expect(error('forward . 10.0.0.1 {\n expire -1s\n}')).toMatch(/expire can't be negative/);
    expect(error('forward . 10.0.0.1 {\n max_fails x\n}')).toMatch(/not an integer/);
    expect(error('forward . 10.0.0.1 {\n next NOPE\n}')).toMatch(/not a valid rcode/);
    expect(error('forward . 10.0.0.1 {\n failover NOERROR\n}')).toMatch(/NOERROR cannot/);
    expect(error('forward . 10.0.0.1 {\n tls /nope.pem\n}')).toMatch(/tls: \/nope.pem: no such file/);
    expect(error(`forward . ${Array.from({ length: 16 }, (_, i) => `10.0.0.${i + 1}`).join(' ')}`)).toMatch(/more than the maximum of 15/);
    expect(error('forward . tls://1.1.1.1%a.example {\n tls_servername b.example\n}')).toMatch(/cannot be used together/);
  });

  test('an empty resolv.conf is an error too', async () => {
    const fs = await import('node:fs');
    fs.writeFileSync('/tmp/clusterdns-empty-resolv.conf', '# nothing\nsearch x\n');
    expect(error('forward . /tmp/clusterdns-empty-resolv.conf')).toMatch(/no nameserver lines/);
    fs.rmSync('/tmp/clusterdns-empty-resolv.conf');
  });

  test('Go durations', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('0.5s')).toBe(500);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('10')).toBeUndefined();
    expect(parseDuration('1d')).toBeUndefined();
  });
});
