// Which server block takes a query (QueryHandler.match, src/server/handler.ts): the block whose
// zone is the longest suffix of the name on a label boundary, as CoreDNS picks it. With few zones
// the handler tests each zone as a suffix; with many it walks the name label by label. Both must
// pick the same block for every name, escapes included.
import { describe, expect, it } from 'vitest';
import type { Plugin } from '../../src/plugin/contract.ts';
import { buildChain } from '../../src/server/chain.ts';
import { QueryHandler, type BlockRuntime } from '../../src/server/handler.ts';

const log = { info() {}, warning() {}, error() {}, debug() {} };
const none: Plugin[] = [];

function handler(zoneLists: string[][]): QueryHandler {
  const blocks: BlockRuntime[] = zoneLists.map((zones, i) => ({ zones, server: `dns://:${53 + i}`, plugins: none, observers: [], chain: buildChain(none, false) }));
  return new QueryHandler(blocks, log);
}

const ZONES = ['.', 'cluster.local.', 'svc.cluster.local.', 'example.com.', 'b.example.com.', 'ample.com.', 'in-addr.arpa.', '10.in-addr.arpa.', 'a\\.b.test.'];
const NAMES = [
  '.', 'cluster.local.', 'xcluster.local.', 'a.cluster.local.', 'web.apps.svc.cluster.local.', 'svc.cluster.local.',
  'example.com.', 'b.example.com.', 'ab.example.com.', 'a.b.example.com.', 'sample.com.', 'x.ample.com.', 'com.',
  '1.0.0.10.in-addr.arpa.', '1.0.0.11.in-addr.arpa.', 'in-addr.arpa.', 'a\\.b.test.', 'x.a\\.b.test.', 'b.test.',
  'a\\.cluster.local.', 'x\\.example.com.', 'local.', 'c.example.com.x.', 'z.',
];

describe('the block a query goes to', () => {
  it('is the same whether zones are tested as suffixes (few zones) or found label by label (many)', () => {
    const few = handler(ZONES.map((z) => [z]));
    // past the suffix test's limit: the same zones, plus many others no name here is under
    const many = handler([...ZONES.map((z) => [z]), ...Array.from({ length: 40 }, (_, i) => [`z${i}.other.`])]);
    for (const name of NAMES) {
      const a = few.match(name), b = many.match(name);
      expect([name, a?.[1], a?.[0].server]).toEqual([name, b?.[1], b?.[0].server]);
    }
  });

  it('is the longest zone on a label boundary, and none when no zone is a suffix', () => {
    const h = handler([['example.com.'], ['b.example.com.', 'cluster.local.']]);
    expect(h.match('a.b.example.com.')?.[1]).toBe('b.example.com.');
    expect(h.match('ab.example.com.')?.[1]).toBe('example.com.');
    expect(h.match('xexample.com.')).toBeUndefined();
    expect(h.match('cluster.local.')?.[0].server).toBe('dns://:54');
    expect(h.match('org.')).toBeUndefined();
  });
});
