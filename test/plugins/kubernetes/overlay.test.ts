/**
 * The cluster overlay with worker threads: between two cluster images, the control thread sends
 * the answering threads the changes since the last image (overlay.ts), and they answer from the
 * image and the overlay together (overlay-view.ts).
 * Image builds are held back (holdImagesForTest, a tests-only knob of the image builder), so that
 * only the overlay can explain an answer: a Service added, its ClusterIP changed, a headless
 * Service's endpoints changed, a Service deleted, reverse (PTR) lookups of the changed IPs, and a
 * pod record are answered by every answering thread of a 2-worker server exactly as a one-thread
 * server (the live ClusterIndex) answers them, against the same fake API server; and once the
 * next image is built, still the same.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointSlice, pod, service, type FakeApiServer } from '../../support/fake-apiserver.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { query } from '../../support/dns-client.ts';
import { smallClusterApi, summary, tempDir } from '../../support/k8s-fixtures.ts';
import { holdImagesForTest, imageBuildsForTest } from '../../../src/plugins/kubernetes/image-builder.ts';
import { eventually, holds, until } from '../../support/wait.ts';

let api: FakeApiServer;
let workers: TestServer;   // 2 answering threads, reading the image (and the overlay)
let single: TestServer;    // one thread, answering from the live ClusterIndex
const BOUND_MS = 3000;

async function answer(srv: TestServer, name: string, type: string): Promise<string> {
  const s = summary(await query(srv.port, name, type, { timeoutMs: 1000 }));
  return [s.rcode, ...s.answer].join(' | ');
}

/** The distinct answers of 24 queries, each from a new source port (spread over the threads' sockets). */
async function everyThread(name: string, type: string): Promise<string[]> {
  return [...new Set(await Promise.all(Array.from({ length: 24 }, () => answer(workers, name, type).catch((e: Error) => e.message))))];
}

/** Every worker answers `name` as the live index does, and that answer is `want` (a prefix of it). */
async function sameAsLive(name: string, type: string, want: string): Promise<void> {
  await eventually(async () => ({ live: await answer(single, name, type), threads: await everyThread(name, type) }),
    (v) => v.live.startsWith(want) && v.threads.length === 1 && v.threads[0] === v.live, BOUND_MS, `${name} ${type}: ${want}`);
}

beforeAll(async () => {
  api = await smallClusterApi();
  const kubeconfig = api.writeKubeconfig(tempDir());
  const corefile = `cluster.local in-addr.arpa {\n    kubernetes cluster.local in-addr.arpa {\n        kubeconfig ${kubeconfig}\n        pods verified\n    }\n}\n`;
  [workers, single] = await Promise.all([startTestServer(corefile, { workers: 2 }), startTestServer(corefile, { workers: 1 })]);
  await sameAsLive('kubernetes.default.svc.cluster.local.', 'A', 'NOERROR | kubernetes.default.svc.cluster.local. 5 A 10.96.0.1');
});

afterAll(async () => {
  holdImagesForTest(false);
  await workers?.stop();
  await single?.stop();
  await api?.close();
});

