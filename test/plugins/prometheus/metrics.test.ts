// prometheus: CoreDNS's metric names, labels and buckets on a real /metrics scrape after real
// queries, plus build info, enabled plugins, panics, the "dropped" zone and process metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { freePort } from '../../support/ports.ts';
import { buildQuery, exchange } from '../../support/dns-client.ts';
import { has, httpGet, metric, parseMetrics, scrape, type Sample } from '../../server/helpers.ts';
import { VERSION } from '../../../src/version.ts';

const TIME_LE = ['0.00025', '0.0005', '0.001', '0.002', '0.004', '0.008', '0.016', '0.032', '0.064', '0.128', '0.256', '0.512', '1.024', '2.048', '4.096', '8.192', '+Inf'];
const SIZE_LE = ['0', '100', '200', '300', '400', '511', '1023', '2047', '4095', '8291', '16000', '32000', '48000', '64000', '+Inf'];

describe('prometheus', () => {
  let s: TestServer;
  let mport: number;
  let server: string;
  const sent = { udp: 0, tcp: 0, reqBytes: 0, respBytes: 0 };
  let samples: Sample[];

  beforeAll(async () => {
    mport = await freePort();
    s = await startTestServer(`example.org {\n  whoami\n  prometheus 127.0.0.1:${mport}\n}\n`);
    server = `dns://:${s.port}`;
    for (let i = 0; i < 30; i++) {
      const protocol = i % 3 === 0 ? 'tcp' : 'udp';
      const q = buildQuery(`n${i}.example.org`, i % 2 ? 'A' : 'AAAA', { udpSize: i % 5 === 0 ? 1232 : undefined });
      const r = await exchange(s.port, q, protocol);
      expect(r).not.toBeNull();
      sent[protocol]++;
      sent.reqBytes += q.length;
      sent.respBytes += r!.length;
    }
    samples = await scrape(mport);
  });
  afterAll(() => s.stop());

  it('counts requests by server, zone, proto, family and type', () => {
    const base = { server, zone: 'example.org.', view: '', family: '1' };
    expect(metric(samples, 'coredns_dns_requests_total', { ...base, proto: 'udp' })).toBe(sent.udp);
    expect(metric(samples, 'coredns_dns_requests_total', { ...base, proto: 'tcp' })).toBe(sent.tcp);
    expect(metric(samples, 'coredns_dns_requests_total', { ...base, type: 'A' })).toBe(15);
    expect(metric(samples, 'coredns_dns_requests_total', { ...base, type: 'AAAA' })).toBe(15);
    const labels = samples.find((x) => x.name === 'coredns_dns_requests_total')!.labels;
    expect(Object.keys(labels).sort()).toEqual(['family', 'proto', 'server', 'type', 'view', 'zone']);
  });

  it('counts responses by rcode and the plugin that wrote them', () => {
    expect(metric(samples, 'coredns_dns_responses_total', { server, zone: 'example.org.', rcode: 'NOERROR', plugin: 'whoami' })).toBe(30);
    const labels = samples.find((x) => x.name === 'coredns_dns_responses_total')!.labels;
    expect(Object.keys(labels).sort()).toEqual(['plugin', 'rcode', 'server', 'view', 'zone']);
  });

  it("records the request duration in CoreDNS's buckets", () => {
    const buckets = samples.filter((x) => x.name === 'coredns_dns_request_duration_seconds_bucket' && x.labels.zone === 'example.org.' && x.labels.type === 'A');
    expect(buckets.map((b) => b.labels.le)).toEqual(TIME_LE);
    expect(buckets.at(-1)!.value).toBe(15);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
    expect(metric(samples, 'coredns_dns_request_duration_seconds_count', { server, zone: 'example.org.' })).toBe(30);
    expect(metric(samples, 'coredns_dns_request_duration_seconds_sum', { server, zone: 'example.org.' })).toBeGreaterThan(0);
  });

  it('records request and response sizes (bytes on the wire) per proto', () => {
    for (const name of ['coredns_dns_request_size_bytes', 'coredns_dns_response_size_bytes']) {
      const buckets = samples.filter((x) => x.name === `${name}_bucket` && x.labels.proto === 'udp' && x.labels.zone === 'example.org.');
      expect(buckets.map((b) => b.labels.le)).toEqual(SIZE_LE);
      expect(metric(samples, `${name}_count`, { server, zone: 'example.org.' })).toBe(30);
    }
    expect(metric(samples, 'coredns_dns_request_size_bytes_sum', { server, zone: 'example.org.' })).toBe(sent.reqBytes);
    expect(metric(samples, 'coredns_dns_response_size_bytes_sum', { server, zone: 'example.org.' })).toBe(sent.respBytes);
  });

  it('exports build info, enabled plugins, panics and process metrics', () => {
    const bi = samples.find((x) => x.name === 'coredns_build_info')!;
    expect(bi).toBeDefined();
    expect(bi.value).toBe(1);
    expect(bi.labels.version).toBe(VERSION);
    expect(Object.keys(bi.labels).sort()).toEqual(['goversion', 'revision', 'version']);
    for (const name of ['whoami', 'prometheus']) {
      expect(metric(samples, 'coredns_plugin_enabled', { server, zone: 'example.org.', view: '', name })).toBe(1);
    }
    expect(has(samples, 'coredns_panics_total')).toBe(true);
    expect(metric(samples, 'coredns_panics_total')).toBe(0);
    expect(metric(samples, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(metric(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(has(samples, 'process_start_time_seconds')).toBe(true);
  });

  it('counts a query for a name in no zone under zone "dropped" with rcode REFUSED', async () => {
    const q = buildQuery('example.net', 'A');
    const r = (await exchange(s.port, q))!;
    expect(r[3]! & 0xf).toBe(5);
    const after = await scrape(mport);
    const d = { server, zone: 'dropped', view: '' };
    expect(metric(after, 'coredns_dns_responses_total', { ...d, rcode: 'REFUSED', plugin: '' })).toBe(1);
    expect(metric(after, 'coredns_dns_requests_total', { ...d, proto: 'udp', family: '1', type: 'A' })).toBe(1);
    expect(metric(after, 'coredns_dns_request_size_bytes_sum', d)).toBe(q.length);
    expect(metric(after, 'coredns_dns_response_size_bytes_sum', d)).toBe(r.length);
    // and the example.org. counts did not move
    expect(metric(after, 'coredns_dns_requests_total', { server, zone: 'example.org.' })).toBe(30);
  });

  it('labels a dropped query with the server of the listener it came in on', async () => {
    const p2 = await freePort();
    const m2 = await freePort();
    const t = await startTestServer(`a.test {\n  whoami\n  prometheus 127.0.0.1:${m2}\n}\nb.test:${p2} {\n  whoami\n}\n`);
    try {
      await exchange(p2, buildQuery('elsewhere.test', 'A'));
      const after = await scrape(m2);
      expect(metric(after, 'coredns_dns_requests_total', { server: `dns://:${p2}`, zone: 'dropped' })).toBe(1);
      expect(metric(after, 'coredns_dns_requests_total', { server: `dns://:${t.port}`, zone: 'dropped' })).toBe(0);
    } finally {
      await t.stop();
    }
  });

  it('labels the server with its bound address and counts each rcode under its name', async () => {
    const m2 = await freePort();
    const t = await startTestServer(`. {\n  prometheus 127.0.0.1:${m2}\n  hosts {\n    192.0.2.1 here.test\n  }\n  bind 127.0.0.1\n}\n`);
    try {
      for (const name of ['here.test', 'here.test', 'nowhere.test']) await exchange(t.port, buildQuery(name, 'A'));
      const after = await scrape(m2);
      const server = `dns://127.0.0.1:${t.port}`;
      expect(metric(after, 'coredns_dns_requests_total', { server, zone: '.', proto: 'udp', type: 'A' })).toBe(3);
      expect(metric(after, 'coredns_dns_responses_total', { server, zone: '.', rcode: 'NOERROR', plugin: 'hosts' })).toBe(2);
      expect(metric(after, 'coredns_dns_responses_total', { server, zone: '.', rcode: 'SERVFAIL', plugin: 'hosts' })).toBe(1);   // hosts without fallthrough, as CoreDNS
      expect(metric(after, 'coredns_dns_requests_total', { server: `dns://:${t.port}` })).toBe(0);
    } finally {
      await t.stop();
    }
  });

  it('serves the Prometheus text format at /metrics only', async () => {
    const r = await httpGet(`http://127.0.0.1:${mport}/metrics`);
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(r.body).toContain('# TYPE coredns_dns_requests_total counter');
    expect(r.body).toContain('# TYPE coredns_dns_request_duration_seconds histogram');
    expect(parseMetrics(r.body).length).toBeGreaterThan(50);
    expect((await httpGet(`http://127.0.0.1:${mport}/nope`)).status).toBe(404);
  });
});
