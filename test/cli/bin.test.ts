// The `clusterdns` command (src/bin.js) as a user runs it: it runs the compiled JavaScript in dist/
// (src/build.mjs) when that is as new as the sources and the TypeScript sources otherwise, starts
// Node in place with the heap flags of src/server/sizing.ts, and on a Node older than it needs
// says so in one line (issue 14: the machine's Node 20 printed "bad option: --experimental-strip-types").
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { query } from '../support/dns-client.ts';
import { until } from '../support/wait.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE = resolve(ROOT, 'node_modules/.bin/node');
const SYSTEM_NODE = '/usr/bin/node';   // this machine's Node 20, as in issue 14

describe('on a Node older than 22.19', () => {
  it('prints one line naming the Node it needs and exits 1 (not "bad option")', () => {
    const v = spawnSync(SYSTEM_NODE, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    expect(v.status, `${SYSTEM_NODE} is needed for this test`).toBe(0);
    expect(Number(v.stdout.split('.')[0]), `${SYSTEM_NODE} must be older than 22 for this test`).toBeLessThan(22);
    const r = spawnSync(SYSTEM_NODE, [join(ROOT, 'src/bin.js'), '-version'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^clusterdns needs Node\.js >= 22\.19 \(this is v\d+\.\d+\.\d+, .*\); .*npx clusterdns.*npm start/);
    // and run as a program (its #! line) with that Node first on PATH, as issue 14 did: no "bad option"
    const p = spawnSync(join(ROOT, 'src/bin.js'), ['-version'], { encoding: 'utf8', env: { ...process.env, PATH: `/usr/bin:${process.env.PATH ?? ''}` } });
    expect(p.status).toBe(1);
    expect(p.stderr).not.toContain('bad option');
    expect(p.stderr.trim().split('\n')).toHaveLength(1);
    expect(p.stderr).toMatch(/^clusterdns needs Node\.js >= 22\.19 \(this is v20\./);
  });
});

describe('compiled or sources', () => {
  // A checkout of its own: src/ copied, node_modules and package.json linked, dist/ built into it.
  const app = mkdtempSync(join(tmpdir(), 'clusterdns-bin-'));
  beforeAll(() => {
    cpSync(join(ROOT, 'src'), join(app, 'src'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'));
    cpSync(join(ROOT, 'package.json'), join(app, 'package.json'));
    const built = spawnSync(NODE, [join(ROOT, 'src/build.mjs'), '--strict', '--out', join(app, 'dist')], { encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`src/build.mjs failed: ${built.stdout}${built.stderr}`);
  }, 60_000);
  afterAll(() => rmSync(app, { recursive: true, force: true }));

  /** Start `bin.js` on a hosts Corefile with two workers; the command line it runs as, once it answers. */
  async function serve(reload = false): Promise<string[]> {
    const port = await freePort();
    const corefile = join(app, 'Corefile');
    const write = (ip: string) => writeFileSync(corefile, `.:${port} {\n  bind 127.0.0.1\n  hosts {\n    ${ip} compiled.test\n  }\n}\n`);
    write('10.0.0.7');
    const p = spawn(NODE, [join(app, 'src/bin.js'), '-conf', corefile, '-workers', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout!.on('data', (c) => { out += c; });
    p.stderr!.on('data', (c) => { out += c; });
    try {
      expect(await until(() => out.includes('listening on udp'), 15_000), out).toBe(true);
      const r = await query(port, 'compiled.test', 'A');
      expect(r.answers.map((a) => a.address)).toEqual(['10.0.0.7']);
      if (reload) {
        write('10.0.0.8');
        p.kill('SIGUSR1');
        expect(await until(async () => (await query(port, 'compiled.test', 'A')).answers[0]?.address === '10.0.0.8', 10_000), out).toBe(true);
      }
      return readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0');
    } finally {
      p.kill('SIGKILL');
    }
  }

  it('runs dist/cli.js (workers and plugins compiled too), in place, with heap limits and --disable-sigusr1, and reloads on SIGUSR1', async () => {
    const argv = await serve(true);
    expect(argv).toContain(join(app, 'dist/cli.js'));
    expect(argv.some((a) => a.startsWith('--max-semi-space-size='))).toBe(true);
    expect(argv).toContain('--disable-sigusr1');   // SIGUSR1 still reloads: cli.ts unblocks it
    expect(argv.some((a) => a.endsWith('bin.js'))).toBe(false);   // execve: the bin process became the server
  }, 30_000);

  it('runs the TypeScript sources when a source file is newer than dist/', async () => {
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(app, 'src/plugins/hosts/index.ts'), later, later);
    const argv = await serve();
    expect(argv).toContain(join(app, 'src/cli.ts'));
  }, 30_000);
});
