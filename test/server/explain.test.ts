// GET /explain on the metrics listener and `clusterdns -explain`: a real server (one thread, and
// two workers), the real kubernetes client against the fake API server, a real hosts file, a real
// upstream; real HTTP requests and the real command line. Each report must name the block, the
// plugins and what they did, and where the answer came from — and leave normal answers unchanged.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeApiServer, endpointSlice, namespace, service } from '../support/fake-apiserver.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { freePort } from '../support/ports.ts';
import { Upstream } from '../support/upstream.ts';
import { query } from '../support/dns-client.ts';
import { tempDir } from '../support/k8s-fixtures.ts';
import { eventually, sleep } from '../support/wait.ts';
import { httpGet, metric, scrape } from './helpers.ts';
import type { ExplainReport } from '../../src/server/explain.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE = resolve(ROOT, 'node_modules/.bin/node');

/** Run `clusterdns ARGS` as a user does; resolves with its exit code and output. */
function cli(args: string[], entry = 'src/cli.ts'): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done) => {
    const p = spawn(NODE, [entry, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.setEncoding('utf8').on('data', (c: string) => { out += c; });
    p.stderr.setEncoding('utf8').on('data', (c: string) => { err += c; });
    p.on('exit', (code) => done({ code, out, err }));
  });
}

const HOSTS = '# hosts for the explain test\n10.0.0.1 other.example.org\n\n10.7.7.7 real.example.org   # the one\n';

const ZONE = [
  '$ORIGIN example.net.',
  '@ 3600 IN SOA ns.example.net. hostmaster.example.net. 2024010101 7200 3600 1209600 3600',
  '@ 3600 IN NS ns.example.net.',
  'www 300 IN A 192.0.2.80',
  '',
].join('\n');

