/**
 * The API server as the plugin's source: one Reflector each for Services, EndpointSlices
 * (unless `noendpoints`), Namespaces, and Pods (only with `pods verified`), feeding compact records.
 * Selectors go to the API server: `labels` on services, slices and pods, `namespace_labels` on
 * namespaces, CoreDNS's phase field selector on pods; a single `namespaces` entry uses the
 * namespaced paths, several are filtered here as objects arrive.
 */
import { HttpMethod, RequestContext, ServerConfiguration, createConfiguration, type KubeConfig } from './client-lib.ts';
import type { Logger } from '../../plugin/contract.ts';
import type { Feed } from './feed.ts';
import { Reflector, type ListFn, type ReflectorHandlers } from './reflector.ts';
import { restClientMetrics } from './rest-metrics.ts';
import {
  Kind, keyOf, toNamespace, toPod, toService, toSlice,
  type ApiEndpointSlice, type ApiNamespace, type ApiPod, type ApiService, type Rec,
} from './records.ts';
import type { KubernetesOptions } from './setup.ts';

export const POD_FIELD_SELECTOR = 'status.phase!=Succeeded,status.phase!=Failed,status.phase!=Unknown';

interface Meta { metadata?: { name?: string; namespace?: string } }

export class ApiSource {
  private readonly reflectors: Reflector[] = [];

  constructor(o: KubernetesOptions, kc: KubeConfig, feed: Feed, log: Logger) {
    const list = rawLister(kc);
    const metrics = restClientMetrics(kc.getCurrentCluster()?.server ?? '');
    const only = o.namespaces.size === 1 ? [...o.namespaces][0]! : undefined;
    const keep = (ns: string | undefined) => o.namespaces.size === 0 || o.namespaces.has(ns ?? '');
    const labels = o.labels?.text;

    /** Handlers that convert API objects with `convert` (null: not indexed) and feed them. */
    const handlers = (k: Kind, convert: (obj: unknown) => Rec | null, namespaced: boolean): ReflectorHandlers => {
      const key = (obj: unknown) => {
        const m = (obj as Meta).metadata ?? {};
        return namespaced ? `${m.namespace ?? ''}/${m.name ?? ''}` : m.name ?? '';
      };
      const upsert = (obj: unknown) => {
        if (namespaced && !keep((obj as Meta).metadata?.namespace)) return;
        const r = convert(obj);
        if (r) feed.upsert(k, r);
        else feed.remove(k, serviceKeyFix(k, key(obj)));
      };
      let recs: Rec[] = [];
      return {
        begin: () => { recs = []; },
        page: (items) => {
          for (const it of items) {
            if (namespaced && !keep((it as Meta).metadata?.namespace)) continue;
            const r = convert(it);
            if (r) recs.push(r);
          }
        },
        replace: () => { feed.replace(k, recs); recs = []; },
        added: upsert,
        modified: upsert,
        deleted: (obj) => {
          const r = convert(obj);
          feed.remove(k, r ? keyOf(k, r) : serviceKeyFix(k, key(obj)));
        },
      };
    };

    const add = (kind: string, path: string, list: ListFn, h: ReflectorHandlers, labelSelector?: string, fieldSelector?: string) => {
      this.reflectors.push(new Reflector({ kind, path, list, labelSelector, fieldSelector, kc, log, handlers: h, metrics }));
    };

    const at = (group: string, resource: string) => (only ? `${group}/namespaces/${only}/${resource}` : `${group}/${resource}`);
    const services = at('/api/v1', 'services');
    add('*v1.Service', services, list(services), handlers(Kind.Service, (x) => toService(x as ApiService), true), labels);
    if (!o.noEndpoints) {
      const slices = at('/apis/discovery.k8s.io/v1', 'endpointslices');
      add('*v1.EndpointSlice', slices, list(slices),
        handlers(Kind.Slice, (x) => toSlice(x as ApiEndpointSlice, o.endpointPodNames), true), labels);
    }
    add('*v1.Namespace', '/api/v1/namespaces', list('/api/v1/namespaces'),
      handlers(Kind.Namespace, (x) => toNamespace(x as ApiNamespace), false), o.namespaceLabels?.text);
    if (o.podMode === 'verified') {
      const pods = at('/api/v1', 'pods');
      add('*v1.Pod', pods, list(pods), handlers(Kind.Pod, (x) => toPod(x as ApiPod), true), labels, POD_FIELD_SELECTOR);
    }
  }

  start(): void { for (const r of this.reflectors) r.start(); }
  async stop(): Promise<void> { await Promise.all(this.reflectors.map((r) => r.stop())); }
  stats(): { lists: number; watches: number; errors: number; gone: number } {
    const s = { lists: 0, watches: 0, errors: 0, gone: 0 };
    for (const r of this.reflectors) { s.lists += r.stats.lists; s.watches += r.stats.watches; s.errors += r.stats.errors; s.gone += r.stats.gone; }
    return s;
  }
}

/**
 * List calls through the client library's own HTTP stack and authentication (the path its
 * generated CoreV1Api/DiscoveryV1Api use), reading the JSON body as plain objects: the generated
 * clients turn every nested field into a class instance, which at 100,000 endpoints costs
 * seconds and a large heap peak for objects we reduce to a few strings anyway.
 */
export function rawLister(kc: KubeConfig): (path: string) => ListFn {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubernetes: no current cluster in the client configuration');
  const http = createConfiguration({ baseServer: new ServerConfiguration(cluster.server, {}), authMethods: { default: kc } }).httpApi;
  return (path) => async (p) => {
    const url = new URL(cluster.server.replace(/\/+$/, '') + path);
    url.searchParams.set('limit', String(p.limit));
    if (p._continue) url.searchParams.set('continue', p._continue);
    if (p.labelSelector) url.searchParams.set('labelSelector', p.labelSelector);
    if (p.fieldSelector) url.searchParams.set('fieldSelector', p.fieldSelector);
    const ctx = new RequestContext(url.toString(), HttpMethod.GET);
    ctx.setHeaderParam('Accept', 'application/json');
    await kc.applySecurityAuthentication(ctx);
    const res = await http.send(ctx).toPromise();
    const text = await res.body.text();
    if (res.httpStatusCode !== 200) {
      let msg = text.slice(0, 200);
      try { msg = (JSON.parse(text) as { message?: string }).message ?? msg; } catch { /* not JSON */ }
      throw Object.assign(new Error(`${msg} (HTTP ${res.httpStatusCode})`), { code: res.httpStatusCode });
    }
    const body = JSON.parse(text) as { items?: unknown[]; metadata?: { resourceVersion?: string; continue?: string } };
    return { items: body.items ?? [], metadata: { resourceVersion: body.metadata?.resourceVersion, _continue: body.metadata?.continue } };
  };
}

/** Services are keyed "name.namespace"; turn an object's "namespace/name" into that. */
function serviceKeyFix(k: Kind, key: string): string {
  if (k !== Kind.Service) return key;
  const i = key.indexOf('/');
  return `${key.slice(i + 1)}.${key.slice(0, i)}`;
}
