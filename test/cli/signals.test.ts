/**
 * Signals sent to the command while it starts and while it runs, with real signals to a real child
 * process: SIGUSR1 never opens Node's inspector (127.0.0.1:9229) and a reload asked for during
 * start-up is done once the server runs; SIGHUP is ignored, as CoreDNS ignores it. Run three ways:
 * `node src/cli.ts`, the `src/bin.js` executable (its #! line) and the command line of `npm start`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { query } from '../support/dns-client.ts';
import { until } from '../support/wait.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE = resolve(ROOT, 'node_modules/.bin/node');
const PATH = `${resolve(ROOT, 'node_modules/.bin')}${delimiter}${process.env.PATH ?? ''}`; // `env node` → Node 24
const dir = mkdtempSync(join(tmpdir(), 'clusterdns-signals-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Child { proc: ChildProcess; out: string[]; err: string[]; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }

function launch(cmd: string, args: string[]): Child {
  const proc = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH } });
  const out: string[] = [], err: string[] = [];
  proc.stdout!.setEncoding('utf8').on('data', (c: string) => out.push(c));
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => err.push(c));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  return { proc, out, err, exit };
}

/** The TCP ports process `pid` listens on (its own sockets, from /proc: not whatever else holds 9229). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try { const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`)); if (m) inodes.add(m[1]!); } catch { /* closed meanwhile */ }
  }
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A' && inodes.has(f[9]!)) ports.push(parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

/** Node has taken SIGUSR1 over (blocked it, or caught it): before that, any SIGUSR1 kills any process. */
const nodeOwnsUsr1 = (pid: number) => {
  try {
    const st = readFileSync(`/proc/${pid}/status`, 'utf8');
    return ['SigBlk', 'SigCgt'].some((k) => (BigInt(`0x${new RegExp(`${k}:\\s*([0-9a-f]+)`).exec(st)![1]}`) & (1n << 9n)) !== 0n);
  } catch { return false; }
};
const chaosText = async (port: number) => String((await query(port, 'version.bind', 'TXT', { class: 3, timeoutMs: 300 }).catch(() => null))?.answers[0]?.data ?? '');

/** An HTTP server that takes every request and never answers: a Kubernetes API whose list hangs. */
async function holdingApi(): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let n = 0;
  const sockets = new Set<net.Socket>();
  const srv = http.createServer(() => { n++; });
  srv.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}`,
    requests: () => n,
    close: () => { for (const s of sockets) s.destroy(); return new Promise<void>((r) => srv.close(() => r())); },
  };
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
/** `npm start`'s command line with our Corefile and port in place of its own arguments. */
function npmStartCommand(conf: string, port: number): [string, string[]] {
  const words = pkg.scripts.start!.split(/\s+/);
  const cli = words.findIndex((w) => /(cli|bin)\.[cm]?[jt]s$/.test(w));
  expect(words[0]).toBe('node');
  expect(cli).toBeGreaterThan(0);
  return [NODE, [...words.slice(1, cli + 1), '-conf', conf, '-dns.port', String(port), '-workers', '1']];
}

describe('signals', () => {
  const ways: [string, (conf: string, port: number) => [string, string[]], boolean][] = [
    ['node src/cli.ts', (conf, port) => [NODE, ['src/cli.ts', '-conf', conf, '-dns.port', String(port), '-workers', '1']], false],
    ['src/bin.js run as a program', (conf, port) => [resolve(ROOT, 'src/bin.js'), ['-conf', conf, '-dns.port', String(port), '-workers', '1']], true],
    ['npm start\'s command', npmStartCommand, true],
  ];
  for (const [how, command, early] of ways) {
    it(`${how}: SIGUSR1 while starting opens no inspector, and the reload is done once started`, async () => {
      const api = await holdingApi();
      const port = await freePort();
      const conf = join(dir, `Corefile-${how.replace(/\W+/g, '-')}`);
      writeFileSync(conf, `. {\n  chaos before-reload\n  kubernetes cluster.local {\n    endpoint ${api.url}\n    startup_timeout 2s\n  }\n}\n`);
      const [cmd, args] = command(conf, port);
      const c = launch(cmd, args);
      try {
        if (early) {
          // As soon as Node has SIGUSR1, before any of our code ran: only --disable-sigusr1 holds here.
          expect(await until(() => nodeOwnsUsr1(c.proc.pid!), 5_000, 1)).toBe(true);
          c.proc.kill('SIGUSR1');
        }
        // Start-up is waiting on the API's list (up to startup_timeout): ask for a reload now.
        expect(await until(() => api.requests() > 0, 10_000)).toBe(true);
        expect(c.out.join('')).not.toContain('listening on');
        writeFileSync(conf, '. {\n  chaos after-reload\n}\n');
        c.proc.kill('SIGUSR1');
        c.proc.kill('SIGHUP');
        expect(await until(async () => (await chaosText(port)) === 'after-reload', 10_000)).toBe(true);
        const out = c.out.join('');
        expect(out.indexOf('[INFO] SIGUSR1: Reloading')).toBeGreaterThan(out.indexOf('listening on'));
        expect(c.err.join('')).not.toContain('Debugger listening');
        expect(listeningPorts(c.proc.pid!)).not.toContain(9229);
        expect(c.proc.exitCode).toBeNull();
        c.proc.kill('SIGTERM');
        expect((await c.exit).code).toBe(0);
      } finally {
        c.proc.kill('SIGKILL');
        await api.close();
      }
    }, 30_000);
  }

  it('SIGHUP is ignored: the server keeps answering and still stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const conf = join(dir, 'Corefile-hup');
    writeFileSync(conf, '. {\n  chaos hup-test\n}\n');
    const c = launch(NODE, ['src/cli.ts', '-conf', conf, '-dns.port', String(port), '-workers', '1']);
    try {
      expect(await until(async () => (await chaosText(port)) === 'hup-test', 10_000)).toBe(true);
      c.proc.kill('SIGHUP');
      c.proc.kill('SIGHUP');
      await new Promise((r) => setTimeout(r, 200));
      expect(await chaosText(port)).toBe('hup-test');
      expect(c.proc.exitCode).toBeNull();
      c.proc.kill('SIGTERM');
      const { code } = await c.exit;
      expect(code).toBe(0);
      expect(c.out.join('')).toContain('[INFO] SIGTERM: Shutting down');
    } finally {
      c.proc.kill('SIGKILL');
    }
  });
});
