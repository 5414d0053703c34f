// 100 reloads of a kube-system-shaped Corefile (kubernetes on a fake API server, hosts from a
// file, forward to a loopback upstream, cache, health, prometheus) leave the open API watches,
// sockets/file descriptors and heap where they were, and every reload keeps answering.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';
import { freePort } from '../support/ports.ts';
import { query } from '../support/dns-client.ts';
import { FakeApiServer, namespace, service } from '../support/fake-apiserver.ts';
import { tempDir } from '../support/k8s-fixtures.ts';
import { Upstream } from '../support/upstream.ts';
import { openFds } from './helpers.ts';
import v8 from 'node:v8';
import vm from 'node:vm';
import { until } from '../support/wait.ts';

// A real garbage collection before each heap reading, so the comparison is of live objects, not
// of garbage that happens to be uncollected (which made this check flaky inside the full suite).
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const liveHeap = async () => {
  for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setImmediate(r)); }
  return process.memoryUsage().heapUsed;
};

describe('reload does not leak', () => {
  let api: FakeApiServer;
  let upstream: Upstream;
  let s: TestServer;
  let corefile: (ttl: number) => string;

  beforeAll(async () => {
    api = await FakeApiServer.start();
    api.upsert('namespaces', namespace('default'));
    api.upsert('services', service('default', 'kubernetes', { clusterIP: '10.96.0.1' }));
    upstream = await Upstream.start();
    upstream.add({ name: 'outside.example.', type: 'A', ttl: 300, data: '192.0.2.9' });
    const kubeconfig = api.writeKubeconfig(tempDir());
    const [hport, mport] = [await freePort(), await freePort()];
    corefile = (ttl) => `. {
  errors
  health 127.0.0.1:${hport}
  prometheus 127.0.0.1:${mport}
  hosts HOSTS {
    reload 1s
    fallthrough
  }
  kubernetes cluster.local in-addr.arpa ip6.arpa {
    kubeconfig ${kubeconfig}
    ttl ${ttl}
    fallthrough in-addr.arpa ip6.arpa
  }
  forward . ${upstream.address}
  cache 30
  reload
  loadbalance
}
`;
    s = await startTestServer(corefile(5).replace('HOSTS', 'hosts.txt'), { files: { 'hosts.txt': '10.0.0.50 registry.example.com\n' } });
  }, 30_000);

  afterAll(async () => {
    await s?.stop();
    await upstream?.close();
    await api?.close();
  });

  it('100 reloads leave watches, descriptors and heap where they were', async () => {
    const hostsFile = `${s.dir}/hosts.txt`;
    const text = (i: number) => corefile(5 + (i % 2)).replace('HOSTS', hostsFile);
    const answersAll = async (i: number) => {
      const k = await query(s.port, 'kubernetes.default.svc.cluster.local', 'A');
      expect(k.answers[0]?.address, `kubernetes after reload ${i}`).toBe('10.96.0.1');
      expect(k.answers[0]?.ttl).toBe(5 + (i % 2));
      expect((await query(s.port, 'registry.example.com', 'A')).answers[0]?.address).toBe('10.0.0.50');
      expect((await query(s.port, 'outside.example', 'A')).answers[0]?.address).toBe('192.0.2.9');
    };
    // Warm up: a couple of reloads so lazily created things (metrics, module caches) exist.
    for (let i = 0; i < 2; i++) expect(await s.reload(text(i))).toBe(true);
    await answersAll(1);
    expect(await until(() => api.openWatches() === 3, 3000)).toBe(true);
    const fds0 = openFds();
    const heap0 = await liveHeap();
    for (let i = 2; i < 102; i++) {
      expect(await s.reload(text(i))).toBe(true);
      if (i % 20 === 0) await answersAll(i);
    }
    await answersAll(101);
    // One set of watches, whatever the number of reloads (services, endpointslices, namespaces).
    expect(await until(() => api.openWatches() === 3, 5000), `open watches: ${api.openWatches()}`).toBe(true);
    expect(await until(() => openFds() <= fds0 + 3, 5000), `fds ${fds0} → ${openFds()}`).toBe(true);
    // Live heap: 100 generations of plugins kept alive (each with its client, index, cache and
    // metrics children) would be tens of MiB; what is released comes back to the start level.
    const grown = ((await liveHeap()) - heap0) / 2 ** 20;
    expect(grown, `live heap grew by ${grown.toFixed(1)} MiB`).toBeLessThan(8);
  }, 120_000);
});
