/**
 * The container recipe (deploy/Dockerfile) ships what `clusterdns` needs to run and nothing more.
 * There is no Docker engine here, so the image is reproduced as a directory: the files the
 * Dockerfile copies from the build context, plus node_modules holding exactly the packages
 * `npm ci --omit=dev` installs (package-lock.json entries not marked dev). The server is then
 * started from that directory with the image's entrypoint and kubeadm's Corefile, answers cluster
 * and external names, serves /health, /ready and /metrics, and writes nothing into the app
 * directory (the image runs with a read-only root filesystem).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { DEPLOY, NODE, ROOT, corefileOf, requirePlugins } from './helpers.ts';
import { FakeApiServer } from '../support/fake-apiserver.ts';
import { freePort } from '../support/ports.ts';
import { query } from '../support/dns-client.ts';
import { Upstream } from '../support/upstream.ts';

const dockerfile = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
const lines = dockerfile.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
/** Sources copied from the build context (COPY without --from), as written. */
const contextCopies = [...new Set(lines.filter((l) => /^COPY\s/.test(l) && !/--from=/.test(l))
  .flatMap((l) => l.replace(/^COPY\s+(--\S+\s+)*/, '').trim().split(/\s+/).slice(0, -1)))];
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; devOptional?: boolean; optional?: boolean }> };
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string>; bin: Record<string, string> };
const prodPackages = Object.entries(lock.packages).filter(([p, e]) => p && !e.dev && !e.devOptional).map(([p]) => p);

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => { const p = join(dir, e); return statSync(p).isDirectory() ? walk(p) : [p]; });
}

describe('the Dockerfile', () => {
  it('copies package.json, package-lock.json, the tsconfigs and src/ from the context, installs production dependencies only, compiles src/, runs the clusterdns bin', () => {
    expect([...contextCopies].sort()).toEqual(['package-lock.json', 'package.json', 'src/', 'tsconfig.build.json', 'tsconfig.json']);
    expect(lines.some((l) => /npm ci\b.*--omit=dev/.test(l))).toBe(true);
    // The full install (TypeScript) only in the compile stage, whose dist/ is all the image takes from it.
    const stages = dockerfile.split(/^FROM /m).slice(1);
    const compile = stages.find((s) => /^\S+ AS compile$/m.test(s))!;
    expect(compile).toMatch(/^RUN node src\/build\.mjs --strict$/m);
    expect(lines.filter((l) => /--from=compile/.test(l))).toEqual(['COPY --from=compile /app/dist/ ./dist/']);
    for (const s of stages.filter((s) => s !== compile)) expect(s).not.toMatch(/npm ci(?![^\n]*--omit=dev)/);
    const entry = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    // --disable-sigusr1: SIGUSR1 (reload) must never open Node's inspector on 127.0.0.1:9229.
    expect(entry).toEqual(['/nodejs/bin/node', '--disable-sigusr1', `/app/${pkg.bin.clusterdns}`]);
    expect(cmd).toEqual(['-conf', '/etc/coredns/Corefile']);
    expect(/^WORKDIR \/app$/m.test(dockerfile)).toBe(true);
    for (const p of ['53/udp', '53/tcp', '8080/tcp', '8181/tcp', '9153/tcp']) expect(dockerfile).toMatch(new RegExp(`^EXPOSE .*\\b${p}\\b`, 'm'));
    expect(dockerfile).toMatch(/setcap cap_net_bind_service=\+ep/);
  });

  it('its .dockerignore lets exactly those sources into the context', () => {
    const ignore = readFileSync(join(DEPLOY, 'Dockerfile.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(ignore[0]).toBe('*');
    expect(ignore.slice(1).map((l) => l.replace(/^!/, '')).sort()).toEqual([...contextCopies].sort());
  });

  it('every package src/ imports is a production dependency (so --omit=dev cannot drop it)', () => {
    const bare = new Set<string>();
    for (const f of walk(join(ROOT, 'src')).filter((f) => /\.(ts|js|mjs)$/.test(f))) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/(?:^|[^.\w])(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm)) {
        const spec = m[1] ?? m[2] ?? m[3]!;
        if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec)) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        bare.add(`${name} (${relative(ROOT, f)})`);
        if (!pkg.dependencies[name]) throw new Error(`${relative(ROOT, f)} imports "${spec}", which is not in package.json "dependencies"${pkg.devDependencies[name] ? ' (it is a devDependency: the image would not have it)' : ''}`);
      }
    }
    expect(bare.size).toBeGreaterThan(0);
  });
});

