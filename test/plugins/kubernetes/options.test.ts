/**
 * Options that change answers: ttl, ignore empty_service, endpoint_pod_names, noendpoints,
 * fallthrough — each in its own zone of one server, over real sockets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeApiServer, endpointSlice, service } from '../../support/fake-apiserver.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { query } from '../../support/dns-client.ts';
import { coreDnsCluster, load, soaLine, summary, tempDir } from '../../support/k8s-fixtures.ts';

let api: FakeApiServer;
let srv: TestServer;

beforeAll(async () => {
  api = await FakeApiServer.start();
  load(api, coreDnsCluster());
  api.upsert('services', service('testns', 'named', { clusterIP: 'None' }));
  api.upsert('endpointslices', endpointSlice('testns', 'named-1', 'named', {
    endpoints: [{ ip: '172.0.0.30', pod: 'pod-a' }, { ip: '172.0.0.31', hostname: 'host-b', pod: 'pod-b' }, { ip: '172.0.0.32' }],
    ports: [{ name: 'http', port: 80 }],
  }));
  const k = api.writeKubeconfig(tempDir());
  srv = await startTestServer(`
empty.local {
    kubernetes {
        kubeconfig ${k}
        ignore empty_service
        ttl 30
    }
}
names.local 172.0.0.0/24 {
    kubernetes names.local 172.0.0.0/24 {
        kubeconfig ${k}
        endpoint_pod_names
    }
}
noeps.local {
    kubernetes {
        kubeconfig ${k}
        noendpoints
        fallthrough
    }
    whoami
}
partial.local 10.0.0.0/8 {
    kubernetes partial.local 10.0.0.0/8 {
        kubeconfig ${k}
        fallthrough in-addr.arpa
    }
    whoami
}
`);
});

afterAll(async () => {
  await srv?.stop();
  await api?.close();
});

const get = async (name: string, type = 'A') => summary(await query(srv.port, name, type));

describe('kubernetes: options that shape answers', () => {
  it('ttl applies to records and the SOA', async () => {
    expect((await get('svc1.testns.svc.empty.local.')).answer).toEqual(['svc1.testns.svc.empty.local. 30 A 10.0.0.1']);
    expect((await get('svc0.testns.svc.empty.local.')).ns).toEqual([soaLine('empty.local.', 30)]);
  });

  it('ignore empty_service: NXDOMAIN for a ClusterIP service without ready endpoints', async () => {
    expect((await get('svcempty.testns.svc.empty.local.')).rcode).toBe('NXDOMAIN');
    expect((await get('svc1.testns.svc.empty.local.')).rcode).toBe('NOERROR');
    expect((await get('external.testns.svc.empty.local.', 'CNAME')).rcode).toBe('NOERROR');
  });

  it('endpoint_pod_names: hostname, else pod name, else the dashed IP', async () => {
    const h = 'named.testns.svc.names.local.';
    expect((await get(`pod-a.${h}`)).answer).toEqual([`pod-a.${h} 5 A 172.0.0.30`]);
    expect((await get(`host-b.${h}`)).answer).toEqual([`host-b.${h} 5 A 172.0.0.31`]);
    expect((await get(`pod-b.${h}`)).rcode).toBe('NXDOMAIN');
    expect((await get(`172-0-0-32.${h}`)).answer).toEqual([`172-0-0-32.${h} 5 A 172.0.0.32`]);
    expect((await get(`172-0-0-30.${h}`)).rcode).toBe('NXDOMAIN');
    expect((await get('30.0.0.172.in-addr.arpa.', 'PTR')).answer).toEqual([`30.0.0.172.in-addr.arpa. 5 PTR pod-a.named.testns.svc.names.local.`]);
    expect((await get(`_http._tcp.${h}`, 'SRV')).answer.sort()).toEqual(
      ['172-0-0-32', 'host-b', 'pod-a'].map((e) => `_http._tcp.${h} 5 SRV 0 33 80 ${e}.${h}`));
    // the same endpoint by the default naming, in a zone without the option
    expect((await get('172-0-0-30.named.testns.svc.empty.local.')).answer).toEqual(['172-0-0-30.named.testns.svc.empty.local. 30 A 172.0.0.30']);
  });

  it('noendpoints: no headless or endpoint answers; fallthrough hands name errors to the next plugin', async () => {
    expect((await get('svc1.testns.svc.noeps.local.')).answer).toEqual(['svc1.testns.svc.noeps.local. 5 A 10.0.0.1']);
    const hd = await query(srv.port, 'hdls1.testns.svc.noeps.local.', 'A');   // NXDOMAIN in CoreDNS, so whoami answers
    expect(hd.header.rcode).toBe(0);
    expect(hd.answers).toHaveLength(0);
    expect(hd.additionals.some((r) => r.type === 1 && r.address === '127.0.0.1')).toBe(true);
    // NODATA is not a name error: no fallthrough
    expect((await get('svc1.testns.svc.noeps.local.', 'AAAA')).ns).toEqual([soaLine('noeps.local.')]);
  });

  it('fallthrough ZONES: only names in those zones fall through', async () => {
    expect((await get('svc0.testns.svc.partial.local.')).rcode).toBe('NXDOMAIN');
    const ptr = await query(srv.port, '99.99.99.10.in-addr.arpa.', 'PTR');
    expect(ptr.header.rcode).toBe(0);
    expect(ptr.additionals.some((r) => r.type === 1)).toBe(true);   // whoami
    expect((await get('1.0.0.10.in-addr.arpa.', 'PTR')).answer).toEqual(['1.0.0.10.in-addr.arpa. 5 PTR svc1.testns.svc.partial.local.']);
  });
});
