/**
 * Every metric named by the alerts (deploy/monitoring/prometheusrule.yaml) and the dashboard
 * (deploy/monitoring/grafana-dashboard.json) exists in a real scrape of /metrics from a running
 * clusterdns that has served queries through every plugin those metrics come from: hosts,
 * kubernetes (from the fake API server of test/support, so its API client metrics count real
 * requests), cache, forward (to a loopback upstream), reload.
 *
 * A metric "exists" when the scrape declares its family (# TYPE). Those the traffic below must
 * drive also have to carry samples. Failure-only metrics (panics, reload failures, health-check
 * failures, programming latency of headless services) are declared but may have no sample yet, as
 * in CoreDNS, where labelled metrics appear only after their first event; the test drives what it
 * cheaply can (a failed reload) and lists the rest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEPLOY, ROOT, find, readDocs, requirePlugins, scrapeFamilies } from './helpers.ts';
import { familyOf, grafanaToPromql, metricNames } from './promql.ts';
import { freePort } from '../support/ports.ts';
import { query } from '../support/dns-client.ts';
import { Upstream } from '../support/upstream.ts';
import { FakeApiServer, namespace, service } from '../support/fake-apiserver.ts';
import type { TestServer } from '../support/server.ts';

/** Series Prometheus makes itself for every target; no exporter exposes them. */
const SYNTHETIC = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);
/** Metrics that need a failure or a live API server's event to get a sample (declared is enough). */
const FAILURE_ONLY = new Set([
  'coredns_panics_total', 'coredns_forward_healthcheck_failures_total', 'coredns_forward_healthcheck_broken_total',
  'coredns_kubernetes_dns_programming_duration_seconds',
]);

function alertExprs(): { where: string; expr: string }[] {
  const rule = find(readDocs(join(DEPLOY, 'monitoring/prometheusrule.yaml')), 'PrometheusRule');
  return rule.spec.groups.flatMap((g: any) => g.rules.map((r: any) => ({ where: `alert ${r.alert ?? r.record}`, expr: String(r.expr) })));
}

function dashboardExprs(): { where: string; expr: string }[] {
  const dash = JSON.parse(readFileSync(join(DEPLOY, 'monitoring/grafana-dashboard.json'), 'utf8'));
  const out: { where: string; expr: string }[] = [];
  const walk = (panels: any[]) => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ where: `panel "${p.title}"`, expr: grafanaToPromql(t.expr) });
      walk(p.panels);
    }
  };
  walk(dash.panels);
  for (const v of dash.templating?.list ?? []) {
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    const m = typeof q === 'string' ? /^label_values\((.+),\s*\w+\)$/.exec(q) : null;
    if (m) out.push({ where: `variable $${v.name}`, expr: grafanaToPromql(m[1]!) });
  }
  return out;
}

function referenced(): Map<string, string[]> {
  const names = new Map<string, string[]>();
  for (const { where, expr } of [...alertExprs(), ...dashboardExprs()]) {
    for (const n of metricNames(expr)) {
      const f = familyOf(n);
      names.set(f, [...(names.get(f) ?? []), where]);
    }
  }
  return names;
}

describe('PromQL parsing (the extractor can fail)', () => {
  it('finds names inside functions, aggregations and binary expressions, and not label names', () => {
    expect(metricNames('histogram_quantile(0.99, sum(rate(a_bucket{job="x",le!=""}[5m])) by (le)) > 4 and on() b_total / ignoring(c) c')).toEqual(['a_bucket', 'b_total', 'c']);
    expect(() => metricNames('sum(rate(x[5m])')).toThrow(/does not parse/);
    expect(grafanaToPromql('rate(x{job=~"$job"}[$__rate_interval])')).toBe('rate(x{job=~".*"}[5m])');
  });
  it('every alert and dashboard expression parses and names at least one metric', () => {
    for (const { where, expr } of [...alertExprs(), ...dashboardExprs()]) expect(metricNames(expr).length, `${where}: ${expr}`).toBeGreaterThan(0);
  });
});

