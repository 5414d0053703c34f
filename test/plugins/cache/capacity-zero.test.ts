// `cache { success 0 }` / `denial 0`: refused before, accepted by CoreDNS (its sharded cache has at
// least 4 entries per shard, 1024 in all, whatever the capacity asked). A real server in front of a
// real upstream, queried over UDP: the setup succeeds and answers are still cached.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { query } from '../../support/dns-client.ts';
import { Upstream } from '../../support/upstream.ts';
import { parseCache } from '../../../src/plugins/cache/setup.ts';
import { directive } from '../forward/helpers.ts';

let up: Upstream;
let srv: TestServer;

beforeAll(async () => {
  up = await Upstream.start();
  up.add({ name: 'here.example.', type: 'A', ttl: 300, data: '192.0.2.7' });
  srv = await startTestServer(`example {\n    cache 30 {\n        success 0\n        denial 0\n    }\n    forward . ${up.address}\n}\n`);
});
afterAll(async () => {
  await srv?.stop();
  await up?.close();
});

describe('cache capacity 0', () => {
  it('parses to the smallest cache (1024 entries), as CoreDNS, for 0 and below', () => {
    const c = parseCache(directive('cache {\n success 0\n denial -5 30\n}'), ['.']);
    expect([c.pcap, c.ncap, c.nttl]).toEqual([1024, 1024, 30]);
  });

  it('starts, and still caches success and denial answers', async () => {
    for (const name of ['here.example.', 'gone.example.']) {
      const first = await query(srv.port, name, 'A');
      const second = await query(srv.port, name, 'A');
      expect(second.header.rcode).toBe(first.header.rcode);
      expect(up.seen(name)).toHaveLength(1);
    }
    expect((await query(srv.port, 'gone.example.', 'A')).header.rcode).toBe(3);
  });
});
