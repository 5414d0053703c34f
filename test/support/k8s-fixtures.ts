/**
 * Cluster fixtures and DNS answer formatting for the kubernetes plugin tests.
 *
 * `coreDnsCluster` is the data of CoreDNS's plugin/kubernetes/handler_test.go (svc1, svcempty,
 * svc6, hdls1, hdlsprtls, external, external-to-service, svc-dual-stack, kubedns, ...) as real
 * API objects: headless endpoints split into an IPv4 and an IPv6 EndpointSlice, as the
 * EndpointSlice controller would write them, plus a few not-ready endpoints that must not show.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { endpointSlice, FakeApiServer, namespace, pod, service, type KubeObject, type Resource } from './fake-apiserver.ts';
import type { Dns2Packet } from './dns-client.ts';

export function coreDnsCluster(): [Resource, KubeObject][] {
  const http = [{ name: 'http', port: 80, protocol: 'TCP' }];
  return [
    ['namespaces', namespace('testns')],
    ['namespaces', namespace('kube-system')],
    ['namespaces', namespace('unexposedns')],
    ['namespaces', namespace('podns')],
    ['namespaces', namespace('default')],
    ['services', service('kube-system', 'kubedns', { clusterIP: '10.0.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }], selector: { k8s: 'dns' } })],
    ['endpointslices', endpointSlice('kube-system', 'kubedns-a', 'kubedns', { endpoints: [{ ip: '172.0.0.100' }], ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] })],
    ['services', service('testns', 'svc1', { clusterIP: '10.0.0.1', ports: http, selector: { app: 'svc1' } })],
    ['endpointslices', endpointSlice('testns', 'svc1-slice1', 'svc1', {
      endpoints: [{ ip: '172.0.0.1', hostname: 'ep1a' }, { ip: '172.0.0.99', ready: false }], ports: http,
    })],
    ['services', service('testns', 'svcempty', { clusterIP: '10.0.0.1', ports: http, selector: { app: 'none' } })],
    ['endpointslices', endpointSlice('testns', 'svcempty-slice1', 'svcempty', { endpoints: [], ports: http })],
    ['services', service('testns', 'svc6', { clusterIP: '1234:abcd::1', ports: http })],
    ['services', service('testns', 'hdls1', { clusterIP: 'None', selector: { app: 'hdls1' } })],
    ['endpointslices', endpointSlice('testns', 'hdls1-v4', 'hdls1', {
      endpoints: [
        { ip: '172.0.0.2' }, { ip: '172.0.0.3' },
        { ip: '172.0.0.4', hostname: 'dup-name' }, { ip: '172.0.0.5', hostname: 'dup-name' },
        { ip: '172.0.0.6', ready: false, terminating: true, serving: true },
      ],
      ports: http,
    })],
    ['endpointslices', endpointSlice('testns', 'hdls1-v6', 'hdls1', {
      endpoints: [{ ip: '5678:abcd::1' }, { ip: '5678:abcd::2', ready: null }], ports: http,
    })],
    ['services', service('testns', 'hdlsprtls', { clusterIP: 'None' })],
    ['endpointslices', endpointSlice('testns', 'hdlsprtls-slice1', 'hdlsprtls', { endpoints: [{ ip: '172.0.0.20' }] })],
    ['services', service('testns', 'external', { externalName: 'ext.interwebs.test', ports: http })],
    ['services', service('testns', 'external-to-service', { externalName: 'svc1.testns.svc.cluster.local.', ports: http })],
    ['services', service('unexposedns', 'svc1', { clusterIP: '10.0.0.2', ports: http })],
    ['services', service('testns', 'svc-dual-stack', { clusterIPs: ['10.0.0.3', '10::3'], ports: http })],
    ['pods', pod('podns', 'foo', '10.240.0.1')],
    ['pods', pod('podns', 'done', '10.240.0.2', { phase: 'Succeeded' })],
    ['pods', pod('podns', 'going', '10.240.0.3', { deleting: true })],
    ['pods', pod('testns', 'bar', '10.240.0.4')],
  ];
}

export function load(api: FakeApiServer, objs: [Resource, KubeObject][]): void {
  for (const [r, o] of objs) api.upsert(r, o);
}

/** A fake API server with what most tests start from: namespaces default and apps, and the `kubernetes` Service. */
export async function smallClusterApi(): Promise<FakeApiServer> {
  const api = await FakeApiServer.start();
  api.upsert('namespaces', namespace('default'));
  api.upsert('namespaces', namespace('apps'));
  api.upsert('services', service('default', 'kubernetes', { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443 }] }));
  return api;
}

export function tempDir(prefix = 'k8s-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

function canonical6(a: string): string {
  return new URL(`http://[${a}]`).hostname.slice(1, -1);
}

function dot(n: string): string { return n.endsWith('.') ? n : n + '.'; }

/** A record as a comparable line: "name. TTL TYPE data" (SOA without its serial). */
export function rrText(r: Record<string, any>): string {
  const head = `${dot(r.name)} ${r.ttl}`;
  switch (r.type) {
    case 1: return `${head} A ${r.address}`;
    case 28: return `${head} AAAA ${canonical6(r.address)}`;
    case 5: return `${head} CNAME ${dot(r.domain)}`;
    case 12: return `${head} PTR ${dot(r.domain)}`;
    case 2: return `${head} NS ${dot(r.ns)}`;
    case 16: return `${head} TXT ${(r.data as string[]).map((s) => JSON.stringify(s)).join(' ')}`;
    case 33: return `${head} SRV ${r.priority} ${r.weight} ${r.port} ${dot(r.target)}`;
    case 6: return `${head} SOA ${dot(r.primary)} ${dot(r.admin)} ${r.refresh} ${r.retry} ${r.expiration} ${r.minimum}`;
    default: return `${head} TYPE${r.type}`;
  }
}

export const RCODE: Record<number, string> = { 0: 'NOERROR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 5: 'REFUSED' };

/** The parts of an answer a test compares: rcode, aa, and each section as sorted lines. */
export function summary(p: Dns2Packet): { rcode: string; aa: boolean; answer: string[]; ns: string[]; extra: string[] } {
  return {
    rcode: RCODE[p.header.rcode] ?? String(p.header.rcode),
    aa: p.header.aa === 1,
    answer: p.answers.map(rrText).sort(),
    ns: p.authorities.map(rrText).sort(),
    extra: p.additionals.filter((r) => r.type !== 41).map(rrText).sort(),
  };
}

/** The SOA line of a zone as the plugin writes it with the default TTL 5. */
export function soaLine(zone = 'cluster.local.', ttl = 5): string {
  return `${zone} ${Math.min(ttl, 300)} SOA ns.dns.${zone} hostmaster.${zone} 7200 1800 86400 ${ttl}`;
}
