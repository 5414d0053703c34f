/**
 * The ClusterRole (and the Role for -configmap) grant exactly what clusterdns asks the API server
 * for, no more and no less.
 * The server runs the shipped Corefile (deploy/kubernetes/components/corefile/configmap.yaml, pointed at the fake API
 * server of test/support with `endpoint`), and every request the fake server records is turned
 * into (apiGroup, resource, verb) as the API server's RBAC authorizer sees it. With `pods verified`
 * the same is checked against the ClusterRole as the components/pods-verified component renders it.
 * The Deployment's `-configmap` watch runs too (one edit of the ConfigMap that fails to load, so
 * that its Event is created), and is checked against role-corefile.yaml, resourceNames included.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { DEPLOY, corefileOf, find, kustomize, readDocs, requirePlugins, withOverlay } from './helpers.ts';
import { FakeApiServer, type SeenRequest } from '../support/fake-apiserver.ts';
import { freePort } from '../support/ports.ts';
import { Upstream } from '../support/upstream.ts';
import type { TestServer } from '../support/server.ts';
import { ConfigMapWatch } from '../../src/server/configmap.ts';
import { parseConfigMapRef } from '../../src/server/configmap-ref.ts';
import { makeLogger } from '../../src/server/log.ts';

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
/** Paths every authenticated client may read (system:discovery, system:public-info-viewer). */
const NON_RESOURCE = new Set(['/version', '/api', '/apis', '/api/v1', '/apis/discovery.k8s.io/v1']);

function grants(rules: Rule[]): Set<string> {
  const out = new Set<string>();
  for (const r of rules) for (const g of r.apiGroups) for (const res of r.resources) for (const v of r.verbs) out.add(`${g || 'core'}/${res}:${v}`);
  return out;
}

/** What RBAC checks for one request: apiGroup/resource:verb, or null for a non-resource URL. */
function asked(r: SeenRequest): string | null {
  if (NON_RESOURCE.has(r.path)) return null;
  const m = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)(?:\/namespaces\/[^/]+)?\/([^/]+)(\/[^/]+)?$/.exec(r.path);
  if (!m) throw new Error(`unexpected request path ${r.method} ${r.path}`);
  const WRITES: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
  const verb = r.method !== 'GET' ? WRITES[r.method] ?? r.method.toLowerCase() : r.watch ? 'watch' : m[3] ? 'get' : 'list';
  return `${m[1] ?? 'core'}/${m[2]}:${verb}`;
}

let api: FakeApiServer | undefined;
let upstream: Upstream | undefined;
let srv: TestServer | undefined;
let watch: ConfigMapWatch | undefined;
afterEach(async () => {
  await watch?.stop(); await srv?.stop(); await upstream?.close(); await api?.close();
  srv = undefined; upstream = undefined; api = undefined; watch = undefined;
});

/** The Deployment's `-configmap` value. */
function deployedConfigMapFlag(): string {
  const c = find(readDocs(join(DEPLOY, 'kubernetes/deployment.yaml')), 'Deployment').spec.template.spec.containers[0];
  const i = (c.args as string[]).indexOf('-configmap');
  expect(i).toBeGreaterThan(-1);
  return c.args[i + 1];
}

