/**
 * The API server as the plugin's source: one Reflector each for Services, EndpointSlices
 * (unless `noendpoints`), Namespaces, and Pods (only with `pods verified`), feeding compact records.
 * Selectors go to the API server: `labels` on services, slices and pods, `namespace_labels` on
 * namespaces, CoreDNS's phase field selector on pods; a single `namespaces` entry uses the
 * namespaced paths, several are filtered here as objects arrive.
 */
import { CoreV1Api, DiscoveryV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../../plugin/contract.ts';
import type { Feed } from './feed.ts';
import { Reflector, type ListFn, type ListPage, type ReflectorHandlers } from './reflector.ts';
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
    const core = kc.makeApiClient(CoreV1Api);
    const discovery = kc.makeApiClient(DiscoveryV1Api);
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
      return {
        replace: (items) => {
          const recs: Rec[] = [];
          for (const it of items) {
            if (namespaced && !keep((it as Meta).metadata?.namespace)) continue;
            const r = convert(it);
            if (r) recs.push(r);
          }
          feed.replace(k, recs);
        },
        added: upsert,
        modified: upsert,
        deleted: (obj) => {
          const r = convert(obj);
          feed.remove(k, r ? keyOf(k, r) : serviceKeyFix(k, key(obj)));
        },
      };
    };

    const add = (kind: string, path: string, list: ListFn, h: ReflectorHandlers, labelSelector?: string, fieldSelector?: string) => {
      this.reflectors.push(new Reflector({ kind, path, list, labelSelector, fieldSelector, kc, log, handlers: h }));
    };

    add('*v1.Service', only ? `/api/v1/namespaces/${only}/services` : '/api/v1/services',
      (p) => (only ? core.listNamespacedService({ namespace: only, ...p }) : core.listServiceForAllNamespaces(p)) as Promise<ListPage>,
      handlers(Kind.Service, (x) => toService(x as ApiService), true), labels);
    if (!o.noEndpoints) {
      add('*v1.EndpointSlice', only ? `/apis/discovery.k8s.io/v1/namespaces/${only}/endpointslices` : '/apis/discovery.k8s.io/v1/endpointslices',
        (p) => (only ? discovery.listNamespacedEndpointSlice({ namespace: only, ...p }) : discovery.listEndpointSliceForAllNamespaces(p)) as Promise<ListPage>,
        handlers(Kind.Slice, (x) => toSlice(x as ApiEndpointSlice, o.endpointPodNames), true), labels);
    }
    add('*v1.Namespace', '/api/v1/namespaces',
      (p) => core.listNamespace(p) as Promise<ListPage>,
      handlers(Kind.Namespace, (x) => toNamespace(x as ApiNamespace), false), o.namespaceLabels?.text);
    if (o.podMode === 'verified') {
      add('*v1.Pod', only ? `/api/v1/namespaces/${only}/pods` : '/api/v1/pods',
        (p) => (only ? core.listNamespacedPod({ namespace: only, ...p }) : core.listPodForAllNamespaces(p)) as Promise<ListPage>,
        handlers(Kind.Pod, (x) => toPod(x as ApiPod), true), labels, POD_FIELD_SELECTOR);
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

/** Services are keyed "name.namespace"; turn an object's "namespace/name" into that. */
function serviceKeyFix(k: Kind, key: string): string {
  if (k !== Kind.Service) return key;
  const i = key.indexOf('/');
  return `${key.slice(i + 1)}.${key.slice(0, i)}`;
}
