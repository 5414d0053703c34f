/**
 * k8s_external over real UDP/TCP against a real server whose kubernetes plugin reads the fake API
 * server through @kubernetes/client-node: CoreDNS's plugin/k8s_external external_test.go and
 * apex_test.go cases as a table (svc1, svc6, svc11, svc12 as API objects with spec.externalIPs and
 * load balancer ingress), plus headless, PTR, fallthrough, a load balancer hostname followed
 * through forward to a loopback upstream, and a change arriving over the watch — once in this
 * thread and once with two answering worker threads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeApiServer, endpointSlice, namespace, service, type KubeObject } from '../../support/fake-apiserver.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { query } from '../../support/dns-client.ts';
import { Upstream } from '../../support/upstream.ts';
import { RCODE, rrText, tempDir } from '../../support/k8s-fixtures.ts';
import { eventually } from '../../support/wait.ts';

const http = [{ name: 'http', port: 80, protocol: 'TCP' }];
function withExternal(o: KubeObject, externalIPs: string[], ingress: { ip?: string; hostname?: string }[] = []): KubeObject {
  const spec = o.spec as Record<string, unknown>;
  return { ...o, spec: { ...spec, externalIPs }, status: { loadBalancer: { ingress } } };
}

const SOA = 'example.com. 5 SOA ns1.dns.example.com. hostmaster.dns.example.com. 7200 1800 86400 5';
interface Case { q: string; t: string; rcode: string; answer?: string[]; ns?: string[]; extra?: string[] }
const cases: Case[] = [
  // external_test.go
  { q: 'svc1.testns.example.com.', t: 'A', rcode: 'NOERROR', answer: ['svc1.testns.example.com. 5 A 1.2.3.4'] },
  { q: 'svc1.testns.example.com.', t: 'SRV', rcode: 'NOERROR', answer: ['svc1.testns.example.com. 5 SRV 0 100 80 svc1.testns.example.com.'],
    extra: ['svc1.testns.example.com. 5 A 1.2.3.4'] },
  { q: '*._not-udp-or-tcp.svc1.testns.example.com.', t: 'SRV', rcode: 'NXDOMAIN', ns: [SOA] },
  { q: '_http._tcp.svc1.testns.example.com.', t: 'SRV', rcode: 'NOERROR',
    answer: ['_http._tcp.svc1.testns.example.com. 5 SRV 0 100 80 svc1.testns.example.com.'], extra: ['svc1.testns.example.com. 5 A 1.2.3.4'] },
  { q: 'svc1.testns.example.com.', t: 'AAAA', rcode: 'NOERROR', ns: [SOA] },
  { q: 'svc0.testns.example.com.', t: 'AAAA', rcode: 'NXDOMAIN', ns: [SOA] },
  { q: 'svc0.testns.example.com.', t: 'A', rcode: 'NXDOMAIN', ns: [SOA] },
  { q: 'svc0.svc-nons.example.com.', t: 'A', rcode: 'NXDOMAIN', ns: [SOA] },
  { q: 'svc6.testns.example.com.', t: 'AAAA', rcode: 'NOERROR', answer: ['svc6.testns.example.com. 5 AAAA 1:2::5'] },
  { q: '_http._tcp.svc6.testns.example.com.', t: 'SRV', rcode: 'NOERROR',
    answer: ['_http._tcp.svc6.testns.example.com. 5 SRV 0 100 80 svc6.testns.example.com.'], extra: ['svc6.testns.example.com. 5 AAAA 1:2::5'] },
  { q: 'svc6.testns.example.com.', t: 'SRV', rcode: 'NOERROR',
    answer: ['svc6.testns.example.com. 5 SRV 0 100 80 svc6.testns.example.com.'], extra: ['svc6.testns.example.com. 5 AAAA 1:2::5'] },
  { q: 'testns.example.com.', t: 'A', rcode: 'NOERROR', ns: [SOA] },
  { q: 'testns.example.com.', t: 'SOA', rcode: 'NOERROR', ns: [SOA] },
  { q: 'svc11.testns.example.com.', t: 'A', rcode: 'NOERROR', answer: ['svc11.testns.example.com. 5 A 1.2.3.4'] },
  // a load balancer hostname: CNAME, and the hostname's address through forward (CoreDNS: its upstream)
  { q: 'svc12.testns.example.com.', t: 'A', rcode: 'NOERROR',
    answer: ['svc12.testns.example.com. 5 CNAME lb.upstream.test.', 'lb.upstream.test. 60 A 192.0.2.12'] },
  { q: '_http._tcp.svc12.testns.example.com.', t: 'SRV', rcode: 'NOERROR',
    answer: ['_http._tcp.svc12.testns.example.com. 5 SRV 0 100 80 svc12.testns.example.com.'],
    extra: ['svc12.testns.example.com. 5 CNAME lb.upstream.test.', 'lb.upstream.test. 60 A 192.0.2.12'] },
  // two ports, one hostname: one CNAME; SRV one per port, the hostname's lookup once
  { q: 'svc13.testns.example.com.', t: 'A', rcode: 'NOERROR',
    answer: ['svc13.testns.example.com. 5 CNAME lb.upstream.test.', 'lb.upstream.test. 60 A 192.0.2.12'] },
  { q: 'svc13.testns.example.com.', t: 'SRV', rcode: 'NOERROR',
    answer: ['svc13.testns.example.com. 5 SRV 0 50 80 svc13.testns.example.com.', 'svc13.testns.example.com. 5 SRV 0 50 443 svc13.testns.example.com.'],
    extra: ['svc13.testns.example.com. 5 CNAME lb.upstream.test.', 'lb.upstream.test. 60 A 192.0.2.12'] },
  { q: 'svc1.testns.example.com.', t: 'TXT', rcode: 'NOERROR', ns: [SOA] },
  { q: 'a.b.svc1.testns.example.com.', t: 'A', rcode: 'NXDOMAIN', ns: [SOA] },
  // apex_test.go
  { q: 'example.com.', t: 'SOA', rcode: 'NOERROR', answer: [SOA] },
  { q: 'example.com.', t: 'NS', rcode: 'NOERROR', answer: ['example.com. 5 NS ns1.dns.example.com.'], extra: ['ns1.dns.example.com. 5 A 127.0.0.1'] },
  { q: 'example.com.', t: 'SRV', rcode: 'NOERROR', ns: [SOA] },
  { q: 'dns.example.com.', t: 'SRV', rcode: 'NOERROR', ns: [SOA] },
  { q: 'dns.example.com.', t: 'NS', rcode: 'NOERROR', ns: [SOA] },
  { q: 'ns1.dns.example.com.', t: 'SRV', rcode: 'NOERROR', ns: [SOA] },
  { q: 'ns1.dns.example.com.', t: 'NS', rcode: 'NOERROR', ns: [SOA] },
  { q: 'ns1.dns.example.com.', t: 'AAAA', rcode: 'NOERROR', ns: [SOA] },
  { q: 'ns1.dns.example.com.', t: 'A', rcode: 'NOERROR', answer: ['ns1.dns.example.com. 5 A 127.0.0.1'] },
  { q: 'ns2.dns.example.com.', t: 'A', rcode: 'NXDOMAIN', ns: [SOA] },
  { q: 'a.ns1.dns.example.com.', t: 'A', rcode: 'NXDOMAIN', ns: [SOA] },
  // headless (the option is on): a headless service without external IPs answers with its endpoints
  { q: 'hdls1.testns.example.com.', t: 'A', rcode: 'NOERROR',
    answer: ['hdls1.testns.example.com. 5 A 172.0.0.2', 'hdls1.testns.example.com. 5 A 172.0.0.3'] },
  { q: 'ep-a.hdls1.testns.example.com.', t: 'A', rcode: 'NOERROR', answer: ['ep-a.hdls1.testns.example.com. 5 A 172.0.0.2'] },
  { q: '_http._tcp.hdls1.testns.example.com.', t: 'SRV', rcode: 'NOERROR',
    answer: ['_http._tcp.hdls1.testns.example.com. 5 SRV 0 50 80 172-0-0-3.hdls1.testns.example.com.',
      '_http._tcp.hdls1.testns.example.com. 5 SRV 0 50 80 ep-a.hdls1.testns.example.com.'],
    extra: ['172-0-0-3.hdls1.testns.example.com. 5 A 172.0.0.3', 'ep-a.hdls1.testns.example.com. 5 A 172.0.0.2'] },
  { q: 'nope.hdls1.testns.example.com.', t: 'A', rcode: 'NXDOMAIN', ns: [SOA] },
  // PTR for external addresses, in the plugin's reverse zone
  { q: '4.3.2.1.in-addr.arpa.', t: 'PTR', rcode: 'NOERROR',
    answer: ['4.3.2.1.in-addr.arpa. 5 PTR svc1.testns.example.com.', '4.3.2.1.in-addr.arpa. 5 PTR svc11.testns.example.com.'] },
  { q: '9.3.2.1.in-addr.arpa.', t: 'PTR', rcode: 'NXDOMAIN',
    ns: ['in-addr.arpa. 5 SOA ns1.dns.in-addr.arpa. hostmaster.dns.in-addr.arpa. 7200 1800 86400 5'] },
  // the cluster zone still answers as usual
  { q: 'svc1.testns.svc.cluster.local.', t: 'A', rcode: 'NOERROR', answer: ['svc1.testns.svc.cluster.local. 5 A 10.0.0.1'] },
];

let api: FakeApiServer;
let up: Upstream;

beforeAll(async () => {
  api = await FakeApiServer.start();
  api.upsert('namespaces', namespace('testns'));
  api.upsert('namespaces', namespace('kube-system'));
  api.upsert('services', withExternal(service('testns', 'svc1', { clusterIP: '10.0.0.1', ports: http }), ['1.2.3.4']));
  api.upsert('services', withExternal(service('testns', 'svc6', { clusterIP: '10.0.0.3', ports: http }), ['1:2::5']));
  api.upsert('services', withExternal(service('testns', 'svc11', { type: 'LoadBalancer', clusterIP: '10.0.0.11', ports: http }), [], [{ ip: '1.2.3.4' }]));
  api.upsert('services', withExternal(service('testns', 'svc12', { type: 'LoadBalancer', clusterIP: '10.0.0.12', ports: http }), [], [{ hostname: 'lb.upstream.test' }]));
  api.upsert('services', withExternal(service('testns', 'svc13', { type: 'LoadBalancer', clusterIP: '10.0.0.13',
    ports: [...http, { name: 'https', port: 443, protocol: 'TCP' }] }), [], [{ hostname: 'lb.upstream.test' }]));
  api.upsert('services', service('testns', 'plain', { clusterIP: '10.0.0.20', ports: http }));
  api.upsert('services', service('testns', 'hdls1', { clusterIP: 'None', selector: { app: 'h' } }));
  api.upsert('endpointslices', endpointSlice('testns', 'hdls1-a', 'hdls1', {
    endpoints: [{ ip: '172.0.0.2', hostname: 'ep-a' }, { ip: '172.0.0.3' }], ports: http,
  }));
  up = await Upstream.start();
  up.add({ name: 'lb.upstream.test.', type: 'A', ttl: 60, data: '192.0.2.12' });
  up.add({ name: 'plain.testns.fall.test.', type: 'A', ttl: 60, data: '192.0.2.99' });
});

afterAll(async () => {
  await up?.close();
  await api?.close();
});

for (const workers of [1, 2]) {
  describe(`k8s_external (${workers} answering thread${workers > 1 ? 's' : ''})`, () => {
    let srv: TestServer;

    beforeAll(async () => {
      const kubeconfig = api.writeKubeconfig(tempDir());
      srv = await startTestServer(`. {
    bind 127.0.0.1
    k8s_external example.com in-addr.arpa {
        headless
    }
    kubernetes cluster.local {
        kubeconfig ${kubeconfig}
    }
    forward . ${up.address}
}
fall.test {
    bind 127.0.0.1
    k8s_external {
        fallthrough
        ttl 30
        apex ext
    }
    kubernetes cluster.local {
        kubeconfig ${kubeconfig}
    }
    forward . ${up.address}
}
`, { workers });
    });
    afterAll(async () => { await srv?.stop(); });

    it.each(cases.map((c) => [`${c.q} ${c.t}`, c] as const))('%s', async (_, c) => {
      for (const protocol of ['udp', 'tcp'] as const) {
        const p = await query(srv.port, c.q, c.t, { protocol });
        expect(RCODE[p.header.rcode]).toBe(c.rcode);
        expect(p.header.aa).toBe(1);
        expect(p.answers.map(rrText).sort()).toEqual([...(c.answer ?? [])].sort());
        expect(p.authorities.map(rrText)).toEqual(c.ns ?? []);
        expect(p.additionals.filter((r) => r.type !== 41).map(rrText).sort()).toEqual([...(c.extra ?? [])].sort());
      }
    });

    it('a CNAME comes before the records it leads to', async () => {
      const p = await query(srv.port, 'svc12.testns.example.com.', 'A');
      expect(p.answers.map((r) => r.type)).toEqual([5, 1]);
    });

    it('without `headless`, and with `fallthrough`, `ttl` and `apex`: unknown names go on to forward', async () => {
      const ok = await query(srv.port, 'svc1.testns.fall.test.', 'A');
      expect(ok.answers.map(rrText)).toEqual(['svc1.testns.fall.test. 30 A 1.2.3.4']);
      // a Service without external addresses: NXDOMAIN here, so it falls through to the upstream
      const fell = await query(srv.port, 'plain.testns.fall.test.', 'A');
      expect(fell.answers.map(rrText)).toEqual(['plain.testns.fall.test. 60 A 192.0.2.99']);
      expect(up.seen('plain.testns.fall.test.').length).toBeGreaterThan(0);
      // headless services are not served without the option
      const hd = await query(srv.port, 'hdls1.testns.fall.test.', 'A');
      expect(up.seen('hdls1.testns.fall.test.').length).toBeGreaterThan(0);
      expect(RCODE[hd.header.rcode]).toBe('NXDOMAIN');
      const soa = await query(srv.port, 'fall.test.', 'SOA');
      expect(soa.answers.map(rrText)).toEqual(['fall.test. 30 SOA ns1.ext.fall.test. hostmaster.ext.fall.test. 7200 1800 86400 30']);
      const ns1 = await query(srv.port, 'ns1.ext.fall.test.', 'A');
      expect(ns1.answers.map(rrText)).toEqual(['ns1.ext.fall.test. 30 A 127.0.0.1']);
    });

    it('follows the watch: a new external IP is answered and moves the SOA serial', async () => {
      const serial = async () => (await query(srv.port, 'example.com.', 'SOA')).answers[0]!.serial as number;
      const before = await serial();
      await new Promise((r) => setTimeout(r, 1100));   // the serial counts seconds
      api.upsert('services', withExternal(service('testns', 'late', { clusterIP: '10.0.0.30', ports: http }), ['198.51.100.30']));
      const p = await eventually(() => query(srv.port, 'late.testns.example.com.', 'A'), (m) => m.answers.length === 1, 3000, 'late answered');
      expect(p.answers.map(rrText)).toEqual(['late.testns.example.com. 5 A 198.51.100.30']);
      expect(await serial()).toBeGreaterThan(before);
      api.remove('services', 'testns', 'late');
      await eventually(() => query(srv.port, 'late.testns.example.com.', 'A'), (m) => m.header.rcode === 3, 3000, 'late gone');
    });
  });
}
