// -configmap: the Corefile watched in a ConfigMap through the real @kubernetes/client-node against
// the fake API server, applied as reloads, checked with real DNS queries.
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type Server } from '../../src/server/index.ts';
import { ConfigMapWatch } from '../../src/server/configmap.ts';
import { parseConfigMapRef } from '../../src/server/configmap-ref.ts';
import { reloadMetrics } from '../../src/server/reload-metrics.ts';
import { makeLogger } from '../../src/server/log.ts';
import { FakeApiServer, configMap, type KubeObject } from '../support/fake-apiserver.ts';
import { freePort } from '../support/ports.ts';
import { query } from '../support/dns-client.ts';
import { until } from '../support/wait.ts';

const hostsCorefile = (ip: string, extra = '') => `. {\n    hosts {\n        ${ip} web.example.\n    }\n${extra}}\n`;

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => { for (const c of cleanup.reverse()) await c(); cleanup = []; });

interface Setup { api: FakeApiServer; server: Server; watch: ConfigMapWatch; port: number; logs: string[]; conf: string; dir: string }

async function setup(o: { fileCorefile: string; cm?: Record<string, string>; outage?: boolean; ref?: string; files?: Record<string, string>; workers?: number }): Promise<Setup> {
  const api = await FakeApiServer.start();
  cleanup.push(() => api.close());
  if (o.cm) api.upsert('configmaps', configMap('kube-system', 'coredns', o.cm));
  if (o.outage) api.setOutage('refuse');
  const dir = await mkdtemp(join(tmpdir(), 'clusterdns-cm-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  for (const [name, content] of Object.entries(o.files ?? {})) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  const conf = join(dir, 'Corefile');
  await writeFile(conf, o.fileCorefile);
  const kubeconfig = api.writeKubeconfig(dir);
  const logs: string[] = [];
  const sink = { write: (l: string) => { logs.push(l); } };
  const port = await freePort();
  let watch: ConfigMapWatch | undefined;
  const server = await startServer({
    corefilePath: conf, dnsPort: port, workers: o.workers ?? 1, quiet: true, sink,
    corefileSource: async () => watch?.text ?? o.fileCorefile,
  });
  cleanup.push(() => server.stop());
  watch = new ConfigMapWatch({
    ref: parseConfigMapRef(o.ref ?? 'kube-system/coredns'), target: server, log: makeLogger(sink, 'reload'),
    env: { KUBECONFIG: kubeconfig },
  });
  cleanup.unshift(() => watch.stop()); // stopped before the server and the API go (cleanup runs in reverse)
  watch.start();
  return { api, server, watch, port, logs, conf, dir };
}

async function answer(port: number): Promise<string> {
  const r = await query(port, 'web.example.', 'A');
  return r.answers.map((a) => a.address).join(',');
}

/** Edit the ConfigMap as kubectl does: an HTTP PATCH (merge patch) against the API. */
async function patchCorefile(api: FakeApiServer, text: string, key = 'Corefile'): Promise<void> {
  const res = await fetch(`${api.url}/api/v1/namespaces/kube-system/configmaps/coredns`, {
    method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ data: { [key]: text } }),
  });
  expect(res.status).toBe(200);
}

/** Replace the ConfigMap as `kubectl replace` does: GET it, change data, PUT it back with its resourceVersion. */
async function putCorefile(api: FakeApiServer, text: string): Promise<void> {
  const url = `${api.url}/api/v1/namespaces/kube-system/configmaps/coredns`;
  const cm = await (await fetch(url)).json() as KubeObject & { data: Record<string, string> };
  cm.data.Corefile = text;
  const res = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(cm) });
  expect(res.status).toBe(200);
  // A second PUT from the same (now stale) resourceVersion is refused, as the real API does.
  const stale = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(cm) });
  expect(stale.status).toBe(409);
}

const failedTotal = async () => (await reloadMetrics().failed.get()).values[0]?.value ?? 0;
const eventPosts = (api: FakeApiServer) => api.requests.filter((r) => r.method === 'POST' && r.path === '/api/v1/namespaces/kube-system/events' && r.status === 201);

