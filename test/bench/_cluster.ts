/**
 * The cluster the footprint benchmark runs against: a fake API server holding N Services in 100
 * namespaces, each with one EndpointSlice of 10 endpoints; every 5th Service is headless. Also
 * kubeadm's Corefile, pointed at it and at a local upstream. (The leading underscore keeps
 * `npm run bench` from running this helper as a benchmark.)
 */
import { FakeApiServer, endpointSlice, namespace, service } from '../support/fake-apiserver.ts';

export const NAMESPACES = 100;
export const PER_SLICE = 10;
export const nsOf = (i: number) => `ns${i % NAMESPACES}`;
export const isHeadless = (i: number) => i % 5 === 0;
const ip = (base: number, i: number) => `${base}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
export const clusterIp = (i: number) => ip(10, i);
export const endpointIp = (i: number, e: number) => ip(11, i * PER_SLICE + e);

export async function fakeCluster(services: number): Promise<FakeApiServer> {
  const api = await FakeApiServer.start();
  for (let n = 0; n < NAMESPACES; n++) api.upsert('namespaces', namespace(`ns${n}`));
  for (let i = 0; i < services; i++) {
    api.upsert('services', service(nsOf(i), `svc${i}`, {
      clusterIP: isHeadless(i) ? 'None' : clusterIp(i), ports: [{ name: 'http', port: 80 }], selector: { app: `svc${i}` },
    }));
    api.upsert('endpointslices', endpointSlice(nsOf(i), `svc${i}-abcde`, `svc${i}`, {
      endpoints: Array.from({ length: PER_SLICE }, (_, e) => ({ ip: endpointIp(i, e), pod: `svc${i}-pod-${e}` })),
      ports: [{ name: 'http', port: 8080 }],
    }));
  }
  return api;
}

/** kubeadm's default Corefile (deploy/kubernetes/configmap.yaml) with local ports and upstream. */
export function kubeadmCorefile(o: { port: number; kubeconfig: string; upstream: string; health: number; ready: number; metrics: number }): string {
  return `.:${o.port} {
    bind 127.0.0.1
    errors
    health 127.0.0.1:${o.health} {
       lameduck 5s
    }
    ready 127.0.0.1:${o.ready}
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       kubeconfig ${o.kubeconfig}
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus 127.0.0.1:${o.metrics}
    forward . ${o.upstream} {
       max_concurrent 1000
    }
    cache 30 {
       disable success cluster.local
       disable denial cluster.local
    }
    loop
    reload
    loadbalance
}
`;
}

export const EXTERNAL = 200;                                  // distinct external names in the mix
export const ext = (i: number) => `host${i}.example.com`;

// ---- the pod query mix --------------------------------------------------------------------------
/** The pod query mix of footprint.ts (see there), as dnsperf lines. */
export function podMix(SERVICES: number): string[] {
  const lines: string[] = [];
  const both = (name: string) => { lines.push(`${name} A`, `${name} AAAA`); };
  for (let k = 0; k < 2000; k++) {
    const p = (k * 7) % NAMESPACES;                                   // the asking pod's namespace
    const search = [`ns${p}.svc.cluster.local`, 'svc.cluster.local', 'cluster.local'];
    const r = k % 10;
    if (r < 3) {                                                      // svc, in the pod's namespace
      const i = ((k * 7919) % Math.floor(SERVICES / NAMESPACES)) * NAMESPACES + p;
      both(`svc${i}.${search[0]}`);
    } else if (r < 6) {                                               // svc.other-ns
      const i = (k * 104729) % SERVICES;
      both(`svc${i}.${nsOf(i)}.${search[0]}`);                        // NXDOMAIN
      both(`svc${i}.${nsOf(i)}.svc.cluster.local`);
    } else {                                                          // an external name
      const name = ext(k % EXTERNAL);
      for (const s of search) both(`${name}.${s}`);                   // 3 × NXDOMAIN
      both(name);
    }
  }
  return lines;
}


/** unbound's local data for the same answers as the cluster: a static cluster.local zone, and the external names. */
export function referenceData(services: number): { localZones: string[]; localData: string[] } {
  const localData: string[] = [];
  for (let i = 0; i < services; i++) {
    const name = `svc${i}.${nsOf(i)}.svc.cluster.local.`;
    if (isHeadless(i)) for (let e = 0; e < PER_SLICE; e++) localData.push(`${name} 30 IN A ${endpointIp(i, e)}`);
    else localData.push(`${name} 30 IN A ${clusterIp(i)}`);
  }
  for (let i = 0; i < EXTERNAL; i++) localData.push(`${ext(i)}. 300 IN A 192.0.2.${1 + (i % 250)}`);
  return { localZones: ['"cluster.local." static', '"example.com." static'], localData };
}
