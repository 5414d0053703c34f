// The cluster image (src/plugins/kubernetes/cluster-image.ts) and its reader (image-view.ts): over
// a generated cluster — every Service type (ClusterIP, dual-stack, headless, ExternalName,
// NodePort, LoadBalancer with external IPs and ingress), EndpointSlices with hostnames, pod names,
// IPv4 and IPv6, several slices per service, shared addresses, pods, namespaces — the image
// answers every lookup of ClusterView exactly as the ClusterIndex it was built from, also after
// changes and deletions. And the reader's memos stay within their bounds. An OverlayView over the
// image and the overlay of later changes answers every lookup as the live index does.
import { describe, expect, it } from 'vitest';
import { ClusterIndex } from '../../../src/plugins/kubernetes/cluster-index.ts';
import { buildImage } from '../../../src/plugins/kubernetes/cluster-image.ts';
import { BoundedMemo, ImageView, MEMO_ADDRESSES, MEMO_ENTRIES } from '../../../src/plugins/kubernetes/image-view.ts';
import type { ClusterView } from '../../../src/plugins/kubernetes/cluster-view.ts';
import { Feed } from '../../../src/plugins/kubernetes/feed.ts';
import { OVERLAY_MAX_KEYS, OverlayTracker } from '../../../src/plugins/kubernetes/overlay.ts';
import { OverlayView, viewOf } from '../../../src/plugins/kubernetes/overlay-view.ts';
import {
  Kind, objectKey, serviceKey, toNamespace, toPod, toService, toSlice,
  type ApiEndpointSlice, type ApiNamespace, type ApiPod, type ApiService,
} from '../../../src/plugins/kubernetes/records.ts';
import { endpointSlice, namespace, pod, service, type EndpointSpec } from '../../support/fake-apiserver.ts';

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Cluster { index: ClusterIndex; feed: Feed; names: string[]; ips: Set<string>; namespaces: string[] }

