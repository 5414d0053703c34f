/**
 * pprof: CoreDNS's setup table (plugin/pprof setup_test.go TestPProf), then real HTTP requests to
 * a real server: the index, a 1-second CPU profile that parses as a V8 .cpuprofile, a heap
 * snapshot that starts with V8's snapshot header, cmdline, the event-loop delay with `block`, the
 * port kept across a reload, and — with two worker threads — a worker's own CPU profile and heap
 * snapshot fetched through the main thread.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileSeconds } from '../../../src/plugins/pprof/index.ts';
import { buildGeneration, ConfigErrors } from '../../../src/server/generation.ts';
import { LoopbackHub } from '../../../src/server/channels.ts';
import { httpGet } from '../../server/helpers.ts';
import { query } from '../../support/dns-client.ts';
import { freePort } from '../../support/ports.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';

/** The block set up as -validate does (the generation checks once-per-block), closed again. */
async function setup(text: string): Promise<void> {
  const g = await buildGeneration({
    text: `. {\n${text}\n}\n`, file: 'Corefile', dnsPort: 53, role: 'single', mode: 'validate',
    sink: { write() {} }, shared: new Map(), hub: new LoopbackHub(),
  });
  await g.close();
}

describe('pprof setup (CoreDNS TestPProf)', () => {
  it.each([
    ['pprof', true],
    ['pprof 1.2.3.4:1234', true],
    ['pprof :1234', true],
    ['pprof :1234 -1', false],
    ['pprof {\n}', true],
    ['pprof /foo', false],
    ['pprof {\n a b\n}', false],
    ['pprof { block\n}', true],
    ['pprof :1234 {\n block 20\n}', true],
    ['pprof {\n block 20 30\n}', false],
    ['pprof {\n block invalid\n}', false],
    ['pprof {\n unknown_property\n}', false],
    ['pprof\npprof', false],
  ])('%s', async (text, ok) => {
    if (ok) await expect(setup(text)).resolves.toBeUndefined();
    else await expect(setup(text)).rejects.toThrow(ConfigErrors);
  });

  it('reads seconds as Go\'s pprof does: not a positive integer → 30; bounded above', () => {
    const s = (v: string) => profileSeconds(new URLSearchParams(v));
    expect([s(''), s('seconds=abc'), s('seconds=0'), s('seconds=-3'), s('seconds=2'), s('seconds=120'), s('seconds=121')])
      .toEqual([30, 30, 30, 30, 2, 120, 'too long']);
  });
});

/** GET a URL and return the status, headers and whole body as bytes. */
function get(url: string, timeoutMs = 20_000): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

