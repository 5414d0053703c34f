// ImageBuilder (src/plugins/kubernetes/image-builder.ts), the control side's image maker, with real
// timers: nothing before the source syncs (or the startup timeout), one image at once then, changes
// coalesced into few builds while they keep coming yet each one published soon, and the DNS
// programming duration observed when the image holding the change is published, not before.
// Between images, overlays carry the changes since the last image (tagged with it), within a bound.
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterIndex } from '../../../src/plugins/kubernetes/cluster-index.ts';
import { ImageBuilder, MIN_GAP_MS, OVERLAY_GAP_MS, OVERLAY_GAP_PER_KEY_MS, holdImagesForTest, type ClusterImage } from '../../../src/plugins/kubernetes/image-builder.ts';
import { OVERLAY_MAX_KEYS } from '../../../src/plugins/kubernetes/overlay.ts';
import { ImageView } from '../../../src/plugins/kubernetes/image-view.ts';
import { Kind, type Delta, type ServiceRec } from '../../../src/plugins/kubernetes/records.ts';
import { registry } from '../../../src/metrics/registry.ts';
import { holds, sleep, until } from '../../support/wait.ts';

const builders: ImageBuilder[] = [];
afterEach(() => { holdImagesForTest(false); for (const b of builders.splice(0)) b.stop(); });

function setup(synced = true) {
  const index = new ClusterIndex({ secondary: false });
  const images: { img: ClusterImage; at: number }[] = [];     // the images built
  const overlays: ClusterImage[] = [];                         // the overlays published between them
  const overlayTimes: number[] = [];                           // ... and when
  let isSynced = synced;
  const b = new ImageBuilder(index, () => isSynced, (img) => {
    if (img.overlay) { overlays.push(img); overlayTimes.push(Date.now()); } else images.push({ img, at: Date.now() });
  });
  builders.push(b);
  const put = (i: number) => {
    const v: ServiceRec = { ns: 'apps', name: `svc${i}`, rv: String(i), type: 'ClusterIP', clusterIPs: [`10.96.${i >> 8}.${i & 255}`], externalName: '', ports: [{ name: '', protocol: 'TCP', port: 80 }], selector: true };
    apply({ k: Kind.Service, key: `svc${i}.apps`, v });
  };
  const apply = (d: Delta) => {
    const prev = index.get(d.k, d.key);
    index.apply(d);
    b.changed(d, prev);
  };
  return { index, b, images, overlays, overlayTimes, put, apply, sync: () => { isSynced = true; } };
}

const services = (img: ClusterImage) => new ImageView(img.buffer, false).stats().services;

async function programmedCount(): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === 'coredns_kubernetes_dns_programming_duration_seconds');
  const v = m?.values.find((x) => (x as { metricName?: string }).metricName?.endsWith('_count') && x.labels.service_kind === 'headless_with_selector');
  return v?.value ?? 0;
}

