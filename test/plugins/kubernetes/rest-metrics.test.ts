/**
 * CoreDNS's API client metrics (coredns_kubernetes_rest_client_*) count and time the requests the
 * kubernetes plugin really makes: the real @kubernetes/client-node against the fake API server,
 * whose record of every request it answered is the reference. Healthy, answering 503, and
 * refusing connections; the back-off between failed requests shows in the rate limiter histogram.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeApiServer, namespace, service } from '../../support/fake-apiserver.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { tempDir } from '../../support/k8s-fixtures.ts';
import { freePort } from '../../support/ports.ts';
import { hostOf } from '../../../src/plugins/kubernetes/rest-metrics.ts';
import { eventually } from '../../support/wait.ts';

let api: FakeApiServer;
let srv: TestServer;
let metricsPort: number;
let host: string;

type Sample = { name: string; labels: Record<string, string>; value: number };

async function scrape(): Promise<Sample[]> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-z_:][a-z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of NAME with exactly these labels (le excepted), 0 when there is no such series. */
function value(s: Sample[], name: string, labels: Record<string, string>): number {
  const hit = s.find((x) => x.name === name && Object.keys(labels).length === Object.keys(x.labels).length
    && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return hit?.value ?? 0;
}

const requests = (s: Sample[], code: string) => value(s, 'coredns_kubernetes_rest_client_requests_total', { code, method: 'GET', host });
const served = (status: number) => api.requests.filter((r) => r.status === status).length;

beforeAll(async () => {
  api = await FakeApiServer.start();
  api.upsert('namespaces', namespace('default'));
  api.upsert('services', service('default', 'kubernetes', { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443 }] }));
  host = `127.0.0.1:${api.port}`;
  metricsPort = await freePort();
  const kubeconfig = api.writeKubeconfig(tempDir());
  srv = await startTestServer(`cluster.local {\n    prometheus 127.0.0.1:${metricsPort}\n    kubernetes {\n        kubeconfig ${kubeconfig}\n    }\n}\n`);
  await api.waitForWatches(3); // services, endpointslices, namespaces
});

afterAll(async () => {
  await srv?.stop();
  await api?.close();
});

describe('coredns_kubernetes_rest_client_* metrics', () => {
  it('label the API server as Go\'s url.Host does (the in-cluster :443 stays)', () => {
    expect(hostOf('https://10.96.0.1:443')).toBe('10.96.0.1:443');
    expect(hostOf('https://[fd00::1]:6443/')).toBe('[fd00::1]:6443');
    expect(hostOf('http://127.0.0.1:8080/prefix')).toBe('127.0.0.1:8080');
  });

  it('count every list and watch request the API server answered, with its code, method and host', async () => {
    // each reflector: one list page, then one watch
    expect(served(200)).toBeGreaterThanOrEqual(6);
    const s = await eventually(scrape, (x) => requests(x, '200') === served(200), 5_000, 'requests_total{code="200"} = requests served');
    const total = api.requests.length;
    expect(value(s, 'coredns_kubernetes_rest_client_request_duration_seconds_count', { verb: 'GET', host })).toBe(total);
    expect(value(s, 'coredns_kubernetes_rest_client_request_duration_seconds_sum', { verb: 'GET', host })).toBeGreaterThan(0);
    // CoreDNS's buckets (prometheus.DefBuckets), cumulative, the last one every request
    const buckets = s.filter((x) => x.name === 'coredns_kubernetes_rest_client_request_duration_seconds_bucket' && x.labels.host === host).map((x) => x.labels.le);
    expect(buckets).toEqual(['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']);
    // nothing held back yet: one observation of ~0 per request
    expect(value(s, 'coredns_kubernetes_rest_client_rate_limiter_duration_seconds_count', { verb: 'GET', host })).toBe(total);
    expect(value(s, 'coredns_kubernetes_rest_client_rate_limiter_duration_seconds_sum', { verb: 'GET', host })).toBeLessThan(0.005);
  });

  it('count the 503s of an outage, and the back-off between retries as time held in the client', async () => {
    const before = await scrape();
    const heldBefore = value(before, 'coredns_kubernetes_rest_client_rate_limiter_duration_seconds_sum', { verb: 'GET', host });
    api.setOutage('error');
    await eventually(() => served(503), (n) => n >= 6, 5_000, 'several 503s');
    api.setOutage(false);
    await api.waitForWatches(3);
    const s = await eventually(scrape, (x) => requests(x, '503') === served(503) && requests(x, '200') === served(200), 5_000, 'counts match the server\'s');
    expect(requests(s, '503')).toBeGreaterThanOrEqual(6);
    const total = api.requests.length;
    expect(value(s, 'coredns_kubernetes_rest_client_request_duration_seconds_count', { verb: 'GET', host })).toBe(total);
    expect(value(s, 'coredns_kubernetes_rest_client_rate_limiter_duration_seconds_count', { verb: 'GET', host })).toBe(total);
    // every retry after a 503 waited at least 80 % of 25 ms in the back-off
    const held = value(s, 'coredns_kubernetes_rest_client_rate_limiter_duration_seconds_sum', { verb: 'GET', host }) - heldBefore;
    expect(held).toBeGreaterThanOrEqual(0.02 * requests(s, '503') * 0.9);
  });

  it('count a request that got no answer (connection reset) as code "<error>"', async () => {
    expect(requests(await scrape(), '<error>')).toBe(0);
    api.setOutage('refuse');
    await eventually(scrape, (x) => requests(x, '<error>') >= 3, 5_000, 'requests_total{code="<error>"}');
    api.setOutage(false);
    await api.waitForWatches(3);
  });
});