interface CpuProfile { nodes: { id: number; callFrame: { functionName: string; url: string } }[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

function expectCpuProfile(body: Buffer, seconds: number): CpuProfile {
  const p = JSON.parse(body.toString('utf8')) as CpuProfile;
  expect(p.nodes.length).toBeGreaterThan(0);
  expect(p.nodes[0]!.callFrame.functionName).toBe('(root)');
  expect(p.samples.length).toBe(p.timeDeltas.length);
  const micros = p.endTime - p.startTime;
  expect(micros).toBeGreaterThanOrEqual(seconds * 1e6 * 0.9);
  expect(micros).toBeLessThan(seconds * 1e6 + 10e6);
  return p;
}

function expectHeapSnapshot(body: Buffer): void {
  expect(body.subarray(0, 40).toString('utf8')).toMatch(/^\{"snapshot":\{"meta":\{"node_fields":/);
  const snap = JSON.parse(body.toString('utf8')) as { snapshot: { node_count: number }; nodes: number[] };
  expect(snap.snapshot.node_count).toBeGreaterThan(1000);
}

describe('pprof in a real server (one thread)', () => {
  let srv: TestServer;
  let port: number;
  const corefile = (p: number) => `. {\n    pprof 127.0.0.1:${p} {\n        block 5\n    }\n    whoami\n}\n`;

  beforeAll(async () => {
    port = await freePort();
    srv = await startTestServer(corefile(port));
  });
  afterAll(async () => { await srv?.stop(); });

  it('serves an index naming the profiles and the thread', async () => {
    const r = await httpGet(`http://127.0.0.1:${port}/debug/pprof/`);
    expect(r.status).toBe(200);
    for (const p of ['profile', 'heap', 'cmdline', 'block']) expect(r.body).toContain(`/debug/pprof/${p}`);
    expect(r.body).toContain('0: the main thread — answers every query');
    const redirect = await get(`http://127.0.0.1:${port}/debug/pprof`);
    expect([redirect.status, redirect.headers.location]).toEqual([301, '/debug/pprof/']);
  });

  it('profile?seconds=1: a V8 CPU profile of about one second, as a .cpuprofile attachment', async () => {
    const r = await get(`http://127.0.0.1:${port}/debug/pprof/profile?seconds=1`);
    expect(r.status).toBe(200);
    expect(r.headers['content-disposition']).toBe('attachment; filename="clusterdns-thread0.cpuprofile"');
    expectCpuProfile(r.body, 1);
  });

  it('one CPU profile at a time per thread, and a bounded duration', async () => {
    const first = get(`http://127.0.0.1:${port}/debug/pprof/profile?seconds=1`);
    await new Promise((r) => setTimeout(r, 200));
    const second = await get(`http://127.0.0.1:${port}/debug/pprof/profile?seconds=1`);
    expect([second.status, second.body.toString()]).toEqual([500, 'Could not enable CPU profiling: cpu profiling already in use\n']);
    expect((await first).status).toBe(200);
    const long = await get(`http://127.0.0.1:${port}/debug/pprof/profile?seconds=3600`);
    expect(long.status).toBe(400);
  });

  it('heap: a V8 heap snapshot, streamed', async () => {
    const r = await get(`http://127.0.0.1:${port}/debug/pprof/heap`);
    expect(r.status).toBe(200);
    expect(r.headers['content-disposition']).toBe('attachment; filename="clusterdns-thread0.heapsnapshot"');
    expect(r.headers['transfer-encoding']).toBe('chunked');
    expectHeapSnapshot(r.body);
  });

  it('cmdline and block (event-loop delay)', async () => {
    const c = await get(`http://127.0.0.1:${port}/debug/pprof/cmdline`);
    expect(c.body.toString().split('\0')).toEqual(process.argv);
    const b = await httpGet(`http://127.0.0.1:${port}/debug/pprof/block`);
    expect(b.status).toBe(200);
    expect(b.body).toMatch(/^event loop delay of the main thread since /);
    expect(b.body).toMatch(/\nsamples \d+\n/);
    expect(b.body).toMatch(/\np99_ms \d+\.\d{3}\n/);
  });

  it('an unknown thread is a 404 in a one-thread server', async () => {
    expect((await get(`http://127.0.0.1:${port}/debug/pprof/profile?seconds=1&thread=7`)).status).toBe(404);
  });

  it('keeps its port across a reload, and moves when the address changes', async () => {
    const other = await freePort();
    expect(await srv.reload(corefile(port).replace('whoami', 'whoami\n    # reloaded'))).toBe(true);
    expect((await httpGet(`http://127.0.0.1:${port}/debug/pprof/`)).status).toBe(200);
    expect(await srv.reload(corefile(other))).toBe(true);
    expect((await httpGet(`http://127.0.0.1:${other}/debug/pprof/`)).status).toBe(200);
    await expect(httpGet(`http://127.0.0.1:${port}/debug/pprof/`, 1000)).rejects.toThrow();
    port = other;
  });
});

describe('pprof sharing an address', () => {
  it('serves /debug/pprof/ and /metrics from one listener when prometheus names the same address', async () => {
    const port = await freePort();
    const srv = await startTestServer(`. {\n    prometheus 127.0.0.1:${port}\n    pprof 127.0.0.1:${port}\n    whoami\n}\n`);
    try {
      expect((await httpGet(`http://127.0.0.1:${port}/debug/pprof/`)).status).toBe(200);
      expect((await httpGet(`http://127.0.0.1:${port}/metrics`)).body).toContain('coredns_build_info');
    } finally {
      await srv.stop();
    }
  });
});

describe('pprof in a real server with two worker threads', () => {
  let srv: TestServer;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    srv = await startTestServer(`. {\n    pprof 127.0.0.1:${port}\n    whoami\n}\n`, { workers: 2 });
  });
  afterAll(async () => { await srv?.stop(); });

  it('lists the workers, and profiles one of them through the main thread', async () => {
    const index = await httpGet(`http://127.0.0.1:${port}/debug/pprof/`);
    expect(index.body).toContain('0: the main thread — the control plane');
    const ids = [...index.body.matchAll(/<li>(\d+): a worker thread/g)].map((m) => Number(m[1]));
    expect(ids.length).toBe(2);
    const profiling = get(`http://127.0.0.1:${port}/debug/pprof/profile?seconds=1&thread=${ids[0]}`);
    // meanwhile, queries from 20 source ports (SO_REUSEPORT spreads them over both workers), for
    // as long as the profile runs (bounded), so the query path is sampled even on a busy machine
    let profiled = false;
    profiling.then(() => { profiled = true; }, () => { profiled = true; });
    await Promise.all(Array.from({ length: 20 }, async () => { for (let i = 0; i < 500 && !profiled; i++) await query(srv.port, 'w.example.', 'A'); }));
    const r = await profiling;
    expect(r.status).toBe(200);
    expect(r.headers['content-disposition']).toBe(`attachment; filename="clusterdns-thread${ids[0]}.cpuprofile"`);
    const p = expectCpuProfile(r.body, 1);
    // the worker's isolate: the query path ran there (the main thread answers no queries)
    expect(p.nodes.some((n) => n.callFrame.url.endsWith('src/server/handler.ts'))).toBe(true);
    const heap = await get(`http://127.0.0.1:${port}/debug/pprof/heap?thread=${ids[1]}`);
    expect(heap.status).toBe(200);
    expectHeapSnapshot(heap.body);
    expect((await get(`http://127.0.0.1:${port}/debug/pprof/heap?thread=99999`)).status).toBe(404);
  });
});
