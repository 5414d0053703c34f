/**
 * Every Corefile of the corpus (corpus.ts, README.md) as an operator would use it:
 * 1. `-validate` offline — the generation is built in validate mode, as `clusterdns -validate`
 *    builds it, with no cluster: it must pass, or, while a plugin it needs is missing, fail with
 *    FILE:LINE naming that plugin, or, for a known incompatibility (`knownFailure`), fail with the
 *    recorded FILE:LINE message;
 * 2. served — ports moved to loopback, `forward` to a test upstream, `kubernetes` pointed at the
 *    fake API server (corpus.ts: localize) — and answering its probes (by default a Service name and
 *    an outside name) over real UDP.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGeneration, ConfigErrors } from '../../src/server/generation.ts';
import { LoopbackHub } from '../../src/server/channels.ts';
import { loadPlugins } from '../../src/plugin/registry.ts';
import { FakeApiServer, namespace, pod, service } from '../support/fake-apiserver.ts';
import { startTestServer } from '../support/server.ts';
import { freePort } from '../support/ports.ts';
import { query } from '../support/dns-client.ts';
import { Upstream } from '../support/upstream.ts';
import { tempDir } from '../support/k8s-fixtures.ts';
import { CORPUS, DEFAULT_PROBES, localize } from './corpus.ts';

const DIR = fileURLToPath(new URL('.', import.meta.url));
const plugins = await loadPlugins();
const missing = (needs: string[] = []) => needs.filter((p) => !plugins.has(p));

let api: FakeApiServer;
let up: Upstream;
let kubeconfig: string;

beforeAll(async () => {
  api = await FakeApiServer.start();
  api.upsert('namespaces', namespace('default'));
  api.upsert('namespaces', namespace('kube-system'));
  api.upsert('services', service('default', 'kubernetes', { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] }));
  kubeconfig = api.writeKubeconfig(tempDir());
  up = await Upstream.start();
  up.add({ name: 'example.test.', type: 'A', ttl: 60, data: '192.0.2.80' });
  // NodeLocal DNSCache forwards cluster.local to kube-dns: here the upstream plays kube-dns.
  up.add({ name: 'kubernetes.default.svc.cluster.local.', type: 'A', ttl: 30, data: '10.96.0.1' });
  // kubernetes/dns#525's node-local cache rewrites git.my.domain to this name and forwards it to kube-dns (the upstream here).
  up.add({ name: 'git.gogs.svc.k8s.cluster.', type: 'A', ttl: 30, data: '10.239.7.7' });
  // A Service with an external address, for k8s_external's zone.
  const web = service('default', 'web', { clusterIP: '10.96.0.50', type: 'LoadBalancer', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] });
  (web.spec as Record<string, unknown>).externalIPs = ['192.0.2.50'];
  api.upsert('services', web);
  // coredns/ci's autopath test: a client Pod in test-1 (the test's queries come from 127.0.0.1) and a Service there.
  api.upsert('namespaces', namespace('test-1'));
  api.upsert('pods', pod('test-1', 'client', '127.0.0.1'));
  api.upsert('services', service('test-1', 'svc-1-a', { clusterIP: '10.96.0.100', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }));
});
afterAll(async () => {
  await up?.close();
  await api?.close();
});

describe('Corefile corpus', { timeout: 60_000 }, () => {
  for (const entry of CORPUS) {
    const path = join(DIR, entry.file);
    const text = readFileSync(path, 'utf8');
    const lacking = missing(entry.needs);

    const verdict = entry.knownFailure ? `fails (known: ${entry.knownFailure.message})`
      : lacking.length > 0 ? `fails naming ${lacking.join(', ')}` : 'passes';
    it(`${entry.file}: -validate offline ${verdict}`, async () => {
      const notChecked: string[] = [];
      const build = buildGeneration({
        text, file: path, dnsPort: 53, role: 'single', sink: { write: () => {} }, shared: new Map(), hub: new LoopbackHub(),
        mode: 'validate', notChecked: (l) => notChecked.push(l), env: {},
      });
      if (entry.knownFailure) {
        const err = await build.then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(ConfigErrors);
        expect((err as ConfigErrors).message).toContain(`${path}:${entry.knownFailure.line}: ${entry.knownFailure.message}`);
        return;
      }
      if (lacking.length === 0) {
        const g = await build;
        await g.close();
        if (text.includes('kubernetes')) expect(notChecked.join('\n')).toMatch(/kubernetes: .*not checked \(offline validation\)/);
        return;
      }
      const err = await build.then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigErrors);
      const lines = text.split('\n');
      for (const p of lacking) {
        const line = lines.findIndex((l) => new RegExp(`^\\s*${p}(\\s|$)`).test(l)) + 1;
        expect((err as ConfigErrors).message).toContain(`${path}:${line}: plugin '${p}'`);
      }
    });

    it.skipIf(lacking.length > 0 || entry.knownFailure !== undefined)(`${entry.file}: starts on loopback and answers`, async () => {
      const dnsPort = await freePort();
      const pool: number[] = [];
      for (let i = 0; i < 4; i++) pool.push(await freePort());   // health, ready, prometheus, pprof at most
      const local = localize(text, { dnsPort, upstream: up.address, kubeconfig, port: () => pool.shift()! });
      const srv = await startTestServer(local.text, { port: dnsPort });
      try {
        for (const p of entry.probes ?? DEFAULT_PROBES) {
          const r = await query(srv.port, p.name, p.type);
          expect({ q: `${p.name} ${p.type}`, rcode: r.header.rcode }).toEqual({ q: `${p.name} ${p.type}`, rcode: p.rcode });
          const got = r.answers.filter((a) => a.type !== 5).map((a) => a.address ?? a.domain ?? a.ns ?? a.target);
          if (p.answers) expect(got).toEqual(p.answers);
        }
      } finally {
        await srv.stop();
      }
    });
  }
});
