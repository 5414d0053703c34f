// The kubernetes plugin's lifecycle against the contract: setup parses and builds, opens nothing;
// start() (once the server listens) opens the API connection and waits for the first sync;
// close() ends the watches. Driven through the definition with a real kubeconfig and the fake API.
import { afterEach, describe, expect, it } from 'vitest';
import { definition } from '../../../src/plugins/kubernetes/index.ts';
import { FakeApiServer, namespace, service } from '../../support/fake-apiserver.ts';
import { tempDir } from '../../support/k8s-fixtures.ts';
import { setupContext } from '../../support/setup-context.ts';
import { eventually, holds } from '../../support/wait.ts';
import { directive } from '../forward/helpers.ts';

const cleanup: (() => unknown)[] = [];
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });

describe('kubernetes lifecycle', () => {
  it('setup opens no API connection; start() lists and watches; close() ends the watches', async () => {
    const api = await FakeApiServer.start();
    cleanup.push(() => api.close());
    api.upsert('namespaces', namespace('default'));
    api.upsert('services', service('default', 'kubernetes', { clusterIP: '10.96.0.1' }));
    const kubeconfig = api.writeKubeconfig(tempDir());
    const ctx = setupContext(['cluster.local.']);
    const p = await definition.setup(directive(`kubernetes cluster.local {\n  kubeconfig ${kubeconfig}\n}`), ctx);
    cleanup.push(() => p.close?.());
    // a source started at setup sends its first list within milliseconds
    expect(await holds(() => api.requests.length === 0, 300)).toBe(true);
    expect(p.ready?.()).toBe(false);
    await p.start?.();
    expect(p.ready?.()).toBe(true);
    expect(api.requests.some((r) => r.path === '/api/v1/services' && !r.watch)).toBe(true);
    await api.waitForWatches(3);
    await p.close?.();
    await eventually(() => api.openWatches(), (n) => n === 0, 3000, 'watches closed');
  });

  it('under -validate nothing connects, even when started', async () => {
    const api = await FakeApiServer.start();
    cleanup.push(() => api.close());
    const kubeconfig = api.writeKubeconfig(tempDir());
    const notChecked: string[] = [];
    const ctx = setupContext(['cluster.local.'], 'single', { mode: 'validate', notChecked: (w) => notChecked.push(w) });
    const p = await definition.setup(directive(`kubernetes cluster.local {\n  kubeconfig ${kubeconfig}\n  startup_timeout 1s\n}`), ctx);
    cleanup.push(() => p.close?.());
    await p.start?.();
    expect(await holds(() => api.requests.length === 0, 200)).toBe(true);
    expect(notChecked).toEqual([expect.stringMatching(/not checked \(offline validation\)/)]);
  });
});
