/**
 * The compact records the kubernetes plugin keeps of API objects, and their conversion from
 * Services, EndpointSlices, Namespaces and Pods (as CoreDNS's plugin/kubernetes/object does).
 *
 * Records keep only what DNS answers need, are plain objects (with worker threads, the control
 * side writes them into the shared cluster image, cluster-image.ts), and carry `rv` (the object's
 * resourceVersion, or a content hash for manifests) so unchanged objects are not applied again.
 * Conversion accepts both the client library's deserialized objects and raw watch JSON.
 */

export interface PortRec { name: string; protocol: string; port: number } // port -1: "no ports" sentinel

export interface ServiceRec {
  ns: string; name: string; rv: string;
  type: string;                 // ClusterIP, NodePort, LoadBalancer, ExternalName
  clusterIPs: string[];         // spec.clusterIPs, or [spec.clusterIP]; ["None"] for headless
  externalName: string;
  ports: PortRec[];             // [{port: -1}] when the service declares none
  selector: boolean;            // has a pod selector (for the programming-duration metric kind)
  /** spec.externalIPs, then each status.loadBalancer.ingress ip (or hostname); absent when none (k8s_external). */
  external?: string[];
}

export interface AddressRec { ip: string; hostname: string; pod: string } // pod: targetRef name ("" if none)

export interface SliceRec {
  ns: string; name: string; rv: string;
  service: string;              // kubernetes.io/service-name label
  ports: PortRec[];             // [{port: -1}] when the slice has none
  addresses: AddressRec[];      // ready endpoints only (CoreDNS ignores not-ready ones)
  changed: number;              // endpoints.kubernetes.io/last-change-trigger-time in ms, 0 if absent
}

export interface PodRec { ns: string; name: string; rv: string; ip: string; running: boolean } // running: phase Running (autopath)
export interface NamespaceRec { name: string; rv: string }

export const Kind = { Service: 0, Slice: 1, Namespace: 2, Pod: 3 } as const;
export type Kind = (typeof Kind)[keyof typeof Kind];
export type Rec = ServiceRec | SliceRec | NamespaceRec | PodRec;

/** One change: `v` is the new record, or null for a deletion. */
export interface Delta { k: Kind; key: string; v: Rec | null }

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const LAST_CHANGE_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';

/** Lookup key of a service and of the endpoints that belong to it: "name.namespace" (CoreDNS's ServiceKey). */
export function serviceKey(name: string, ns: string): string { return `${name}.${ns}`; }
export function objectKey(ns: string, name: string): string { return `${ns}/${name}`; }

export function keyOf(k: Kind, r: Rec): string {
  if (k === Kind.Namespace) return (r as NamespaceRec).name;
  if (k === Kind.Service) return serviceKey((r as ServiceRec).name, (r as ServiceRec).ns);
  return objectKey((r as SliceRec | PodRec).ns, (r as SliceRec | PodRec).name);
}

// ---- loosely typed API shapes (deserialized class instances or raw JSON) ----------------------

interface Meta {
  name?: string; namespace?: string; resourceVersion?: string;
  labels?: Record<string, string>; annotations?: Record<string, string>;
  deletionTimestamp?: unknown;
}
interface ApiPort { name?: string | null; port?: number | null; protocol?: string | null }
export interface ApiService {
  metadata?: Meta;
  spec?: {
    type?: string; clusterIP?: string; clusterIPs?: string[]; externalName?: string;
    ports?: ApiPort[]; selector?: Record<string, string>; externalIPs?: string[] | null;
  };
  status?: { loadBalancer?: { ingress?: { ip?: string | null; hostname?: string | null }[] | null } | null };
}
export interface ApiEndpointSlice {
  metadata?: Meta;
  addressType?: string;
  endpoints?: {
    addresses?: string[]; conditions?: { ready?: boolean | null }; hostname?: string | null;
    targetRef?: { name?: string } | null;
  }[] | null;
  ports?: ApiPort[] | null;
}
export interface ApiPod { metadata?: Meta; status?: { podIP?: string; phase?: string } }
export interface ApiNamespace { metadata?: Meta }

