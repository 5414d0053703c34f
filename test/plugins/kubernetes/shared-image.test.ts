/**
 * The kubernetes plugin with worker threads: the control thread runs the watches and builds the
 * cluster image; every answering thread reads that one image in shared memory.
 * - a Service added, changed and deleted in the API (and a headless Service's endpoints) is
 *   answered alike by every thread within a bounded time;
 * - one copy: the image carries a count of the threads reading it, kept in the shared memory
 *   itself (Atomics) and reported by the control thread — it reaches the number of answering
 *   threads only if they read the very buffer the control thread built (a copy per thread would
 *   leave the control thread's count at 0);
 * - a worker that replaces a dead one answers from the current image at once;
 * - the DNS programming duration is observed when the overlay or image holding the change is published.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointSlice, service, type FakeApiServer } from '../../support/fake-apiserver.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { query } from '../../support/dns-client.ts';
import { smallClusterApi, tempDir } from '../../support/k8s-fixtures.ts';
import { registry } from '../../../src/metrics/registry.ts';
import { eventually, until } from '../../support/wait.ts';
import { freePort } from '../../support/ports.ts';
import { httpGet } from '../../server/helpers.ts';
import { imageBuildsForTest } from '../../../src/plugins/kubernetes/image-builder.ts';

let api: FakeApiServer;
let srv: TestServer;
let readyPort: number;
const WORKERS = 2;
const BOUND_MS = 3000;   // a change must be answered by every thread within this

async function a(name: string): Promise<string> {
  const p = await query(srv.port, name, 'A', { timeoutMs: 1000 });
  const rcode = ['NOERROR', '', 'SERVFAIL', 'NXDOMAIN'][p.header.rcode] ?? String(p.header.rcode);
  return [rcode, ...p.answers.map((r) => r.address as string).sort()].join(' ');
}

/** The distinct answers of 24 queries, each from a new source port (spread over the threads' sockets). */
async function everyThread(name: string): Promise<string[]> {
  return [...new Set(await Promise.all(Array.from({ length: 24 }, () => a(name).catch((e: Error) => e.message))))];
}

async function gauge(name: string): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return -1;
  return (await m.get()).values[0]?.value ?? -1;
}

async function programmed(): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === 'coredns_kubernetes_dns_programming_duration_seconds');
  const v = m?.values.find((x) => (x as { metricName?: string }).metricName?.endsWith('_count') && x.labels.service_kind === 'headless_with_selector');
  return v?.value ?? 0;
}

beforeAll(async () => {
  api = await smallClusterApi();
  const kubeconfig = api.writeKubeconfig(tempDir());
  readyPort = await freePort();
  srv = await startTestServer(`cluster.local {\n    ready 127.0.0.1:${readyPort}\n    kubernetes {\n        kubeconfig ${kubeconfig}\n    }\n}\n`, { workers: WORKERS });
});

afterAll(async () => {
  await srv?.stop();
  await api?.close();
});

