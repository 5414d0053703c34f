/**
 * The kubernetes directive: CoreDNS's syntax and defaults, FILE:LINE errors, label selectors,
 * and that the selectors and namespaces reach the API server as list/watch parameters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Directive } from '../../../src/corefile/types.ts';
import { parseKubernetes } from '../../../src/plugins/kubernetes/setup.ts';
import { matchLabels, parseLabelSelector } from '../../../src/plugins/kubernetes/labels.ts';
import { FakeApiServer, endpointSlice, namespace, pod, service } from '../../support/fake-apiserver.ts';
import { startTestServer } from '../../support/server.ts';
import { query } from '../../support/dns-client.ts';
import { tempDir } from '../../support/k8s-fixtures.ts';
import { eventually } from '../../support/wait.ts';

function directive(args: string[], opts: [string, ...string[]][] = []): Directive {
  return {
    name: 'kubernetes', args, file: 'Corefile', line: 3,
    block: opts.length ? opts.map(([name, ...a], i) => ({ name, args: a, file: 'Corefile', line: 4 + i, block: null })) : null,
  };
}
const parse = (args: string[], opts: [string, ...string[]][] = [], zones = ['cluster.local.']) => parseKubernetes(directive(args, opts), zones);
const fails = (opts: [string, ...string[]][], args: string[] = []) => {
  try { parse(args, opts); } catch (e) { return (e as Error).message; }
  return 'no error';
};

describe('kubernetes: setup', () => {
  it('has CoreDNS defaults and takes zones from the server block', () => {
    const o = parse([]);
    expect(o).toMatchObject({ zones: ['cluster.local.'], primaryZone: 'cluster.local.', ttl: 5, podMode: 'disabled', endpointPodNames: false,
      noEndpoints: false, ignoreEmptyService: false, startupTimeoutMs: 5000, manifests: [] });
    expect(o.fallthrough.enabled).toBe(false);
    expect(o.namespaces.size).toBe(0);
  });

  it('takes zones from its arguments, CIDRs as reverse zones', () => {
    const o = parse(['Cluster.Local', '10.0.0.0/17', 'ip6.arpa']);
    expect(o.zones[0]).toBe('cluster.local.');
    expect(o.zones).toHaveLength(1 + 128 + 1);
    expect(o.zones).toContain('0.0.10.in-addr.arpa.');
    expect(o.zones).toContain('127.0.10.in-addr.arpa.');
    expect(o.primaryZone).toBe('cluster.local.');
    expect(parse(['in-addr.arpa', 'cluster.local']).primaryZone).toBe('cluster.local.');
  });

  it('parses every option', () => {
    const o = parse([], [
      ['endpoint', 'https://k8s:6443'], ['tls', 'c.pem', 'k.pem', 'ca.pem'], ['namespaces', 'a', 'b'],
      ['labels', 'app', 'in', '(x,', 'y),tier=web'], ['pods', 'verified'], ['endpoint_pod_names'], ['ttl', '0'],
      ['noendpoints'], ['fallthrough', 'in-addr.arpa'], ['ignore', 'empty_service'], ['startup_timeout', '1m30s'],
      ['apiserver_qps', '12.5'], ['apiserver_burst', '20'], ['apiserver_max_inflight', '3'],
    ]);
    expect(o).toMatchObject({ endpoint: 'https://k8s:6443', tls: { cert: 'c.pem', key: 'k.pem', ca: 'ca.pem' }, podMode: 'verified',
      endpointPodNames: true, ttl: 0, noEndpoints: true, ignoreEmptyService: true, startupTimeoutMs: 90_000,
      apiserverQps: 12.5, apiserverBurst: 20, apiserverMaxInflight: 3 });
    expect([...o.namespaces]).toEqual(['a', 'b']);
    expect(o.labels?.text).toBe('app in (x,y),tier=web');
    expect(o.fallthrough.through('1.0.0.10.in-addr.arpa.')).toBe(true);
    expect(o.fallthrough.through('a.cluster.local.')).toBe(false);
    expect(parse([], [['kubeconfig', '/k.yaml', 'ctx']]).kubeconfig).toMatchObject({ path: '/k.yaml', context: 'ctx' });
    expect(parse([], [['manifests', 'a.yaml', 'dir']]).manifests).toEqual(['a.yaml', 'dir']);
  });

  it('reports user errors at FILE:LINE', () => {
    expect(fails([['pods', 'sometimes']])).toBe('Corefile:4: kubernetes: wrong value for pods: sometimes, must be one of: disabled, verified, insecure');
    expect(fails([['ttl', '3601']])).toBe('Corefile:4: kubernetes: ttl must be in range [0, 3600]: 3601');
    expect(fails([['ttl', '-1']])).toBe('Corefile:4: kubernetes: ttl must be in range [0, 3600]: -1');
    expect(fails([['ttl', 'five']])).toMatch(/^Corefile:4: kubernetes: ttl must be a whole number/);
    expect(fails([['ttl']])).toMatch(/^Corefile:4: kubernetes: wrong argument count for 'ttl'/);
    expect(fails([['ttl', '5'], ['upstream']])).toMatch(/^Corefile:5: kubernetes: unknown property 'upstream'/);
    expect(fails([['ignore', 'everything']])).toMatch(/^Corefile:4: kubernetes: unable to parse ignore value: 'everything'/);
    expect(fails([['kubeconfig']])).toMatch(/^Corefile:4: kubernetes: wrong argument count for 'kubeconfig'/);
    expect(fails([['kubeconfig', 'a', 'b', 'c']])).toMatch(/^Corefile:4: /);
    expect(fails([['endpoint_pod_names', 'yes']])).toMatch(/^Corefile:4: /);
    expect(fails([['noendpoints', 'please']])).toMatch(/^Corefile:4: /);
    expect(fails([['tls', 'a', 'b']])).toMatch(/^Corefile:4: kubernetes: wrong argument count for 'tls'/);
    expect(fails([['labels', 'app', 'in', '(x']])).toMatch(/^Corefile:4: kubernetes: unable to parse label selector value: 'app in \(x'/);
    expect(fails([['namespace_labels', '=x']])).toMatch(/^Corefile:4: kubernetes: unable to parse label selector/);
    expect(fails([['namespaces', 'a'], ['namespace_labels', 'x=y']])).toBe('Corefile:3: kubernetes: namespaces and namespace_labels cannot both be set — keep one of them');
    expect(fails([['manifests', 'd'], ['kubeconfig', 'k']])).toMatch(/^Corefile:3: kubernetes: manifests cannot be combined/);
    expect(fails([['startup_timeout', 'soon']])).toMatch(/^Corefile:4: startup_timeout: invalid startup timeout "soon"/);
    expect(fails([['endpoint', 'k8s:6443']])).toMatch(/^Corefile:4: kubernetes: endpoint "k8s:6443" is not a URL/);
    expect(fails([['apiserver_qps', '-3']])).toMatch(/^Corefile:4: kubernetes: apiserver_qps must be a positive number/);
    expect(fails([['apiserver_burst', '1.5']])).toMatch(/^Corefile:4: kubernetes: apiserver_burst must be a positive integer/);
    expect(fails([], ['in-addr.arpa'])).toMatch(/^Corefile:3: kubernetes: non-reverse zone name must be used/);
    expect(fails([], ['10.0.0.0/33'])).toMatch(/^Corefile:3: kubernetes: "10.0.0.0\/33" is not a valid CIDR/);
  });

  it('fails the whole Corefile with FILE:LINE through the server', async () => {
    await expect(startTestServer('cluster.local {\n    kubernetes {\n        pods maybe\n    }\n}\n'))
      .rejects.toThrow(/Corefile:3: kubernetes: wrong value for pods: maybe/);
    await expect(startTestServer('cluster.local {\n    kubernetes\n}\n', { env: { KUBERNETES_SERVICE_HOST: '', KUBERNETES_SERVICE_PORT: '' } }))
      .rejects.toThrow(/Corefile:2: kubernetes: unable to load in-cluster configuration/);
    await expect(startTestServer('cluster.local {\n    kubernetes {\n        kubeconfig /nonexistent/kubeconfig\n    }\n}\n'))
      .rejects.toThrow(/Corefile:3: kubernetes: cannot load kubeconfig \/nonexistent\/kubeconfig/);
    await expect(startTestServer('cluster.local {\n    kubernetes\n    kubernetes\n}\n'))
      .rejects.toThrow(/Corefile:3: kubernetes: can only be used once per Server Block/);
  });
});

describe('kubernetes: label selectors', () => {
  it('parses and matches the Kubernetes selector syntax', () => {
    const s = parseLabelSelector('environment in (staging, qa),application=nginx,!legacy,tier,zone notin (a)');
    expect(s.text).toBe('environment in (qa,staging),application=nginx,!legacy,tier,zone!=a');
    expect(matchLabels(s, { environment: 'qa', application: 'nginx', tier: 'x' })).toBe(true);
    expect(matchLabels(s, { environment: 'prod', application: 'nginx', tier: 'x' })).toBe(false);
    expect(matchLabels(s, { environment: 'qa', application: 'nginx', tier: 'x', legacy: '' })).toBe(false);
    expect(matchLabels(s, { environment: 'qa', application: 'nginx' })).toBe(false);
    expect(matchLabels(s, { environment: 'qa', application: 'nginx', tier: 'x', zone: 'a' })).toBe(false);
    expect(parseLabelSelector('a==b').text).toBe('a=b');
    expect(parseLabelSelector('example.com/app!=x').text).toBe('example.com/app!=x');
    for (const bad of ['', 'a in ()', 'a=b=c', '-a=b', 'a in (x', 'a,,b', 'a=' + 'x'.repeat(64)]) {
      expect(() => parseLabelSelector(bad), bad).toThrow();
    }
  });
});

describe('kubernetes: selectors and namespaces at the API server', () => {
  let api: FakeApiServer;
  let kubeconfig: string;
  beforeAll(async () => {
    api = await FakeApiServer.start();
    api.upsert('namespaces', namespace('apps', { team: 'a' }));
    api.upsert('namespaces', namespace('other', { team: 'b' }));
    api.upsert('services', service('apps', 'web', { clusterIP: '10.96.0.5', labels: { tier: 'web' } }));
    api.upsert('services', service('apps', 'db', { clusterIP: '10.96.0.6', labels: { tier: 'db' } }));
    api.upsert('services', service('other', 'web', { clusterIP: '10.96.0.7', labels: { tier: 'web' } }));
    api.upsert('endpointslices', endpointSlice('apps', 'web-1', 'web', { endpoints: [{ ip: '10.1.0.5' }], labels: { tier: 'web' } }));
    api.upsert('pods', pod('apps', 'web-1', '10.1.0.5', { labels: { tier: 'web' } }));
    kubeconfig = api.writeKubeconfig(tempDir());
  });
  afterAll(async () => { await api?.close(); });

  it('sends labels, namespace_labels and the pod phase selector with list and watch', async () => {
    const s = await startTestServer(`cluster.local {\n    kubernetes {\n        kubeconfig ${kubeconfig}\n        labels tier in (web)\n        namespace_labels team=a\n        pods verified\n    }\n}\n`);
    try {
      const find = (path: string, watch: boolean) => api.requests.find((r) => r.path === path && r.watch === watch);
      await eventually(() => api.requests.filter((r) => r.watch).length, (n) => n >= 4, 3000, 'four watches');
      for (const watch of [false, true]) {
        expect(find('/api/v1/services', watch)?.query.labelSelector).toBe('tier=web');
        expect(find('/apis/discovery.k8s.io/v1/endpointslices', watch)?.query.labelSelector).toBe('tier=web');
        expect(find('/api/v1/namespaces', watch)?.query.labelSelector).toBe('team=a');
        expect(find('/api/v1/pods', watch)?.query).toMatchObject({ labelSelector: 'tier=web', fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed,status.phase!=Unknown' });
      }
      expect(find('/api/v1/services', false)?.query.limit).toBe('500');
      expect(find('/api/v1/services', true)?.query.allowWatchBookmarks).toBe('true');
      const a = async (n: string) => { const p = await query(s.port, n, 'A'); return [p.header.rcode, ...p.answers.map((r) => r.address)]; };
      expect(await a('web.apps.svc.cluster.local.')).toEqual([0, '10.96.0.5']);
      expect(await a('db.apps.svc.cluster.local.')).toEqual([3]);      // label not selected
      expect(await a('web.other.svc.cluster.local.')).toEqual([3]);    // namespace not selected
      expect(await a('10-1-0-5.apps.pod.cluster.local.')).toEqual([0, '10.1.0.5']);
    } finally {
      await s.stop();
    }
  });

  it('watches one namespace through the namespaced paths', async () => {
    const s = await startTestServer(`cluster.local {\n    kubernetes {\n        kubeconfig ${kubeconfig}\n        namespaces apps\n    }\n}\n`);
    try {
      const paths = ['/api/v1/namespaces/apps/services', '/apis/discovery.k8s.io/v1/namespaces/apps/endpointslices'];
      await eventually(() => paths.filter((p) => api.requests.some((r) => r.path === p && r.watch)).length, (n) => n === 2, 3000, 'namespaced watches');
      expect(api.requests.some((r) => r.path === '/api/v1/namespaces/apps/services' && r.watch)).toBe(true);
      expect(api.requests.some((r) => r.path === '/apis/discovery.k8s.io/v1/namespaces/apps/endpointslices' && r.watch)).toBe(true);
      expect((await query(s.port, 'db.apps.svc.cluster.local.', 'A')).answers[0]?.address).toBe('10.96.0.6');
      expect((await query(s.port, 'web.other.svc.cluster.local.', 'A')).header.rcode).toBe(3);
    } finally {
      await s.stop();
    }
  });
});