describe('ImageBuilder', () => {
  it('builds nothing before start(); then one image at once, and after a quiet spell a change soon (an overlay, then the next image)', async () => {
    const { b, images, overlays, put } = setup();
    put(1);
    expect(await holds(() => images.length === 0, 150)).toBe(true);   // the source has not synced
    b.start();
    expect(images.length).toBe(1);
    expect(services(images[0]!.img)).toBe(1);
    expect(images[0]!.img.synced).toBe(true);
    await sleep(MIN_GAP_MS * 3);
    put(2);
    expect(await until(() => overlays.length === 1, 2000)).toBe(true);
    expect(overlays[0]!.overlay!.services.map(([k]) => k)).toEqual(['svc2.apps']);
    expect(await until(() => images.length === 2, 3000)).toBe(true);
    expect(services(images[1]!.img)).toBe(2);
  });

  it('coalesces a stream of changes into few builds, the last one holding them all', async () => {
    const { b, images, put } = setup();
    b.start();
    const t0 = Date.now();
    for (let i = 0; i < 300; i++) {
      put(i);
      if (i % 3 === 0) await sleep(2);
    }
    const streamMs = Date.now() - t0;
    expect(await until(() => images.length > 1 && services(images.at(-1)!.img) === 300, 3000)).toBe(true);
    expect(await holds(() => services(images.at(-1)!.img) === 300, 100)).toBe(true);
    // At most one build per MIN_GAP_MS while changes kept coming (plus the first and a last one).
    expect(images.length - 1).toBeLessThanOrEqual(Math.ceil(streamMs / MIN_GAP_MS) + 2);
    expect(images.length - 1).toBeLessThan(100);   // far fewer than the 300 changes
    expect(b.builds).toBe(images.length);
  });

  it('published unsynced after the startup timeout, then again once synced', async () => {
    const { b, images, put, sync } = setup(false);
    put(1);
    b.start();                                  // what publishUnsynced() does
    expect(images.map((i) => i.img.synced)).toEqual([false]);
    sync();
    b.start();                                  // the source synced
    expect(images.map((i) => i.img.synced)).toEqual([false, true]);
    b.start();                                  // nothing new: no build
    expect(images.length).toBe(2);
  });

  it('observes the DNS programming duration when the image holding the change is published', async () => {
    const { b, images, put } = setup();
    b.start();
    await sleep(MIN_GAP_MS * 3);
    const before = await programmedCount();
    put(7);
    b.program(Date.now() - 100);
    expect(await programmedCount()).toBe(before);   // not answerable yet: no image holds it
    expect(await until(() => images.length === 2, 2000)).toBe(true);
    expect(await programmedCount()).toBe(before + 1);
  });

  it('between images, publishes overlays of the changes since the last image, tagged with it', async () => {
    const { b, images, overlays, put, apply } = setup();
    put(1); put(2);
    b.start();
    expect(images.length).toBe(1);
    holdImagesForTest(true);
    put(3);
    apply({ k: Kind.Service, key: 'svc1.apps', v: null });
    expect(await until(() => overlays.length > 0 && overlays.at(-1)!.overlay!.services.length === 2, 2000)).toBe(true);
    const o = overlays.at(-1)!;
    expect(o.seq).toBe(images[0]!.img.seq);
    expect(o.buffer).toBe(images[0]!.img.buffer);   // the same image, not a new build
    expect(o.overlay!.image).toBe(o.seq);
    expect(new Map(o.overlay!.services).get('svc1.apps')).toBeNull();
    expect(new Map(o.overlay!.services).get('svc3.apps')?.clusterIPs).toEqual(['10.96.0.3']);
    expect(b.latest).toBe(o);                           // what a thread that starts now gets
    expect(b.overlays).toBe(overlays.length);
    expect(await holds(() => images.length === 1, 100)).toBe(true);   // held: no image
    holdImagesForTest(false);
    expect(await until(() => images.length === 2, 2000)).toBe(true);
    expect(services(images[1]!.img)).toBe(2);
    expect(images[1]!.img.seq).toBeGreaterThan(images[0]!.img.seq);
    expect(images[1]!.img.overlay).toBeUndefined();
    // The next overlay holds only what changed since the new image, and is tagged with it.
    put(4);
    expect(await until(() => overlays.at(-1)!.seq === images[1]!.img.seq, 2000)).toBe(true);
    expect(overlays.at(-1)!.overlay!.services.map(([k]) => k)).toEqual(['svc4.apps']);
  });

  it('after a large overlay waits longer for the next one (each carries every change since the image)', async () => {
    const { b, overlays, overlayTimes, put } = setup();
    b.start();
    holdImagesForTest(true);
    for (let i = 0; i < 800; i++) put(i);
    expect(await until(() => overlays.at(-1)?.overlay!.services.length === 800, 2000, 1)).toBe(true);
    put(800);
    const next = () => until(() => overlays.at(-1)!.overlay!.services.length === 801, 2000, 1);
    expect(await next()).toBe(true);
    const gap = OVERLAY_GAP_MS + 800 * OVERLAY_GAP_PER_KEY_MS;       // 43 ms after the 800-key one
    expect(overlayTimes.at(-1)! - overlayTimes.at(-2)!).toBeGreaterThanOrEqual(gap - 2);
  });

  it('past the bound publishes no overlay until the next image, which holds everything', async () => {
    const { b, images, overlays, put } = setup();
    b.start();
    holdImagesForTest(true);
    for (let i = 0; i < OVERLAY_MAX_KEYS; i++) put(i);
    expect(await until(() => overlays.at(-1)?.overlay!.services.length === OVERLAY_MAX_KEYS, 2000)).toBe(true);
    const published = overlays.length;
    put(OVERLAY_MAX_KEYS);                                  // one key past the bound
    put(OVERLAY_MAX_KEYS + 1);
    expect(await holds(() => overlays.length === published, 150)).toBe(true);
    expect(images.length).toBe(1);
    holdImagesForTest(false);
    expect(await until(() => images.length === 2, 2000)).toBe(true);
    expect(services(images[1]!.img)).toBe(OVERLAY_MAX_KEYS + 2);
    put(0);                                                 // overlays again after the image
    expect(await until(() => overlays.length === published + 1, 2000)).toBe(true);
    expect(overlays.at(-1)!.overlay!.services).toHaveLength(1);
  });

  it('observes the DNS programming duration when the overlay holding the change is published', async () => {
    const { b, images, overlays, put } = setup();
    b.start();
    holdImagesForTest(true);
    const before = await programmedCount();
    put(7);
    b.program(Date.now() - 100);
    expect(await programmedCount()).toBe(before);
    expect(await until(() => overlays.length === 1, 2000)).toBe(true);
    expect(await programmedCount()).toBe(before + 1);
    expect(images.length).toBe(1);
  });
});
