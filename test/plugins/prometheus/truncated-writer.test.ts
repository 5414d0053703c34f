/**
 * The `plugin` label of coredns_dns_responses_total names the plugin that wrote an answer even
 * when the encoder truncated that answer for the client (the handler hands observers a copy with
 * TC set; the writer must be looked up on the original response).
 */
import { describe, expect, it } from 'vitest';
import { metric, scrape } from '../../server/helpers.ts';
import { buildQuery, exchange } from '../../support/dns-client.ts';
import { freePort } from '../../support/ports.ts';
import { startTestServer } from '../../support/server.ts';

describe('prometheus: plugin label of a truncated answer', () => {
  it('is the plugin that answered, not empty', async () => {
    const mport = await freePort();
    const addrs = Array.from({ length: 60 }, (_, i) => `10.0.1.${i + 1} big.example`).join('\n    ');
    const s = await startTestServer(`. {\n  prometheus 127.0.0.1:${mport}\n  hosts {\n    ${addrs}\n  }\n}\n`);
    try {
      const res = await exchange(s.port, buildQuery('big.example', 'A', { id: 4802 }));
      expect(res![2]! & 2).toBe(2); // TC on the wire: 60 A records do not fit in 512 bytes
      const samples = await scrape(mport);
      const server = `dns://:${s.port}`;
      expect(metric(samples, 'coredns_dns_responses_total', { server, rcode: 'NOERROR', plugin: 'hosts' })).toBe(1);
      expect(metric(samples, 'coredns_dns_responses_total', { server, plugin: '' })).toBe(0);
    } finally {
      await s.stop();
    }
  });
});