/** A generated cluster of `n` services, fed through a Feed into a full ClusterIndex (as the 'single' role keeps it). */
function generate(n: number, seed: number, podNames: boolean): Cluster {
  const r = rng(seed);
  const pick = <T>(l: readonly T[]): T => l[Math.floor(r() * l.length)]!;
  const index = new ClusterIndex({ podNames });
  const feed = new Feed(index, [], () => {});
  const namespaces = ['default', 'apps', 'kube-system', 'Mixed-Case', 'ünïcode'];
  const ips = new Set<string>();
  const names: string[] = [];
  let rv = 1;
  const meta = <T extends { metadata: { resourceVersion?: string } }>(o: T): T => { o.metadata.resourceVersion = String(rv++); return o; };
  for (const ns of namespaces) feed.upsert(Kind.Namespace, toNamespace(meta(namespace(ns)) as ApiNamespace));
  for (let i = 0; i < n; i++) {
    const ns = pick(namespaces);
    const name = i % 17 === 3 ? `svc-${i}-ü` : `svc-${i}`;
    names.push(serviceKey(name, ns));
    const kind = i % 6;
    const v4 = `10.96.${(i >> 8) & 255}.${i & 255}`, v6 = `fd00::${i.toString(16)}`;
    const ports = [{ name: 'http', port: 80 }, ...(r() < 0.5 ? [{ name: 'dns', port: 53, protocol: 'UDP' }] : [])];
    const o = kind === 0 ? service(ns, name, { clusterIP: v4, ports, selector: { app: name } })
      : kind === 1 ? service(ns, name, { clusterIPs: [v4, v6], ports, selector: { app: name } })
        : kind === 2 ? service(ns, name, { clusterIP: 'None', ports: r() < 0.5 ? ports : undefined, selector: { app: name } })
          : kind === 3 ? service(ns, name, { externalName: pick(['db.example.org', '10.1.2.3', 'other.apps.svc.cluster.local']) })
            : kind === 4 ? service(ns, name, { clusterIP: v4, type: 'NodePort', ports })
              : service(ns, name, { clusterIP: r() < 0.2 ? '10.96.0.1' : v4, type: 'LoadBalancer', ports }); // some share an IP
    if (kind === 5) {
      (o.spec as Record<string, unknown>).externalIPs = [`192.0.2.${i % 200}`];
      (o as Record<string, unknown>).status = { loadBalancer: { ingress: [{ ip: `198.51.100.${i % 50}` }, { hostname: `lb-${i}.example.net` }] } };
    }
    const s = toService(meta(o) as ApiService);
    for (const ip of [...s.clusterIPs, ...(s.external ?? [])]) ips.add(ip);
    feed.upsert(Kind.Service, s);
    if (kind === 3) continue;
    const slices = 1 + Math.floor(r() * 3);
    for (let k = 0; k < slices; k++) {
      const endpoints: EndpointSpec[] = [];
      const count = Math.floor(r() * 6);
      for (let e = 0; e < count; e++) {
        const six = r() < 0.3;
        const ip = r() < 0.1 ? '10.244.0.1' : six ? `fd01::${i.toString(16)}:${k}:${e}` : `10.244.${i & 255}.${k * 10 + e}`; // some addresses shared
        ips.add(ip);
        endpoints.push({
          ip, hostname: r() < 0.4 ? `host-${e}` : undefined, pod: r() < 0.7 ? `${name}-pod-${k}-${e}` : undefined,
          ready: r() < 0.1 ? false : r() < 0.1 ? null : true,
        });
        if (r() < 0.5) feed.upsert(Kind.Pod, toPod(meta(pod(ns, `${name}-pod-${k}-${e}`, ip, { phase: r() < 0.2 ? 'Pending' : 'Running' })) as ApiPod)!);
      }
      const sl = endpointSlice(ns, `${name}-${k}`, name, {
        endpoints, ports: r() < 0.2 ? undefined : [{ name: 'http', port: 8080 }, { name: 'metrics', port: 9090 }],
        lastChange: r() < 0.5 ? new Date(1_700_000_000_000 + i).toISOString() : undefined,
      });
      feed.upsert(Kind.Slice, toSlice(meta(sl) as ApiEndpointSlice, true));
    }
  }
  // A slice whose service does not exist, and a pod without an IP.
  feed.upsert(Kind.Slice, toSlice(meta(endpointSlice('apps', 'orphan-1', 'orphan', { endpoints: [{ ip: '10.244.9.9', hostname: 'o' }] })) as ApiEndpointSlice, true));
  feed.upsert(Kind.Pod, toPod(meta(pod('apps', 'starting', '', { phase: 'Pending' })) as ApiPod)!);
  ips.add('10.244.9.9');
  names.push('orphan.apps');
  return { index, feed, names, ips, namespaces };
}

const sorted = <T>(l: readonly T[]) => [...l].map((x) => JSON.stringify(x)).sort();

/** Every lookup of the ClusterView surface, on both; `ordered`: lists must also agree in order. */
function expectSameAnswers(ix: ClusterView, im: ClusterView, c: Cluster, ordered: boolean): number {
  const same = <T>(a: readonly T[], b: readonly T[], what: string) => {
    if (ordered) expect(b, what).toEqual(a);
    else expect(sorted(b), what).toEqual(sorted(a));
  };
  let checks = 0;
  expect(im.modified).toBe(ix.modified);
  expect(im.externalModified).toBe(ix.externalModified);
  const keys = [...c.names, 'missing.apps', 'svc-1.nowhere', '', 'a.b.c'];
  for (const k of keys) {
    const dot = k.indexOf('.');
    const [name, ns] = dot < 0 ? [k, ''] : [k.slice(0, dot), k.slice(dot + 1)];
    expect(im.service(name, ns), k).toEqual(ix.service(name, ns));
    expect(im.service(name, ns), `${k} again (memo)`).toEqual(ix.service(name, ns));
    same(ix.slicesOf(name, ns), im.slicesOf(name, ns), `slicesOf ${k}`);
    const [a, b] = [ix.endpoints(name, ns), im.endpoints(name, ns)];
    expect(b.count, k).toBe(a.count);
    same(a.v4, b.v4, `v4 ${k}`);
    same(a.v6, b.v6, `v6 ${k}`);
    expect([...b.byName.keys()].sort(), k).toEqual([...a.byName.keys()].sort());
    for (const [h, l] of a.byName) same(l, b.byName.get(h)!, `byName ${k} ${h}`);
    checks += 4;
  }
  for (const ip of [...c.ips, '10.0.0.0', 'fd99::1', '']) {
    same(ix.servicesWithIP(ip), im.servicesWithIP(ip), `servicesWithIP ${ip}`);
    same(ix.slicesWithIP(ip), im.slicesWithIP(ip), `slicesWithIP ${ip}`);
    same(ix.podsWithIP(ip), im.podsWithIP(ip), `podsWithIP ${ip}`);
    same(ix.servicesWithExternalIP(ip), im.servicesWithExternalIP(ip), `servicesWithExternalIP ${ip}`);
    checks += 4;
  }
  for (const ns of [...c.namespaces, 'nowhere', 'mixed-case', '']) {
    expect(im.hasNamespace(ns), ns).toBe(ix.hasNamespace(ns));
    expect(im.namespace(ns), ns).toEqual(ix.namespace(ns));
    checks += 2;
  }
  return checks;
}