async function requestsFor(podsMode: 'insecure' | 'verified'): Promise<{ requests: SeenRequest[]; nonResource: string[] }> {
  requirePlugins(['kubernetes', 'forward', 'cache', 'health', 'ready', 'prometheus'], 'the ClusterRole test');
  const { startTestServer } = await import('../support/server.ts');
  api = await FakeApiServer.start();
  api.upsert('namespaces', { metadata: { name: 'default' } });
  api.upsert('services', { metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.96.0.20', type: 'ClusterIP', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
  upstream = await Upstream.start();
  const [health, ready, metrics] = [await freePort(), await freePort(), await freePort()];
  const text = corefileOf('kubernetes/components/corefile/configmap.yaml')
    .replace(/^\.:53 \{/m, '. {')
    .replace(/^(\s+)health \{/m, `$1health 127.0.0.1:${health} {`)
    .replace(/^(\s+)ready\s*$/m, `$1ready 127.0.0.1:${ready}`)
    .replace(/prometheus :9153/, `prometheus 127.0.0.1:${metrics}`)
    .replace(/forward \. \/etc\/resolv\.conf/, `forward . ${upstream.address}`)
    .replace(/lameduck 5s/, 'lameduck 0s') // no 5 s drain when the test stops the server
    .replace(/pods insecure/, `pods ${podsMode}\n           endpoint ${api.url}`);
  expect(text).toContain(`endpoint ${api.url}`);
  srv = await startTestServer(text);
  // The -configmap watch of the Deployment's args, on the same fake API (through a kubeconfig).
  const ref = parseConfigMapRef(deployedConfigMapFlag());
  api.upsert('configmaps', { metadata: { name: ref.name, namespace: ref.namespace }, data: { [ref.key]: text } });
  watch = new ConfigMapWatch({ ref, target: srv.server, log: makeLogger({ write: () => {} }), env: { KUBECONFIG: api.writeKubeconfig(srv.dir) } });
  watch.start();
  // Ready once the kubernetes plugin has listed everything it needs (CoreDNS's ready contract).
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${ready}/ready`).catch(() => null);
    if (res?.status === 200) break;
    if (Date.now() > deadline) throw new Error(`clusterdns never became ready; API requests: ${api.requests.map((r) => r.path).join(' ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 300)); // let the watches that follow the lists open
  // An edit that does not load: the server records an Event on the ConfigMap.
  const from = api.requests.length;
  await fetch(`${api.url}/api/v1/namespaces/${ref.namespace}/configmaps/${ref.name}`, {
    method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ data: { [ref.key]: `${text}\nnot-a-server-block {\n` } }),
  });
  // That PATCH is the test's (kubectl's), not the server's: take it out of what the server asked.
  const mine = api.requests.findIndex((r, i) => i >= from && r.method === 'PATCH');
  expect(mine).toBeGreaterThanOrEqual(from);
  api.requests.splice(mine, 1);
  const until = Date.now() + 10_000;
  while (!api.requests.some((r) => r.method === 'POST') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  const nonResource = api.requests.filter((r) => NON_RESOURCE.has(r.path)).map((r) => r.path);
  return { requests: api.requests.filter((r) => !NON_RESOURCE.has(r.path)), nonResource };
}

describe('ClusterRole = what the server requests', () => {
  it('with the shipped Corefile (pods insecure) and -configmap: list+watch of namespaces, services, endpointslices; the ConfigMap; create events', async () => {
    const role = find(readDocs(join(DEPLOY, 'kubernetes/clusterrole.yaml')), 'ClusterRole');
    const corefileRole = find(readDocs(join(DEPLOY, 'kubernetes/role-corefile.yaml')), 'Role');
    const { requests } = await requestsFor('insecure');
    const used = new Set(requests.map(asked).filter((x): x is string => x !== null));
    expect([...used].sort()).toEqual([...grants([...role.rules, ...corefileRole.rules])].sort());
    expect(used.has('core/events:create')).toBe(true);
    // Writes are the Event only; everything else reads.
    expect(requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/v1/namespaces/kube-system/events']);
    // The Role is namespaced: every ConfigMap and Event request is in its namespace, and every
    // ConfigMap request names the one ConfigMap, as resourceNames requires of a list or watch.
    const ns = corefileRole.metadata.namespace;
    const names = corefileRole.rules.find((r: Rule) => r.resources.includes('configmaps')).resourceNames;
    const cmRequests = requests.filter((r) => /\/(configmaps|events)/.test(r.path));
    expect(cmRequests.length).toBeGreaterThan(1);
    for (const r of cmRequests) expect(r.path).toMatch(new RegExp(`^/api/v1/namespaces/${ns}/(configmaps|events)$`));
    for (const r of cmRequests.filter((x) => x.path.endsWith('/configmaps'))) {
      expect(names).toEqual([r.query.fieldSelector?.replace(/^metadata\.name=/, '')]);
    }
    const binding = find(readDocs(join(DEPLOY, 'kubernetes/role-corefile.yaml')), 'RoleBinding');
    expect(binding.roleRef).toMatchObject({ kind: 'Role', name: corefileRole.metadata.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'coredns', namespace: ns }]);
  }, 30_000);

  it('with pods verified: the pods-verified component adds exactly what is then requested', async () => {
    const objs = withOverlay({ resources: ['kubernetes'], components: ['kubernetes/components/pods-verified'] }, kustomize);
    const role = find(objs, 'ClusterRole');
    const { requests } = await requestsFor('verified');
    const used = new Set(requests.map(asked).filter((x): x is string => x !== null));
    expect(used.has('core/pods:list') && used.has('core/pods:watch')).toBe(true);
    expect([...used].sort()).toEqual([...grants([...role.rules, ...find(objs, 'Role').rules])].sort());
  }, 30_000);

  it('the request→permission mapping is the authorizer\'s (and can tell a get from a list)', () => {
    const r = (path: string, watch = false): SeenRequest => ({ method: 'GET', path, query: {}, watch, status: 200 });
    expect(asked(r('/api/v1/services'))).toBe('core/services:list');
    expect(asked(r('/api/v1/namespaces/x/pods', true))).toBe('core/pods:watch');
    expect(asked(r('/apis/discovery.k8s.io/v1/endpointslices', true))).toBe('discovery.k8s.io/endpointslices:watch');
    expect(asked(r('/api/v1/namespaces/default'))).toBe('core/namespaces:get');
    expect(asked(r('/version'))).toBeNull();
    expect(asked({ ...r('/api/v1/namespaces/kube-system/events'), method: 'POST' })).toBe('core/events:create');
    expect(asked({ ...r('/api/v1/namespaces/kube-system/configmaps/coredns'), method: 'PATCH' })).toBe('core/configmaps:patch');
  });
});
