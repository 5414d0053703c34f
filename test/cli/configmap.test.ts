// `clusterdns -configmap`, run as a user runs it: a child process with $KUBECONFIG pointing at the
// fake API server, answering real DNS queries.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { query } from '../support/dns-client.ts';
import { until } from '../support/wait.ts';
import { FakeApiServer, configMap } from '../support/fake-apiserver.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE = resolve(ROOT, 'node_modules/.bin/node');
const dir = mkdtempSync(join(tmpdir(), 'clusterdns-cli-cm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hosts = (ip: string) => `. {\n    hosts {\n        ${ip} web.example.\n    }\n}\n`;
let procs: ChildProcess[] = [];
let api: FakeApiServer | undefined;
afterEach(async () => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  procs = [];
  await api?.close(); api = undefined;
});

function start(args: string[], env: NodeJS.ProcessEnv) {
  const proc = spawn(NODE, ['--disable-sigusr1', 'src/cli.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env });
  procs.push(proc);
  const out: string[] = [];
  proc.stdout!.setEncoding('utf8').on('data', (c: string) => out.push(c));
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => out.push(c));
  const exit = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return { proc, out, exit };
}
const answer = async (port: number) => (await query(port, 'web.example.', 'A').catch(() => null))?.answers.map((a) => a.address).join(',');
const noCluster = () => { const e = { ...process.env }; delete e.KUBERNETES_SERVICE_HOST; delete e.KUBERNETES_SERVICE_PORT; delete e.KUBECONFIG; return e; };

describe('clusterdns -configmap', () => {
  it('applies the ConfigMap over the -conf file, and SIGUSR1 re-applies the ConfigMap, not the file', async () => {
    api = await FakeApiServer.start();
    api.upsert('configmaps', configMap('kube-system', 'coredns', { Corefile: hosts('192.0.2.2') }));
    const conf = join(dir, 'Corefile');
    writeFileSync(conf, hosts('192.0.2.1'));
    const port = await freePort();
    const r = start(['-conf', conf, '-dns.port', String(port), '-workers', '1', '-configmap', 'kube-system/coredns'], { ...noCluster(), KUBECONFIG: api.writeKubeconfig(dir) });
    expect(await until(async () => (await answer(port)) === '192.0.2.2', 10_000)).toBe(true);
    await fetch(`${api.url}/api/v1/namespaces/kube-system/configmaps/coredns`, {
      method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ data: { Corefile: hosts('192.0.2.3') } }),
    });
    expect(await until(async () => (await answer(port)) === '192.0.2.3', 5_000)).toBe(true);
    writeFileSync(conf, hosts('192.0.2.7'));
    const complete = () => r.out.join('').split('Reloading complete').length - 1;
    const before = complete();
    r.proc.kill('SIGUSR1');
    expect(await until(() => complete() > before, 5_000)).toBe(true);
    expect(await answer(port)).toBe('192.0.2.3');
  });

  it('exits 1 with a clear message when there is neither $KUBECONFIG nor an in-cluster service account', async () => {
    const conf = join(dir, 'Corefile.nocluster');
    writeFileSync(conf, hosts('192.0.2.1'));
    const r = start(['-conf', conf, '-dns.port', String(await freePort()), '-configmap', 'kube-system/coredns'], noCluster());
    expect(await r.exit).toBe(1);
    expect(r.out.join('')).toMatch(/^clusterdns: -configmap: unable to load in-cluster configuration/m);
  });

  it('exits 2 on a malformed -configmap value', async () => {
    const r = start(['-configmap', 'coredns'], noCluster());
    expect(await r.exit).toBe(2);
    expect(r.out.join('')).toContain('invalid value "coredns" for flag -configmap');
  });
});
