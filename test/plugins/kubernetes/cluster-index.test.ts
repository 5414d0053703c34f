// ClusterIndex (src/plugins/kubernetes/cluster-index.ts) and Feed (feed.ts), on records converted
// from API objects as the fake API server serves them: the keyed lookups follow every change, and
// the Feed turns upserts and relists into the right Deltas.
import { describe, expect, it } from 'vitest';
import { ClusterIndex, endpointHostname } from '../../../src/plugins/kubernetes/cluster-index.ts';
import { Feed } from '../../../src/plugins/kubernetes/feed.ts';
import {
  Kind, toNamespace, toPod, toService, toSlice,
  type ApiEndpointSlice, type ApiService, type Delta, type Rec,
} from '../../../src/plugins/kubernetes/records.ts';
import { endpointSlice, namespace, service } from '../../support/fake-apiserver.ts';

let rv = 1;
const svc = (name: string, spec: Parameters<typeof service>[2], ns = 'apps') => {
  const o = service(ns, name, spec);
  o.metadata.resourceVersion = String(rv++);
  return toService(o as ApiService);
};
const slice = (name: string, of: string, endpoints: Parameters<typeof endpointSlice>[3]['endpoints'], ns = 'apps') => {
  const o = endpointSlice(ns, name, of, { endpoints });
  o.metadata.resourceVersion = String(rv++);
  return toSlice(o as ApiEndpointSlice, true);
};
const put = (index: ClusterIndex, k: Kind, key: string, v: Rec | null) => index.apply({ k, key, v });

describe('ClusterIndex', () => {
  it('finds services by name and by each cluster IP, and forgets an IP the service no longer has', () => {
    const ix = new ClusterIndex();
    put(ix, Kind.Service, 'web.apps', svc('web', { clusterIPs: ['10.96.0.10', 'fd00::10'] }));
    expect(ix.service('web', 'apps')?.clusterIPs).toEqual(['10.96.0.10', 'fd00::10']);
    expect(ix.servicesWithIP('fd00::10').map((s) => s.name)).toEqual(['web']);
    put(ix, Kind.Service, 'web.apps', svc('web', { clusterIP: '10.96.0.11' }));
    expect(ix.servicesWithIP('10.96.0.10')).toEqual([]);
    expect(ix.servicesWithIP('fd00::10')).toEqual([]);
    expect(ix.servicesWithIP('10.96.0.11').map((s) => s.name)).toEqual(['web']);
    put(ix, Kind.Service, 'db.apps', svc('db', { clusterIP: 'None' }));
    expect(ix.servicesWithIP('None')).toEqual([]);          // headless: no PTR for "None"
    put(ix, Kind.Service, 'web.apps', null);
    expect(ix.service('web', 'apps')).toBeUndefined();
    expect(ix.servicesWithIP('10.96.0.11')).toEqual([]);
  });

  it('builds a service endpoint view from all its slices, and rebuilds it after a change', () => {
    const ix = new ClusterIndex({ podNames: true });
    put(ix, Kind.Slice, 'apps/db-a', slice('db-a', 'db', [{ ip: '10.1.0.1', hostname: 'db-0' }, { ip: '10.1.0.2' }]));
    put(ix, Kind.Slice, 'apps/db-b', slice('db-b', 'db', [{ ip: '10.1.0.2' }, { ip: 'fd00::1' }, { ip: '10.1.0.9', ready: false }]));
    const v = ix.endpoints('db', 'apps');
    expect([v.count, v.v4, v.v6]).toEqual([4, ['10.1.0.1', '10.1.0.2'], ['fd00::1']]);   // not-ready dropped, duplicates once
    expect([...v.byName.keys()].sort()).toEqual(['10-1-0-2', 'db-0', 'fd00--1']);
    expect(ix.endpoints('db', 'apps')).toBe(v);                 // built once
    expect(ix.slicesWithIP('10.1.0.2').map((s) => s.name).sort()).toEqual(['db-a', 'db-b']);
    put(ix, Kind.Slice, 'apps/db-a', null);
    const after = ix.endpoints('db', 'apps');
    expect(after).not.toBe(v);
    expect([after.count, after.v4, after.v6]).toEqual([2, ['10.1.0.2'], ['fd00::1']]);
    expect(ix.slicesWithIP('10.1.0.1')).toEqual([]);
    expect(ix.slicesWithIP('10.1.0.2').map((s) => s.name)).toEqual(['db-b']);
  });

  it('names endpoints by hostname, then pod name (with endpoint_pod_names), then the dashed IP', () => {
    expect(endpointHostname({ ip: '10.0.0.1', hostname: 'h', pod: 'p' }, true)).toBe('h');
    expect(endpointHostname({ ip: '10.0.0.1', hostname: '', pod: 'p' }, true)).toBe('p');
    expect(endpointHostname({ ip: '10.0.0.1', hostname: '', pod: 'p' }, false)).toBe('10-0-0-1');
    expect(endpointHostname({ ip: '2001:db8::1', hostname: '', pod: '' }, false)).toBe('2001-db8--1');
  });

  it('pods by IP and namespaces by name; the control side keeps only the records', () => {
    const ix = new ClusterIndex();
    const pod = toPod({ metadata: { namespace: 'apps', name: 'p1', resourceVersion: '7' }, status: { podIP: '10.2.0.1', phase: 'Running' } })!;
    put(ix, Kind.Pod, 'apps/p1', pod);
    put(ix, Kind.Namespace, 'apps', toNamespace(namespace('apps')));
    expect(ix.podsWithIP('10.2.0.1').map((p) => p.name)).toEqual(['p1']);
    expect(ix.hasNamespace('apps')).toBe(true);
    put(ix, Kind.Pod, 'apps/p1', { ...pod, ip: '10.2.0.2' });
    expect(ix.podsWithIP('10.2.0.1')).toEqual([]);

    const control = new ClusterIndex({ secondary: false });
    put(control, Kind.Service, 'web.apps', svc('web', { clusterIP: '10.96.0.12' }));
    put(control, Kind.Slice, 'apps/web-a', slice('web-a', 'web', [{ ip: '10.1.1.1' }]));
    expect(control.service('web', 'apps')).toBeDefined();
    expect(control.servicesWithIP('10.96.0.12')).toEqual([]);
    expect(control.slicesOf('web', 'apps')).toEqual([]);
  });
});

