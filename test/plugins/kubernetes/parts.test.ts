// The kubernetes plugin's two parts, as the control thread and a worker set them up: two
// generations of one Corefile on one channel hub. The control part runs the source and publishes
// cluster images; the worker's answering part reads the very image the control part built, and is
// ready only once it holds one made after the first complete list (not merely any image). Between
// images both parts read the overlay of the changes since the last one.
import { afterEach, describe, expect, it } from 'vitest';
import { LoopbackHub } from '../../../src/server/channels.ts';
import { buildGeneration, type Generation, type Role } from '../../../src/server/generation.ts';
import type { Plugin } from '../../../src/plugin/contract.ts';
import type { ClusterView } from '../../../src/plugins/kubernetes/cluster-view.ts';
import type { ImageView } from '../../../src/plugins/kubernetes/image-view.ts';
import { holdImagesForTest, imageBuildsForTest } from '../../../src/plugins/kubernetes/image-builder.ts';
import { OverlayView } from '../../../src/plugins/kubernetes/overlay-view.ts';
import { FakeApiServer, namespace, service } from '../../support/fake-apiserver.ts';
import { tempDir } from '../../support/k8s-fixtures.ts';
import { eventually } from '../../support/wait.ts';

const cleanup: (() => unknown)[] = [];
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });

const kubernetes = (g: Generation) => g.plugins.find((p) => p.name === 'kubernetes') as Plugin & { readonly index: ClusterView };
const bufferOf = (p: { readonly index: ClusterView }) => (p.index as ImageView).buffer;

describe('kubernetes parts across threads', () => {
  it('a worker answers from the control part\'s image, and is ready only once that image says synced', async () => {
    const api = await FakeApiServer.start();
    cleanup.push(() => api.close());
    api.upsert('namespaces', namespace('default'));
    api.upsert('services', service('default', 'web', { clusterIP: '10.96.0.10' }));
    const release = api.holdLists();
    const text = `cluster.local {\n  kubernetes {\n    kubeconfig ${api.writeKubeconfig(tempDir())}\n    startup_timeout 1s\n  }\n}\n`;
    const hub = new LoopbackHub();
    const build = async (role: Role, memory?: ReadonlyMap<string, SharedArrayBuffer>) => {
      const g = await buildGeneration({ text, file: 'Corefile', dnsPort: 53, role, sink: { write() {} }, shared: new Map(), hub, mode: 'serve', ...(memory ? { memory } : {}) });
      cleanup.push(() => g.close());
      return g;
    };
    const control = await build('control');
    const worker = await build('data', control.memory);
    cleanup.push(release);   // first out: a held list would keep the control part's close waiting
    const c = kubernetes(control);
    const w = kubernetes(worker);
    expect(c.serve).toBeUndefined();               // the control part answers no queries
    expect(typeof w.serve).toBe('function');
    expect(w.ready?.()).toBe(false);

    // The first list is held: start goes on after startup_timeout and publishes what is known.
    await control.start();
    expect(c.ready?.()).toBe(false);
    await eventually(() => bufferOf(w), (b) => b === bufferOf(c), 3000, 'the worker reads the unsynced image');
    expect(w.ready?.()).toBe(false);

    release();
    await eventually(() => c.ready?.(), (r) => r === true, 5000, 'control part synced');
    await eventually(() => w.ready?.(), (r) => r === true, 3000, 'worker ready');
    expect(bufferOf(w)).toBe(bufferOf(c));
    expect(w.index.service('web', 'default')?.name).toBe('web');

    // Between images both parts read the overlay of the changes since the last image: the
    // worker's answers and the control part's own lookups (what its peers in this thread read).
    holdImagesForTest(true);
    cleanup.push(() => holdImagesForTest(false));
    const builds = imageBuildsForTest();
    api.upsert('services', service('default', 'api', { clusterIP: '10.96.0.11' }));
    api.remove('services', 'default', 'web');
    for (const [p, who] of [[w, 'worker'], [c, 'control part']] as const) {
      await eventually(() => p.index.service('api', 'default')?.clusterIPs, (v) => v?.[0] === '10.96.0.11', 3000, `${who} reads the added service`);
      expect(p.index.service('web', 'default'), who).toBeUndefined();
      expect(p.index.servicesWithIP('10.96.0.11').map((x) => x.name), who).toEqual(['api']);
      expect(p.index).toBeInstanceOf(OverlayView);
    }
    expect(imageBuildsForTest()).toBe(builds);
  });
});
