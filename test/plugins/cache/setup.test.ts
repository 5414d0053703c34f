import { describe, expect, test } from 'vitest';
import { CorefileError } from '../../../src/corefile/types.ts';
import { parseCache } from '../../../src/plugins/cache/setup.ts';
import { directive } from '../forward/helpers.ts';

const parse = (text: string, zones = ['cluster.local.']) => parseCache(directive(text), zones);
function error(text: string): string {
  try { parse(text); } catch (e) { expect(e).toBeInstanceOf(CorefileError); return (e as Error).message; }
  throw new Error(`no error for: ${text}`);
}

describe('cache setup', () => {
  test('defaults as CoreDNS', () => {
    expect(parse('cache')).toEqual({
      zones: ['cluster.local.'], pcap: 9984, pttl: 3600, minpttl: 5, ncap: 9984, nttl: 1800, minnttl: 5, failttl: 5,
      prefetch: 0, prefetchWindowMs: 60_000, percentage: 10, staleUpToMs: 0, verifyStale: false, pexcept: [], nexcept: [], keepttl: false,
      pbytes: 9984 * 512, nbytes: 9984 * 512,
    });
  });
  test('max_bytes bounds each cache in bytes (default: 512 per entry of capacity)', () => {
    expect(parse('cache {\n success 2048\n}')).toMatchObject({ pbytes: 2048 * 512, nbytes: 9984 * 512 });
    expect(parse('cache {\n max_bytes 8M\n}')).toMatchObject({ pbytes: 8 * 1024 * 1024, nbytes: 8 * 1024 * 1024 });
    expect(parse('cache {\n max_bytes 1m 65536\n}')).toMatchObject({ pbytes: 1024 * 1024, nbytes: 65536 });
    expect(error('cache {\n max_bytes lots\n}')).toMatch(/:3: cache: max_bytes: 'lots' is not a size/);
    expect(error('cache {\n max_bytes 1K\n}')).toMatch(/below the minimum of 16K/);
    expect(error('cache {\n max_bytes\n}')).toMatch(/wrong number of arguments/);
  });
  test('TTL, zones and every option', () => {
    const c = parse(`cache 30 Example.org example.net {
      success 5000 600 10
      denial 2500 60 1
      prefetch 10 2m 20%
      serve_stale 30m verified
      servfail 10s
      disable denial example.net
      keepttl
    }`);
    expect(c).toMatchObject({
      zones: ['example.org.', 'example.net.'], pcap: 4864, pttl: 600, minpttl: 10, ncap: 2304, nttl: 60, minnttl: 1,
      prefetch: 10, prefetchWindowMs: 120_000, percentage: 20, staleUpToMs: 1_800_000, verifyStale: true, failttl: 10,
      nexcept: ['example.net.'], keepttl: true,
    });
    expect(parse('cache {\n serve_stale\n}').staleUpToMs).toBe(3_600_000);
    expect(parse('cache {\n disable success\n}').pexcept).toEqual(['cluster.local.']);
  });
  test('user errors', () => {
    expect(error('cache 0')).toMatch(/^\/tmp\/Corefile:2: cache: cache TTL can not be zero or negative/);
    expect(error('cache {\n prefetch 0\n}')).toMatch(/:3: cache: prefetch amount should be positive/);
    expect(error('cache {\n prefetch 1 1m 95%\n}')).toMatch(/\[10, 90\]/);
    expect(error('cache {\n servfail 10m\n}')).toMatch(/over 5 minutes/);
    expect(error('cache {\n serve_stale 1h sometimes\n}')).toMatch(/invalid refresh mode/);
    expect(error('cache {\n disable all\n}')).toMatch(/"success" or "denial"/);
    expect(error('cache {\n success x\n}')).toMatch(/not an integer/);
    expect(error('cache {\n bogus\n}')).toMatch(/unknown property 'bogus'/);
  });
});
