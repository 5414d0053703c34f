/**
 * Run inside a network namespace by apex-ns.test.ts: a fake API server, a clusterdns server with
 * a kubernetes zone, and the apex queries, all on this namespace's loopback; prints one JSON line
 * of answers. argv[2]: the address of a kube-dns Service endpoint to publish ('' for none).
 */
import { FakeApiServer, endpointSlice, namespace, service } from '../../support/fake-apiserver.ts';
import { startTestServer } from '../../support/server.ts';
import { query } from '../../support/dns-client.ts';
import { summary, tempDir } from '../../support/k8s-fixtures.ts';

const endpoint = process.argv[2] ?? '';
const api = await FakeApiServer.start();
api.upsert('namespaces', namespace('kube-system'));
if (endpoint !== '') {
  const dns = [{ name: 'dns', port: 53, protocol: 'UDP' }];
  api.upsert('services', service('kube-system', 'kube-dns', { clusterIP: '10.96.0.10', ports: dns, selector: { 'k8s-app': 'kube-dns' } }));
  api.upsert('endpointslices', endpointSlice('kube-system', 'kube-dns-abcde', 'kube-dns', { endpoints: [{ ip: endpoint }], ports: dns }));
}
const srv = await startTestServer(`cluster.local {\n    kubernetes {\n        kubeconfig ${api.writeKubeconfig(tempDir())}\n    }\n}\n`);
const out: Record<string, unknown> = {};
for (const [name, type] of [['cluster.local.', 'NS'], ['ns.dns.cluster.local.', 'A'], ['ns.dns.cluster.local.', 'AAAA'], ['cluster.local.', 'SOA']] as const) {
  out[`${name} ${type}`] = summary(await query(srv.port, name, type));
}
process.stdout.write(JSON.stringify(out) + '\n');
await srv.stop();
await api.close();
process.exit(0);
