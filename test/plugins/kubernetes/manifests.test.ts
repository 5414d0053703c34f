/**
 * `manifests FILE|DIR...`: the same answers from YAML files as from an API server, following
 * edits, new and removed files, and keeping the last good content of a file that breaks.
 * Also: the example cluster shipped in deploy/examples answers, and several workers answer alike.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { query } from '../../support/dns-client.ts';
import { summary, tempDir } from '../../support/k8s-fixtures.ts';
import { FakeApiServer, namespace, service } from '../../support/fake-apiserver.ts';
import { eventually } from '../../support/wait.ts';

const repo = fileURLToPath(new URL('../../..', import.meta.url));

const svcYaml = (name: string, ip: string) => `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: apps }
spec:
  clusterIP: ${ip}
  ports: [{ name: http, port: 80, protocol: TCP }]
`;

async function a(port: number, name: string): Promise<string> {
  const p = await query(port, name, 'A');
  return [['NOERROR', '', 'SERVFAIL', 'NXDOMAIN'][p.header.rcode], ...p.answers.map((r) => r.address as string).sort()].join(' ');
}

describe('kubernetes: manifests', () => {
  let dir: string;
  let srv: TestServer;
  beforeAll(async () => {
    dir = tempDir('k8s-manifests-');
    fs.writeFileSync(path.join(dir, 'apps.yaml'), [
      'apiVersion: v1\nkind: Namespace\nmetadata: { name: apps }',
      svcYaml('web', '10.96.5.1'),
      `apiVersion: v1
kind: Service
metadata: { name: db, namespace: apps }
spec: { clusterIP: None }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: db-1
  namespace: apps
  labels: { kubernetes.io/service-name: db }
addressType: IPv4
endpoints:
  - { addresses: [10.1.5.1], hostname: db-0 }
  - { addresses: [10.1.5.2], conditions: { ready: false } }
`].join('\n---\n'));
    fs.mkdirSync(path.join(dir, 'more'));
    fs.writeFileSync(path.join(dir, 'more', 'list.json'), JSON.stringify({
      apiVersion: 'v1', kind: 'List',
      items: [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'api' }, spec: { clusterIP: '10.96.5.9' } }],
    }));
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a manifest');
    srv = await startTestServer(`cluster.local in-addr.arpa {\n    kubernetes cluster.local in-addr.arpa {\n        manifests ${dir}\n    }\n}\n`);
  });
  afterAll(async () => { await srv?.stop(); });

  it('answers from the files', async () => {
    expect(await a(srv.port, 'web.apps.svc.cluster.local.')).toBe('NOERROR 10.96.5.1');
    expect(await a(srv.port, 'db.apps.svc.cluster.local.')).toBe('NOERROR 10.1.5.1');
    expect(await a(srv.port, 'db-0.db.apps.svc.cluster.local.')).toBe('NOERROR 10.1.5.1');
    expect(await a(srv.port, 'api.default.svc.cluster.local.')).toBe('NOERROR 10.96.5.9');
    expect(await a(srv.port, 'nope.apps.svc.cluster.local.')).toBe('NXDOMAIN');
    expect(summary(await query(srv.port, '1.5.96.10.in-addr.arpa.', 'PTR')).answer).toEqual(['1.5.96.10.in-addr.arpa. 5 PTR web.apps.svc.cluster.local.']);
  });

  it('follows edits, new files and removed files', async () => {
    fs.writeFileSync(path.join(dir, 'web2.yaml'), svcYaml('web2', '10.96.5.2'));
    await eventually(() => a(srv.port, 'web2.apps.svc.cluster.local.'), (v) => v === 'NOERROR 10.96.5.2', 3000, 'new file');
    fs.writeFileSync(path.join(dir, 'web2.yaml'), svcYaml('web2', '10.96.5.3'));
    await eventually(() => a(srv.port, 'web2.apps.svc.cluster.local.'), (v) => v === 'NOERROR 10.96.5.3', 3000, 'edit');
    fs.rmSync(path.join(dir, 'web2.yaml'));
    await eventually(() => a(srv.port, 'web2.apps.svc.cluster.local.'), (v) => v === 'NXDOMAIN', 3000, 'removed file');
  });

  it('keeps the last good content of a file that no longer parses', async () => {
    fs.writeFileSync(path.join(dir, 'broken.yaml'), svcYaml('fragile', '10.96.5.4'));
    await eventually(() => a(srv.port, 'fragile.apps.svc.cluster.local.'), (v) => v === 'NOERROR 10.96.5.4', 3000, 'fragile');
    fs.writeFileSync(path.join(dir, 'broken.yaml'), 'kind: Service\nmetadata: { name: [unclosed\n');
    await eventually(() => srv.logs.some((l) => l.includes('[ERROR] plugin/kubernetes: manifests:') && l.includes('broken.yaml')), (v) => v, 3000, 'error logged');
    expect(await a(srv.port, 'fragile.apps.svc.cluster.local.')).toBe('NOERROR 10.96.5.4');
  });

  it('rejects a path that does not exist', async () => {
    await expect(startTestServer('cluster.local {\n    kubernetes {\n        manifests /nonexistent/manifests\n    }\n}\n'))
      .rejects.toThrow(/Corefile:2: kubernetes: manifests path \/nonexistent\/manifests does not exist/);
  });
});

describe('kubernetes: the example cluster in deploy/examples', () => {
  it('answers kubernetes.default.svc.cluster.local and the shop services', async () => {
    const s = await startTestServer(`cluster.local in-addr.arpa {\n    kubernetes cluster.local in-addr.arpa {\n        manifests ${path.join(repo, 'deploy/examples/cluster')}\n        pods insecure\n    }\n}\n`);
    try {
      expect(await a(s.port, 'kubernetes.default.svc.cluster.local.')).toBe('NOERROR 10.96.0.1');
      expect(await a(s.port, 'kube-dns.kube-system.svc.cluster.local.')).toBe('NOERROR 10.96.0.10');
      expect(await a(s.port, 'db.shop.svc.cluster.local.')).toBe('NOERROR 10.244.1.20 10.244.2.21');
      expect(await a(s.port, 'db-1.db.shop.svc.cluster.local.')).toBe('NOERROR 10.244.2.21');
      expect(await a(s.port, '10-244-1-10.shop.pod.cluster.local.')).toBe('NOERROR 10.244.1.10');
      expect(summary(await query(s.port, '_http._tcp.web.shop.svc.cluster.local.', 'SRV')).answer)
        .toEqual(['_http._tcp.web.shop.svc.cluster.local. 5 SRV 0 100 80 web.shop.svc.cluster.local.']);
      expect(summary(await query(s.port, 'payments.shop.svc.cluster.local.', 'CNAME')).answer)
        .toEqual(['payments.shop.svc.cluster.local. 5 CNAME payments.example.com.']);
    } finally {
      await s.stop();
    }
  });
});

describe('kubernetes: several workers', () => {
  it('answers alike from every worker and follows changes (informers only in the control thread)', async () => {
    const api = await FakeApiServer.start();
    api.upsert('namespaces', namespace('default'));
    api.upsert('services', service('default', 'kubernetes', { clusterIP: '10.96.0.1' }));
    const kubeconfig = api.writeKubeconfig(tempDir());
    const s = await startTestServer(`cluster.local {\n    kubernetes {\n        kubeconfig ${kubeconfig}\n    }\n}\n`, { workers: 2 });
    try {
      await eventually(() => api.openWatches(), (n) => n >= 3, 3000, 'watches');
      expect(api.openWatches('services')).toBe(1);           // one set of watches, not one per worker
      const all = async (name: string) => new Set(await Promise.all(Array.from({ length: 16 }, () => a(s.port, name))));
      expect([...await all('kubernetes.default.svc.cluster.local.')]).toEqual(['NOERROR 10.96.0.1']);
      api.upsert('services', service('default', 'late', { clusterIP: '10.96.0.2' }));
      await eventually(() => all('late.default.svc.cluster.local.'), (v) => v.size === 1 && v.has('NOERROR 10.96.0.2'), 3000, 'change in every worker');
    } finally {
      await s.stop();
      await api.close();
    }
  });
});