function ports(list: ApiPort[] | null | undefined): PortRec[] {
  if (!list || list.length === 0) return [{ name: '', protocol: '', port: -1 }];
  return list.map((p) => ({
    name: p.name ?? '',
    protocol: p.protocol ?? '',
    port: typeof p.port === 'number' ? p.port : -1,
  }));
}

export function toService(o: ApiService): ServiceRec {
  const m = o.metadata ?? {}, s = o.spec ?? {};
  const ips = s.clusterIPs && s.clusterIPs.length > 0 ? [...s.clusterIPs] : [s.clusterIP ?? ''];
  return {
    ns: m.namespace ?? '', name: m.name ?? '', rv: m.resourceVersion ?? '',
    type: s.type ?? 'ClusterIP',
    clusterIPs: ips,
    externalName: s.externalName ?? '',
    ports: ports(s.ports),
    selector: !!s.selector && Object.keys(s.selector).length > 0,
    ...externalOf(o),
  };
}

/** The addresses k8s_external serves for a service (CoreDNS's object.Service ExternalIPs). */
function externalOf(o: ApiService): { external?: string[] } {
  const out = [...(o.spec?.externalIPs ?? [])];
  for (const i of o.status?.loadBalancer?.ingress ?? []) {
    if (i.ip) out.push(i.ip);
    else if (i.hostname) out.push(i.hostname);
  }
  return out.length > 0 ? { external: out } : {};
}

function isIP(s: string): boolean {
  // Cheap shape check: the API validates addresses; this only keeps FQDN-type slices out.
  return /^[0-9.]+$/.test(s) || s.includes(':');
}

/**
 * An EndpointSlice as CoreDNS reads it: endpoints whose `ready` condition is true or unset
 * (unknown counts as ready, per the API docs), pod names longer than a DNS label dropped.
 * `keepPod` is false unless `endpoint_pod_names` needs the pod name, to save memory.
 */
export function toSlice(o: ApiEndpointSlice, keepPod: boolean): SliceRec {
  const m = o.metadata ?? {};
  const addresses: AddressRec[] = [];
  for (const e of o.endpoints ?? []) {
    const ready = e.conditions?.ready;
    if (ready === false) continue;
    const hostname = e.hostname ?? '';
    const podName = keepPod ? e.targetRef?.name ?? '' : '';
    const pod = podName.length < 64 ? podName : '';
    for (const ip of e.addresses ?? []) {
      if (isIP(ip)) addresses.push({ ip, hostname, pod });
    }
  }
  const raw = m.annotations?.[LAST_CHANGE_ANNOTATION];
  const t = raw ? Date.parse(raw) : NaN;
  return {
    ns: m.namespace ?? '', name: m.name ?? '', rv: m.resourceVersion ?? '',
    service: m.labels?.[SERVICE_NAME_LABEL] ?? '',
    ports: ports(o.ports),
    addresses,
    changed: Number.isFinite(t) ? t : 0,
  };
}

const GONE_PHASES = new Set(['Succeeded', 'Failed', 'Unknown']);

/**
 * A pod, or null when CoreDNS would not index it: being deleted, or in a finished phase (CoreDNS
 * lists pods with `status.phase!=Succeeded,status.phase!=Failed,status.phase!=Unknown`).
 */
export function toPod(o: ApiPod): PodRec | null {
  const m = o.metadata ?? {};
  if (m.deletionTimestamp || GONE_PHASES.has(o.status?.phase ?? '')) return null;
  return {
    ns: m.namespace ?? '', name: m.name ?? '', rv: m.resourceVersion ?? '', ip: o.status?.podIP ?? '',
    running: o.status?.phase === 'Running',
  };
}

export function toNamespace(o: ApiNamespace): NamespaceRec {
  const m = o.metadata ?? {};
  return { name: m.name ?? '', rv: m.resourceVersion ?? '' };
}

export function isHeadless(s: ServiceRec): boolean { return s.clusterIPs[0] === 'None'; }

/** The name an endpoint answers to under its service (CoreDNS's endpointHostname). */
export function endpointHostname(a: AddressRec, podNames: boolean): string {
  if (a.hostname !== '') return a.hostname;
  if (podNames && a.pod !== '') return a.pod;
  if (a.ip.includes('.')) return a.ip.replaceAll('.', '-');
  if (a.ip.includes(':')) return a.ip.replaceAll(':', '-');
  return '';
}
