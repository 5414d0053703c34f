// One cache per server block, shared by every answering thread: a real server with two worker
// threads (each query from its own source port, so SO_REUSEPORT spreads them over both), a real
// counting upstream behind forward, and /metrics as an operator scrapes it.
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { freePort } from '../../support/ports.ts';
import { query, type Dns2Packet } from '../../support/dns-client.ts';
import { Upstream } from '../../support/upstream.ts';
import { metric, scrape } from '../../server/helpers.ts';
import { sleep, until } from '../../support/wait.ts';

interface JsonMetric { name: string; values: { value: number; labels: Record<string, string | number> }[] }

describe('cache shared by the threads of a server (workers: 2)', () => {
  let up: Upstream;
  let s: TestServer;
  let mport: number;
  const corefile = () => `one.test {
  prometheus 127.0.0.1:${mport}
  cache
  forward . ${up.address}
}
pre.test {
  cache {
    prefetch 2 1m 90%
  }
  forward . ${up.address}
}
stale.test {
  cache {
    success 1024 1 0
    serve_stale 1h
  }
  forward . ${up.address}
}
verified.test {
  cache {
    success 1024 1 0
    serve_stale 1h verified
  }
  forward . ${up.address}
}
`;
  beforeAll(async () => {
    up = await Upstream.start();
    mport = await freePort();
    s = await startTestServer(corefile(), { workers: 2 });
  });
  afterAll(async () => { await s.stop(); await up.close(); });

  const addr = (r: Dns2Packet) => (r.answers[0] as { address?: string } | undefined)?.address;
  /** Cache requests each worker thread took for a zone (its own registry, before /metrics sums them). */
  const perThread = async (zones: string) => (await s.server.workerMetricsForTest!()).map((w) => {
    const m = (w.metrics as JsonMetric[]).find((x) => x.name === 'coredns_cache_requests_total');
    return (m?.values ?? []).filter((v) => v.labels.zones === zones).reduce((n, v) => n + v.value, 0);
  });
  const summed = async (name: string, labels: Record<string, string>) => metric(await scrape(mport), name, { server: `dns://:${s.port}`, ...labels });

  it('asks upstream once for a name asked from many source ports; every client gets the same answer, TTL never going up', async () => {
    up.add({ name: 'www.one.test', type: 'A', ttl: 300, data: '192.0.2.1' });
    const before = await perThread('one.test.');
    const first = await query(s.port, 'www.one.test', 'A');
    expect(addr(first)).toBe('192.0.2.1');
    // From now on a second upstream query would get another answer.
    up.clear().add({ name: 'www.one.test', type: 'A', ttl: 300, data: '192.0.2.2' });
    const answers: Dns2Packet[] = [first];
    for (let i = 0; i < 40; i++) answers.push(await query(s.port, 'www.one.test', 'A'));
    expect(up.seen('www.one.test')).toHaveLength(1);
    expect(answers.map(addr)).toEqual(answers.map(() => '192.0.2.1'));
    const ttls = answers.map((r) => r.answers[0]!.ttl);
    for (let i = 1; i < ttls.length; i++) expect(ttls[i]).toBeLessThanOrEqual(ttls[i - 1]!);
    expect(ttls[0]).toBe(300);
    const after = await perThread('one.test.');
    expect(after).toHaveLength(2);
    expect(after.map((n, i) => n - before[i]!).every((n) => n > 0), `per-thread requests ${after}`).toBe(true);
  });

  it('concurrent misses on both threads send one upstream query and all wait for its answer', async () => {
    up.add({ name: 'con.one.test', type: 'A', ttl: 300, data: '192.0.2.3' });
    up.behaviour = { delayMs: 300 };
    const before = await perThread('one.test.');
    try {
      const answers = await Promise.all(Array.from({ length: 30 }, () => query(s.port, 'con.one.test', 'A', { timeoutMs: 4000 })));
      expect(up.seen('con.one.test')).toHaveLength(1);
      expect(answers.map(addr)).toEqual(answers.map(() => '192.0.2.3'));
      expect(answers.every((r) => r.header.rcode === 0)).toBe(true);
    } finally {
      up.behaviour = {};
    }
    const after = await perThread('one.test.');
    expect(after.map((n, i) => n - before[i]!).every((n) => n > 0), `per-thread requests ${after}`).toBe(true);
  });

  it('/metrics sums the threads: hits + misses = requests, and the entries gauge is the real entry count', async () => {
    await query(s.port, 'nx.one.test', 'A');                    // a denial
    await query(s.port, 'nx.one.test', 'A');
    const zones = 'one.test.';
    const requests = await summed('coredns_cache_requests_total', { zones });
    const hits = await summed('coredns_cache_hits_total', { zones });
    const misses = await summed('coredns_cache_misses_total', { zones });
    expect(requests).toBe(1 + 40 + 30 + 2);
    expect(misses).toBe(3);                                     // www, con, nx: once each
    expect(hits + misses).toBe(requests);
    expect(await summed('coredns_cache_entries', { zones, type: 'success' })).toBe(2);
    expect(await summed('coredns_cache_entries', { zones, type: 'denial' })).toBe(1);
    expect(up.seen('nx.one.test')).toHaveLength(1);
  });

  it('prefetch refreshes a popular entry once, whichever threads see it', async () => {
    up.add({ name: 'p.pre.test', type: 'A', ttl: 10, data: '192.0.2.4' });
    await query(s.port, 'p.pre.test', 'A');                      // stored for 10 s
    up.clear().add({ name: 'p.pre.test', type: 'A', ttl: 10, data: '192.0.2.5' });
    up.behaviour = { delayMs: 200 };
    await sleep(1100);                                           // 9 s left: within 90% of the TTL
    try {
      const before = await perThread('pre.test.');
      const burst = await Promise.all(Array.from({ length: 20 }, () => query(s.port, 'p.pre.test', 'A')));
      expect(burst.every((r) => addr(r) === '192.0.2.4')).toBe(true);
      const after = await perThread('pre.test.');
      expect(after.map((n, i) => n - before[i]!).every((n) => n > 0), `per-thread requests ${after}`).toBe(true);
      expect(await until(() => up.seen('p.pre.test').length === 2, 3000)).toBe(true);
      expect(await until(async () => addr(await query(s.port, 'p.pre.test', 'A')) === '192.0.2.5', 3000)).toBe(true);
    } finally {
      up.behaviour = {};
    }
    expect(up.seen('p.pre.test')).toHaveLength(2);
    expect(await summed('coredns_cache_prefetch_total', { zones: 'pre.test.' })).toBe(1);
  });

  it('serve_stale answers from the expired entry on every thread and refreshes it once', async () => {
    up.add({ name: 'x.stale.test', type: 'A', ttl: 300, data: '192.0.2.6' });
    await query(s.port, 'x.stale.test', 'A');                    // stored for 1 s (success TTL 1)
    up.clear().add({ name: 'x.stale.test', type: 'A', ttl: 300, data: '192.0.2.7' });
    up.behaviour = { delayMs: 300 };
    await sleep(2100);
    try {
      const before = await perThread('stale.test.');
      const burst = await Promise.all(Array.from({ length: 20 }, () => query(s.port, 'x.stale.test', 'A')));
      expect(burst.map(addr)).toEqual(burst.map(() => '192.0.2.6'));
      expect(burst.every((r) => r.answers[0]!.ttl === 0)).toBe(true);
      const after = await perThread('stale.test.');
      expect(after.map((n, i) => n - before[i]!).every((n) => n > 0), `per-thread requests ${after}`).toBe(true);
      expect(await until(() => up.seen('x.stale.test').length === 2, 3000)).toBe(true);
      await sleep(100);
    } finally {
      up.behaviour = {};
    }
    expect(up.seen('x.stale.test')).toHaveLength(2);
    expect(await summed('coredns_cache_served_stale_total', { zones: 'stale.test.' })).toBe(20);
  });

  it('serve_stale verified: one thread asks upstream, the others wait for its fresh answer', async () => {
    up.add({ name: 'v.verified.test', type: 'A', ttl: 300, data: '192.0.2.10' });
    await query(s.port, 'v.verified.test', 'A');                 // stored for 1 s
    up.clear().add({ name: 'v.verified.test', type: 'A', ttl: 300, data: '192.0.2.11' });
    up.behaviour = { delayMs: 300 };
    await sleep(2100);
    try {
      const before = await perThread('verified.test.');
      const burst = await Promise.all(Array.from({ length: 20 }, () => query(s.port, 'v.verified.test', 'A', { timeoutMs: 4000 })));
      expect(burst.map(addr)).toEqual(burst.map(() => '192.0.2.11'));
      const after = await perThread('verified.test.');
      expect(after.map((n, i) => n - before[i]!).every((n) => n > 0), `per-thread requests ${after}`).toBe(true);
    } finally {
      up.behaviour = {};
    }
    expect(up.seen('v.verified.test')).toHaveLength(2);
    expect(await summed('coredns_cache_served_stale_total', { zones: 'verified.test.' })).toBe(0);
  });

  it('a replaced worker serves from the same cache; a reload starts a fresh one', async () => {
    up.add({ name: 'r.one.test', type: 'A', ttl: 300, data: '192.0.2.8' });
    await query(s.port, 'r.one.test', 'A');
    const threads = (await s.server.workerMetricsForTest!()).map((w) => w.threadId);
    s.server.crashWorkerForTest!();
    expect(await until(async () => {
      const now = (await s.server.workerMetricsForTest!()).map((w) => w.threadId);
      return now.length === 2 && now.some((t) => !threads.includes(t));
    }, 8000)).toBe(true);
    // the replacement listens once its generation is up; ask until it has taken queries
    const fresh = async () => (await s.server.workerMetricsForTest!()).find((w) => !threads.includes(w.threadId))!;
    const took = async () => {
      const m = ((await fresh()).metrics as JsonMetric[]).find((x) => x.name === 'coredns_cache_requests_total');
      return (m?.values ?? []).filter((v) => v.labels.zones === 'one.test.').reduce((n, v) => n + v.value, 0);
    };
    expect(await until(async () => {
      for (let i = 0; i < 10; i++) expect(addr(await query(s.port, 'r.one.test', 'A'))).toBe('192.0.2.8');
      return (await took()) > 0;
    }, 8000)).toBe(true);
    expect(up.seen('r.one.test')).toHaveLength(1);
    // A reload gets a new cache (as CoreDNS's): the name goes upstream again, and only once.
    expect(await s.reload(corefile() + '# reloaded\n')).toBe(true);
    for (let i = 0; i < 10; i++) await query(s.port, 'r.one.test', 'A');
    expect(up.seen('r.one.test')).toHaveLength(2);
    expect(await summed('coredns_cache_entries', { zones: 'one.test.', type: 'success' })).toBe(1);
  }, 30_000);
});

describe('cache memory across reloads', () => {
  it('a reload lets the old generation\'s cache memory go: every thread collects it', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const buffers = async () => {
      for (let i = 0; i < 3; i++) { gc(); await sleep(10); }
      return process.memoryUsage().arrayBuffers;
    };
    // 2 × 8 MiB rings per generation (plus its table)
    const corefile = (n: number) => `. {\n  cache {\n    max_bytes 8M\n  }\n  whoami\n}\n# ${n}\n`;
    const s = await startTestServer(corefile(0), { workers: 2 });
    try {
      const before = await buffers();
      for (let i = 1; i <= 12; i++) expect(await s.reload(corefile(i))).toBe(true);
      // Kept generations would hold 12 × 16 MiB (the workers map them too: the memory goes only when
      // every thread has collected its handle); at most the serving one may be new.
      let grown = Infinity;
      expect(await until(async () => (grown = (await buffers()) - before) < 40 * 2 ** 20, 5000),
        `array buffers grew by ${(grown / 2 ** 20).toFixed(1)} MiB`).toBe(true);
    } finally {
      await s.stop();
    }
  }, 30_000);
});
