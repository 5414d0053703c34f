// Reflector (src/plugins/kubernetes/reflector.ts) on its own: the real client library's Watch
// against the fake API server — paged first list, watch events, relist after 410 Gone, reconnect
// after a dropped watch or an outage, and stop() ending it all.
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { Reflector, type ListFn, type ReflectorHandlers } from '../../../src/plugins/kubernetes/reflector.ts';
import { FakeApiServer, service } from '../../support/fake-apiserver.ts';
import { eventually, holds } from '../../support/wait.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });

interface Meta { metadata: { name: string; resourceVersion: string } }

/** What the handlers saw: the current set of names (as a consumer would hold it) and the calls. */
function recorder() {
  const names = new Map<string, string>();     // name → resourceVersion
  const calls: string[] = [];
  let listing: Map<string, string> | undefined;
  const h: ReflectorHandlers = {
    begin: () => { calls.push('begin'); listing = new Map(); },
    page: (items) => { calls.push(`page:${items.length}`); for (const o of items as Meta[]) listing!.set(o.metadata.name, o.metadata.resourceVersion); },
    replace: () => { calls.push('replace'); names.clear(); for (const [k, v] of listing!) names.set(k, v); },
    added: (o) => { calls.push(`added:${(o as Meta).metadata.name}`); names.set((o as Meta).metadata.name, (o as Meta).metadata.resourceVersion); },
    modified: (o) => { calls.push(`modified:${(o as Meta).metadata.name}`); names.set((o as Meta).metadata.name, (o as Meta).metadata.resourceVersion); },
    deleted: (o) => { calls.push(`deleted:${(o as Meta).metadata.name}`); names.delete((o as Meta).metadata.name); },
  };
  return { h, names, calls };
}

async function start(api: FakeApiServer) {
  const kc = new KubeConfig();
  kc.loadFromString(api.kubeconfig());
  // @kubernetes/client-node refuses a plain http:// server unless the cluster skips TLS verification.
  kc.clusters = kc.clusters.map((c) => ({ ...c, skipTLSVerify: true }));
  const list: ListFn = async (p) => {
    const url = new URL(`${api.url}/api/v1/services`);
    url.searchParams.set('limit', String(p.limit));
    if (p._continue) url.searchParams.set('continue', p._continue);
    const res = await fetch(url);
    const body = await res.json() as { items: unknown[]; metadata: { resourceVersion: string; continue?: string }; code?: number };
    if (res.status !== 200) throw Object.assign(new Error(`list: HTTP ${res.status}`), { code: res.status });
    return { items: body.items, metadata: { resourceVersion: body.metadata.resourceVersion, _continue: body.metadata.continue } };
  };
  const rec = recorder();
  const lines: string[] = [];
  const log = { info: (m: string) => lines.push(`[INFO] ${m}`), warning: (m: string) => lines.push(`[WARNING] ${m}`), error: (m: string) => lines.push(`[ERROR] ${m}`), debug() {} };
  const r = new Reflector({ kind: '*v1.Service', path: '/api/v1/services', list, kc, log, handlers: rec.h });
  r.start();
  cleanup.push(() => r.stop());
  return { r, ...rec, lines };
}

const sorted = (m: Map<string, string>) => [...m.keys()].sort();

describe('Reflector', () => {
  it('lists in pages of 500, then follows the watch from the list', async () => {
    const api = await FakeApiServer.start();
    cleanup.push(() => api.close());
    for (let i = 0; i < 501; i++) api.upsert('services', service('apps', `s${i}`, { clusterIP: '10.96.0.1' }));
    const { r, names, calls } = await start(api);
    await eventually(() => r.stats.watches, (n) => n === 1, 5000, 'the watch after the list');
    expect(calls.slice(0, 4)).toEqual(['begin', 'page:500', 'page:1', 'replace']);
    expect(names.size).toBe(501);
    api.upsert('services', service('apps', 'new', { clusterIP: '10.96.0.2' }));
    api.upsert('services', service('apps', 's0', { clusterIP: '10.96.0.3' }));
    api.remove('services', 'apps', 's1');
    await eventually(() => calls.slice(4), (c) => c.length === 3, 3000, 'three watch events');
    expect(calls.slice(4)).toEqual(['added:new', 'modified:s0', 'deleted:s1']);
    expect(r.stats.lists).toBe(1);
  });

  it('relists after 410 Gone, and reconnects a dropped watch without a relist', async () => {
    const api = await FakeApiServer.start();
    cleanup.push(() => api.close());
    api.upsert('services', service('apps', 'a', { clusterIP: '10.96.1.1' }));
    const { r, names } = await start(api);
    await eventually(() => r.stats.watches, (n) => n === 1, 5000, 'first watch');
    api.dropWatches();
    await eventually(() => r.stats.watches, (n) => n === 2, 3000, 'reconnected watch');
    expect(r.stats.lists).toBe(1);
    api.upsert('services', service('apps', 'b', { clusterIP: '10.96.1.2' }));
    await eventually(() => sorted(names), (n) => n.join() === 'a,b', 3000, 'b seen after the reconnect');
    // Changes the watch cannot see as events (history compacted), then the watch expires: relist.
    api.setOutage('error');
    api.remove('services', 'apps', 'a');
    api.upsert('services', service('apps', 'c', { clusterIP: '10.96.1.3' }));
    api.compact();
    api.setOutage(false);
    await eventually(() => sorted(names), (n) => n.join() === 'b,c', 3000, 'relisted view');
    expect(r.stats.gone).toBeGreaterThanOrEqual(1);
    // at least one relist (the fake's compact() leaves even the newest resourceVersion expired until
    // the next change, so the reflector may relist more than once meanwhile; a real server does not)
    expect(r.stats.lists).toBeGreaterThanOrEqual(2);
  });

  it('logs a failing API once and its recovery; stop() ends the watch and sends nothing more', async () => {
    const api = await FakeApiServer.start();
    cleanup.push(() => api.close());
    api.setOutage('error');
    const { r, lines } = await start(api);
    await eventually(() => r.stats.errors, (n) => n >= 3, 3000, 'retries during the outage');
    expect(lines.filter((l) => l.startsWith('[ERROR]'))).toEqual([expect.stringMatching(/^\[ERROR\] Failed to watch \*v1\.Service: failed to list \*v1\.Service: .*503/)]);
    api.setOutage(false);
    await eventually(() => r.stats.watches, (n) => n === 1, 3000, 'watch after the outage');
    expect(lines.some((l) => /^\[INFO\] Kubernetes API connection for \*v1\.Service restored after \d+\.\ds$/.test(l))).toBe(true);
    await r.stop();
    await eventually(() => api.openWatches(), (n) => n === 0, 2000, 'the watch closed');
    const seen = api.requests.length;
    api.upsert('services', service('apps', 'late', { clusterIP: '10.96.2.1' }));
    api.dropWatches();
    // a watch or retry loop still running would ask again within 25-300 ms
    expect(await holds(() => api.requests.length === seen, 400)).toBe(true);
  });
});
