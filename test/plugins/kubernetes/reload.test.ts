/**
 * The kubernetes plugin across Corefile reloads: a reload that keeps what the block reads (the
 * connection, selectors, pods...) keeps its watches and index — no relist, no second copy of the
 * cluster while the new generation starts (at 10k Services that second copy aborted the process
 * inside kubeadm's 170Mi) — while answer options such as ttl take effect at once; a reload that
 * changes what is read lists again, and the old watches close. With one thread and with workers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeApiServer, namespace, service } from '../../support/fake-apiserver.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { query } from '../../support/dns-client.ts';
import { tempDir } from '../../support/k8s-fixtures.ts';
import { eventually } from '../../support/wait.ts';

describe.each([1, 2])('kubernetes reload, %i worker(s)', (workers) => {
  let api: FakeApiServer;
  let srv: TestServer;
  let corefile: (opts: string) => string;
  const lists = () => api.requests.filter((r) => r.method === 'GET' && !r.watch).length;

  beforeAll(async () => {
    api = await FakeApiServer.start();
    api.upsert('namespaces', namespace('default'));
    api.upsert('namespaces', namespace('apps'));
    api.upsert('services', service('default', 'kubernetes', { clusterIP: '10.96.0.1' }));
    api.upsert('services', service('apps', 'web', { clusterIP: '10.96.1.1' }));
    const kubeconfig = api.writeKubeconfig(tempDir());
    corefile = (opts) => `cluster.local {\n    kubernetes {\n        kubeconfig ${kubeconfig}\n${opts}    }\n}\n`;
    srv = await startTestServer(corefile('        ttl 7\n'), { workers });
    await api.waitForWatches(3);
  }, 30_000);

  afterAll(async () => {
    await srv?.stop();
    await api?.close();
  });

  it('keeps the watches and index when only answer options change; the new ttl applies', async () => {
    const before = lists();
    expect((await query(srv.port, 'web.apps.svc.cluster.local', 'A')).answers[0]?.ttl).toBe(7);
    expect(await srv.reload(corefile('        ttl 9\n'))).toBe(true);
    const a = await query(srv.port, 'web.apps.svc.cluster.local', 'A');
    expect(a.answers.map((r) => [r.address, r.ttl])).toEqual([['10.96.1.1', 9]]);
    expect(lists()).toBe(before);
    expect(api.openWatches()).toBe(3);
    // and the kept watches still feed the new generation
    api.upsert('services', service('apps', 'api', { clusterIP: '10.96.1.2' }));
    await eventually(async () => (await query(srv.port, 'api.apps.svc.cluster.local', 'A')).answers[0]?.address, (v) => v === '10.96.1.2', 3000, 'api added after the reload');
  });

  it('lists again when what is read changes (namespaces), and closes the old watches', async () => {
    const before = lists();
    expect(await srv.reload(corefile('        ttl 9\n        namespaces apps\n'))).toBe(true);
    expect(lists()).toBeGreaterThan(before);
    expect((await query(srv.port, 'kubernetes.default.svc.cluster.local', 'A')).header.rcode).toBe(3);
    expect((await query(srv.port, 'web.apps.svc.cluster.local', 'A')).answers[0]?.address).toBe('10.96.1.1');
    await eventually(async () => api.openWatches(), (n) => n === 3, 3000, 'one set of watches');
  });
});
