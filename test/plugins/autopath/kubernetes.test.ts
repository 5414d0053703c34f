/**
 * `autopath @kubernetes` end to end: a real server whose kubernetes plugin (`pods verified`)
 * reads the fake API server through @kubernetes/client-node, a loopback upstream for the bare
 * name, and real DNS clients whose sockets are bound to the pod's loopback IP — once with the
 * query path in this thread and once with two answering worker threads (each with its own
 * cluster index, fed by the control thread). Expectations follow CoreDNS's autopath.go/cname.go:
 * the first non-NXDOMAIN step answers with a CNAME from the asked name to the found name in
 * front, all-NXDOMAIN returns the plain answer, and only pods' expanded names take part.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeApiServer, pod } from '../../support/fake-apiserver.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { Upstream } from '../../support/upstream.ts';
import { coreDnsCluster, load, rrText, soaLine, tempDir, RCODE } from '../../support/k8s-fixtures.ts';
import { freePort } from '../../support/ports.ts';
import { autopathCount, queryFrom } from './helpers.ts';
import { nativeUdp } from '../../../src/server/native/index.ts';
import { eventually } from '../../support/wait.ts';

const TESTNS_POD = '127.0.0.21';   // Running pod in testns
const PODNS_POD = '127.0.0.22';    // Running pod in podns
const PENDING_POD = '127.0.0.23';  // Pending pod in testns: not a Running pod, no autopath (CoreDNS's podWithIP)
const STRANGER = '127.0.0.24';     // no pod at all

let api: FakeApiServer;
let up: Upstream;

beforeAll(async () => {
  api = await FakeApiServer.start();
  load(api, coreDnsCluster());
  api.upsert('pods', pod('testns', 'client', TESTNS_POD));
  api.upsert('pods', pod('podns', 'client', PODNS_POD));
  api.upsert('pods', pod('testns', 'starting', PENDING_POD, { phase: 'Pending' }));
  up = await Upstream.start();
  up.add({ name: 'example.org.', type: 'A', ttl: 60, data: '192.0.2.7' });
});

afterAll(async () => {
  await up?.close();
  await api?.close();
});

const lines = (rrs: Record<string, any>[]) => rrs.map(rrText);

// The client's address must reach autopath on both UDP paths: the native batched addon and node:dgram.
for (const [workers, udp] of [[1, 'native'], [2, 'native'], [1, 'dgram']] as const) {
  describe(`autopath @kubernetes (${workers} answering thread${workers > 1 ? 's' : ''}, ${udp} UDP)`, () => {
    let srv: TestServer;
    let mport: number;
    const metric = async () => autopathCount(await (await fetch(`http://127.0.0.1:${mport}/metrics`)).text());

    beforeAll(async () => {
      mport = await freePort();
      const kubeconfig = api.writeKubeconfig(tempDir());
      const saved = process.env.CLUSTERDNS_NATIVE_UDP;
      if (udp === 'dgram') process.env.CLUSTERDNS_NATIVE_UDP = '0';
      srv = await startTestServer(`. {
    prometheus 127.0.0.1:${mport}
    autopath @kubernetes
    kubernetes cluster.local {
        kubeconfig ${kubeconfig}
        pods verified
    }
    forward . ${up.address}
}
`, { workers }).finally(() => {
        if (saved === undefined) delete process.env.CLUSTERDNS_NATIVE_UDP; else process.env.CLUSTERDNS_NATIVE_UDP = saved;
      });
      const udpListeners = srv.server.listeners.filter((l) => l.protocol === 'udp');
      expect(udpListeners.length).toBeGreaterThan(0);
      for (const l of udpListeners) expect(!!l.native).toBe(udp === 'native' && nativeUdp() !== undefined);
      // every thread has the pods once a search step through them answers
      await eventually(() => queryFrom(TESTNS_POD, srv.port, 'svc1.unexposedns.testns.svc.cluster.local.', 'A'),
        (p) => p.answers.length === 2, 5000, 'pods known to the answering threads');
    });
    afterAll(async () => { await srv?.stop(); });

    it('a name found in a later search domain: CNAME from the asked name, then the records (UDP and TCP)', async () => {
      for (const protocol of ['udp', 'tcp'] as const) {
        for (let i = 0; i < 6; i++) {   // several queries: with workers, both threads answer some
          const p = await queryFrom(TESTNS_POD, srv.port, 'svc1.unexposedns.testns.svc.cluster.local.', 'A', protocol);
          expect(RCODE[p.header.rcode]).toBe('NOERROR');
          expect(p.questions[0]!.name).toBe('svc1.unexposedns.testns.svc.cluster.local');
          expect(lines(p.answers)).toEqual([
            'svc1.unexposedns.testns.svc.cluster.local. 5 CNAME svc1.unexposedns.svc.cluster.local.',
            'svc1.unexposedns.svc.cluster.local. 5 A 10.0.0.2',
          ]);
        }
      }
    });

    it('the bare name goes through the rest of the chain (forward) and is answered under the asked name', async () => {
      const before = up.seen('example.org.').length;
      const p = await queryFrom(TESTNS_POD, srv.port, 'example.org.testns.svc.cluster.local.', 'A');
      expect(RCODE[p.header.rcode]).toBe('NOERROR');
      expect(lines(p.answers)).toEqual([
        'example.org.testns.svc.cluster.local. 60 CNAME example.org.',
        'example.org. 60 A 192.0.2.7',
      ]);
      expect(up.seen('example.org.').length).toBe(before + 1);
    });

    it('the pod\'s own namespace decides the path: a podns pod finds testns services one domain up', async () => {
      const p = await queryFrom(PODNS_POD, srv.port, 'svc1.testns.podns.svc.cluster.local.', 'A');
      expect(lines(p.answers)).toEqual([
        'svc1.testns.podns.svc.cluster.local. 5 CNAME svc1.testns.svc.cluster.local.',
        'svc1.testns.svc.cluster.local. 5 A 10.0.0.1',
      ]);
    });

    it('a hit at the first step is the plain answer, counted; NODATA is a hit too', async () => {
      const before = await metric();
      const p = await queryFrom(TESTNS_POD, srv.port, 'svc1.testns.svc.cluster.local.', 'A');
      expect(lines(p.answers)).toEqual(['svc1.testns.svc.cluster.local. 5 A 10.0.0.1']);
      const nodata = await queryFrom(TESTNS_POD, srv.port, 'svc1.testns.svc.cluster.local.', 'AAAA');
      expect(RCODE[nodata.header.rcode]).toBe('NOERROR');
      expect(nodata.answers).toEqual([]);
      expect(lines(nodata.authorities)[0]).toMatch(/^cluster\.local\. 5 SOA /);
      await eventually(metric, (n) => n === before + 2, 3000, 'coredns_autopath_success_total +2');
    });

    it('when every step is NXDOMAIN, the answer for the name as asked, uncounted', async () => {
      const before = await metric();
      const seen = up.count();
      const p = await queryFrom(TESTNS_POD, srv.port, 'nothing-here.testns.svc.cluster.local.', 'A');
      expect(RCODE[p.header.rcode]).toBe('NXDOMAIN');
      expect(p.questions[0]!.name).toBe('nothing-here.testns.svc.cluster.local');
      expect(p.answers).toEqual([]);
      expect(lines(p.authorities)).toEqual([soaLine()]);
      expect(up.seen('nothing-here.').length).toBeGreaterThan(0);   // the bare name was tried upstream
      expect(up.count()).toBeGreaterThan(seen);
      expect(await metric()).toBe(before);
    });

    it('no autopath for clients that are no Running pod, nor for names outside the first search domain', async () => {
      const before = await metric();
      for (const from of [STRANGER, PENDING_POD]) {
        const p = await queryFrom(from, srv.port, 'svc1.unexposedns.testns.svc.cluster.local.', 'A');
        expect(RCODE[p.header.rcode]).toBe('NXDOMAIN');
        expect(p.answers).toEqual([]);
      }
      // a testns pod asking a name of another namespace directly (already its second search domain)
      const other = await queryFrom(TESTNS_POD, srv.port, 'svc1.unexposedns.svc.cluster.local.', 'A');
      expect(lines(other.answers)).toEqual(['svc1.unexposedns.svc.cluster.local. 5 A 10.0.0.2']);
      expect(await metric()).toBe(before);
    });
  });
}