describe('cluster image', () => {
  for (const podNames of [false, true]) {
    it(`answers every lookup as the ClusterIndex it was built from (endpoint_pod_names ${podNames ? 'on' : 'off'})`, () => {
      const c = generate(400, podNames ? 7 : 11, podNames);
      const im = new ImageView(buildImage(c.index).buffer, podNames);
      expect(im.stats()).toEqual(c.index.stats());
      const checks = expectSameAnswers(c.index, im, c, true);
      expect(checks).toBeGreaterThan(3000);
      // The generated cluster really has what the comparison is about.
      const all = c.names.map((k) => c.index.services.get(k)).filter((s) => s !== undefined);
      expect(new Set(all.map((s) => s.type))).toEqual(new Set(['ClusterIP', 'ExternalName', 'NodePort', 'LoadBalancer']));
      expect(all.some((s) => s.clusterIPs[0] === 'None')).toBe(true);
      expect(all.some((s) => s.clusterIPs.length === 2)).toBe(true);
      expect(c.index.servicesWithIP('10.96.0.1').length).toBeGreaterThan(1);
      expect(c.index.slicesWithIP('10.244.0.1').length).toBeGreaterThan(1);
      expect([...c.index.slices.values()].some((s) => s.addresses.some((a) => a.hostname !== '') && s.addresses.some((a) => a.pod !== ''))).toBe(true);
    });
  }

  it('answers as the index after changes and deletions (a rebuilt image; lists compared as sets)', () => {
    const c = generate(300, 3, true);
    const r = rng(5);
    for (const k of c.names.filter(() => r() < 0.2)) c.feed.remove(Kind.Service, k);
    for (const k of [...c.index.slices.keys()].filter(() => r() < 0.2)) c.feed.remove(Kind.Slice, k);
    for (const s of [...c.index.slices.values()].filter(() => r() < 0.2)) {
      c.feed.upsert(Kind.Slice, { ...s, rv: `${s.rv}x`, addresses: [...s.addresses.slice(1), { ip: '10.250.0.1', hostname: 'moved', pod: '' }] });
    }
    for (const k of [...c.index.pods.keys()].filter(() => r() < 0.3)) c.feed.remove(Kind.Pod, k);
    c.feed.remove(Kind.Namespace, 'kube-system');
    c.ips.add('10.250.0.1');
    const im = new ImageView(buildImage(c.index).buffer, true);
    expectSameAnswers(c.index, im, c, false);
    expect(im.service('svc-0', c.index.services.get(c.names[0]!)?.ns ?? 'x')).toEqual(c.index.services.get(c.names[0]!));
  });

  it('an empty image finds nothing, and the header counts the threads that adopt it', () => {
    const im = ImageView.empty(false);
    expect(im.service('kubernetes', 'default')).toBeUndefined();
    expect(im.slicesOf('a', 'b')).toEqual([]);
    expect(im.endpoints('a', 'b')).toEqual({ count: 0, v4: [], v6: [], byName: new Map() });
    expect(im.hasNamespace('default')).toBe(false);
    const other = new ImageView(im.buffer, false);   // a second thread's view of the same memory
    im.adopt(); im.adopt();                          // adopting twice counts once
    other.adopt();
    expect(im.readers()).toBe(2);
    im.release();
    expect(other.readers()).toBe(1);
  });
});

