// The command line, run as a user runs it: a child process of the repo's Node 24 on src/cli.ts
// (and once through `npx clusterdns`), with CoreDNS's flags, exit codes and signals.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { query, TYPE } from '../support/dns-client.ts';
import { httpGet } from '../server/helpers.ts';
import { VERSION } from '../../src/version.ts';
import { until } from '../support/wait.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE = resolve(ROOT, 'node_modules/.bin/node');
const dir = mkdtempSync(join(tmpdir(), 'clusterdns-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run { proc: ChildProcess; out: string[]; err: string[]; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }
interface RunOptions { stdin?: string; cwd?: string; cmd?: string }

function start(args: string[], o: RunOptions = {}): Run {
  const proc = spawn(o.cmd ?? NODE, o.cmd ? args : ['src/cli.ts', ...args], { cwd: o.cwd ?? ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: string[] = [], err: string[] = [];
  proc.stdout!.setEncoding('utf8').on('data', (c: string) => out.push(c));
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => err.push(c));
  if (o.stdin !== undefined) proc.stdin!.end(o.stdin); else proc.stdin!.end();
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  return { proc, out, err, exit };
}

/** Run to completion (killed after 15 s): exit code, stdout, stderr. */
async function run(args: string[], o: RunOptions = {}) {
  const r = start(args, o);
  const t = setTimeout(() => r.proc.kill('SIGKILL'), 15_000);
  const { code } = await r.exit;
  clearTimeout(t);
  return { code, stdout: r.out.join(''), stderr: r.err.join('') };
}

function corefile(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const healthStatus = async (port: number) => (await httpGet(`http://127.0.0.1:${port}/health`, 500).catch(() => ({ status: 0 }))).status;

describe('one-shot flags', () => {
  it('-version prints the version and exits 0', async () => {
    const r = await run(['-version']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`clusterdns-${VERSION}`);
  });

  it('--version (double dash) and -version=true work too', async () => {
    const [a, b] = await Promise.all([run(['--version']), run(['-version=true'])]);
    expect(a.code).toBe(0);
    expect(a.stdout).toContain(`clusterdns-${VERSION}`);
    expect(b.code).toBe(0);
  });

  it('-plugins lists the plugins, whoami among them', async () => {
    const r = await run(['-plugins']);
    expect(r.code).toBe(0);
    const names = r.stdout.split('\n').map((l) => l.trim());
    for (const p of ['dns.whoami', 'dns.chaos', 'dns.prometheus', 'dns.health', 'dns.ready', 'dns.errors', 'dns.log']) expect(names).toContain(p);
  });

  it('-validate on a good Corefile exits 0 without opening anything', async () => {
    const p = corefile('good', '. {\n  whoami\n  health 127.0.0.1:1\n  prometheus 127.0.0.1:1\n}\n');
    const r = await run(['-conf', p, '-validate']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('-validate with an unknown directive exits 1 with FILE:LINE', async () => {
    const p = corefile('unknown', '. {\n  whoami\n  frobnicate\n}\n');
    const r = await run(['-conf', p, '-validate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${p}:3: unknown directive 'frobnicate'`);
  });

  it('-validate with bad options exits 1 with one FILE:LINE line per error', async () => {
    const p = corefile('badopt', '. {\n  whoami\n  health {\n    lameduck never\n  }\n}\nexample.org {\n  chaos\n  log {\n    class nope\n  }\n}\n');
    const r = await run(['--conf', p, '--validate']);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${p}:4: `));
    expect(lines[1]).toMatch(new RegExp(`^${p}:10: log: unknown class "nope"`));
  });

  it('reads ./Corefile by default', async () => {
    const cwd = mkdtempSync(join(dir, 'cwd-'));
    writeFileSync(join(cwd, 'Corefile'), '. {\n  whoami\n  nope\n}\n');
    const r = await run([resolve(ROOT, 'src/cli.ts'), '-validate'], { cmd: NODE, cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(cwd, 'Corefile')}:3: unknown directive 'nope'`);
  });

  it('reports a Corefile that does not exist (exit 1)', async () => {
    const r = await run(['-conf', join(dir, 'missing'), '-validate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('missing');
  });

  it('-conf - reads the Corefile from stdin', async () => {
    const [ok, bad] = await Promise.all([
      run(['-conf', '-', '-validate'], { stdin: '. {\n  whoami\n}\n' }),
      run(['-conf', '-', '-validate'], { stdin: '. {\n  whoami\n  nope\n}\n' }),
    ]);
    expect(ok.code).toBe(0);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^-:3: unknown directive 'nope'/);
  });

  it('unknown or malformed flags → usage on stderr, exit 2', async () => {
    const cases = [['-nosuchflag'], ['--bogus=1'], ['-dns.port'], ['-dns.port', 'seventy'], ['-dns.port', '70000'], ['-validate=maybe'], ['stray']];
    const results = await Promise.all(cases.map((args) => run(args)));
    for (const [i, r] of results.entries()) {
      expect(r.code, cases[i]!.join(' ')).toBe(2);
      expect(r.stderr).toContain('Usage of clusterdns:');
      expect(r.stderr).toContain('-conf string');
      expect(r.stdout).toBe('');
    }
  });

  it('`npx clusterdns -version` works from the repo root (bin is src/bin.js)', async () => {
    const r = await run(['--no-install', 'clusterdns', '-version'], { cmd: 'npx' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`clusterdns-${VERSION}`);
  });
});

describe('serving from the command line', () => {
  it('serves on -dns.port, writes -pidfile, and stops on SIGTERM with exit 0', async () => {
    const port = await freePort();
    const pidfile = join(dir, 'cdns.pid');
    const p = corefile('serve', '. {\n  whoami\n}\n');
    const r = start(['-conf', p, '-dns.port', String(port), '-pidfile', pidfile, '-workers', '1']);
    try {
      expect(await until(() => r.out.join('').includes('listening on udp'), 10_000)).toBe(true);
      const out = r.out.join('');
      expect(out).toContain(`.:${port}`);
      expect(out).toContain(`clusterdns-${VERSION}`);
      expect(readFileSync(pidfile, 'utf8').trim()).toBe(String(r.proc.pid));
      const a = await query(port, 'cli.example.org', 'A');
      expect(a.additionals.find((x) => x.type === TYPE.A)!.address).toBe('127.0.0.1');
      expect((await query(port, 'cli.example.org', 'A', { protocol: 'tcp' })).header.rcode).toBe(0);
      // SIGUSR1 reloads the Corefile from disk
      writeFileSync(p, '. {\n  chaos via-sigusr1\n}\n');
      r.proc.kill('SIGUSR1');
      const reloaded = async () => String((await query(port, 'version.bind', 'TXT', { class: 3 })).answers[0]?.data) === 'via-sigusr1';
      expect(await until(reloaded, 5000)).toBe(true);
      expect(r.out.join('')).toContain('[INFO] SIGUSR1: Reloading');
      r.proc.kill('SIGTERM');
      const { code } = await r.exit;
      expect(code).toBe(0);
      expect(r.out.join('')).toContain('[INFO] SIGTERM: Shutting down');
      expect(existsSync(pidfile)).toBe(false);
    } finally {
      r.proc.kill('SIGKILL');
    }
  });

  it('with health lameduck: on SIGTERM /ready turns 503 "Shutting down", /health stays 200, DNS still answers, then exit 0', async () => {
    const [port, hport, rport] = [await freePort(), await freePort(), await freePort()];
    const text = `. {\n  whoami\n  ready 127.0.0.1:${rport}\n  health 127.0.0.1:${hport} {\n    lameduck 1s\n  }\n}\n`;
    const r = start(['--conf=-', `--dns.port=${port}`, '-quiet', '-workers=2'], { stdin: text });
    const readyNow = async () => {
      const x = await httpGet(`http://127.0.0.1:${rport}/ready`, 500).catch(() => ({ status: 0, body: '' }));
      return `${x.status} ${x.body}`;
    };
    try {
      expect(await until(async () => (await readyNow()) === '200 OK', 10_000)).toBe(true);
      expect(await until(async () => !!(await query(port, 'x.org', 'A', { timeoutMs: 300 }).catch(() => null)), 5000)).toBe(true);
      expect(r.out.join('')).not.toContain('listening on'); // -quiet
      const t0 = Date.now();
      r.proc.kill('SIGTERM');
      const seen: string[] = [];
      const turned = await until(async () => { seen.push(await readyNow()); return seen.at(-1) === '503 Shutting down'; }, 3000, 20);
      expect(turned, `/ready answers seen: ${seen.join(',')}`).toBe(true);
      const during = await query(port, 'lameduck.example.org', 'A');
      expect(during.header.rcode).toBe(0);
      // that answer came inside the lameduck period: not ready, still live (as CoreDNS), still running
      expect(await readyNow()).toBe('503 Shutting down');
      expect(await healthStatus(hport)).toBe(200);
      expect(r.proc.exitCode).toBeNull();
      const { code } = await r.exit;
      expect(code).toBe(0);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
      expect(r.out.join('')).toContain('[INFO] plugin/health: Going into lameduck mode for 1s');
      await expect(query(port, 'gone.example.org', 'A', { timeoutMs: 300 })).rejects.toThrow(/no answer/);
    } finally {
      r.proc.kill('SIGKILL');
    }
  });

  it('exits 1 with FILE:LINE when the Corefile is broken at start', async () => {
    const p = corefile('broken', '. {\n  whoami {\n    x\n  }\n}\n');
    const r = await run(['-conf', p, '-dns.port', String(await freePort())]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^${p}:3: `));
  });

  it('exits 1 naming the port when the port is taken', async () => {
    const port = await freePort();
    const blocker = net.createServer();
    await new Promise<void>((ok) => blocker.listen(port, '0.0.0.0', () => ok()));
    try {
      const r = await run(['-conf', '-', '-dns.port', String(port), '-workers', '1'], { stdin: '. {\n  whoami\n}\n' });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(String(port));
    } finally {
      blocker.close();
    }
  });
});
