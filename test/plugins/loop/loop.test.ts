/**
 * loop: a forward that points back at ourselves is detected at start, logged as CoreDNS logs it and
 * the process exits with that line (run as a real child process through the CLI); without a loop the
 * probe is answered and the server keeps serving.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../support/ports.ts';
import { startTestServer } from '../../support/server.ts';
import { resolver } from '../../support/dns-client.ts';
import { Upstream } from '../../support/upstream.ts';
import { directive, makeReq } from '../forward/helpers.ts';
import { definition } from '../../../src/plugins/loop/index.ts';
import { buildGeneration } from '../../../src/server/generation.ts';
import { LoopbackHub } from '../../../src/server/channels.ts';
import { replyTo } from '../../../src/dns/message.ts';
import { Rcode, Type } from '../../../src/dns/types.ts';
import { probeName, type ProbeState } from '../../../src/plugins/loop/loop.ts';
import { replicated } from '../../../src/plugin/replicated.ts';
import { setupContext } from '../../support/setup-context.ts';
import { until } from '../../support/wait.ts';

const cleanup: (() => unknown)[] = [];
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });

/** Run the CLI until it exits (or `ms` passed: then kill it); returns exit code and output. */
function runCli(corefileText: string, port: number, workers: number, ms: number, stopWhen?: () => boolean): Promise<{ code: number | null; out: string; ms: number }> {
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
    const poll = stopWhen && setInterval(() => { if (stopWhen()) child.kill('SIGKILL'); }, 50);
    child.on('exit', (code) => { clearTimeout(t); if (poll) clearInterval(poll); resolve({ code, out, ms: Date.now() - t0 }); });
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

  test('a detected loop is a fatal event the server routes (ServerOptions.onFatal): no process.exit in the plugin', async () => {
    const port = await freePort();
    const fatal: string[] = [];
    const s = await startTestServer(`. {\n  loop\n  forward . 127.0.0.1:${port}\n}\n`, { port, onFatal: (e) => fatal.push(e.line) });
    cleanup.push(() => s.stop());
    expect(await until(() => fatal.length > 0, 15_000)).toBe(true);
    expect(fatal).toEqual([expect.stringMatching(new RegExp(`^\\[FATAL\\] plugin/loop: Loop \\(127\\.0\\.0\\.1:\\d+ -> :${port}\\) detected for zone "\\."`))]);
    expect(process.exitCode ?? 0).toBe(0);
  }, 20_000);

  test('detected with several worker threads too', async () => {
    const port = await freePort();
    const r = await runCli(`. {\n  loop\n  forward . 127.0.0.1:${port}\n}\n`, port, 2, 20_000);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/\[FATAL\] plugin\/loop: Loop \(127\.0\.0\.1:\d+ -> :\d+\) detected for zone "\."/);
  });

  test('a silent or slow upstream is not a loop: unanswered probes are retried and the server keeps running', async () => {
    // Before the fix each unanswered probe's sighting added up: the third one (~5 s) was "Loop detected".
    const [silent, slow] = [await Upstream.start(), await Upstream.start()];
    cleanup.push(() => silent.close(), () => slow.close());
    silent.behaviour = { silent: true };
    slow.behaviour = { delayMs: 2_500 }; // answers, but after the probe's 2 s timeout
    const hinfo = (u: Upstream) => u.queries.filter((q) => q.type === 13);
    // Stop each run once its upstream has seen probes spread over 5 s (three attempts or more).
    const spread = (u: Upstream) => () => { const h = hinfo(u); return h.length > 0 && h.at(-1)!.at - h[0]!.at >= 5_000; };
    const [p1, p2] = [await freePort(), await freePort()];
    const [a, b] = await Promise.all([
      runCli(`. {\n  loop\n  forward . ${silent.address}\n}\n`, p1, 1, 15_000, spread(silent)),
      runCli(`. {\n  loop\n  forward . ${slow.address}\n}\n`, p2, 2, 15_000, spread(slow)),
    ]);
    for (const [r, u] of [[a, silent], [b, slow]] as const) {
      expect(r.out).not.toContain('[FATAL]');
      expect(r.code).toBeNull(); // still running: killed by the test, not exited
      expect(spread(u)()).toBe(true);
    }
  }, 30_000);

  test('an upstream that forwards back to us is still detected', async () => {
    const port = await freePort();
    // A relay on 127.0.0.1: every query it gets goes to our server, every answer back to its asker.
    const relay = dgram.createSocket('udp4');
    await new Promise<void>((r) => relay.bind(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise<void>((r) => relay.close(() => r())));
    const askers = new Map<number, dgram.RemoteInfo>();
    let relayed = 0;
    relay.on('message', (m, from) => {
      if (from.port === port) { const to = askers.get(m.readUInt16BE(0)); if (to) relay.send(m, to.port, to.address); return; }
      if (++relayed > 200) return; // bounded, should detection fail
      askers.set(m.readUInt16BE(0), from);
      relay.send(m, port, '127.0.0.1');
    });
    const r = await runCli(`. {\n  loop\n  forward . 127.0.0.1:${relay.address().port}\n}\n`, port, 1, 20_000);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(new RegExp(`\\[FATAL\\] plugin/loop: Loop \\(127\\.0\\.0\\.1:${relay.address().port} -> :${port}\\) detected for zone "\\."`));
  });

  test('no loop: the probe reaches the upstream once and the server keeps answering', async () => {
    const u = await Upstream.start();
    cleanup.push(() => u.close());
    u.add({ name: 'www.example.', type: 'A', ttl: 60, data: '192.0.2.1' });
    const s = await startTestServer(`. {\n  loop\n  forward . ${u.address}\n}\n`);
    cleanup.push(() => s.stop());
    await until(() => u.queries.some((q) => q.type === 13));
    const probes = u.queries.filter((q) => q.type === 13);
    expect(probes).toHaveLength(1);
    expect(probes[0]!.name).toMatch(/^\d+\.\d+\.$/);
    expect(await resolver(s.port).resolve4('www.example')).toEqual(['192.0.2.1']);
  });

  test('setup: no arguments, once per block; the probe name is two random numbers under the zone', async () => {
    expect(probeName('cluster.local.')).toMatch(/^\d+\.\d+\.cluster\.local\.$/);
    expect(probeName('.')).not.toBe(probeName('.'));
    const ctx = setupContext(['.'], 'single', { corefile: '/tmp/Corefile' });
    expect(() => definition.setup(directive('loop foo'), ctx)).toThrow(/^\/tmp\/Corefile:2: loop: takes no arguments/);
    expect(definition.oncePerBlock).toBe(true);     // the generation checks it (test/plugin/placement.test.ts)
    await expect(buildGeneration({
      text: '. {\n  loop\n  loop\n}\n', file: '/tmp/Corefile', dnsPort: 53, role: 'single', mode: 'validate',
      sink: { write() {} }, shared: new Map(), hub: new LoopbackHub(),
    })).rejects.toThrow(/^\/tmp\/Corefile:3: loop: can only be used once per Server Block/);
  });

  test('the answering part reports sightings to the control part, which publishes the verdict (one thread and over a channel pair)', async () => {
    for (const role of ['single', 'split'] as const) {
      const hub = new LoopbackHub();
      const fatals: string[] = [];
      const base = setupContext(['.'], 'single', { channel: (n) => hub.open(`loop/${n}`), fatal: (r) => { fatals.push(r); } });
      // 'split': the parts as a control thread and a worker set them up (each alone in its thread).
      const parts = role === 'single' ? [await definition.setup(directive('loop'), base)]
        : [await definition.setup(directive('loop'), { ...base, role: 'control' }), await definition.setup(directive('loop'), { ...base, role: 'data' })];
      const answering = parts.find((p) => p.serve)!;
      // A third reader of the published state, as another worker would be: it learns the probe name.
      const watcher = replicated<ProbeState>({ role: 'data', channel: (n) => hub.open(`loop/${n}`) }, 'probe');
      expect(await until(() => watcher.has)).toBe(true);
      const probe = watcher.value!.qname;
      const req = (port: number) => ({ ...makeReq(probe, Type.HINFO), remotePort: port, localPort: 53 });
      const passed: string[] = [];
      const next = (r: { qname: string }) => { passed.push(r.qname); return replyTo(makeReq(probe, Type.HINFO).msg); };
      // the answering side learns the probe name from the control side before it can see it
      expect(await until(async () => { passed.length = 0; await answering.serve!(req(1000), next); return passed.length === 1; })).toBe(true);
      for (let i = 0; i < 3; i++) await answering.serve!(req(2000 + i), next);
      expect(await until(() => fatals.length === 1)).toBe(true);
      expect(fatals[0]).toMatch(new RegExp(`^Loop \\(127\\.0\\.0\\.1:\\d+ -> :53\\) detected for zone "\\.".*HINFO ${probe.replace(/\./g, '\\.')}`));
      // the verdict reaches the answering side: the probe now gets SERVFAIL instead of going round again
      expect(await until(async () => (await answering.serve!(req(3000), next)).rcode === Rcode.SERVFAIL)).toBe(true);
      expect(watcher.value!.detected).toBe(true);
      watcher.close();
      for (const p of parts) await p.close?.();
    }
  });
});
