/**
 * Manifests can hold names the API server would refuse. A Service named `*`, `a.b` or with a
 * newline, a namespace that is not a DNS label, an endpoint hostname with a dot, a port name that is
 * not a port name: none of them becomes a DNS name; each is logged once with the file, and the valid
 * objects next to them are served.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { query } from '../../support/dns-client.ts';
import { tempDir } from '../../support/k8s-fixtures.ts';
import { isDns1035Label, isDns1123Label, isPortName } from '../../../src/plugins/kubernetes/validate.ts';

const svc = (name: string, ns: string, ip: string, port = 'http') => `apiVersion: v1
kind: Service
metadata: { name: ${JSON.stringify(name)}, namespace: ${JSON.stringify(ns)} }
spec: { clusterIP: ${ip}, ports: [{ name: ${JSON.stringify(port)}, port: 80, protocol: TCP }] }`;

describe('kubernetes: invalid names in manifests', () => {
  let srv: TestServer;
  let file: string;
  beforeAll(async () => {
    const dir = tempDir('k8s-names-');
    file = path.join(dir, 'cluster.yaml');
    fs.writeFileSync(file, [
      'apiVersion: v1\nkind: Namespace\nmetadata: { name: apps }',
      svc('good', 'apps', '10.96.9.1'),
      svc('*', 'apps', '10.96.9.2'),
      svc('a.b', 'apps', '10.96.9.3'),
      svc('bad\nname', 'apps', '10.96.9.4'),
      svc('web', 'Bad_NS', '10.96.9.5'),
      svc('ports', 'apps', '10.96.9.6', 'Not_A_Port'),
      svc('db', 'apps', 'None'),
      `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: db-1, namespace: apps, labels: { kubernetes.io/service-name: db } }
addressType: IPv4
endpoints:
  - { addresses: [10.1.9.9], hostname: a.b, conditions: { ready: true } }
  - { addresses: [10.1.9.10], hostname: db-0, conditions: { ready: true } }`,
    ].join('\n---\n'));
    srv = await startTestServer(`. {\n  kubernetes cluster.local in-addr.arpa {\n    manifests ${dir}\n  }\n}\n`);
  });
  afterAll(() => srv?.stop());

  const ptr = async (ip: string) => {
    const p = await query(srv.port, ip.split('.').reverse().join('.') + '.in-addr.arpa', 'PTR');
    return p.answers.map((r) => String(r.domain)).join(' ') || ['NOERROR', '', 'SERVFAIL', 'NXDOMAIN'][p.header.rcode];
  };

  it('serves the valid Service and nothing for the invalid names', async () => {
    expect(await ptr('10.96.9.1')).toBe('good.apps.svc.cluster.local');
    for (const ip of ['10.96.9.2', '10.96.9.3', '10.96.9.4', '10.96.9.5']) expect(await ptr(ip), ip).toBe('NXDOMAIN');
  });

  it('drops a bad port and a bad endpoint hostname, keeps the rest', async () => {
    expect(await ptr('10.96.9.6')).toBe('ports.apps.svc.cluster.local'); // the Service stays
    const srvAnswer = await query(srv.port, '_not_a_port._tcp.ports.apps.svc.cluster.local', 'SRV');
    expect(srvAnswer.answers).toHaveLength(0);
    expect(await ptr('10.1.9.9')).toBe('10-1-9-9.db.apps.svc.cluster.local'); // named by address instead
    expect(await ptr('10.1.9.10')).toBe('db-0.db.apps.svc.cluster.local');
    expect((await query(srv.port, 'a.b.db.apps.svc.cluster.local', 'A')).answers).toHaveLength(0);
  });

  it('logs each skipped name once, with the file, on one line', () => {
    const lines = srv.logs.filter((l) => l.includes('plugin/kubernetes: manifests:'));
    const expected = [
      'Service "*" in namespace "apps": name is not a valid DNS label — skipped',
      'Service "a.b" in namespace "apps": name is not a valid DNS label — skipped',
      'Service "bad\\nname" in namespace "apps": name is not a valid DNS label — skipped',
      'Service "web" in namespace "Bad_NS": namespace is not a valid DNS label — skipped',
      'Service "ports" in namespace "apps": port name "Not_A_Port" is not a valid port name — port skipped',
      'EndpointSlice "db-1" in namespace "apps": endpoint hostname "a.b" is not a valid DNS label — hostname ignored',
    ];
    expect(lines).toEqual(expected.map((e) => `[WARNING] plugin/kubernetes: manifests: ${file}: ${e}`));
  });

  it('checks names as Kubernetes\' validation does', () => {
    expect(['web', 'a1', 'x-y'].every(isDns1035Label)).toBe(true);
    expect(['1a', '*', 'a.b', 'A', 'a-', '', 'a'.repeat(64), 'a\nb'].some(isDns1035Label)).toBe(false);
    expect(isDns1123Label('1a')).toBe(true);
    expect(['http', 'dns-tcp', 'h2c'].every(isPortName)).toBe(true);
    expect(['123', 'a--b', '-a', 'a-', 'Http', 'a'.repeat(16), 'a_b'].some(isPortName)).toBe(false);
  });
});
