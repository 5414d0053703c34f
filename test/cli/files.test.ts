/**
 * Every file a Corefile names, swapped for a FIFO, a device or a /proc file, run through the real
 * command: `-validate` answers at once with one FILE:LINE line (nothing blocks, nothing is echoed),
 * and a running server whose hosts file becomes a FIFO keeps answering DNS, /health, SIGUSR1 and
 * SIGTERM. Each child is killed after 30 s (a slow, shared machine starts several at once), so a
 * regression fails instead of hanging.
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { query } from '../support/dns-client.ts';
import { httpGet } from '../server/helpers.ts';
import { until } from '../support/wait.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE = resolve(ROOT, 'node_modules/.bin/node');
const dir = mkdtempSync(join(tmpdir(), 'clusterdns-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function mkfifo(name: string): string {
  const p = join(dir, name);
  execFileSync('mkfifo', [p]);
  return p;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string; ms: number }> {
  const t0 = Date.now();
  const proc = spawn(NODE, ['src/cli.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
  const t = setTimeout(() => proc.kill('SIGKILL'), 30_000);
  return new Promise((r) => proc.on('exit', (code) => { clearTimeout(t); r({ code, stderr, ms: Date.now() - t0 }); }));
}

function corefile(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('files a Corefile names are read only when they are regular files', () => {
  it('the Corefile itself is a FIFO: exit 1 at once', async () => {
    const p = mkfifo('Corefile-fifo');
    const r = await run(['-conf', p, '-validate']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`clusterdns: cannot read Corefile ${p}: is a FIFO (named pipe), not a regular file`);
  }, 45_000);

  it('import /dev/zero and import /proc/self/environ: FILE:LINE, nothing read, nothing echoed', async () => {
    const a = corefile('zero', '. {\n  whoami\n  import /dev/zero\n}\n');
    const b = corefile('environ', '. {\n  import /proc/self/environ\n}\n');
    const [ra, rb] = await Promise.all([run(['-conf', a, '-validate']), run(['-conf', b, '-validate'], { FILES_TEST_SECRET: 'hunter2-do-not-print' })]);
    expect(ra.code).toBe(1);
    expect(ra.stderr).toMatch(new RegExp(`^${a}:3: import "/dev/zero": /dev/zero: is a character device`));
    expect(rb.code).toBe(1);
    expect(rb.stderr).toMatch(new RegExp(`^${b}:2: import "/proc/self/environ": /proc/self/environ: is a kernel pseudo-file`));
    expect(rb.stderr).not.toContain('hunter2');
  }, 45_000);

  it('forward\'s resolv.conf, forward tls, kubeconfig (and the CA it names) and kubernetes tls as FIFOs: FILE:LINE each, at once', async () => {
    const f = mkfifo('resolv.conf');
    const cert = mkfifo('cert.pem');
    const kc = mkfifo('kubeconfig');
    // A kubeconfig naming a FIFO as its CA: the client library would read it on every request.
    const kcCa = corefile('kubeconfig-ca', ['apiVersion: v1', 'kind: Config', 'clusters:', '- name: c', '  cluster:',
      '    server: https://127.0.0.1:6443', `    certificate-authority: ${cert}`, 'users:', '- name: u', '  user: {}',
      'contexts:', '- name: x', '  context: { cluster: c, user: u }', 'current-context: x', ''].join('\n'));
    const cases = [
      [corefile('fwd', `. {\n  forward . ${f}\n}\n`), 2, `${f}: is a FIFO`],
      [corefile('fwdtls', `. {\n  forward . tls://127.0.0.1:853 {\n    tls ${cert}\n  }\n}\n`), 3, `tls: ${cert}: is a FIFO`],
      [corefile('kc', `. {\n  kubernetes cluster.local {\n    kubeconfig ${kc}\n  }\n}\n`), 3, `kubeconfig ${kc}: is a FIFO`],
      [corefile('kcca', `. {\n  kubernetes cluster.local {\n    kubeconfig ${kcCa}\n  }\n}\n`), 3, `kubeconfig ${kcCa}: certificate-authority: ${cert}: is a FIFO`],
      [corefile('ktls', `. {\n  kubernetes cluster.local {\n    endpoint https://127.0.0.1:6443\n    tls ${cert} ${cert} ${cert}\n  }\n}\n`), 2, `tls: ${cert}: is a FIFO`],
    ] as const;
    const results = await Promise.all(cases.map(([p]) => run(['-conf', p, '-validate'])));
    for (const [i, r] of results.entries()) {
      const [p, line, what] = cases[i]!;
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^${p}:${line}: `));
      expect(r.stderr).toContain(what);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  }, 45_000);

  it('a kubeconfig with a YAML error: the error gives the position, never the file\'s lines (its token)', async () => {
    const kc = corefile('kubeconfig-bad', 'apiVersion: v1\nusers:\n- name: a\n  user:\n    token: hunter2-do-not-print\n   bad: [\n');
    const p = corefile('kc-bad', `. {\n  kubernetes cluster.local {\n    kubeconfig ${kc}\n  }\n}\n`);
    const r = await run(['-conf', p, '-validate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^${p}:3: kubernetes: cannot load kubeconfig ${kc}: bad indentation of a mapping entry \\(6:4\\)`));
    expect(r.stderr).not.toContain('hunter2');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  }, 45_000);

  it('a FIFO among the manifests: logged with its name, the other files served', async () => {
    const port = await freePort();
    const mdir = join(dir, 'manifests');
    execFileSync('mkdir', ['-p', mdir]);
    writeFileSync(join(mdir, 'svc.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: { name: web, namespace: default }\nspec: { clusterIP: 10.96.0.77, ports: [{ port: 80 }] }\n');
    execFileSync('mkfifo', [join(mdir, 'evil.yaml')]);
    const conf = corefile('Corefile-manifests', `. {\n  kubernetes cluster.local {\n    manifests ${mdir}\n  }\n}\n`);
    const proc = spawn(NODE, ['src/cli.ts', '-conf', conf, '-dns.port', String(port), '-workers', '1'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.setEncoding('utf8').on('data', (c: string) => { out += c; });
    proc.stderr!.setEncoding('utf8').on('data', (c: string) => { out += c; });
    try {
      const web = async () => (await query(port, 'web.default.svc.cluster.local', 'A', { timeoutMs: 500 }).catch(() => null))?.answers[0]?.address;
      expect(await until(async () => (await web()) === '10.96.0.77', 10_000)).toBe(true);
      expect(out).toContain(`[ERROR] plugin/kubernetes: manifests: ${join(mdir, 'evil.yaml')}: is a FIFO (named pipe), not a regular file`);
    } finally {
      proc.kill('SIGKILL');
    }
  }, 20_000);

  it('a hosts file replaced by a FIFO: nothing blocks — DNS, /health, reload and SIGTERM keep working', async () => {
    const [port, hport] = [await freePort(), await freePort()];
    const hosts = corefile('hosts', '10.0.0.7 kept.example\n');
    const conf = corefile('Corefile-hosts', `. {\n  health 127.0.0.1:${hport}\n  hosts ${hosts} {\n    reload 100ms\n  }\n}\n`);
    const proc = spawn(NODE, ['src/cli.ts', '-conf', conf, '-dns.port', String(port), '-workers', '1'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.setEncoding('utf8').on('data', (c: string) => { out += c; });
    proc.stderr!.setEncoding('utf8').on('data', (c: string) => { out += c; });
    const exit = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    const answer = async () => (await query(port, 'kept.example', 'A', { timeoutMs: 500 }).catch(() => null))?.answers[0]?.address;
    try {
      expect(await until(async () => (await answer()) === '10.0.0.7', 10_000)).toBe(true);
      unlinkSync(hosts);
      execFileSync('mkfifo', [hosts]);
      // The periodic check sees the FIFO; a full reload (SIGUSR1) sets the plugin up again on it.
      expect(await until(() => out.includes('is a FIFO'), 5_000)).toBe(true);
      expect(await answer()).toBe('10.0.0.7'); // the periodic check keeps the last good entries
      // The new generation's hosts starts without the file (as CoreDNS's, when it cannot read it).
      proc.kill('SIGUSR1');
      expect(await until(() => out.includes('[INFO] SIGUSR1: Reloading'), 5_000)).toBe(true);
      expect(await until(() => out.includes('[INFO] Reloading complete'), 5_000)).toBe(true);
      expect((await query(port, 'other.example', 'A', { timeoutMs: 1000 })).header.id).toBeGreaterThanOrEqual(0); // answered
      expect((await httpGet(`http://127.0.0.1:${hport}/health`, 1000)).status).toBe(200);
      proc.kill('SIGTERM');
      expect(await Promise.race([exit, new Promise((r) => setTimeout(() => r('hung'), 5_000))])).toBe(0);
      expect(out).toMatch(/\[WARNING\] plugin\/hosts: Failed to read hosts file .*hosts: is a FIFO \(named pipe\), not a regular file/);
    } finally {
      proc.kill('SIGKILL');
    }
  }, 30_000);
});
