/**
 * unbound (Debian's package) as a real upstream for integration tests and benchmarks: started on a
 * free high loopback port with a generated config (no chroot, no user switch, no daemonizing, no
 * remote control), answering only the local data the test gives it (there is no internet here).
 *
 * When unbound is not installed this throws: integration tests must fail loudly, never skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const UNBOUND_BIN = process.env.UNBOUND_BIN ?? '/usr/sbin/unbound';

export interface Unbound {
  readonly port: number;
  readonly address: string;       // "127.0.0.1:PORT"
  readonly dir: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export interface UnboundOptions {
  /** local-data lines, e.g. `"a.example. 300 IN A 192.0.2.1"`. */
  localData?: string[];
  /** local-zone lines, e.g. `"example. static"` (names in a static zone without data answer NXDOMAIN). */
  localZones?: string[];
  threads?: number;
  /** Extra `server:` lines. */
  extra?: string[];
}

/** A port free for both UDP and TCP on 127.0.0.1. */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const u = dgram.createSocket('udp4');
    await new Promise<void>((res) => u.bind(0, '127.0.0.1', () => res()));
    const port = u.address().port;
    const ok = await new Promise<boolean>((res) => {
      const s = net.createServer();
      s.once('error', () => res(false));
      s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
    });
    await new Promise<void>((res) => u.close(() => res()));
    if (ok) return port;
  }
  throw new Error('freePort: no free port found');
}

export async function startUnbound(opts: UnboundOptions = {}): Promise<Unbound> {
  if (!fs.existsSync(UNBOUND_BIN)) {
    throw new Error(`unbound is not installed at ${UNBOUND_BIN} — install Debian's "unbound" package (apt-get install unbound)`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clusterdns-unbound-'));
  const port = await freePort();
  const conf = [
    'server:',
    `  interface: 127.0.0.1@${port}`,
    `  port: ${port}`,
    '  do-ip6: no',
    '  do-udp: yes',
    '  do-tcp: yes',
    '  chroot: ""',
    '  username: ""',
    `  directory: "${dir}"`,
    '  pidfile: ""',
    '  do-daemonize: no',
    '  use-syslog: no',
    '  logfile: ""',
    '  verbosity: 0',
    `  num-threads: ${opts.threads ?? 1}`,
    '  access-control: 127.0.0.0/8 allow',
    '  module-config: "iterator"',
    '  auto-trust-anchor-file: ""',
    '  trust-anchor-file: ""',
    '  root-hints: ""',
    '  do-not-query-localhost: yes',
    '  harden-referral-path: no',
    '  minimal-responses: no',
    '  so-reuseport: yes',
    ...(opts.localZones ?? []).map((z) => `  local-zone: ${z}`),
    ...(opts.localData ?? []).map((d) => `  local-data: "${d}"`),
    ...(opts.extra ?? []).map((l) => `  ${l}`),
    'remote-control:',
    '  control-enable: no',
    '',
  ].join('\n');
  const confPath = path.join(dir, 'unbound.conf');
  fs.writeFileSync(confPath, conf);
  const child: ChildProcess = spawn(UNBOUND_BIN, ['-d', '-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  let exited = false;
  child.on('exit', () => { exited = true; });

  // Wait until it answers (bounded: 50 tries, ~5 s).
  const ready = await waitForAnswer(port, () => exited);
  if (!ready) {
    child.kill('SIGKILL');
    throw new Error(`unbound did not start on 127.0.0.1:${port}: ${stderr.trim() || '(no output)'}`);
  }
  return {
    port, address: `127.0.0.1:${port}`, dir, pid: child.pid!,
    async stop() {
      if (!exited) {
        const done = new Promise<void>((res) => child.once('exit', () => res()));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 2000);
        await done;
        clearTimeout(t);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForAnswer(port: number, dead: () => boolean): Promise<boolean> {
  // version.bind CH TXT: answered by unbound itself without any local data
  const q = Buffer.from('abcd010000010000000000000776657273696f6e0462696e640000100003', 'hex');
  for (let i = 0; i < 50 && !dead(); i++) {
    const ok = await new Promise<boolean>((res) => {
      const s = dgram.createSocket('udp4');
      const t = setTimeout(() => { s.close(); res(false); }, 100);
      s.on('message', () => { clearTimeout(t); s.close(); res(true); });
      s.on('error', () => { clearTimeout(t); s.close(); res(false); });
      s.send(q, port, '127.0.0.1');
    });
    if (ok) return true;
  }
  return false;
}