describe('the server runs from the image layout', () => {
  const app = mkdtempSync(join(tmpdir(), 'clusterdns-image-'));
  let child: ChildProcess | undefined;
  let api: FakeApiServer;
  let upstream: Upstream;
  let out = '';
  let before = '';
  const ports = { dns: 0, health: 0, ready: 0, metrics: 0 };

  const snapshot = () => walk(app).filter((f) => !f.startsWith(join(app, 'etc') + sep))
    .map((f) => { const s = statSync(f); return `${relative(app, f)} ${s.size} ${s.mtimeMs}`; }).sort().join('\n');

  beforeAll(async () => {
    requirePlugins(['kubernetes', 'forward', 'cache', 'loop', 'loadbalance', 'reload', 'health', 'ready', 'prometheus', 'errors'], 'the image layout test');
    for (const src of contextCopies) cpSync(join(ROOT, src), join(app, src), { recursive: true });
    // The compile stage: src/ to dist/ with the repo's TypeScript (the app has only production packages).
    const built = spawnSync(NODE, [join(ROOT, 'src/build.mjs'), '--strict', '--out', join(app, 'dist')], { cwd: ROOT, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`src/build.mjs failed: ${built.stdout}${built.stderr}`);
    for (const p of prodPackages) {
      const from = join(ROOT, p);
      if (!existsSync(from)) continue; // an optional dependency for another platform
      cpSync(from, join(app, p), { recursive: true, filter: (s) => !relative(from, s).split(sep).includes('node_modules') });
    }
    api = await FakeApiServer.start();
    api.upsert('namespaces', { metadata: { name: 'default' } });
    api.upsert('services', { metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.96.0.20', type: 'ClusterIP', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
    upstream = await Upstream.start();
    upstream.add({ name: 'www.example.org', type: 'A', ttl: 300, data: '192.0.2.80' });
    for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
    const corefile = corefileOf('kubernetes/components/corefile/configmap.yaml')
      .replace(/^\.:53 \{/m, `.:${ports.dns} {`)
      .replace(/^(\s+)health \{/m, `$1health 127.0.0.1:${ports.health} {`)
      .replace(/lameduck 5s/, 'lameduck 0s')
      .replace(/^(\s+)ready\s*$/m, `$1ready 127.0.0.1:${ports.ready}`)
      .replace(/prometheus :9153/, `prometheus 127.0.0.1:${ports.metrics}`)
      .replace(/forward \. \/etc\/resolv\.conf/, `forward . ${upstream.address}`)
      .replace(/pods insecure/, `pods insecure\n           endpoint ${api.url}`);
    // The ConfigMap is mounted at /etc/coredns; here, beside the app.
    writeFileSync(join(app, 'Corefile.mounted'), corefile);
    before = snapshot();
    child = spawn(NODE, [join(app, pkg.bin.clusterdns), '-conf', join(app, 'Corefile.mounted'), '-dns.port', String(ports.dns), '-workers', '2'], {
      cwd: app, env: { PATH: process.env.PATH, HOME: '/nonexistent' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => { out += d; });
    child.stderr!.on('data', (d) => { out += d; });
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`clusterdns exited with ${child.exitCode}:\n${out}`);
      const res = await fetch(`http://127.0.0.1:${ports.ready}/ready`).catch(() => null);
      if (res?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`not ready after 20 s:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 40_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await upstream?.close();
    await api?.close();
    rmSync(app, { recursive: true, force: true });
  });

  it('runs the compiled JavaScript in dist/, in place of the bin process, with heap limits', () => {
    const argv = readFileSync(`/proc/${child!.pid}/cmdline`, 'utf8').split('\0');
    expect(argv).toContain(join(app, 'dist/cli.js'));
    expect(argv.some((a) => a.startsWith('--max-semi-space-size='))).toBe(true);
    expect(out).toMatch(/listening on udp \S+:\d+ \(batched recvmmsg\/sendmmsg\)/);
  });

  it('has only production packages in node_modules (no devDependency came along)', () => {
    const prod = new Set(prodPackages);
    for (const dev of Object.keys(pkg.devDependencies)) {
      // a devDependency can also be needed at run time by a production package (@types/node is, by the Kubernetes client)
      expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(prod.has(`node_modules/${dev}`));
    }
    for (const dev of ['vitest', 'typescript', 'dns2', 'kubernetes-models']) expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    for (const dep of Object.keys(pkg.dependencies)) expect(existsSync(join(app, 'node_modules', dep)), dep).toBe(true);
  });

  it('answers cluster names (kubernetes, from the API server) and external names (forward, then cache)', async () => {
    // /ready said 200, so the kube-dns Service already sends traffic here: the first query must be answered.
    const svc = await query(ports.dns, 'web.default.svc.cluster.local', 'A').catch((e: Error) => {
      throw new Error(`${e.message} — /ready was already 200 (with -workers 2, as the Deployment runs): a query that reaches a worker before it has the cluster data is dropped\nserver output:\n${out}`);
    });
    expect(svc.answers.map((a) => a.address)).toEqual(['10.96.0.20']);
    const ext = await query(ports.dns, 'www.example.org', 'A', { protocol: 'tcp' });
    expect(ext.answers.map((a) => a.address)).toEqual(['192.0.2.80']);
    for (let i = 0; i < 3; i++) await query(ports.dns, 'www.example.org', 'A');
    // 4 queries; each of the 2 workers has its own cache, so at most 2 reached the upstream.
    expect(upstream.seen('www.example.org').length).toBeLessThanOrEqual(2);
  });

  it('serves /health, /ready and /metrics on the ports the Deployment probes and scrapes', async () => {
    expect((await fetch(`http://127.0.0.1:${ports.health}/health`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ports.ready}/ready`)).status).toBe(200);
    const m = await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text();
    expect(m).toMatch(/^coredns_dns_requests_total\{/m);
    expect(m).toMatch(/^process_resident_memory_bytes /m);
  });

  it('wrote nothing into the app directory (read-only root filesystem)', () => {
    expect(snapshot()).toBe(before);
  });
});