describe('BoundedMemo', () => {
  it('holds at most two generations of entries and of weight, and keeps what is asked again', () => {
    const m = new BoundedMemo<number>(100, 1_000, (v) => v);
    for (let i = 0; i < 10_000; i++) {
      m.set(`k${i}`, 1);
      if (i % 10 === 0) expect(m.get('hot')).toBe(i === 0 ? undefined : 1);
      if (i === 0) m.set('hot', 1);
      expect(m.size).toBeLessThanOrEqual(200);
    }
    expect(m.get('hot')).toBe(1);
    expect(m.get('k0')).toBeUndefined();
    const heavy = new BoundedMemo<number>(100, 1_000, (v) => v);
    for (let i = 0; i < 50; i++) heavy.set(`h${i}`, 400);
    expect(heavy.size).toBeLessThanOrEqual(6);   // ≤ 3 per generation at weight 400 each
  });

  it("an image view's memos stay within their caps of entries and addresses however many names are asked", () => {
    const c = generate(400, 13, false);
    const caps = { entries: 50, addresses: 200 };
    expect(c.index.stats().endpoints).toBeGreaterThan(4 * caps.addresses);
    const im = new ImageView(buildImage(c.index).buffer, false, caps);
    const memos = im as unknown as Record<'services' | 'sliceLists' | 'views', BoundedMemo<unknown>>;
    for (let round = 0; round < 3; round++) {
      for (const k of c.names) {
        const dot = k.indexOf('.');
        const [name, ns] = [k.slice(0, dot), k.slice(dot + 1)];
        expect(im.service(name, ns)).toEqual(c.index.service(name, ns));   // still right when dropped and decoded again
        expect(im.endpoints(name, ns).count).toBe(c.index.endpoints(name, ns).count);
        expect(memos.services.held().entries).toBeLessThanOrEqual(2 * caps.entries);
        for (const m of [memos.sliceLists, memos.views]) {
          const h = m.held();
          expect(h.entries).toBeLessThanOrEqual(2 * caps.entries);
          expect(h.weight).toBeLessThanOrEqual(2 * caps.addresses + 2 * h.heaviest);
        }
      }
    }
    expect(memos.views.held().entries).toBeGreaterThan(0);
    expect(MEMO_ENTRIES).toBeGreaterThan(0);
    expect(MEMO_ADDRESSES).toBeGreaterThan(0);
  });
});

