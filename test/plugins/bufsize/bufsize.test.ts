// bufsize: caps the client's advertised EDNS UDP size, so a big answer truncates at the cap
// (not at the client's 4096), a smaller client size still wins, and TCP is untouched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { buildQuery, exchange } from '../../support/dns-client.ts';
import { findOpt, header } from '../../server/helpers.ts';

const AUTHORS = Array.from({ length: 10 }, (_, i) => String.fromCharCode(97 + i).repeat(120));

describe('bufsize', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(`. {\n  bufsize 600\n  chaos v ${AUTHORS.join(' ')}\n}\n`);
  });
  afterAll(() => s.stop());
  const authors = (udpSize?: number, protocol: 'udp' | 'tcp' = 'udp') =>
    exchange(s.port, buildQuery('authors.bind', 'TXT', { class: 3, udpSize }), protocol);

  it('truncates at the configured size even when the client offers 4096', async () => {
    const r = (await authors(4096))!;
    expect(header(r).tc).toBe(1);
    expect(r.length).toBeLessThanOrEqual(600);
    expect(r.length).toBeGreaterThan(512);
    expect(findOpt(r)!.udpSize).toBe(600);
  });

  it('keeps a smaller client size', async () => {
    const r = (await authors(550))!;
    expect(header(r).tc).toBe(1);
    expect(r.length).toBeLessThanOrEqual(550);
  });

  it('leaves TCP alone', async () => {
    const r = (await authors(4096, 'tcp'))!;
    expect(header(r).tc).toBe(0);
    expect(header(r).an).toBe(AUTHORS.length);
  });

  it('defaults to 1232', async () => {
    const t = await startTestServer(`. {\n  bufsize\n  chaos v ${AUTHORS.join(' ')} ${AUTHORS.join(' ')}\n}\n`);
    try {
      const r = (await exchange(t.port, buildQuery('authors.bind', 'TXT', { class: 3, udpSize: 4096 })))!;
      expect(header(r).tc).toBe(1);
      expect(r.length).toBeLessThanOrEqual(1232);
      expect(r.length).toBeGreaterThan(1000);
      expect(findOpt(r)!.udpSize).toBe(1232);
    } finally {
      await t.stop();
    }
  });

  it('rejects sizes outside 512..4096 with FILE:LINE', async () => {
    for (const bad of ['511', '4097', 'big']) {
      expect(await s.reload(`. {\n  bufsize ${bad}\n  whoami\n}\n`)).toBe(false);
      expect(s.logs.at(-1)).toMatch(new RegExp(`:2: bufsize: invalid buffer size "${bad}"`));
    }
  });
});
