/**
 * The kubernetes plugin against a changing cluster and a failing API server: objects added,
 * changed and deleted; watches dropped; resourceVersions expired (410 Gone); the API answering
 * 503 or refusing connections. Answers must stay right throughout, and catch up once it heals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeApiServer, endpointSlice, namespace, service } from '../../support/fake-apiserver.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { query } from '../../support/dns-client.ts';
import { smallClusterApi, tempDir } from '../../support/k8s-fixtures.ts';
import { registry } from '../../../src/metrics/registry.ts';
import { eventually, holds, sleep, until } from '../../support/wait.ts';
import { freePort } from '../../support/ports.ts';

let api: FakeApiServer;
let srv: TestServer;

async function a(name: string): Promise<string> {
  const p = await query(srv.port, name, 'A');
  const rcode = ['NOERROR', '', 'SERVFAIL', 'NXDOMAIN'][p.header.rcode] ?? String(p.header.rcode);
  return [rcode, ...p.answers.map((r) => r.address as string).sort()].join(' ');
}

beforeAll(async () => {
  api = await smallClusterApi();
  const kubeconfig = api.writeKubeconfig(tempDir());
  srv = await startTestServer(`cluster.local {\n    kubernetes {\n        kubeconfig ${kubeconfig}\n    }\n}\n`);
});

afterAll(async () => {
  await srv?.stop();
  await api?.close();
});

describe('kubernetes: changes in the cluster', () => {
  it('follows a Service through add, change and delete', async () => {
    expect(await a('web.apps.svc.cluster.local.')).toBe('NXDOMAIN');
    api.upsert('services', service('apps', 'web', { clusterIP: '10.96.1.1', ports: [{ name: 'http', port: 80 }] }));
    await eventually(() => a('web.apps.svc.cluster.local.'), (v) => v === 'NOERROR 10.96.1.1', 3000, 'web added');
    api.upsert('services', service('apps', 'web', { clusterIP: '10.96.1.2', ports: [{ name: 'http', port: 80 }] }));
    await eventually(() => a('web.apps.svc.cluster.local.'), (v) => v === 'NOERROR 10.96.1.2', 3000, 'web changed');
    api.remove('services', 'apps', 'web');
    await eventually(() => a('web.apps.svc.cluster.local.'), (v) => v === 'NXDOMAIN', 3000, 'web deleted');
  });

  it('follows a headless Service across its EndpointSlices', async () => {
    api.upsert('services', service('apps', 'db', { clusterIP: 'None', selector: { app: 'db' } }));
    api.upsert('endpointslices', endpointSlice('apps', 'db-1', 'db', { endpoints: [{ ip: '10.1.0.1', hostname: 'db-0' }, { ip: '10.1.0.2', hostname: 'db-1' }] }));
    api.upsert('endpointslices', endpointSlice('apps', 'db-2', 'db', { endpoints: [{ ip: '10.1.0.3', hostname: 'db-2', ready: false }] }));
    await eventually(() => a('db.apps.svc.cluster.local.'), (v) => v === 'NOERROR 10.1.0.1 10.1.0.2', 3000, 'db endpoints');
    expect(await a('db-1.db.apps.svc.cluster.local.')).toBe('NOERROR 10.1.0.2');
    expect(await a('db-2.db.apps.svc.cluster.local.')).toBe('NXDOMAIN');
    // db-2 becomes ready, db-0 goes away
    api.upsert('endpointslices', endpointSlice('apps', 'db-2', 'db', { endpoints: [{ ip: '10.1.0.3', hostname: 'db-2' }] }));
    api.upsert('endpointslices', endpointSlice('apps', 'db-1', 'db', { endpoints: [{ ip: '10.1.0.2', hostname: 'db-1' }] }));
    await eventually(() => a('db.apps.svc.cluster.local.'), (v) => v === 'NOERROR 10.1.0.2 10.1.0.3', 3000, 'db changed');
    expect(await a('db-2.db.apps.svc.cluster.local.')).toBe('NOERROR 10.1.0.3');
    expect(await a('db-0.db.apps.svc.cluster.local.')).toBe('NXDOMAIN');
    api.remove('endpointslices', 'apps', 'db-1');
    api.remove('endpointslices', 'apps', 'db-2');
    await eventually(() => a('db.apps.svc.cluster.local.'), (v) => v === 'NXDOMAIN', 3000, 'db without endpoints');
  });

  it('records the DNS programming duration for headless services', async () => {
    const count = async () => {
      const m = (await registry.getMetricsAsJSON()).find((x) => x.name === 'coredns_kubernetes_dns_programming_duration_seconds');
      const v = m?.values.find((x) => (x as { metricName?: string }).metricName?.endsWith('_count') && x.labels.service_kind === 'headless_with_selector');
      return v?.value ?? 0;
    };
    const before = await count();
    api.upsert('services', service('apps', 'cache', { clusterIP: 'None', selector: { app: 'cache' } }));
    await eventually(() => a('cache.apps.svc.cluster.local.'), (v) => v === 'NXDOMAIN', 3000, 'cache service');
    await sleep(50);
    api.upsert('endpointslices', endpointSlice('apps', 'cache-1', 'cache', {
      endpoints: [{ ip: '10.2.0.1' }], lastChange: new Date(Date.now() - 250).toISOString(),
    }));
    await eventually(() => a('cache.apps.svc.cluster.local.'), (v) => v === 'NOERROR 10.2.0.1', 3000, 'cache endpoints');
    expect(await count()).toBe(before + 1);
  });
});

describe('kubernetes: API failures', () => {
  it('reconnects dropped watches and keeps answering meanwhile', async () => {
    const watches = api.requests.filter((r) => r.watch).length;
    api.dropWatches();
    expect(await a('kubernetes.default.svc.cluster.local.')).toBe('NOERROR 10.96.0.1');
    await api.waitForWatches(3);
    expect(api.requests.filter((r) => r.watch).length).toBeGreaterThan(watches);
    api.upsert('services', service('apps', 'after-drop', { clusterIP: '10.96.2.1' }));
    await eventually(() => a('after-drop.apps.svc.cluster.local.'), (v) => v === 'NOERROR 10.96.2.1', 3000, 'change after drop');
  });

  it('relists after 410 Gone without a gap in answers', async () => {
    api.upsert('services', service('apps', 'doomed', { clusterIP: '10.96.3.1' }));
    await eventually(() => a('doomed.apps.svc.cluster.local.'), (v) => v === 'NOERROR 10.96.3.1', 3000, 'doomed');
    const lists = api.requests.filter((r) => !r.watch && r.path === '/api/v1/services').length;
    // Changes the watches will never see as events: made during an outage, then history compacted.
    api.setOutage('error');
    api.remove('services', 'apps', 'doomed');
    api.upsert('services', service('apps', 'born', { clusterIP: '10.96.3.2' }));
    api.compact();
    api.setOutage(false);
    const seen = new Set<string>();
    await eventually(async () => {
      seen.add(await a('kubernetes.default.svc.cluster.local.'));
      return [await a('doomed.apps.svc.cluster.local.'), await a('born.apps.svc.cluster.local.')].join(',');
    }, (v) => v === 'NXDOMAIN,NOERROR 10.96.3.2', 3000, 'relist applied');
    expect([...seen]).toEqual(['NOERROR 10.96.0.1']);
    expect(api.requests.filter((r) => !r.watch && r.path === '/api/v1/services').length).toBeGreaterThan(lists);
    // and an ERROR 410 event on an open watch does the same
    api.upsert('services', service('apps', 'gone-event', { clusterIP: '10.96.3.3' }));
    await eventually(() => a('gone-event.apps.svc.cluster.local.'), (v) => v === 'NOERROR 10.96.3.3', 3000, 'before expire');
    api.expireWatches();
    api.upsert('services', service('apps', 'after-expire', { clusterIP: '10.96.3.4' }));
    await eventually(() => a('after-expire.apps.svc.cluster.local.'), (v) => v === 'NOERROR 10.96.3.4', 3000, 'after expire');
    expect(await a('gone-event.apps.svc.cluster.local.')).toBe('NOERROR 10.96.3.3');
  });

  for (const mode of ['error', 'refuse'] as const) {
    it(`serves the last known data through an outage (${mode}) and catches up after it`, async () => {
      api.setOutage(mode);
      const until = Date.now() + 800;
      let n = 0;
      while (Date.now() < until && n < 200) {
        expect(await a('kubernetes.default.svc.cluster.local.')).toBe('NOERROR 10.96.0.1');
        n++;
        await sleep(20);
      }
      api.upsert('services', service('apps', `healed-${mode}`, { clusterIP: '10.96.4.1' }));
      const healed = Date.now();
      api.setOutage(false);
      await eventually(() => a(`healed-${mode}.apps.svc.cluster.local.`), (v) => v === 'NOERROR 10.96.4.1', 3000, 'change after outage');
      const recovery = Date.now() - healed;
      expect(recovery).toBeLessThan(3000);
      expect(srv.logs.some((l) => l.includes('[ERROR] plugin/kubernetes: Failed to watch'))).toBe(true);
    });
  }
});

describe('kubernetes: before the first sync', () => {
  it('waits up to startup_timeout, then answers SERVFAIL for unknown names until synced', async () => {
    const down = await FakeApiServer.start();
    down.upsert('namespaces', namespace('default'));
    down.upsert('services', service('default', 'kubernetes', { clusterIP: '10.96.0.1' }));
    down.setOutage('error');
    const kubeconfig = down.writeKubeconfig(tempDir());
    const s = await startTestServer(`cluster.local {\n    kubernetes {\n        kubeconfig ${kubeconfig}\n        startup_timeout 300ms\n    }\n}\n`);
    try {
      expect(s.logs.some((l) => l.includes('[WARNING] plugin/kubernetes: starting server with unsynced Kubernetes API'))).toBe(true);
      const p = await query(s.port, 'kubernetes.default.svc.cluster.local.', 'A');
      expect(p.header.rcode).toBe(2);
      expect(p.authorities[0]?.type).toBe(6);
      down.setOutage(false);
      await eventually(async () => (await query(s.port, 'kubernetes.default.svc.cluster.local.', 'A')).answers.map((r) => r.address),
        (v) => v.length === 1 && v[0] === '10.96.0.1', 3000, 'services listed');
      // Services can be listed before EndpointSlices and Namespaces: a name error is NXDOMAIN only
      // once every kind has synced (SERVFAIL until then), so wait for that rather than race it.
      await eventually(async () => (await query(s.port, 'nope.default.svc.cluster.local.', 'A')).header.rcode,
        (rc) => rc === 3, 3000, 'NXDOMAIN once synced');
    } finally {
      await s.stop();
      await down.close();
    }
  });

  it('holds queries that arrive during the first list instead of failing them', async () => {
    const slow = await FakeApiServer.start();
    slow.upsert('namespaces', namespace('default'));
    slow.upsert('services', service('default', 'kubernetes', { clusterIP: '10.96.0.1' }));
    const release = slow.holdLists();
    const kubeconfig = slow.writeKubeconfig(tempDir());
    const port = await freePort();
    const started = startTestServer(`cluster.local {\n    kubernetes {\n        kubeconfig ${kubeconfig}\n        startup_timeout 5s\n    }\n}\n`, { port });
    let s: TestServer | undefined;
    try {
      // The first list has reached the API and waits there: the server listens but has no data.
      expect(await until(() => slow.heldLists() > 0, 5000)).toBe(true);
      let answered = false;
      const pending = query(port, 'kubernetes.default.svc.cluster.local.', 'A', { timeoutMs: 5000 }).finally(() => { answered = true; });
      // While the list is held, the query is held too (not answered SERVFAIL or NXDOMAIN)...
      expect(await holds(() => !answered, 300)).toBe(true);
      release();
      // ...and answered from the list once it arrives.
      const p = await pending;
      expect([p.header.rcode, p.answers[0]?.address]).toEqual([0, '10.96.0.1']);
      s = await started;
    } finally {
      release();
      await (s ?? await started.catch(() => undefined))?.stop();
      await slow.close();
    }
  });

});
