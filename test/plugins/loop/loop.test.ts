/**
 * loop: a forward that points back at ourselves is detected at start, logged as CoreDNS logs it and
 * the process exits with that line (run as a real child process through the CLI); without a loop the
 * probe is answered and the server keeps serving.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../support/ports.ts';
import { startTestServer } from '../../support/server.ts';
import { resolver } from '../../support/dns-client.ts';
import { Upstream } from '../../support/upstream.ts';
import { directive } from '../forward/helpers.ts';
import { definition } from '../../../src/plugins/loop/index.ts';
import { probeName } from '../../../src/plugins/loop/loop.ts';

const cleanup: (() => unknown)[] = [];
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });

/** Run the CLI until it exits (or `ms` passed: then kill it); returns exit code and output. */
function runCli(corefileText: string, port: number, workers: number, ms: number): Promise<{ code: number | null; out: string; ms: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loop-'));
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const corefile = path.join(dir, 'Corefile');
  fs.writeFileSync(corefile, corefileText);
  const t0 = Date.now();
  const child = spawn(path.resolve('node_modules/.bin/node'), [path.resolve('src/cli.ts'), '-conf', corefile, '-dns.port', String(port), '-workers', String(workers)],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code) => { clearTimeout(t); resolve({ code, out, ms: Date.now() - t0 }); });
  });
}

describe('loop', () => {
  test('a forwarding loop is detected at start: CoreDNS\'s line, exit status 1', async () => {
    const port = await freePort();
    const r = await runCli(`. {\n  loop\n  forward . 127.0.0.1:${port}\n}\n`, port, 1, 20_000);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(new RegExp(
      `\\[FATAL\\] plugin/loop: Loop \\(127\\.0\\.0\\.1:\\d+ -> :${port}\\) detected for zone "\\.", ` +
      `see https://coredns\\.io/plugins/loop#troubleshooting\\. Query: "HINFO \\d+\\.\\d+\\."`));
    expect(r.ms).toBeLessThan(15_000);
  });

  test('detected with several worker threads too', async () => {
    const port = await freePort();
    const r = await runCli(`. {\n  loop\n  forward . 127.0.0.1:${port}\n}\n`, port, 2, 20_000);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/\[FATAL\] plugin\/loop: Loop \(127\.0\.0\.1:\d+ -> :\d+\) detected for zone "\."/);
  });

  test('no loop: the probe reaches the upstream once and the server keeps answering', async () => {
    const u = await Upstream.start();
    cleanup.push(() => u.close());
    u.add({ name: 'www.example.', type: 'A', ttl: 60, data: '192.0.2.1' });
    const s = await startTestServer(`. {\n  loop\n  forward . ${u.address}\n}\n`);
    cleanup.push(() => s.stop());
    const until = Date.now() + 3000;
    while (u.queries.filter((q) => q.type === 13).length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    const probes = u.queries.filter((q) => q.type === 13);
    expect(probes).toHaveLength(1);
    expect(probes[0]!.name).toMatch(/^\d+\.\d+\.$/);
    expect(await resolver(s.port).resolve4('www.example')).toEqual(['192.0.2.1']);
  });

  test('setup: no arguments, once per block; the probe name is two random numbers under the zone', () => {
    expect(probeName('cluster.local.')).toMatch(/^\d+\.\d+\.cluster\.local\.$/);
    expect(probeName('.')).not.toBe(probeName('.'));
    const ctx = {
      block: { zones: ['.'], port: 53, transport: 'dns' as const, listenAddresses: [], server: 'dns://:53', observers: [] },
      corefile: '/tmp/Corefile', role: 'single' as const, shared: new Map(),
      log: { info() {}, warning() {}, error() {}, debug() {} },
      channel: () => ({ send() {}, onMessage() {} }),
      onClose() {},
      sharedMemory: (_key: string, bytes: number) => new SharedArrayBuffer(bytes),
    };
    expect(() => definition.setup(directive('loop foo'), ctx)).toThrow(/^\/tmp\/Corefile:2: loop: takes no arguments/);
    definition.setup(directive('loop'), ctx);
    expect(() => definition.setup(directive('loop'), ctx)).toThrow(/only be used once per Server Block/);
  });
});