describe.each([1, 2])('explain (workers: %i)', (workers) => {
  let api: FakeApiServer;
  let up: Upstream;
  let s: TestServer;
  let mport: number;
  let hostsFile: string;
  let zoneFile: string;

  /** GET /explain, waiting out the rate limit (5 a second) that a quick series of tests meets. */
  async function explain(name: string, type = 'A', extra = ''): Promise<ExplainReport> {
    for (let i = 0; i < 20; i++) {
      const r = await httpGet(`http://127.0.0.1:${mport}/explain?name=${name}&type=${type}${extra}`, 10_000);
      if (r.status === 429) { await sleep(250); continue; }
      expect(r.status, r.body).toBe(200);
      expect(r.type).toBe('application/json');
      return JSON.parse(r.body) as ExplainReport;
    }
    throw new Error('rate-limited for 5 s');
  }
  const note = (r: ExplainReport, plugin: string, kind?: string) =>
    r.provenance.filter((n) => n.plugin === plugin && (kind === undefined || n.kind === kind));
  const step = (r: ExplainReport, plugin: string) => r.plugins.find((p) => p.plugin === plugin);

  beforeAll(async () => {
    api = await FakeApiServer.start();
    api.upsert('namespaces', namespace('apps'));
    api.upsert('services', service('apps', 'web', { clusterIP: '10.96.1.1', ports: [{ name: 'http', port: 80 }] }));
    api.upsert('services', service('apps', 'api', { clusterIP: '10.96.1.9', ports: [{ name: 'http', port: 80 }] }));
    api.upsert('services', service('apps', 'db', { clusterIP: 'None', selector: { app: 'db' } }));
    api.upsert('endpointslices', endpointSlice('apps', 'db-1', 'db', { endpoints: [{ ip: '10.1.0.1', hostname: 'db-0' }, { ip: '10.1.0.2', hostname: 'db-1' }] }));
    up = await Upstream.start();
    up.add({ name: 'up.example.com', type: 'A', ttl: 120, data: '192.0.2.10' });
    const dir = tempDir();
    const kubeconfig = api.writeKubeconfig(dir);
    hostsFile = join(dir, 'hosts');
    writeFileSync(hostsFile, HOSTS);
    zoneFile = join(dir, 'example.net.zone');
    writeFileSync(zoneFile, ZONE);
    mport = await freePort();
    s = await startTestServer([
      'cluster.local {',
      `  kubernetes {\n    kubeconfig ${kubeconfig}\n  }`,
      '  cache 30',
      `  prometheus 127.0.0.1:${mport}`,
      '}',
      '. {',
      '  acl secret.example.org {\n    block net 127.0.0.0/8\n  }',
      `  hosts ${hostsFile} {\n    fallthrough\n  }`,
      '  rewrite name alias.example.org real.example.org',
      '  template IN A tpl.example.org {\n    answer "{{ .Name }} 60 IN A 10.9.9.9"\n  }',
      `  forward . ${up.address}`,
      '  cache 30',
      `  prometheus 127.0.0.1:${mport}`,
      '}',
      `example.net {\n  file ${zoneFile}\n}`,
      '',
    ].join('\n'), { workers });
    await eventually(() => query(s.port, 'web.apps.svc.cluster.local', 'A'), (p) => p.answers.length === 1, 5_000, 'cluster synced');
  });
  afterAll(async () => {
    await s?.stop();
    await up?.close();
    await api?.close();
  });

  it('names the Service and its resourceVersion, then the cache entry that answers next', async () => {
    // api was never asked (not in the cache); web was, by beforeAll
    const apiRv = api.get('services', 'apps', 'api')!.metadata.resourceVersion;
    const r = await explain('api.apps.svc.cluster.local');
    expect(r.server).toBe(`dns://:${s.port}`);
    expect(r.block).toEqual({ zones: ['cluster.local.'], zone: 'cluster.local.' });
    expect(r.plugins.map((p) => p.plugin)).toEqual(['cache', 'kubernetes']);
    expect(step(r, 'kubernetes')!.did).toBe('answered');
    expect(step(r, 'cache')!.nextCalls).toBe(1);
    expect(r.answeredBy).toBe('kubernetes');
    expect(note(r, 'kubernetes', 'Service')).toEqual([expect.objectContaining({ object: 'apps/api', resourceVersion: apiRv, clusterIPs: ['10.96.1.9'] })]);
    expect(note(r, 'cache')).toEqual([{ plugin: 'cache', entry: 'miss', asked: 'next plugin' }, { plugin: 'cache', stored: 'success', ttl: 5 }]);
    expect(r.rcode).toBe('NOERROR');
    expect(r.flags).toContain('aa');
    expect(r.answer).toEqual(['api.apps.svc.cluster.local.\t5\tIN\tA\t10.96.1.9']);

    // web was asked by beforeAll: its answer comes from the cache, which says how old it is
    const hit = await explain('web.apps.svc.cluster.local');
    expect(hit.plugins.map((p) => `${p.plugin} ${p.did}`)).toEqual(['cache answered']);
    expect(hit.answeredBy).toBe('cache');
    const c = note(hit, 'cache')[0]!;
    expect(c).toMatchObject({ entry: 'success', storedTTL: 5, stale: false });
    expect((c.ageSeconds as number) + (c.ttlLeft as number)).toBe(5);
    expect(hit.answer).toEqual([`web.apps.svc.cluster.local.\t${c.ttlLeft as number}\tIN\tA\t10.96.1.1`]);
  });

  it('names the EndpointSlice of a headless Service and of an endpoint name', async () => {
    const rv = api.get('endpointslices', 'apps', 'db-1')!.metadata.resourceVersion;
    const r = await explain('db-1.db.apps.svc.cluster.local');
    expect(r.answer).toEqual(['db-1.db.apps.svc.cluster.local.\t5\tIN\tA\t10.1.0.2']);
    expect(note(r, 'kubernetes', 'EndpointSlice')).toEqual([{ plugin: 'kubernetes', kind: 'EndpointSlice', object: 'apps/db-1', resourceVersion: rv, addresses: ['10.1.0.2'] }]);
    expect(note(r, 'kubernetes', 'Service')[0]).toMatchObject({ object: 'apps/db', clusterIPs: ['None'] });
  });

  it('gives the hosts file and line, and the rewrite rule with its Corefile line', async () => {
    const r = await explain('alias.example.org');
    expect(r.block).toEqual({ zones: ['.'], zone: '.' });
    // CoreDNS's plugin.cfg order: acl, cache, rewrite, template, hosts
    expect(r.plugins.map((p) => p.plugin)).toEqual(['acl', 'cache', 'rewrite', 'template', 'hosts']);
    expect(step(r, 'rewrite')).toMatchObject({ rewrote: 'real.example.org. A', did: 'called next, changed the answer' });
    expect(step(r, 'hosts')).toMatchObject({ did: 'answered', question: 'real.example.org. A' });
    expect(r.answeredBy).toBe('hosts');
    expect(note(r, 'rewrite')).toEqual([{ plugin: 'rewrite', rule: `${s.corefilePath}:15: rewrite name alias.example.org real.example.org`, query: 'real.example.org. A' }]);
    expect(note(r, 'hosts')).toEqual([{ plugin: 'hosts', file: hostsFile, lines: [{ line: 4, entry: '10.7.7.7 real.example.org   # the one' }] }]);
    expect(r.answer).toEqual(['alias.example.org.\t30\tIN\tA\t10.7.7.7']);
  });

  it("is asked from the HTTP client's address: acl treats it as a DNS query from there", async () => {
    const r = await explain('secret.example.org');
    expect(r.client).toBe('127.0.0.1');
    expect(r.plugins.map((p) => `${p.plugin} ${p.did}`)).toEqual(['acl answered']);
    expect(r.rcode).toBe('REFUSED');
    expect(r.answer).toEqual([]);
    // and exactly so for a DNS client on the same address
    expect((await query(s.port, 'secret.example.org', 'A')).header.rcode).toBe(5);
  });

  it('gives the template rule that answered', async () => {
    const r = await explain('tpl.example.org');
    expect(r.answeredBy).toBe('template');
    expect(note(r, 'template')).toEqual([{ plugin: 'template', template: `${s.corefilePath}:16: template IN A tpl.example.org`, regex: '.*' }]);
    expect(r.answer).toEqual(['tpl.example.org.\t30\tIN\tA\t10.9.9.9']);
  });

  it('gives the zone file and its serial, in the block of the longest zone', async () => {
    const r = await explain('www.example.net');
    expect(r.block).toEqual({ zones: ['example.net.'], zone: 'example.net.' });
    expect(r.plugins.map((p) => `${p.plugin} ${p.did}`)).toEqual(['file answered']);
    expect(note(r, 'file')).toEqual([{ plugin: 'file', file: zoneFile, zone: 'example.net.', serial: 2024010101, result: 'success' }]);
    expect(r.answer).toEqual(['www.example.net.\t300\tIN\tA\t192.0.2.80']);
    const nx = await explain('nope.example.net');
    expect(nx.rcode).toBe('NXDOMAIN');
    expect(nx.authority).toEqual(['example.net.\t3600\tIN\tSOA\tns.example.net. hostmaster.example.net. 2024010101 7200 3600 1209600 3600']);
  });

  it('goes upstream like a normal query, and a normal query after it gets the same answer', async () => {
    const server = `dns://:${s.port}`;
    const before = metric(await scrape(mport), 'coredns_dns_requests_total', { server, zone: '.', proto: 'udp' });
    const asked = up.seen('up.example.com').length;
    const r = await explain('up.example.com');
    expect(up.seen('up.example.com').length).toBe(asked + 1);
    expect(r.answeredBy).toBe('forward');
    const f = note(r, 'forward');
    expect(f).toEqual([{ plugin: 'forward', upstream: up.address, protocol: 'udp', latencyMs: expect.any(Number), result: 'NOERROR' }]);
    expect(r.answer).toEqual(['up.example.com.\t30\tIN\tA\t192.0.2.10']);
    // the explain query was a query: cached as any other (the next one is a hit, not upstream), and counted
    const p = await query(s.port, 'up.example.com', 'A');
    expect(p.answers.map((a) => a.address)).toEqual(['192.0.2.10']);
    expect(p.answers[0]!.ttl).toBeLessThanOrEqual(30);
    expect(up.seen('up.example.com').length).toBe(asked + 1);
    const after = metric(await scrape(mport), 'coredns_dns_requests_total', { server, zone: '.', proto: 'udp' });
    expect(after - before).toBe(2);
  });

  it('answers 400 for a bad name or type, and the real CLI prints the report', async () => {
    // The CLI calls below must not meet the rate limit the tests before spent (a token bucket of 5 a
    // second, bursts of 5): one second without explain requests refills it whatever ran before.
    await sleep(1_000);
    expect((await httpGet(`http://127.0.0.1:${mport}/explain?type=A`)).status).toBe(400);
    expect((await httpGet(`http://127.0.0.1:${mport}/explain?name=a.example&type=NOPE`)).status).toBe(400);
    // through src/bin.js, as deploy/README.md runs it in the image
    const ok = await cli(['-explain', 'db.apps.svc.cluster.local', 'A', '-explain.addr', `127.0.0.1:${mport}`], 'src/bin.js');
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toContain(`server block: dns://:${s.port} zones cluster.local. (matched cluster.local.)`);
    expect(ok.out).toMatch(/kubernetes: kind=EndpointSlice object=apps\/db-1 resourceVersion=\d+ addresses=\["10.1.0.1","10.1.0.2"\]/);
    expect(ok.out).toMatch(/answer:\n {2}db\.apps\.svc\.cluster\.local\.\t5\tIN\tA\t10\.1\.0\.[12]\n/);
    const json = await cli(['--explain=json.tpl.example.org', '-explain.json', `-explain.addr=127.0.0.1:${mport}`]);
    expect(json.code, json.err).toBe(0);
    expect((JSON.parse(json.out) as ExplainReport).answeredBy).toBe('template');
    const down = await cli(['-explain', 'tpl.example.org', '-explain.addr', `127.0.0.1:${await freePort()}`]);
    expect(down.code).toBe(1);
    expect(down.err).toContain('cannot ask 127.0.0.1:');
    expect((await cli(['-explain'])).code).toBe(2);
  });

  it('is rate-limited: a burst gets 429 with Retry-After beyond a few a second', async () => {
    await sleep(1_200); // a full bucket
    const asked = up.seen('burst.example.com').length;
    const rs = await Promise.all(Array.from({ length: 12 }, async () => {
      const r = await fetch(`http://127.0.0.1:${mport}/explain?name=burst.example.com`, { signal: AbortSignal.timeout(10_000) });
      return { status: r.status, retry: r.headers.get('retry-after'), body: await r.text() };
    }));
    const ok = rs.filter((r) => r.status === 200).length;
    expect(ok).toBeGreaterThanOrEqual(1);
    expect(ok).toBeLessThanOrEqual(7);
    const refused = rs.filter((r) => r.status === 429);
    expect(refused.length).toBe(12 - ok);
    expect(refused[0]!.retry).toBe('1');
    expect(JSON.parse(refused[0]!.body)).toEqual({ error: 'too many explain requests: at most 5 a second' });
    // the refused ones ran nothing: at most one upstream query per explained one
    expect(up.seen('burst.example.com').length - asked).toBeLessThanOrEqual(ok);
  });
});

it("deploy/README.md's kubectl exec line runs the image's own entrypoint", () => {
  const readme = readFileSync(join(ROOT, 'deploy/README.md'), 'utf8');
  const m = /kubectl -n kube-system exec deploy\/(\S+) -- (\S+) (\S+) -explain /.exec(readme);
  expect(m, 'deploy/README.md shows `kubectl ... exec deploy/NAME -- NODE BIN -explain ...`').not.toBeNull();
  const entry = /^ENTRYPOINT \[(.*)\]$/m.exec(readFileSync(join(ROOT, 'deploy/Dockerfile'), 'utf8'))![1]!;
  const words = JSON.parse(`[${entry}]`) as string[];
  expect(words[0]).toBe(m![2]);
  expect(words.at(-1)).toBe(m![3]);
  expect(readFileSync(join(ROOT, 'deploy/kubernetes/deployment.yaml'), 'utf8')).toMatch(new RegExp(`kind: Deployment\\nmetadata:\\n  name: ${m![1]}\\n`));
  // and the metrics address -explain asks by default is the one the deployed Corefile serves
  expect(readFileSync(join(ROOT, 'deploy/kubernetes/components/corefile/configmap.yaml'), 'utf8')).toContain('prometheus :9153');
});