describe('Feed', () => {
  function feed(kinds: Kind[]) {
    const index = new ClusterIndex();
    const out: Delta[] = [];
    let synced = 0;
    const f = new Feed(index, kinds, () => synced++, { changed: (d) => out.push(d), program: () => {} });
    return { index, out, f, synced: () => synced };
  }

  it('passes on changes only: the same resourceVersion again is no Delta, a deletion of nothing neither', () => {
    const { f, out, index } = feed([Kind.Service]);
    const a = svc('a', { clusterIP: '10.96.1.1' });
    f.upsert(Kind.Service, a);
    f.upsert(Kind.Service, { ...a });
    expect(out.map((d) => d.key)).toEqual(['a.apps']);
    f.upsert(Kind.Service, { ...a, rv: String(rv++), clusterIPs: ['10.96.1.2'] });
    f.remove(Kind.Service, 'nobody.apps');
    f.remove(Kind.Service, 'a.apps');
    expect(out.map((d) => [d.key, d.v ? (d.v as { clusterIPs: string[] }).clusterIPs[0] : null])).toEqual([['a.apps', '10.96.1.1'], ['a.apps', '10.96.1.2'], ['a.apps', null]]);
    expect(index.services.size).toBe(0);
  });

  it('a relist deletes what it no longer has and keeps the rest without a gap', () => {
    const { f, out, index } = feed([Kind.Service]);
    const [a, b] = [svc('a', { clusterIP: '10.96.2.1' }), svc('b', { clusterIP: '10.96.2.2' })];
    f.replace(Kind.Service, [a, b]);
    out.length = 0;
    const c = svc('c', { clusterIP: '10.96.2.3' });
    f.replace(Kind.Service, [a, c]);
    expect(out.map((d) => `${d.key}:${d.v ? 'put' : 'del'}`)).toEqual(['b.apps:del', 'c.apps:put']);
    expect([...index.services.keys()].sort()).toEqual(['a.apps', 'c.apps']);
  });

  it('is synced once every required kind has listed once, and says so once', () => {
    const { f, synced } = feed([Kind.Service, Kind.Slice]);
    f.replace(Kind.Service, []);
    expect([f.synced, synced()]).toEqual([false, 0]);
    f.listed(Kind.Service);
    f.replace(Kind.Slice, []);
    f.replace(Kind.Slice, []);
    expect([f.synced, synced()]).toEqual([true, 1]);
    expect(feed([]).synced()).toBe(1);      // nothing to wait for
  });
});