describe('every metric the alerts and the dashboard use is in a real scrape', () => {
  let upstream: Upstream;
  let api: FakeApiServer;
  let srv: TestServer;
  let metricsPort: number;
  let scrape = '';

  beforeAll(async () => {
    requirePlugins(['errors', 'hosts', 'kubernetes', 'cache', 'forward', 'prometheus', 'reload'], 'the metrics-in-rules test');
    const { startTestServer } = await import('../support/server.ts');
    api = await FakeApiServer.start();
    api.upsert('namespaces', namespace('default'));
    api.upsert('services', service('default', 'kubernetes', { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443 }] }));
    upstream = await Upstream.start();
    upstream.add({ name: 'www.example.org', type: 'A', ttl: 300, data: '192.0.2.80' });
    metricsPort = await freePort();
    const corefile = (reloadable: string) => `. {
    errors
    prometheus 127.0.0.1:${metricsPort}
    hosts {
        192.0.2.53 static.example.
        fallthrough
    }
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        endpoint ${api.url}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 30
    forward . ${upstream.address}
    reload 2s
    ${reloadable}
}
`;
    srv = await startTestServer(corefile(''));
    await api.waitForWatches(3);
    const port = srv.port;
    const answers = [
      await query(port, 'static.example', 'A'),                                // hosts
      await query(port, 'kubernetes.default.svc.cluster.local', 'A'),          // kubernetes
      await query(port, 'www.example.org', 'A'),                               // forward (cache miss)
      await query(port, 'www.example.org', 'A'),                               // cache hit
      await query(port, 'www.example.org', 'A', { protocol: 'tcp' }),          // tcp
      await query(port, 'nothing.example.org', 'AAAA'),                        // NXDOMAIN from upstream
    ];
    expect(answers[0]!.answers[0]?.address).toBe('192.0.2.53');
    expect(answers[1]!.header.rcode).toBe(0);
    expect(answers[1]!.answers.length).toBeGreaterThan(0);
    expect(answers[2]!.answers[0]?.address).toBe('192.0.2.80');
    expect(answers[5]!.header.rcode).toBe(3);
    expect(upstream.seen('www.example.org').length).toBe(1); // the second and third came from the cache
    // A reload with a broken Corefile: rejected, counted in coredns_reload_failed_total.
    expect(await srv.reload(corefile('no_such_plugin_here'))).toBe(false);
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).toBe(200);
    scrape = await res.text();
  }, 30_000);

  afterAll(async () => {
    await srv?.stop();
    await upstream?.close();
    await api?.close();
  });

  it('declares every referenced metric family, with samples for those this traffic drives', () => {
    const { declared, sampled } = scrapeFamilies(scrape);
    const refs = referenced();
    expect(refs.size).toBeGreaterThan(10);
    const missing: string[] = [];
    const silent: string[] = [];
    for (const [name, where] of refs) {
      if (SYNTHETIC.has(name)) continue;
      if (!declared.has(name)) missing.push(`${name} (used by ${[...new Set(where)].join(', ')})`);
      else if (!sampled.has(name) && !FAILURE_ONLY.has(name)) silent.push(`${name} (used by ${[...new Set(where)].join(', ')})`);
    }
    expect(missing, 'metrics named in deploy/monitoring but absent from /metrics').toEqual([]);
    expect(silent, 'metrics declared but without a sample after queries through every plugin').toEqual([]);
  });

  it('the traffic shows up where the dashboard looks for it', () => {
    const line = (re: RegExp) => scrape.split('\n').find((l) => re.test(l));
    expect(line(/^coredns_dns_requests_total\{.*proto="tcp".*\} [1-9]/)).toBeDefined();
    expect(line(/^coredns_dns_responses_total\{.*rcode="NXDOMAIN".*\} [1-9]/)).toBeDefined();
    expect(line(/^coredns_cache_hits_total\{.*\} [1-9]/)).toBeDefined();
    expect(line(/^coredns_forward_requests_total\{.*to="127\.0\.0\.1:\d+".*\} [1-9]/)).toBeDefined();
    // ClusterDNSForwardNoUpstreams fires at 0; here forward has its one upstream.
    expect(line(/^coredns_forward_upstreams\{server="dns:\/\/:\d+",from="\."\} 1$/)).toBeDefined();
    expect(line(/^coredns_hosts_entries(\{.*\})? [1-9]/)).toBeDefined();
    expect(line(/^coredns_reload_failed_total(\{.*\})? [1-9]/)).toBeDefined();
    expect(line(new RegExp(`^coredns_kubernetes_rest_client_requests_total\\{.*code="200".*host="127\\.0\\.0\\.1:${api.port}".*\\} [1-9]`))).toBeDefined();
    expect(line(/^process_start_time_seconds [1-9]/)).toBeDefined();
  });
});
