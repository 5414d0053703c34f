// What a server loads is what its Corefile uses (issue 10: a hosts-only Corefile on one thread was
// 78 MiB, 15 of them node:http and its kin that it never listens on). The server is started as a
// user starts it (src/bin.js), with a --import preload that writes Node's process.moduleLoadList
// when the process exits; the test reads which of Node's own modules were loaded. A Corefile with
// the prometheus plugin is the positive control: there node:http must be loaded, so the check
// sees what it is meant to see.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { query } from '../support/dns-client.ts';
import { until } from '../support/wait.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE = resolve(ROOT, 'node_modules/.bin/node');
const dir = mkdtempSync(join(tmpdir(), 'clusterdns-modules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PRELOAD = join(dir, 'modules.mjs');
// Run in every thread (workers inherit --import): each writes its own list, named by thread id,
// every 100 ms and (the main thread; a terminated worker has no exit event) when it exits.
writeFileSync(PRELOAD, `import { writeFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
const write = () => writeFileSync(\`\${process.env.MODULES_OUT}.\${threadId}\`, process.moduleLoadList.join('\\n'));
setInterval(write, 100).unref();
process.on('exit', write);
`);

/** Node's built-in modules (public names) each thread of the server for `block` loaded, by thread id, once it answered a query. */
async function builtinsLoaded(block: (port: number) => string, workers: number): Promise<Map<number, Set<string>>> {
  const port = await freePort();
  const corefile = join(dir, `Corefile.${port}`);
  const out = join(dir, `modules.${port}.txt`);
  writeFileSync(corefile, block(port));
  const p = spawn(NODE, ['--import', PRELOAD, join(ROOT, 'src/bin.js'), '-conf', corefile, '-workers', String(workers)], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MODULES_OUT: out },
  });
  let log = '';
  p.stdout!.on('data', (c) => { log += c; });
  p.stderr!.on('data', (c) => { log += c; });
  const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
  try {
    expect(await until(() => log.includes('listening on udp'), 20_000), log).toBe(true);
    const r = await query(port, 'a.test', 'A');
    expect(r.answers.map((a) => a.address)).toEqual(['10.0.0.1']);
    // every thread has written its list since it answered
    const answered = Date.now();
    const written = (id: number) => { try { return statSync(`${out}.${id}`).mtimeMs > answered; } catch { return false; } };
    expect(await until(() => Array.from({ length: workers === 1 ? 1 : workers + 1 }, (_, id) => written(id)).every(Boolean), 5_000)).toBe(true);
  } finally {
    p.kill('SIGTERM');
  }
  expect(await exited, log).toBe(0);
  const threads = new Map<number, Set<string>>();
  for (const f of readdirSync(dir).filter((f) => f.startsWith(`${basename(out)}.`))) {
    const list = readFileSync(join(dir, f), 'utf8').split('\n').filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
    threads.set(Number(f.slice(basename(out).length + 1)), new Set(list));
  }
  return threads;
}

const HEAVY = ['http', 'https', 'http2', 'tls', 'zlib', 'crypto'];
const hostsOnly = (port: number) => `.:${port} {\n  bind 127.0.0.1\n  hosts {\n    10.0.0.1 a.test\n  }\n}\n`;

describe('modules a server loads', () => {
  it('a hosts-only server loads none of node:http, https, http2, tls, zlib, crypto in any thread (one thread and two workers)', async () => {
    for (const workers of [1, 2]) {
      const threads = await builtinsLoaded(hostsOnly, workers);
      expect([...threads.keys()].sort(), 'the main thread and each worker reported').toEqual(workers === 1 ? [0] : [0, 1, 2]);
      for (const [id, loaded] of threads) {
        expect(loaded.has('dgram'), `thread ${id}: the list is read (dgram serves the UDP socket)`).toBe(true);
        expect(HEAVY.filter((m) => loaded.has(m)), `-workers ${workers}, thread ${id}`).toEqual([]);
      }
    }
  }, 60_000);

  it('a server with the prometheus plugin loads node:http (the check sees a loaded module)', async () => {
    const metricsPort = await freePort();
    const loaded = await builtinsLoaded((port) => `.:${port} {\n  bind 127.0.0.1\n  prometheus 127.0.0.1:${metricsPort}\n  hosts {\n    10.0.0.1 a.test\n  }\n}\n`, 1);
    expect(loaded.get(0)?.has('http')).toBe(true);
  }, 30_000);
});
