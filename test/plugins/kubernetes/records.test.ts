/**
 * CoreDNS's plugin/kubernetes handler tests (handler_test.go, handler_pod_*_test.go,
 * reverse_test.go, ns_test.go, kubernetes_apex_test.go, and the TXT and ExternalName rules of
 * kubernetes.go's Services/findServices) ported as a data table, run over real UDP and TCP against a real
 * server whose kubernetes plugin reads a fake API server through @kubernetes/client-node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeApiServer } from '../../support/fake-apiserver.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { query, resolver } from '../../support/dns-client.ts';
import { Upstream } from '../../support/upstream.ts';
import { coreDnsCluster, load, soaLine, summary, tempDir } from '../../support/k8s-fixtures.ts';

interface Case { q: string; t: string; rcode: string; answer?: string[]; ns?: string[]; extra?: string[] }

const SOA = soaLine();
const A = (n: string, ip: string, ttl = 5) => `${n} ${ttl} A ${ip}`;
const AAAA = (n: string, ip: string) => `${n} 5 AAAA ${ip}`;
const SRV = (n: string, w: number, port: number, target: string) => `${n} 5 SRV 0 ${w} ${port} ${target}`;

const H = 'hdls1.testns.svc.cluster.local.';
const cases: Case[] = [
  // A, SRV of ClusterIP services
  { q: 'svc1.testns.svc.cluster.local.', t: 'A', rcode: 'NOERROR', answer: [A('svc1.testns.svc.cluster.local.', '10.0.0.1')] },
  { q: 'svcempty.testns.svc.cluster.local.', t: 'A', rcode: 'NOERROR', answer: [A('svcempty.testns.svc.cluster.local.', '10.0.0.1')] },
  { q: 'svc1.testns.svc.cluster.local.', t: 'SRV', rcode: 'NOERROR',
    answer: [SRV('svc1.testns.svc.cluster.local.', 100, 80, 'svc1.testns.svc.cluster.local.')],
    extra: [A('svc1.testns.svc.cluster.local.', '10.0.0.1')] },
  { q: 'svc6.testns.svc.cluster.local.', t: 'SRV', rcode: 'NOERROR',
    answer: [SRV('svc6.testns.svc.cluster.local.', 100, 80, 'svc6.testns.svc.cluster.local.')],
    extra: [AAAA('svc6.testns.svc.cluster.local.', '1234:abcd::1')] },
  { q: '_http._tcp.svc1.testns.svc.cluster.local.', t: 'SRV', rcode: 'NOERROR',
    answer: [SRV('_http._tcp.svc1.testns.svc.cluster.local.', 100, 80, 'svc1.testns.svc.cluster.local.')],
    extra: [A('svc1.testns.svc.cluster.local.', '10.0.0.1')] },
  { q: '_http._tcp.svcempty.testns.svc.cluster.local.', t: 'SRV', rcode: 'NOERROR',
    answer: [SRV('_http._tcp.svcempty.testns.svc.cluster.local.', 100, 80, 'svcempty.testns.svc.cluster.local.')],
    extra: [A('svcempty.testns.svc.cluster.local.', '10.0.0.1')] },
  { q: '_https._tcp.svc1.testns.svc.cluster.local.', t: 'SRV', rcode: 'NXDOMAIN', ns: [SOA] },
  { q: '_http._not-udp-or-tcp.svc1.testns.svc.cluster.local.', t: 'SRV', rcode: 'NXDOMAIN', ns: [SOA] },
  // headless: every ready endpoint, across both slices; not-ready ones never
  { q: H, t: 'A', rcode: 'NOERROR', answer: ['172.0.0.2', '172.0.0.3', '172.0.0.4', '172.0.0.5'].map((ip) => A(H, ip)) },
  { q: H, t: 'AAAA', rcode: 'NOERROR', answer: [AAAA(H, '5678:abcd::1'), AAAA(H, '5678:abcd::2')] },
  { q: 'hdlsprtls.testns.svc.cluster.local.', t: 'A', rcode: 'NOERROR', answer: [A('hdlsprtls.testns.svc.cluster.local.', '172.0.0.20')] },
  { q: '172-0-0-20.hdlsprtls.testns.svc.cluster.local.', t: 'A', rcode: 'NOERROR', answer: [A('172-0-0-20.hdlsprtls.testns.svc.cluster.local.', '172.0.0.20')] },
  { q: 'hdlsprtls.testns.svc.cluster.local.', t: 'SRV', rcode: 'NOERROR', ns: [SOA] },
  { q: `172-0-0-2.${H}`, t: 'A', rcode: 'NOERROR', answer: [A(`172-0-0-2.${H}`, '172.0.0.2')] },
  { q: `172-0-0-3.${H}`, t: 'A', rcode: 'NOERROR', answer: [A(`172-0-0-3.${H}`, '172.0.0.3')] },
  { q: `dup-name.${H}`, t: 'A', rcode: 'NOERROR', answer: [A(`dup-name.${H}`, '172.0.0.4'), A(`dup-name.${H}`, '172.0.0.5')] },
  { q: `172-0-0-6.${H}`, t: 'A', rcode: 'NXDOMAIN', ns: [SOA] },
  { q: `5678-abcd--2.${H}`, t: 'AAAA', rcode: 'NOERROR', answer: [AAAA(`5678-abcd--2.${H}`, '5678:abcd::2')] },
  { q: `5678-abcd--1.${H}`, t: 'AAAA', rcode: 'NOERROR', answer: [AAAA(`5678-abcd--1.${H}`, '5678:abcd::1')] },
  { q: `_http._tcp.${H}`, t: 'SRV', rcode: 'NOERROR',
    answer: ['172-0-0-2', '172-0-0-3', '5678-abcd--1', '5678-abcd--2', 'dup-name'].map((e) => SRV(`_http._tcp.${H}`, 16, 80, `${e}.${H}`)),
    extra: [A(`172-0-0-2.${H}`, '172.0.0.2'), A(`172-0-0-3.${H}`, '172.0.0.3'), AAAA(`5678-abcd--1.${H}`, '5678:abcd::1'),
      AAAA(`5678-abcd--2.${H}`, '5678:abcd::2'), A(`dup-name.${H}`, '172.0.0.4'), A(`dup-name.${H}`, '172.0.0.5')] },
  { q: `bogusendpoint.${H}`, t: 'A', rcode: 'NXDOMAIN', ns: [SOA] },
  { q: 'bogusendpoint.svc0.testns.svc.cluster.local.', t: 'A', rcode: 'NXDOMAIN', ns: [SOA] },
  // an endpoint name under a ClusterIP service
  { q: 'ep1a.svc1.testns.svc.cluster.local.', t: 'A', rcode: 'NOERROR', answer: [A('ep1a.svc1.testns.svc.cluster.local.', '172.0.0.1')] },
  // ExternalName: CNAME, followed in-zone and through the chain (forward) out of zone
  { q: 'external.testns.svc.cluster.local.', t: 'CNAME', rcode: 'NOERROR', answer: ['external.testns.svc.cluster.local. 5 CNAME ext.interwebs.test.'] },
  { q: 'external.testns.svc.cluster.local.', t: 'A', rcode: 'NOERROR',
    answer: ['external.testns.svc.cluster.local. 5 CNAME ext.interwebs.test.', A('ext.interwebs.test.', '1.2.3.4', 60)] },
  { q: 'external-to-service.testns.svc.cluster.local.', t: 'A', rcode: 'NOERROR',
    answer: ['external-to-service.testns.svc.cluster.local. 5 CNAME svc1.testns.svc.cluster.local.', A('svc1.testns.svc.cluster.local.', '10.0.0.1')] },
  { q: 'external.testns.svc.cluster.local.', t: 'SRV', rcode: 'NOERROR', ns: [SOA] },
  { q: 'ep.external.testns.svc.cluster.local.', t: 'A', rcode: 'NXDOMAIN', ns: [SOA] },
  // no _port._protocol names under an ExternalName service (CoreDNS's findServices skips it)
  { q: 'a.b.external.testns.svc.cluster.local.', t: 'CNAME', rcode: 'NXDOMAIN', ns: [SOA] },
  { q: '_http._tcp.external.testns.svc.cluster.local.', t: 'SRV', rcode: 'NXDOMAIN', ns: [SOA] },
  { q: '_http._tcp.external.testns.svc.cluster.local.', t: 'A', rcode: 'NXDOMAIN', ns: [SOA] },
  // NODATA vs NXDOMAIN
  { q: 'svc1.testns.svc.cluster.local.', t: 'AAAA', rcode: 'NOERROR', ns: [SOA] },
  { q: 'svc0.testns.svc.cluster.local.', t: 'AAAA', rcode: 'NXDOMAIN', ns: [SOA] },
  { q: 'svc0.testns.svc.cluster.local.', t: 'A', rcode: 'NXDOMAIN', ns: [SOA] },
  { q: 'svc0.svc-nons.svc.cluster.local.', t: 'A', rcode: 'NXDOMAIN', ns: [SOA] },
  { q: 'svc1.unexposedns.svc.cluster.local.', t: 'A', rcode: 'NXDOMAIN', ns: [SOA] },
  { q: 'svc6.testns.svc.cluster.local.', t: 'AAAA', rcode: 'NOERROR', answer: [AAAA('svc6.testns.svc.cluster.local.', '1234:abcd::1')] },
  { q: '_http._tcp.svc6.testns.svc.cluster.local.', t: 'SRV', rcode: 'NOERROR',
    answer: [SRV('_http._tcp.svc6.testns.svc.cluster.local.', 100, 80, 'svc6.testns.svc.cluster.local.')],
    extra: [AAAA('svc6.testns.svc.cluster.local.', '1234:abcd::1')] },
  { q: 'svc.cluster.local.', t: 'A', rcode: 'NOERROR', ns: [SOA] },
  { q: 'pod.cluster.local.', t: 'A', rcode: 'NOERROR', ns: [SOA] },
  { q: 'testns.svc.cluster.local.', t: 'A', rcode: 'NOERROR', ns: [SOA] },
  { q: 'svc.cluster.local.', t: 'NS', rcode: 'NOERROR', ns: [SOA] },
  { q: 'testns.svc.cluster.local.', t: 'NS', rcode: 'NOERROR', ns: [SOA] },
  { q: 'foo.cluster.local.', t: 'NS', rcode: 'NXDOMAIN', ns: [SOA] },
  { q: 'foo.svc.cluster.local.', t: 'NS', rcode: 'NXDOMAIN', ns: [SOA] },
  { q: 'a.b.c.d.e.svc.cluster.local.', t: 'A', rcode: 'NXDOMAIN', ns: [SOA] },
  // TXT: only dns-version has one; a name with other records is NODATA, any other name NXDOMAIN
  { q: 'svc1.testns.svc.cluster.local.', t: 'TXT', rcode: 'NOERROR', ns: [SOA] },
  { q: 'hdls1.testns.svc.cluster.local.', t: 'TXT', rcode: 'NOERROR', ns: [SOA] },
  { q: 'external.testns.svc.cluster.local.', t: 'TXT', rcode: 'NOERROR', ns: [SOA] },
  { q: 'svc0.testns.svc.cluster.local.', t: 'TXT', rcode: 'NXDOMAIN', ns: [SOA] },
  { q: 'svc1.svc-nons.svc.cluster.local.', t: 'TXT', rcode: 'NXDOMAIN', ns: [SOA] },
  { q: 'svc1.unexposedns.svc.cluster.local.', t: 'TXT', rcode: 'NXDOMAIN', ns: [SOA] },
  { q: 'svc1.nsnoexist.svc.verified.local.', t: 'TXT', rcode: 'NXDOMAIN', ns: [soaLine('verified.local.')] },
  { q: 'svc1.unexposedns.svc.verified.local.', t: 'TXT', rcode: 'NOERROR', ns: [soaLine('verified.local.')] },
  // CoreDNS asks Records() for the name, which has no records for the apex or the svc/namespace levels
  { q: 'cluster.local.', t: 'TXT', rcode: 'NXDOMAIN', ns: [SOA] },
  { q: 'testns.svc.cluster.local.', t: 'TXT', rcode: 'NXDOMAIN', ns: [SOA] },
  { q: 'svc1.testns.svc.cluster.local.', t: 'MX', rcode: 'NOERROR', ns: [SOA] },
  { q: 'svc0.testns.svc.cluster.local.', t: 'MX', rcode: 'NXDOMAIN', ns: [SOA] },
  { q: 'svc1.testns.svc.cluster.local.', t: 'CNAME', rcode: 'NOERROR', ns: [SOA] },
  { q: 'svc1.testns.svc.cluster.local.', t: 'HINFO', rcode: 'NOERROR', ns: [SOA] },
  { q: 'svc0.testns.svc.cluster.local.', t: 'HINFO', rcode: 'NXDOMAIN', ns: [SOA] },
  // wildcards are plain labels, as in CoreDNS since 1.9
  { q: '*.testns.svc.cluster.local.', t: 'A', rcode: 'NXDOMAIN', ns: [SOA] },
  { q: 'svc1.*.svc.cluster.local.', t: 'A', rcode: 'NXDOMAIN', ns: [SOA] },
  // dual stack
  { q: 'svc-dual-stack.testns.svc.cluster.local.', t: 'A', rcode: 'NOERROR', answer: [A('svc-dual-stack.testns.svc.cluster.local.', '10.0.0.3')] },
  { q: 'svc-dual-stack.testns.svc.cluster.local.', t: 'AAAA', rcode: 'NOERROR', answer: [AAAA('svc-dual-stack.testns.svc.cluster.local.', '10::3')] },
  { q: 'svc-dual-stack.testns.svc.cluster.local.', t: 'SRV', rcode: 'NOERROR',
    answer: [SRV('svc-dual-stack.testns.svc.cluster.local.', 50, 80, 'svc-dual-stack.testns.svc.cluster.local.')],
    extra: [A('svc-dual-stack.testns.svc.cluster.local.', '10.0.0.3'), AAAA('svc-dual-stack.testns.svc.cluster.local.', '10::3')] },
  // apex, schema version
  { q: 'cluster.local.', t: 'SOA', rcode: 'NOERROR', answer: [SOA] },
  { q: 'svc1.testns.svc.cluster.local.', t: 'SOA', rcode: 'NOERROR', ns: [SOA] },
  { q: 'cluster.local.', t: 'A', rcode: 'NOERROR', ns: [SOA] },
  { q: 'cluster.local.', t: 'HINFO', rcode: 'NOERROR', ns: [SOA] },   // kubernetes_apex_test.go
  { q: 'dns-version.cluster.local.', t: 'TXT', rcode: 'NOERROR', answer: ['dns-version.cluster.local. 28800 TXT "1.1.0"'] },
  { q: 'dns-version.cluster.local.', t: 'A', rcode: 'NXDOMAIN', ns: [SOA] },
  // pods: disabled here (the default)
  { q: '10-240-0-1.podns.pod.cluster.local.', t: 'A', rcode: 'NXDOMAIN', ns: [SOA] },
  // PTR (reverse_test.go): cluster IPs, then endpoints; unknown addresses NXDOMAIN in the reverse zone
  { q: '1.0.0.10.in-addr.arpa.', t: 'PTR', rcode: 'NOERROR', answer: ['1.0.0.10.in-addr.arpa. 5 PTR svc1.testns.svc.cluster.local.'] },
  { q: '3.0.0.10.in-addr.arpa.', t: 'PTR', rcode: 'NOERROR', answer: ['3.0.0.10.in-addr.arpa. 5 PTR svc-dual-stack.testns.svc.cluster.local.'] },
  { q: '2.0.0.172.in-addr.arpa.', t: 'PTR', rcode: 'NOERROR', answer: [`2.0.0.172.in-addr.arpa. 5 PTR 172-0-0-2.${H}`] },
  { q: '4.0.0.172.in-addr.arpa.', t: 'PTR', rcode: 'NOERROR', answer: [`4.0.0.172.in-addr.arpa. 5 PTR dup-name.${H}`] },
  { q: '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.8.7.6.5.ip6.arpa.', t: 'PTR', rcode: 'NOERROR',
    answer: [`1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.8.7.6.5.ip6.arpa. 5 PTR 5678-abcd--1.${H}`] },
  { q: '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa.', t: 'PTR', rcode: 'NOERROR',
    answer: ['1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa. 5 PTR svc6.testns.svc.cluster.local.'] },
  { q: '2.0.0.10.in-addr.arpa.', t: 'PTR', rcode: 'NXDOMAIN', ns: [soaLine('in-addr.arpa.')] },   // svc1.unexposedns
  { q: '99.0.0.10.in-addr.arpa.', t: 'PTR', rcode: 'NXDOMAIN', ns: [soaLine('in-addr.arpa.')] },
  { q: '0.10.in-addr.arpa.', t: 'PTR', rcode: 'NXDOMAIN', ns: [soaLine('in-addr.arpa.')] },
  // pods insecure / verified (handler_pod_*_test.go), in their own zones
  { q: '10-240-0-1.podns.pod.insecure.local.', t: 'A', rcode: 'NOERROR', answer: [A('10-240-0-1.podns.pod.insecure.local.', '10.240.0.1')] },
  { q: '172-0-0-2.podns.pod.insecure.local.', t: 'A', rcode: 'NOERROR', answer: [A('172-0-0-2.podns.pod.insecure.local.', '172.0.0.2')] },
  { q: '1234-5678-abcd--1.podns.pod.insecure.local.', t: 'AAAA', rcode: 'NOERROR',
    answer: ['1234-5678-abcd--1.podns.pod.insecure.local. 5 AAAA 1234:5678:abcd::1'] },
  { q: '172-0-0-2.podns.pod.insecure.local.', t: 'AAAA', rcode: 'NOERROR', ns: [soaLine('insecure.local.')] },
  { q: 'podns.pod.insecure.local.', t: 'A', rcode: 'NOERROR', ns: [soaLine('insecure.local.')] },
  { q: '10-240-0-1.pod-nons.pod.insecure.local.', t: 'A', rcode: 'NXDOMAIN', ns: [soaLine('insecure.local.')] },
  { q: 'not-an-ip.podns.pod.insecure.local.', t: 'A', rcode: 'NXDOMAIN', ns: [soaLine('insecure.local.')] },
  { q: 'blah.podns.pod.insecure.local.', t: 'AAAA', rcode: 'NXDOMAIN', ns: [soaLine('insecure.local.')] },
  { q: 'blah.podns.pod.insecure.local.', t: 'HINFO', rcode: 'NXDOMAIN', ns: [soaLine('insecure.local.')] },
  { q: 'blah.pod-nons.pod.insecure.local.', t: 'A', rcode: 'NXDOMAIN', ns: [soaLine('insecure.local.')] },
  { q: '10-240-0-1.podns.pod.verified.local.', t: 'A', rcode: 'NOERROR', answer: [A('10-240-0-1.podns.pod.verified.local.', '10.240.0.1')] },
  { q: '10-240-0-4.podns.pod.verified.local.', t: 'A', rcode: 'NXDOMAIN', ns: [soaLine('verified.local.')] },   // bar is in testns
  { q: '10-240-0-4.testns.pod.verified.local.', t: 'A', rcode: 'NOERROR', answer: [A('10-240-0-4.testns.pod.verified.local.', '10.240.0.4')] },
  { q: '10-240-0-2.podns.pod.verified.local.', t: 'A', rcode: 'NXDOMAIN', ns: [soaLine('verified.local.')] },   // Succeeded
  { q: '10-240-0-3.podns.pod.verified.local.', t: 'A', rcode: 'NXDOMAIN', ns: [soaLine('verified.local.')] },   // terminating
  { q: '172-0-0-2.podns.pod.verified.local.', t: 'A', rcode: 'NXDOMAIN', ns: [soaLine('verified.local.')] },
  { q: 'podns.pod.verified.local.', t: 'A', rcode: 'NOERROR', ns: [soaLine('verified.local.')] },
  { q: 'testns.svc.verified.local.', t: 'A', rcode: 'NOERROR', ns: [soaLine('verified.local.')] },
  { q: 'pod-nons.pod.verified.local.', t: 'A', rcode: 'NXDOMAIN', ns: [soaLine('verified.local.')] },
  // all namespaces exposed in this zone: kube-system shows
  { q: 'kubedns.kube-system.svc.verified.local.', t: 'A', rcode: 'NOERROR', answer: [A('kubedns.kube-system.svc.verified.local.', '10.0.0.10')] },
  { q: 'svc1.unexposedns.svc.verified.local.', t: 'A', rcode: 'NOERROR', answer: [A('svc1.unexposedns.svc.verified.local.', '10.0.0.2')] },
  { q: 'svc1.nsnoexist.svc.verified.local.', t: 'A', rcode: 'NXDOMAIN', ns: [soaLine('verified.local.')] },
];

let api: FakeApiServer;
let up: Upstream;
let srv: TestServer;

beforeAll(async () => {
  api = await FakeApiServer.start();
  load(api, coreDnsCluster());
  const kubeconfig = api.writeKubeconfig(tempDir());
  up = await Upstream.start();
  up.add({ name: 'ext.interwebs.test.', type: 'A', ttl: 60, data: '1.2.3.4' });
  srv = await startTestServer(`
cluster.local in-addr.arpa ip6.arpa {
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig ${kubeconfig}
        namespaces testns
    }
    forward . ${up.address}
}
insecure.local {
    kubernetes {
        kubeconfig ${kubeconfig}
        pods insecure
    }
}
verified.local {
    kubernetes {
        kubeconfig ${kubeconfig} fake
        pods verified
    }
}
`);
});

afterAll(async () => {
  await srv?.stop();
  await up?.close();
  await api?.close();
});

describe('kubernetes: CoreDNS handler cases', () => {
  for (const protocol of ['udp', 'tcp'] as const) {
    it(`answers every case over ${protocol}`, async () => {
      const failures: string[] = [];
      for (const c of cases) {
        const got = summary(await query(srv.port, c.q, c.t, { protocol }));
        const want = { rcode: c.rcode, aa: true, answer: [...(c.answer ?? [])].sort(), ns: [...(c.ns ?? [])].sort(), extra: [...(c.extra ?? [])].sort() };
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          failures.push(`${c.q} ${c.t}:\n  want ${JSON.stringify(want)}\n  got  ${JSON.stringify(got)}`);
        }
      }
      expect(failures.join('\n')).toBe('');
    });
  }

  it('keeps the case of the question in owner names (0x20)', async () => {
    const got = summary(await query(srv.port, 'SvC1.TestNS.svc.Cluster.Local.', 'A'));
    expect(got.answer).toEqual(['SvC1.TestNS.svc.Cluster.Local. 5 A 10.0.0.1']);
    const neg = summary(await query(srv.port, 'nope.TestNS.svc.Cluster.Local.', 'A'));
    expect(neg.ns[0]).toMatch(/^Cluster\.Local\. 5 SOA ns\.dns\.Cluster\.Local\. hostmaster\.Cluster\.Local\./);
    // handler_case_test.go: SRV targets are built on the zone as asked, the rest from the index
    const srvAns = summary(await query(srv.port, '_HtTp._TcP.sVc1.TeStNs.SvC.cLuStEr.LoCaL.', 'SRV'));
    expect(srvAns.answer).toEqual(['_HtTp._TcP.sVc1.TeStNs.SvC.cLuStEr.LoCaL. 5 SRV 0 100 80 svc1.testns.svc.cLuStEr.LoCaL.']);
    expect(srvAns.extra).toEqual(['svc1.testns.svc.cLuStEr.LoCaL. 5 A 10.0.0.1']);
    expect(summary(await query(srv.port, 'Cluster.local.', 'SOA')).answer).toEqual([soaLine('Cluster.local.')]);
  });

  it('answers the NS records at the apex with addresses of this server', async () => {
    const got = await query(srv.port, 'cluster.local.', 'NS');
    expect(got.header.rcode).toBe(0);
    expect(got.answers.length).toBeGreaterThan(0);
    for (const r of got.answers) expect(r.ns).toBe('ns.dns.cluster.local');
    expect(got.additionals.filter((r) => r.type === 1 || r.type === 28).length).toBeGreaterThan(0);
    const a = await query(srv.port, 'ns.dns.cluster.local.', 'A');
    expect(a.header.rcode).toBe(0);
  });

  it('refuses zone transfers', async () => {
    const got = await query(srv.port, 'cluster.local.', 'AXFR', { protocol: 'tcp' });
    expect(got.header.rcode).toBe(5);
  });

  it('is resolvable by a real stub resolver (c-ares)', async () => {
    const r = resolver(srv.port);
    expect(await r.resolve4('svc1.testns.svc.cluster.local')).toEqual(['10.0.0.1']);
    expect((await r.resolve4(H.slice(0, -1))).sort()).toEqual(['172.0.0.2', '172.0.0.3', '172.0.0.4', '172.0.0.5']);
    expect(await r.resolveSrv('_http._tcp.svc1.testns.svc.cluster.local')).toMatchObject([{ name: 'svc1.testns.svc.cluster.local', port: 80, priority: 0, weight: 100 }]);
    expect(await r.reverse('10.0.0.1')).toEqual(['svc1.testns.svc.cluster.local']);
    await expect(r.resolve4('svc0.testns.svc.cluster.local')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});
