// The UDP answer limit: whatever EDNS size a client offers, a UDP answer is at most 1232 bytes
// (DNS Flag Day 2020, unbound's max-udp-size) unless the block's bufsize says otherwise, larger or
// smaller; a bigger answer is truncated with TC and is whole over TCP. A 65535-byte offer for a name
// with hundreds of addresses must not come back as a multi-kilobyte, fragmented datagram.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';
import { buildQuery, decodeWithDns2, exchange } from '../support/dns-client.ts';
import { findOpt, header } from './helpers.ts';
import { DEFAULT_MAX_UDP_ANSWER } from '../../src/server/handler.ts';

const hostsBlock = (name: string, n: number) =>
  `  hosts {\n${Array.from({ length: n }, (_, i) => `    10.1.${i >> 8}.${i & 255} ${name}`).join('\n')}\n  }\n`;

describe('UDP answer size', () => {
  let s: TestServer;
  beforeAll(async () => {
    // 300 addresses: about 4.8 KB; 200 addresses: about 3.2 KB
    s = await startTestServer(
      `. {\n${hostsBlock('big.example.org', 300)}}\n` +
      `wide.test {\n  bufsize 4096\n${hostsBlock('big.wide.test', 300)}}\n` +
      `fits.test {\n  bufsize 4096\n${hostsBlock('mid.fits.test', 200)}}\n`);
  });
  afterAll(() => s.stop());

  it('holds UDP answers to 1232 bytes when the client offers 65535 and no bufsize is set', async () => {
    expect(DEFAULT_MAX_UDP_ANSWER).toBe(1232);
    const q = buildQuery('big.example.org', 'A', { udpSize: 65535, id: 11 });
    const r = (await exchange(s.port, q))!;
    expect(header(r).id).toBe(11);
    expect(header(r).tc).toBe(1);
    expect(r.length).toBeLessThanOrEqual(1232);
    expect(r.length).toBeGreaterThan(1000);           // filled up to the limit, not cut to 512
    expect(r.length / q.length).toBeLessThan(40);     // not the 100x-and-more amplification of 65535
    // the same over TCP: every address
    const t = decodeWithDns2((await exchange(s.port, q, 'tcp'))!);
    expect(t.answers).toHaveLength(300);
  });

  it('keeps a smaller client size, and 512 without EDNS', async () => {
    const small = (await exchange(s.port, buildQuery('big.example.org', 'A', { udpSize: 800 })))!;
    expect(header(small).tc).toBe(1);
    expect(small.length).toBeLessThanOrEqual(800);
    const plain = (await exchange(s.port, buildQuery('big.example.org', 'A')))!;
    expect(header(plain).tc).toBe(1);
    expect(plain.length).toBeLessThanOrEqual(512);
    expect(findOpt(plain)).toBeUndefined();
  });

  it('lets bufsize raise the limit: up to 4096 bytes, whole when it fits', async () => {
    const r = (await exchange(s.port, buildQuery('big.wide.test', 'A', { udpSize: 65535 })))!;
    expect(header(r).tc).toBe(1);
    expect(r.length).toBeLessThanOrEqual(4096);
    expect(r.length).toBeGreaterThan(3500);
    const fits = (await exchange(s.port, buildQuery('mid.fits.test', 'A', { udpSize: 65535 })))!;
    expect(header(fits).tc).toBe(0);
    expect(fits.length).toBeGreaterThan(1232);
    expect(decodeWithDns2(fits).answers).toHaveLength(200);
  });
});
