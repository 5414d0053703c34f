// `-validate` is offline: a Corefile is checked in CI without a cluster. It is run as a user runs
// it (a child process of the repo's Node 24 on src/cli.ts), with no KUBERNETES_SERVICE_* in its
// environment, and against a real fake API server to prove that nothing connects to it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeApiServer } from '../support/fake-apiserver.ts';
import { corpusText } from '../corefiles/corpus.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE = resolve(ROOT, 'node_modules/.bin/node');
const dir = mkdtempSync(join(tmpdir(), 'clusterdns-validate-'));
let api: FakeApiServer;
beforeAll(async () => { api = await FakeApiServer.start(); });
afterAll(async () => {
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `clusterdns -conf FILE -validate` outside any cluster: exit code, stdout, stderr. */
function validate(text: string, name: string): Promise<{ code: number | null; stdout: string; stderr: string; file: string }> {
  const file = join(dir, name);
  writeFileSync(file, text);
  const env = { ...process.env };
  delete env.KUBERNETES_SERVICE_HOST;
  delete env.KUBERNETES_SERVICE_PORT;
  const proc = spawn(NODE, ['src/cli.ts', '-conf', file, '-validate'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [], err: string[] = [];
  proc.stdout.setEncoding('utf8').on('data', (c: string) => out.push(c));
  proc.stderr.setEncoding('utf8').on('data', (c: string) => err.push(c));
  const t = setTimeout(() => proc.kill('SIGKILL'), 60_000);   // generous: CI machines are shared
  return new Promise((r) => proc.on('exit', (code) => {
    clearTimeout(t);
    r({ code, stdout: out.join(''), stderr: err.join(''), file });
  }));
}

// kubeadm's default Corefile, as `kubeadm init` writes it into the coredns ConfigMap.
const KUBEADM = corpusText('kubeadm.Corefile');

describe('-validate without a cluster', { timeout: 90_000 }, () => {
  it("passes kubeadm's Corefile (in-cluster config) and says what it did not check", async () => {
    const r = await validate(KUBEADM, 'kubeadm');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${r.file}:7: kubernetes: in-cluster credentials and API reachability not checked (offline validation)`);
    expect(r.stdout).toContain(`${r.file}: valid`);
  });

  it('reads a kubeconfig and its context but opens no connection or watch to its API server', async () => {
    const kc = api.writeKubeconfig(dir);
    const before = api.requests.length;
    const r = await validate(`cluster.local {\n    kubernetes {\n        kubeconfig ${kc} fake\n    }\n}\n`, 'kubeconfig');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${r.file}:2: kubernetes: API reachability and the kubeconfig's credentials not checked (offline validation)`);
    expect(api.requests.length).toBe(before);
    expect(api.openWatches()).toBe(0);
  });

  it('still fails on what it can check offline: a missing kubeconfig, a wrong context, a missing resolv.conf, a bad option', async () => {
    const kc = api.writeKubeconfig(dir);
    const [missing, context, resolv, option] = await Promise.all([
      validate(`. {\n    kubernetes cluster.local {\n        kubeconfig ${join(dir, 'nope.yaml')}\n    }\n}\n`, 'missing-kc'),
      validate(`. {\n    kubernetes cluster.local {\n        kubeconfig ${kc} other\n    }\n}\n`, 'bad-context'),
      validate(`. {\n    forward . ${join(dir, 'no-resolv.conf')}\n}\n`, 'no-resolv'),
      validate(`. {\n    kubernetes cluster.local {\n        pods sometimes\n    }\n}\n`, 'bad-option'),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(new RegExp(`^${missing.file}:3: kubernetes: cannot load kubeconfig`));
    expect(context.code).toBe(1);
    expect(context.stderr).toMatch(new RegExp(`^${context.file}:3: kubernetes: context "other" does not exist`));
    expect(resolv.code).toBe(1);
    expect(resolv.stderr).toMatch(new RegExp(`^${resolv.file}:2: `));
    expect(option.code).toBe(1);
    expect(option.stderr).toMatch(new RegExp(`^${option.file}:3: kubernetes: wrong value for pods: sometimes`));
  });

  it('checks manifests paths (files are checked offline) and reads nothing from a cluster', async () => {
    const [ok, missing] = await Promise.all([
      validate(`cluster.local {\n    kubernetes {\n        manifests ${dir}\n    }\n}\n`, 'manifests-ok'),
      validate(`cluster.local {\n    kubernetes {\n        manifests ${join(dir, 'no-such-dir')}\n    }\n}\n`, 'manifests-missing'),
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).not.toContain('not checked');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(new RegExp(`^${missing.file}:2: kubernetes: manifests path .*no-such-dir does not exist`));
  });

  it('lists a hosts file that does not exist here instead of failing (k3s mounts NodeHosts in the pod)', async () => {
    const r = await validate(`. {\n    hosts /etc/coredns/NodeHosts-not-here {\n        fallthrough\n    }\n    whoami\n}\n`, 'hosts-missing');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${r.file}:2: hosts: file /etc/coredns/NodeHosts-not-here does not exist here; not checked (offline validation)`);
  });

  it('accepts an interface name in bind that this host lacks, and says so', async () => {
    const r = await validate(`. {\n    bind eth-not-here\n    whoami\n}\n`, 'bind-iface');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${r.file}:2: bind: interface "eth-not-here" is not on this host; not checked (offline validation)`);
  });
});