describe('kubernetes with worker threads: one shared cluster image', () => {
  it('every thread answers a Service added, changed and deleted, within a bounded time', async () => {
    const same = (want: string) => (v: string[]) => v.length === 1 && v[0] === want;
    expect(await everyThread('kubernetes.default.svc.cluster.local.')).toEqual(['NOERROR 10.96.0.1']);
    expect(await everyThread('web.apps.svc.cluster.local.')).toEqual(['NXDOMAIN']);
    api.upsert('services', service('apps', 'web', { clusterIP: '10.96.1.1', ports: [{ name: 'http', port: 80 }] }));
    await eventually(() => everyThread('web.apps.svc.cluster.local.'), same('NOERROR 10.96.1.1'), BOUND_MS, 'web added, in every thread');
    api.upsert('services', service('apps', 'web', { clusterIP: '10.96.1.2', ports: [{ name: 'http', port: 80 }] }));
    await eventually(() => everyThread('web.apps.svc.cluster.local.'), same('NOERROR 10.96.1.2'), BOUND_MS, 'web changed, in every thread');
    api.remove('services', 'apps', 'web');
    await eventually(() => everyThread('web.apps.svc.cluster.local.'), same('NXDOMAIN'), BOUND_MS, 'web deleted, in every thread');

    // A headless Service and its endpoints; the programming duration is observed once published.
    const before = await programmed();
    api.upsert('services', service('apps', 'db', { clusterIP: 'None', selector: { app: 'db' } }));
    api.upsert('endpointslices', endpointSlice('apps', 'db-1', 'db', {
      endpoints: [{ ip: '10.1.0.1', hostname: 'db-0' }, { ip: '10.1.0.2', hostname: 'db-1' }], lastChange: new Date(Date.now() - 200).toISOString(),
    }));
    await eventually(() => everyThread('db.apps.svc.cluster.local.'), same('NOERROR 10.1.0.1 10.1.0.2'), BOUND_MS, 'db endpoints');
    expect(await everyThread('db-1.db.apps.svc.cluster.local.')).toEqual(['NOERROR 10.1.0.2']);
    expect(await until(async () => (await programmed()) > before, 2000)).toBe(true);
  });

  it('the answering threads read the very memory the control thread built (no copy per thread)', async () => {
    expect(await until(async () => (await gauge('clusterdns_kubernetes_image_readers')) === WORKERS, BOUND_MS)).toBe(true);
    expect(await gauge('clusterdns_kubernetes_image_bytes')).toBeGreaterThan(0);
    expect(await gauge('clusterdns_kubernetes_image_build_seconds')).toBeGreaterThan(0);
    // A new image moves the readers over; the old one is dropped by all of them.
    const builds = imageBuildsForTest();
    api.upsert('services', service('apps', 'moved', { clusterIP: '10.96.2.1' }));
    await eventually(() => everyThread('moved.apps.svc.cluster.local.'), (v) => v.length === 1 && v[0] === 'NOERROR 10.96.2.1', BOUND_MS, 'moved');
    expect(await until(() => imageBuildsForTest() > builds, BOUND_MS)).toBe(true);
    expect(await until(async () => (await gauge('clusterdns_kubernetes_image_readers')) === WORKERS, BOUND_MS)).toBe(true);
  });

  it('a worker that replaces a dead one answers from the current image', async () => {
    api.upsert('services', service('apps', 'before-crash', { clusterIP: '10.96.3.1' }));
    await eventually(() => everyThread('before-crash.apps.svc.cluster.local.'), (v) => v.length === 1 && v[0] === 'NOERROR 10.96.3.1', BOUND_MS, 'before-crash');
    const allListening = () => until(async () => (await httpGet(`http://127.0.0.1:${readyPort}/ready`).catch(() => ({ status: 0 }))).status === 200, 5000);
    const restarted = (n: number) => until(() => srv.logs.filter((l) => l.includes('worker exited with code 1; starting a new one')).length >= n, 5000);
    // Crash both original workers, one after the other: from then on only replacements answer.
    srv.server.crashWorkerForTest!();
    expect(await restarted(1), srv.logs.join('\n')).toBe(true);
    expect(await allListening()).toBe(true);
    srv.server.crashWorkerForTest!();
    expect(await restarted(2), srv.logs.join('\n')).toBe(true);
    expect(await allListening()).toBe(true);
    // No change since the crashes: the replacements got the image that was current when they started.
    expect(await everyThread('before-crash.apps.svc.cluster.local.')).toEqual(['NOERROR 10.96.3.1']);
    expect(await everyThread('kubernetes.default.svc.cluster.local.')).toEqual(['NOERROR 10.96.0.1']);
    // And they follow the next one; the dead threads never read it.
    api.upsert('services', service('apps', 'after-crash', { clusterIP: '10.96.3.2' }));
    await eventually(() => everyThread('after-crash.apps.svc.cluster.local.'), (v) => v.length === 1 && v[0] === 'NOERROR 10.96.3.2', BOUND_MS, 'after-crash');
    expect(await until(async () => (await gauge('clusterdns_kubernetes_image_readers')) === WORKERS, BOUND_MS)).toBe(true);
  }, 30_000);
});