describe('kubernetes with worker threads: changes answered from the overlay between images', () => {
  it('a Service added, changed, deleted, headless endpoints, PTR and a pod record, with no image built; then the same after the next image', async () => {
    holdImagesForTest(true);
    // Let a build that was already due finish, then no image is built until the hold is released.
    let builds = imageBuildsForTest();
    expect(await until(async () => {
      const n = imageBuildsForTest();
      const quiet = await holds(() => imageBuildsForTest() === n, 250);
      builds = n;
      return quiet;
    }, 3000)).toBe(true);

    const web = 'web.apps.svc.cluster.local.';
    await sameAsLive(web, 'A', 'NXDOMAIN');
    api.upsert('services', service('apps', 'web', { clusterIP: '10.96.1.1', ports: [{ name: 'http', port: 80 }] }));
    await sameAsLive(web, 'A', `NOERROR | ${web} 5 A 10.96.1.1`);
    await sameAsLive('1.1.96.10.in-addr.arpa.', 'PTR', `NOERROR | 1.1.96.10.in-addr.arpa. 5 PTR ${web}`);
    api.upsert('services', service('apps', 'web', { clusterIP: '10.96.1.2', ports: [{ name: 'http', port: 80 }] }));
    await sameAsLive(web, 'A', `NOERROR | ${web} 5 A 10.96.1.2`);
    await sameAsLive('1.1.96.10.in-addr.arpa.', 'PTR', 'NXDOMAIN');   // the old IP is no one's now
    await sameAsLive('2.1.96.10.in-addr.arpa.', 'PTR', `NOERROR | 2.1.96.10.in-addr.arpa. 5 PTR ${web}`);

    // A headless Service's endpoints, changed: A records, an endpoint name, and the endpoint's PTR.
    const db = 'db.apps.svc.cluster.local.';
    api.upsert('services', service('apps', 'db', { clusterIP: 'None', selector: { app: 'db' } }));
    api.upsert('endpointslices', endpointSlice('apps', 'db-1', 'db', { endpoints: [{ ip: '10.1.0.1', hostname: 'db-0' }, { ip: '10.1.0.2', hostname: 'db-1' }] }));
    await sameAsLive(db, 'A', `NOERROR | ${db} 5 A 10.1.0.1 | ${db} 5 A 10.1.0.2`);
    api.upsert('endpointslices', endpointSlice('apps', 'db-1', 'db', { endpoints: [{ ip: '10.1.0.1', hostname: 'db-0' }, { ip: '10.1.0.3', hostname: 'db-1' }] }));
    await sameAsLive(db, 'A', `NOERROR | ${db} 5 A 10.1.0.1 | ${db} 5 A 10.1.0.3`);
    await sameAsLive(`db-1.${db}`, 'A', `NOERROR | db-1.${db} 5 A 10.1.0.3`);
    await sameAsLive('3.0.1.10.in-addr.arpa.', 'PTR', `NOERROR | 3.0.1.10.in-addr.arpa. 5 PTR db-1.${db}`);
    await sameAsLive('2.0.1.10.in-addr.arpa.', 'PTR', 'NXDOMAIN');

    // A pod record (pods verified: answered only while a pod has that IP in that namespace).
    const podName = '10-1-0-5.apps.pod.cluster.local.';
    await sameAsLive(podName, 'A', 'NXDOMAIN');
    api.upsert('pods', pod('apps', 'worker-0', '10.1.0.5', { phase: 'Running' }));
    await sameAsLive(podName, 'A', `NOERROR | ${podName} 5 A 10.1.0.5`);

    // Deleted.
    api.remove('services', 'apps', 'web');
    await sameAsLive(web, 'A', 'NXDOMAIN');
    await sameAsLive('2.1.96.10.in-addr.arpa.', 'PTR', 'NXDOMAIN');
    expect(imageBuildsForTest()).toBe(builds);   // every answer above came from the overlay

    // The next image holds it all: the same answers, from the image alone.
    holdImagesForTest(false);
    expect(await until(() => imageBuildsForTest() > builds, BOUND_MS)).toBe(true);
    for (const [name, type, want] of [
      [web, 'A', 'NXDOMAIN'], [db, 'A', `NOERROR | ${db} 5 A 10.1.0.1 | ${db} 5 A 10.1.0.3`], [`db-1.${db}`, 'A', `NOERROR | db-1.${db} 5 A 10.1.0.3`],
      ['3.0.1.10.in-addr.arpa.', 'PTR', `NOERROR | 3.0.1.10.in-addr.arpa. 5 PTR db-1.${db}`], ['2.1.96.10.in-addr.arpa.', 'PTR', 'NXDOMAIN'],
      [podName, 'A', `NOERROR | ${podName} 5 A 10.1.0.5`],
    ] as const) {
      const live = await answer(single, name, type);
      expect(live.startsWith(want), `${name} ${type}: ${live}`).toBe(true);
      expect(await everyThread(name, type), `${name} ${type}`).toEqual([live]);
    }
  }, 30_000);
});
