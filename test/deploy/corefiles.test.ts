/**
 * The Corefiles shipped in deploy/ pass `clusterdns -validate`, run as the operator would run it:
 * the Corefile is pulled out of the ConfigMap YAML into a file, and the CLI (src/cli.ts, with the
 * repo's Node 24) parses it and sets up every plugin. Nothing is sent anywhere.
 * The environment is the pod's: in-cluster API address for the Deployment (the kubernetes plugin
 * needs it at setup), the kube-dns-upstream service link for the node-local DaemonSet.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corefileOf, requirePlugins, runCli } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'clusterdns-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function directives(corefile: string): string[] {
  const names = new Set<string>();
  for (const m of corefile.matchAll(/^ {4}([a-z_0-9]+)\b/gm)) names.add(m[1]!);
  return [...names];
}

const IN_CLUSTER = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
const NODE_LOCAL = { KUBE_DNS_UPSTREAM_SERVICE_HOST: '10.96.0.11', KUBE_DNS_UPSTREAM_SERVICE_PORT: '53' };

describe('clusterdns -validate on the shipped Corefiles', () => {
  it('deploy/kubernetes/components/corefile/configmap.yaml (kubeadm\'s default Corefile) is valid', () => {
    const text = corefileOf('kubernetes/components/corefile/configmap.yaml');
    requirePlugins(directives(text), 'kubeadm\'s Corefile');
    const file = write('kubeadm.Corefile', text);
    const r = runCli(['-validate', '-conf', file], IN_CLUSTER);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('valid');
  });

  it('deploy/node-local/configmap.yaml is valid in the DaemonSet\'s environment', () => {
    const text = corefileOf('node-local/configmap.yaml');
    requirePlugins(directives(text), 'the node-local Corefile');
    const file = write('node-local.Corefile', text);
    const r = runCli(['-validate', '-conf', file], NODE_LOCAL);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('valid');
  });

  it('and the check can fail: without the upstream service link, or with a broken Corefile, -validate exits 1 with FILE:LINE', () => {
    const text = corefileOf('node-local/configmap.yaml');
    const file = write('node-local-noenv.Corefile', text);
    const r = runCli(['-validate', '-conf', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/node-local-noenv\.Corefile:\d+: forward/);

    const broken = write('broken.Corefile', corefileOf('kubernetes/components/corefile/configmap.yaml').replace('ttl 30', 'ttl thirty'));
    const b = runCli(['-validate', '-conf', broken], IN_CLUSTER);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/broken\.Corefile:\d+: kubernetes: ttl/);
  });
});
