/**
 * CoreDNS's plugin/kubernetes/reverse_test.go (TestReverse) ported: its own cluster (svc1 with a
 * cluster IP in 192.168.0.0/16, endpoints in 10.0.0.0/16 and two IPv6 /64s, an address that two
 * slices of one Service repeat, an address that two Services share) served from a fake API
 * server through @kubernetes/client-node, the reverse zones as kubernetes zones, real UDP queries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeApiServer, endpointSlice, namespace, service } from '../../support/fake-apiserver.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { query } from '../../support/dns-client.ts';
import { soaLine, summary, tempDir } from '../../support/k8s-fixtures.ts';

const V6A = '0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa.';
const V6B = '0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.7.7.0.0.0.0.d.f.ip6.arpa.';
const ZONES = ['cluster.local.', '0.10.in-addr.arpa.', '168.192.in-addr.arpa.', V6A, V6B];
const Q6A = '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa.';
const Q6B = 'a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.7.7.0.0.0.0.d.f.ip6.arpa.';
const Q6C = '6.a.b.9.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.7.7.0.0.0.0.d.f.ip6.arpa.';
const PTR = (q: string, target: string) => `${q} 5 PTR ${target}`;
const SVC1 = 'svc1.testns.svc.cluster.local.';

interface Case { q: string; t: string; rcode: string; answer?: string[]; ns?: string[] }
const cases: Case[] = [
  { q: '100.0.0.10.in-addr.arpa.', t: 'PTR', rcode: 'NOERROR', answer: [PTR('100.0.0.10.in-addr.arpa.', `ep1a.${SVC1}`)] },
  { q: '100.1.168.192.in-addr.arpa.', t: 'PTR', rcode: 'NOERROR', answer: [PTR('100.1.168.192.in-addr.arpa.', SVC1)] },
  { q: Q6A, t: 'PTR', rcode: 'NOERROR', answer: [PTR(Q6A, `ep1b.${SVC1}`)] },
  { q: Q6B, t: 'PTR', rcode: 'NOERROR', answer: [PTR(Q6B, `ip6svc1ex.${SVC1}`)] },
  { q: Q6C, t: 'PTR', rcode: 'NOERROR', answer: [PTR(Q6C, `ip6svc1in.${SVC1}`)] },
  { q: '101.0.0.10.in-addr.arpa.', t: 'PTR', rcode: 'NXDOMAIN', ns: [soaLine('0.10.in-addr.arpa.')] },
  { q: 'example.org.cluster.local.', t: 'PTR', rcode: 'NXDOMAIN', ns: [soaLine()] },
  { q: SVC1, t: 'PTR', rcode: 'NOERROR', ns: [soaLine()] },
  { q: 'svc1.testns.svc.0.10.in-addr.arpa.', t: 'A', rcode: 'NXDOMAIN', ns: [soaLine('0.10.in-addr.arpa.')] },
  { q: '100.0.0.10.cluster.local.', t: 'PTR', rcode: 'NXDOMAIN', ns: [soaLine()] },
  { q: '99.0.0.10.in-addr.arpa.', t: 'PTR', rcode: 'NOERROR',
    answer: [PTR('99.0.0.10.in-addr.arpa.', `double-ep.${SVC1}`), PTR('99.0.0.10.in-addr.arpa.', 'double-ep.svc2.testns.svc.cluster.local.')] },
];

let api: FakeApiServer;
let srv: TestServer;

beforeAll(async () => {
  api = await FakeApiServer.start();
  const http = [{ name: 'http', port: 80, protocol: 'TCP' }];
  api.upsert('namespaces', namespace('testns'));
  api.upsert('services', service('testns', 'svc1', { clusterIP: '192.168.1.100', ports: http }));
  api.upsert('endpointslices', endpointSlice('testns', 'svc1-slice1', 'svc1', {
    endpoints: [{ ip: '10.0.0.100', hostname: 'ep1a' }, { ip: '10.0.0.99', hostname: 'double-ep' }], ports: http,
  }));
  api.upsert('endpointslices', endpointSlice('testns', 'svc1-slice2', 'svc1', {
    addressType: 'IPv6', ports: http,
    endpoints: [{ ip: '1234:abcd::1', hostname: 'ep1b' }, { ip: 'fd00:77:30::a', hostname: 'ip6svc1ex' }, { ip: 'fd00:77:30::2:9ba6', hostname: 'ip6svc1in' }],
  }));
  api.upsert('endpointslices', endpointSlice('testns', 'svc1-ccccc', 'svc1', { endpoints: [{ ip: '10.0.0.100', hostname: 'ep1a' }], ports: http }));
  api.upsert('endpointslices', endpointSlice('testns', 'svc2-slice1', 'svc2', { endpoints: [{ ip: '10.0.0.99', hostname: 'double-ep' }], ports: http }));
  const kubeconfig = api.writeKubeconfig(tempDir());
  srv = await startTestServer(`${ZONES.join(' ')} {\n    kubernetes ${ZONES.join(' ')} {\n        kubeconfig ${kubeconfig}\n    }\n}\n`);
});

afterAll(async () => {
  await srv?.stop();
  await api?.close();
});

describe("kubernetes: CoreDNS's reverse_test.go cases", () => {
  it('answers every case', async () => {
    const failures: string[] = [];
    for (const c of cases) {
      const got = summary(await query(srv.port, c.q, c.t));
      const want = { rcode: c.rcode, aa: true, answer: [...(c.answer ?? [])].sort(), ns: c.ns ?? [], extra: [] };
      if (JSON.stringify(got) !== JSON.stringify(want)) failures.push(`${c.q} ${c.t}:\n  want ${JSON.stringify(want)}\n  got  ${JSON.stringify(got)}`);
    }
    expect(failures.join('\n')).toBe('');
  });
});