describe('-configmap', () => {
  it('switches to the ConfigMap at start, then applies each edit, with the sockets kept', async () => {
    const s = await setup({ fileCorefile: hostsCorefile('192.0.2.1'), cm: { Corefile: hostsCorefile('192.0.2.2') } });
    expect(await until(async () => (await answer(s.port)) === '192.0.2.2', 5_000)).toBe(true);
    const bound = s.server.listeners.map((l) => `${l.protocol}:${l.port}`);
    await patchCorefile(s.api, hostsCorefile('192.0.2.3'));
    expect(await until(async () => (await answer(s.port)) === '192.0.2.3', 5_000)).toBe(true);
    expect(s.server.listeners.map((l) => `${l.protocol}:${l.port}`)).toEqual(bound);
    // One ConfigMap, through a field selector (so RBAC resourceNames can allow just it).
    const cmRequests = s.api.requests.filter((r) => r.path.includes('/configmaps'));
    expect(cmRequests.length).toBeGreaterThan(0);
    for (const r of cmRequests.filter((x) => x.method === 'GET')) {
      expect(r.path).toBe('/api/v1/namespaces/kube-system/configmaps');
      expect(r.query.fieldSelector).toBe('metadata.name=coredns');
    }
    expect(cmRequests.some((r) => r.watch)).toBe(true);
    expect(s.logs.join('\n')).toMatch(/\[INFO\] plugin\/reload: applied the Corefile of configmap kube-system\/coredns \(resourceVersion \d+\)/);
  });

  it('applies edits with 2 answering threads (the watch in the control thread, reloads to every worker)', async () => {
    const s = await setup({ fileCorefile: hostsCorefile('192.0.2.1'), cm: { Corefile: hostsCorefile('192.0.2.2') }, workers: 2 });
    expect(await until(async () => (await answer(s.port)) === '192.0.2.2', 10_000)).toBe(true);
    await putCorefile(s.api, hostsCorefile('192.0.2.3'));
    expect(await until(async () => (await answer(s.port)) === '192.0.2.3', 5_000)).toBe(true);
    // Every thread answers the new Corefile: ask more times than there are sockets to land on.
    for (let i = 0; i < 12; i++) expect(await answer(s.port)).toBe('192.0.2.3');
  });

  it('keeps the old config on a broken edit: FILE:LINE logged, coredns_reload_failed_total, Event ReloadFailed', async () => {
    const s = await setup({ fileCorefile: hostsCorefile('192.0.2.1'), cm: { Corefile: hostsCorefile('192.0.2.2') } });
    expect(await until(async () => (await answer(s.port)) === '192.0.2.2', 5_000)).toBe(true);
    const before = await failedTotal();
    await patchCorefile(s.api, hostsCorefile('192.0.2.9', '    nosuchplugin\n'));
    expect(await until(() => s.watch.stats.failed === 1, 5_000)).toBe(true);
    await s.watch.idle();
    expect(await answer(s.port)).toBe('192.0.2.2');
    expect(await failedTotal()).toBe(before + 1);
    const line = s.logs.find((l) => l.includes('not applied'));
    expect(line).toContain(`${s.conf}:5:`);
    expect(line).toMatch(/^\[ERROR\] plugin\/reload: configmap kube-system\/coredns \(resourceVersion \d+\) not applied/);
    const cm = s.api.get('configmaps', 'kube-system', 'coredns')!;
    const events = s.api.objects('events', 'kube-system');
    expect(events).toHaveLength(1);
    const ev = events[0]! as KubeObject & { involvedObject: Record<string, string>; reason: string; type: string; message: string };
    expect(ev.reason).toBe('ReloadFailed');
    expect(ev.type).toBe('Warning');
    expect(ev.involvedObject).toMatchObject({ kind: 'ConfigMap', namespace: 'kube-system', name: 'coredns', uid: cm.metadata.uid });
    expect(ev.message).toContain(`${s.conf}:5:`);
    expect(eventPosts(s.api)).toHaveLength(1);
    // A fixed edit is applied again.
    await patchCorefile(s.api, hostsCorefile('192.0.2.4'));
    expect(await until(async () => (await answer(s.port)) === '192.0.2.4', 5_000)).toBe(true);
  });

  it('with a reload plugin in the Corefile, its poll stays off: the broken edit is tried once, the mounted file never rolls back', async () => {
    const reload = '    reload 2s 1s\n';
    const s = await setup({ fileCorefile: hostsCorefile('192.0.2.1', reload), cm: { Corefile: hostsCorefile('192.0.2.2', reload) } });
    expect(await until(async () => (await answer(s.port)) === '192.0.2.2', 5_000)).toBe(true);
    const before = await failedTotal();
    await patchCorefile(s.api, hostsCorefile('192.0.2.9', `${reload}    nosuchplugin\n`));
    expect(await until(() => s.watch.stats.failed === 1, 5_000)).toBe(true);
    await writeFile(s.conf, hostsCorefile('192.0.2.7', reload)); // the kubelet's copy, behind the API
    await new Promise((r) => setTimeout(r, 3_500));               // longer than the poll's 2–3 s
    expect(await failedTotal()).toBe(before + 1);
    expect(await answer(s.port)).toBe('192.0.2.2');
  });

  it('serves the -conf file while the API is unreachable, then picks up the ConfigMap', async () => {
    const s = await setup({ fileCorefile: hostsCorefile('192.0.2.1'), cm: { Corefile: hostsCorefile('192.0.2.2') }, outage: true });
    expect(await answer(s.port)).toBe('192.0.2.1');
    expect(await until(() => s.logs.some((l) => l.includes('Failed to watch *v1.ConfigMap')), 5_000)).toBe(true);
    expect(await answer(s.port)).toBe('192.0.2.1');
    s.api.setOutage(false);
    expect(await until(async () => (await answer(s.port)) === '192.0.2.2', 5_000)).toBe(true);
  });

  it('reads the KEY given as NAMESPACE/NAME/KEY; imports stay relative to the -conf file', async () => {
    const imported = '. {\n    import custom/*.server\n    hosts {\n        192.0.2.5 web.example.\n    }\n}\n';
    const s = await setup({
      fileCorefile: hostsCorefile('192.0.2.1'), ref: 'kube-system/coredns/Corefile.new',
      cm: { Corefile: hostsCorefile('192.0.2.2'), 'Corefile.new': imported },
      files: { 'custom/a.server': 'log\n' },
    });
    expect(await until(async () => (await answer(s.port)) === '192.0.2.5', 5_000)).toBe(true);
    // A key that is missing keeps what runs and says so.
    await patchCorefile(s.api, null as unknown as string, 'Corefile.new');
    expect(await until(() => s.logs.some((l) => l.includes('has no key "Corefile.new"')), 5_000)).toBe(true);
    expect(await answer(s.port)).toBe('192.0.2.5');
  });
});

describe('parseConfigMapRef', () => {
  it('takes NAMESPACE/NAME (key Corefile) and NAMESPACE/NAME/KEY, and rejects anything else', () => {
    expect(parseConfigMapRef('kube-system/coredns')).toEqual({ namespace: 'kube-system', name: 'coredns', key: 'Corefile' });
    expect(parseConfigMapRef('dns/my.cm/Corefile.v2')).toEqual({ namespace: 'dns', name: 'my.cm', key: 'Corefile.v2' });
    expect(() => parseConfigMapRef('coredns')).toThrow(/NAMESPACE\/NAME/);
    expect(() => parseConfigMapRef('Kube/coredns')).toThrow(/namespace/);
    expect(() => parseConfigMapRef('a/b/c/d')).toThrow(/NAMESPACE\/NAME/);
    expect(() => parseConfigMapRef('a/b/bad key')).toThrow(/key/);
  });
});