describe('overlay view (an image and the changes since it was built)', () => {
  for (const podNames of [false, true]) {
    it(`answers every lookup as the live index after generated changes (endpoint_pod_names ${podNames ? 'on' : 'off'})`, () => {
      const c = generate(300, podNames ? 17 : 19, podNames);
      const im = new ImageView(buildImage(c.index).buffer, podNames);
      expectSameAnswers(c.index, im, c, true);   // every memo of the image is filled before the changes
      // The changes go through a Feed that tells an OverlayTracker, as the control side's builder hears them.
      const tracker = new OverlayTracker();
      const feed = new Feed(c.index, [], () => {}, { changed: (d, prev) => tracker.note(d, prev), program: () => {} });
      const r = rng(podNames ? 23 : 29);
      const services = [...c.index.services.values()];
      let changes = 0;
      for (const s of services.filter(() => r() < 0.05)) { feed.remove(Kind.Service, serviceKey(s.name, s.ns)); changes++; }
      for (const s of services.filter((x) => x.clusterIPs[0] !== 'None' && x.type !== 'ExternalName' && r() < 0.05)) {
        const moved = `10.97.${changes & 255}.${changes >> 8}`;   // a new cluster IP, or one another service has
        const ip = r() < 0.3 ? '10.96.0.1' : moved;
        c.ips.add(ip);
        feed.upsert(Kind.Service, { ...s, rv: `${s.rv}c`, clusterIPs: [ip], ...(r() < 0.5 ? { external: [`203.0.113.${changes & 255}`] } : {}) });
        c.ips.add(`203.0.113.${changes & 255}`);
        changes++;
      }
      for (let i = 0; i < 10; i++) {   // new services, one headless with new slices
        const ns = c.namespaces[i % c.namespaces.length]!;
        feed.upsert(Kind.Service, { ns, name: `new-${i}`, rv: `n${i}`, type: 'ClusterIP', clusterIPs: [i === 0 ? 'None' : `10.98.0.${i}`], externalName: '', ports: [{ name: 'http', protocol: 'TCP', port: 80 }], selector: true });
        feed.upsert(Kind.Slice, { ns, name: `new-${i}-x`, rv: `n${i}`, service: `new-${i}`, ports: [{ name: 'http', protocol: 'TCP', port: 80 }], addresses: [{ ip: `10.245.0.${i}`, hostname: `h${i}`, pod: `new-${i}-pod` }, { ip: '10.244.0.1', hostname: '', pod: '' }], changed: 0 });
        c.names.push(serviceKey(`new-${i}`, ns));
        c.ips.add(`10.98.0.${i}`).add(`10.245.0.${i}`);
        changes += 2;
      }
      const slices = [...c.index.slices.values()];
      for (const s of slices.filter(() => r() < 0.05)) { feed.remove(Kind.Slice, objectKey(s.ns, s.name)); changes++; }
      for (const s of slices.filter(() => r() < 0.1)) {
        const owner = r() < 0.2 ? { service: services[Math.floor(r() * services.length)]!.name } : {};   // some move to another service
        feed.upsert(Kind.Slice, { ...s, rv: `${s.rv}x`, ...owner, addresses: [...s.addresses.slice(1), { ip: '10.250.0.1', hostname: 'moved', pod: '' }] });
        changes++;
      }
      c.ips.add('10.250.0.1');
      const pods = [...c.index.pods.values()];
      for (const p of pods.filter(() => r() < 0.1)) { feed.remove(Kind.Pod, objectKey(p.ns, p.name)); changes++; }
      for (const p of pods.filter((x) => x.ip !== '' && r() < 0.1)) { feed.upsert(Kind.Pod, { ...p, rv: `${p.rv}p`, ip: r() < 0.5 ? '10.244.0.1' : `10.246.0.${changes & 255}`, running: !p.running }); c.ips.add(`10.246.0.${changes & 255}`); changes++; }
      feed.remove(Kind.Namespace, 'kube-system');
      feed.upsert(Kind.Namespace, { name: 'brand-new', rv: 'b1' });
      c.namespaces.push('brand-new');
      changes += 2;
      expect(changes).toBeGreaterThan(80);
      expect(tracker.size).toBeLessThanOrEqual(OVERLAY_MAX_KEYS);

      const overlay = tracker.overlay(c.index, 1)!;
      expect(overlay.image).toBe(1);
      const view = new OverlayView(im, structuredClone(overlay), podNames);   // as a worker receives it
      expectSameAnswers(c.index, view, c, false);
      // viewOf pairs an overlay only with its own image.
      expect(viewOf(im, 1, overlay, podNames)).toBeInstanceOf(OverlayView);
      expect(viewOf(im, 2, overlay, podNames)).toBe(im);
      expect(viewOf(im, 1, undefined, podNames)).toBe(im);
    });
  }

  it('past its bound the tracker makes no overlay until reset (the next image)', () => {
    const index = new ClusterIndex({ secondary: false });
    const tracker = new OverlayTracker(10, 25);
    const feed = new Feed(index, [], () => {}, { changed: (d, prev) => tracker.note(d, prev), program: () => {} });
    const svc = (i: number) => ({ ns: 'apps', name: `s${i}`, rv: `${i}`, type: 'ClusterIP', clusterIPs: [`10.96.0.${i}`], externalName: '', ports: [], selector: true });
    for (let i = 0; i < 10; i++) feed.upsert(Kind.Service, svc(i));
    expect(tracker.overlay(index, 1)!.services).toHaveLength(10);
    feed.upsert(Kind.Service, svc(10));
    expect(tracker.overlay(index, 1)).toBeUndefined();
    feed.upsert(Kind.Service, svc(11));
    expect(tracker.overlay(index, 1)).toBeUndefined();   // stays off, even though it would fit in size now
    tracker.reset();
    const slice = (n: number) => ({ ns: 'apps', name: 'big', rv: `${n}`, service: 's1', ports: [], addresses: Array.from({ length: n }, (_, i) => ({ ip: `10.244.0.${i}`, hostname: '', pod: '' })), changed: 0 });
    feed.upsert(Kind.Slice, slice(25));
    expect(tracker.overlay(index, 2)!.sliceOwners).toEqual(['s1.apps']);
    feed.upsert(Kind.Slice, slice(26));   // one key, but past the address budget
    expect(tracker.overlay(index, 2)).toBeUndefined();
  });
});
